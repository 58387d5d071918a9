#![allow(clippy::unwrap_used)]

use std::time::Duration;

use heatdesk::config::Secret;
use wechat_mp::testing::{CallbackClient, FakeWeChat, FAKE_SECRET};
use wechat_mp::{Config, Mode, Reply};

use crate::helpers::{spawn_app_with, TestApp};

const AES_KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
const APPID: &str = wechat_mp::testing::FAKE_APPID;
const TOKEN: &str = "heatdesk-callback-token";

struct WeChatApp {
    app: TestApp,
    fake: FakeWeChat,
    client: CallbackClient,
}

async fn spawn(deadline_ms: u64, encrypted: bool) -> WeChatApp {
    let fake = FakeWeChat::start().await;
    let base = fake.base_url();
    let app = spawn_app_with(|s| {
        s.wechat.token = Secret::new(TOKEN);
        s.wechat.appid = APPID.into();
        s.wechat.app_secret = Secret::new(FAKE_SECRET);
        if encrypted {
            s.wechat.aes_key = Secret::new(AES_KEY);
        }
        s.wechat.api_base = base;
        s.wechat.handler_deadline_ms = deadline_ms;
    })
    .await;
    let mut config = Config::new(APPID, FAKE_SECRET, TOKEN);
    if encrypted {
        config.mode = Mode::Safe;
        config.encoding_aes_key = Some(AES_KEY.into());
    }
    let client = CallbackClient::new(&config).at("/wechat");
    WeChatApp { app, fake, client }
}

impl WeChatApp {
    /// Sends a push built by the callback client over the real socket.
    async fn send(&self, req: axum::http::Request<axum::body::Body>) -> reqwest::Response {
        let (parts, body) = req.into_parts();
        let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap();
        let url = self.app.url(&parts.uri.to_string());
        self.app
            .client
            .request(parts.method, url)
            .body(bytes)
            .send()
            .await
            .unwrap()
    }

    async fn reply_to(&self, xml: &str) -> Reply {
        let res = self.send(self.client.push(xml)).await;
        assert_eq!(res.status(), 200);
        let body = res.bytes().await.unwrap();
        if body.as_ref() == b"success" || body.is_empty() {
            return Reply::Success;
        }
        self.client.read_reply(&body).unwrap().reply
    }

    /// The standard WeChat reply the engine gives for `text`.
    fn expected(&self, text: &str) -> String {
        let engine = self.app.state.engine.current();
        let c = engine.classify(text);
        let catalog = engine.catalog();
        catalog
            .rendered_reply(catalog.entry(c.entry.as_ref().unwrap()).unwrap())
            .wechat
    }
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn text_of(reply: &Reply) -> &str {
    match reply {
        Reply::Text(t) => t.as_str(),
        other => panic!("expected a text reply, got {other:?}"),
    }
}

#[tokio::test]
async fn an_encrypted_question_gets_its_standard_reply() {
    let w = spawn(4000, true).await;
    let question = "家里暖气片摸着冰凉的，屋里才十五度";
    let xml = CallbackClient::text_message("o-resident-1", question, 7_001, now());
    let reply = w.reply_to(&xml).await;
    // The standard reply first; the dialogue may add its offer to book an inspection.
    assert!(
        text_of(&reply).starts_with(&w.expected(question)),
        "{reply:?}"
    );
    assert!(!text_of(&reply).contains('{'), "facts are filled in");
}

#[tokio::test]
async fn a_retried_push_is_answered_once_with_the_same_reply() {
    let w = spawn(4000, true).await;
    let xml = CallbackClient::text_message("o-resident-2", "取暖费在哪儿交", 7_002, now());
    let first = w.reply_to(&xml).await;
    let second = w.reply_to(&xml).await;
    assert_eq!(first, second);
    let logged = w
        .app
        .state
        .storage
        .recent_classifications(10)
        .await
        .unwrap();
    assert_eq!(logged.len(), 1, "the handler ran once");
}

#[tokio::test]
async fn a_slow_answer_goes_out_as_a_customer_service_message() {
    let w = spawn(0, true).await;
    w.fake.touch_user("o-resident-3");
    let question = "今年房子没人住想办停供";
    let xml = CallbackClient::text_message("o-resident-3", question, 7_003, now());
    assert_eq!(
        w.reply_to(&xml).await,
        Reply::Success,
        "past the deadline the callback says success"
    );
    let sent = w.fake.wait_for_messages(1, Duration::from_secs(60)).await;
    assert_eq!(sent.len(), 1);
    let texts = w.fake.texts_to("o-resident-3");
    assert_eq!(texts.len(), 1);
    assert!(texts[0].starts_with(&w.expected(question)), "{texts:?}");
}

#[tokio::test]
async fn plaintext_mode_subscribe_and_other_kinds_get_polite_answers() {
    let w = spawn(4000, false).await;
    let subscribe = format!(
        "<xml><ToUserName><![CDATA[gh_test]]></ToUserName><FromUserName><![CDATA[o-new]]></FromUserName>\
         <CreateTime>{}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[subscribe]]></Event></xml>",
        now()
    );
    let welcome = w.reply_to(&subscribe).await;
    let expected = w.app.state.locales.text(
        "zh-CN",
        "bot-welcome",
        &[
            ("company", "乌海热力".into()),
            (
                "hotline",
                w.app.state.engine.current().catalog().facts["hotline"]
                    .clone()
                    .into(),
            ),
        ],
    );
    assert_eq!(text_of(&welcome), expected);

    let video = format!(
        "<xml><ToUserName><![CDATA[gh_test]]></ToUserName><FromUserName><![CDATA[o-new]]></FromUserName>\
         <CreateTime>{}</CreateTime><MsgType><![CDATA[video]]></MsgType><MediaId><![CDATA[m1]]></MediaId>\
         <ThumbMediaId><![CDATA[t1]]></ThumbMediaId><MsgId>7004</MsgId></xml>",
        now()
    );
    let reply = w.reply_to(&video).await;
    let kind = w.app.state.locales.text("zh-CN", "kind-video", &[]);
    assert!(text_of(&reply).contains(&kind), "{reply:?}");
}

#[tokio::test]
async fn forged_and_stale_pushes_are_refused_without_a_server_error() {
    let w = spawn(4000, true).await;
    let xml = CallbackClient::text_message("o-x", "你好", 7_005, now());
    let stale = w.client.push_at(&xml, now() - 3600, "123");
    assert_eq!(w.send(stale).await.status(), 403);

    let forged = CallbackClient::new(&Config {
        mode: Mode::Safe,
        encoding_aes_key: Some(AES_KEY.into()),
        ..Config::new(APPID, FAKE_SECRET, "not-the-token")
    })
    .at("/wechat");
    assert_eq!(w.send(forged.push(&xml)).await.status(), 403);

    let res = w.send(w.client.verification("echo-123")).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.text().await.unwrap(), "echo-123");

    let res = w
        .app
        .client
        .post(w.app.url("/wechat?signature=x&timestamp=1&nonce=2"))
        .body("<xml>")
        .send()
        .await
        .unwrap();
    assert!(res.status().is_client_error());
    let logged = w
        .app
        .state
        .storage
        .recent_classifications(10)
        .await
        .unwrap();
    assert!(logged.is_empty(), "nothing refused reached the engine");
}

#[tokio::test]
async fn retries_and_tokens_are_shared_through_the_database() {
    use std::time::SystemTime;
    use wechat_mp::bot::{AccessToken, TokenStore};
    use wechat_mp::dedup::{Claim, DedupKey, DedupStore, Outcome};

    let dir = tempfile::tempdir().unwrap();
    for db in crate::helpers::all_databases(dir.path()).await {
        let backend = db.backend();
        // Two instances: two store objects over one database.
        let (a, b) = (
            heatdesk::wechat::DbStores::new(db.clone()),
            heatdesk::wechat::DbStores::new(db),
        );
        let xml = CallbackClient::text_message("o-db", "hi", 9, 1_700_000_000);
        let key = DedupKey::of(&wechat_mp::Update::from_xml(xml.as_bytes()).unwrap());
        let ttl = Duration::from_secs(60);
        assert_eq!(
            a.claim(&key, ttl).await.unwrap(),
            Claim::Fresh,
            "{backend:?}"
        );
        assert_eq!(
            b.claim(&key, ttl).await.unwrap(),
            Claim::Pending,
            "{backend:?}"
        );
        let outcome = Outcome::Reply("<xml>r</xml>".into());
        a.complete(&key, &outcome, ttl).await.unwrap();
        assert_eq!(
            b.claim(&key, ttl).await.unwrap(),
            Claim::Done(outcome),
            "{backend:?}"
        );
        // An expired entry is a new push.
        let short = CallbackClient::text_message("o-db", "hi", 10, 1_700_000_000);
        let key2 = DedupKey::of(&wechat_mp::Update::from_xml(short.as_bytes()).unwrap());
        assert_eq!(
            a.claim(&key2, Duration::from_millis(1)).await.unwrap(),
            Claim::Fresh
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert_eq!(
            b.claim(&key2, ttl).await.unwrap(),
            Claim::Fresh,
            "{backend:?}"
        );

        assert!(a.load("wx1").await.unwrap().is_none());
        let t1 = AccessToken {
            value: "tok-1".into(),
            expires_at: SystemTime::UNIX_EPOCH + Duration::from_secs(2_000_000_000),
        };
        a.save("wx1", &t1).await.unwrap();
        assert_eq!(
            b.load("wx1").await.unwrap(),
            Some(t1.clone()),
            "{backend:?}"
        );
        let t2 = AccessToken {
            value: "tok-2".into(),
            ..t1.clone()
        };
        b.save("wx1", &t2).await.unwrap();
        a.discard("wx1", "tok-1").await.unwrap();
        assert_eq!(
            a.load("wx1").await.unwrap(),
            Some(t2),
            "{backend:?}: a newer token survives"
        );
        a.discard("wx1", "tok-2").await.unwrap();
        assert!(b.load("wx1").await.unwrap().is_none(), "{backend:?}");
    }
}

/// On SQLite one process serves the file: a push is claimed in memory, without waiting for
/// the writer, and its record is written once, with its outcome. A retry still finds the
/// outcome, in this process and in the next one, and an expired record is a new push.
#[tokio::test]
async fn on_sqlite_a_claim_waits_for_no_write_and_the_next_process_finds_the_outcome() {
    use wechat_mp::dedup::{Claim, DedupKey, DedupStore, Outcome};

    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/d.db", dir.path().display());
    let key_of = |n: u64| {
        let xml = CallbackClient::text_message("o-one", "hi", n, 1_700_000_000);
        DedupKey::of(&wechat_mp::Update::from_xml(xml.as_bytes()).unwrap())
    };
    let (ttl, outcome) = (
        Duration::from_secs(60),
        Outcome::Reply("<xml>r</xml>".into()),
    );
    {
        let db = heatdesk::storage::Database::open(&url).await.unwrap();
        let stores = heatdesk::wechat::DbStores::new(db.clone());
        // Held writer: a claim that wrote (or waited for a write) would not come back.
        let held = db.direct().unwrap().pause().await.unwrap();
        let claimed = tokio::time::timeout(Duration::from_secs(5), stores.claim(&key_of(1), ttl))
            .await
            .expect("a claim does not wait for the writer");
        assert_eq!(claimed.unwrap(), Claim::Fresh);
        assert_eq!(stores.claim(&key_of(1), ttl).await.unwrap(), Claim::Pending);
        drop(held);
        assert_eq!(
            stores.retry_records().await.unwrap(),
            0,
            "a claim writes nothing"
        );
        stores.complete(&key_of(1), &outcome, ttl).await.unwrap();
        assert_eq!(
            stores.claim(&key_of(1), ttl).await.unwrap(),
            Claim::Done(outcome.clone())
        );
        // Completed with a life so short that it is over before the next process starts.
        assert_eq!(stores.claim(&key_of(2), ttl).await.unwrap(), Claim::Fresh);
        stores
            .complete(&key_of(2), &Outcome::Empty, Duration::from_millis(1))
            .await
            .unwrap();
        assert_eq!(stores.retry_records().await.unwrap(), 2);
        // A claim an older heatdesk wrote before it died: pending, its lease run out.
        let heatdesk::storage::Database::Sqlite(pool) = &db else {
            unreachable!()
        };
        let now = chrono::Utc::now().timestamp_millis();
        sqlx::query("INSERT INTO wechat_dedup (key, outcome, expires_at, lease_until) VALUES ($1, NULL, $2, $3)")
            .bind(key_of(4).as_str())
            .bind(now + 60_000)
            .bind(now - 1)
            .execute(pool)
            .await
            .unwrap();
    }
    tokio::time::sleep(Duration::from_millis(20)).await;
    // The next process on the file: it never saw these pushes.
    let stores =
        heatdesk::wechat::DbStores::new(heatdesk::storage::Database::open(&url).await.unwrap());
    assert_eq!(
        stores.claim(&key_of(1), ttl).await.unwrap(),
        Claim::Done(outcome),
        "a retry after a restart gets the first attempt's answer"
    );
    assert_eq!(
        stores.claim(&key_of(2), ttl).await.unwrap(),
        Claim::Fresh,
        "an expired record is a new push"
    );
    assert_eq!(stores.claim(&key_of(3), ttl).await.unwrap(), Claim::Fresh);
    // The dead attempt's push: a retry waits, then takes it over and answers it once.
    assert_eq!(stores.claim(&key_of(4), ttl).await.unwrap(), Claim::Pending);
    assert!(stores.take_over(&key_of(4), ttl).await.unwrap());
    assert_eq!(stores.claim(&key_of(4), ttl).await.unwrap(), Claim::Pending);
    assert!(
        !stores.take_over(&key_of(4), ttl).await.unwrap(),
        "taken over once"
    );
    stores
        .complete(&key_of(4), &Outcome::Empty, ttl)
        .await
        .unwrap();
    assert_eq!(
        stores.claim(&key_of(4), ttl).await.unwrap(),
        Claim::Done(Outcome::Empty)
    );
}
