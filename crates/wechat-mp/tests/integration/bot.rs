//! The API client against the fake server.

use std::sync::Arc;
use std::time::Duration;

use wechat_mp::bot::{Button, MediaType, Menu, NewsArticle, TemplateMessage, TokenSource};
use wechat_mp::testing::{FakeWeChat, FAKE_APPID, FAKE_SECRET};
use wechat_mp::{Bot, ErrCode, OpenId};

fn user(id: &str) -> OpenId {
    OpenId::parse(id).unwrap()
}

#[tokio::test]
async fn concurrent_callers_share_one_token_request() {
    let fake = FakeWeChat::start().await;
    fake.set_latency(Duration::from_millis(100));
    let bot = fake.bot();
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let bot = bot.clone();
            tokio::spawn(async move { bot.access_token().await.unwrap() })
        })
        .collect();
    let mut tokens = Vec::new();
    for task in tasks {
        tokens.push(task.await.unwrap());
    }
    assert!(tokens.iter().all(|t| t == &tokens[0]));
    assert_eq!(fake.token_requests(), 1);
}

#[tokio::test]
async fn expired_tokens_are_refreshed_once_and_the_call_retried() {
    let fake = FakeWeChat::start().await;
    fake.touch_user("o-1");
    let bot = fake.bot();
    bot.send_text(&user("o-1"), "one").await.unwrap();
    fake.expire_tokens();
    bot.send_text(&user("o-1"), "two").await.unwrap();
    assert_eq!(fake.texts_to("o-1"), vec!["one", "two"]);
    assert_eq!(fake.token_requests(), 2);
    // A second rejection in a row is surfaced, not retried forever.
    fake.fail_next(40001);
    fake.fail_next(40001);
    let error = bot.send_text(&user("o-1"), "three").await.unwrap_err();
    assert_eq!(error.code(), Some(ErrCode::InvalidCredential));
}

#[tokio::test]
async fn window_and_quota_errors_are_distinct() {
    let fake = FakeWeChat::start().await;
    let bot = fake.bot();
    let error = bot.send_text(&user("o-2"), "hi").await.unwrap_err();
    assert!(error.is_outside_window());
    assert_eq!(error.code(), Some(ErrCode::OutsideReplyWindow));

    fake.touch_user_at(
        "o-2",
        std::time::SystemTime::now() - Duration::from_secs(49 * 3600),
    );
    assert!(bot
        .send_text(&user("o-2"), "hi")
        .await
        .unwrap_err()
        .is_outside_window());

    fake.touch_user("o-2");
    for i in 0..5 {
        bot.send_text(&user("o-2"), format!("m{i}")).await.unwrap();
    }
    let error = bot.send_text(&user("o-2"), "m5").await.unwrap_err();
    assert!(error.is_quota_exceeded());
    assert_eq!(error.code(), Some(ErrCode::ReplyQuotaExceeded));
}

#[tokio::test]
async fn message_kinds_and_agent_accounts_are_sent_as_documented() {
    let fake = FakeWeChat::start().await;
    fake.set_quota(10);
    fake.touch_user("o-3");
    let bot = fake.bot();
    let to = user("o-3");
    bot.send_text(&to, "您好 😀")
        .kf_account("agent1@heat")
        .await
        .unwrap();
    bot.send_image(&to, "media-1").await.unwrap();
    bot.send_news(
        &to,
        NewsArticle {
            title: "t".into(),
            description: "d".into(),
            url: "u".into(),
            picurl: "p".into(),
        },
    )
    .await
    .unwrap();
    bot.typing(&to, true).await.unwrap();
    let sent = fake.sent_messages();
    assert_eq!(sent[0].body["customservice"]["kf_account"], "agent1@heat");
    assert_eq!(sent[0].text(), Some("您好 😀"));
    assert_eq!(sent[1].msgtype, "image");
    assert_eq!(sent[2].body["news"]["articles"][0]["picurl"], "p");
    let typing = fake
        .calls()
        .into_iter()
        .find(|c| c.path.ends_with("/typing"))
        .unwrap();
    assert_eq!(typing.body["command"], "Typing");
}

#[tokio::test]
async fn menu_template_media_sessions_and_users() {
    let fake = FakeWeChat::start().await;
    let bot = fake.bot();
    let menu = Menu {
        button: vec![
            Button::click("报修", "REPAIR"),
            Button::parent(
                "服务",
                vec![Button::view("缴费", "https://example.com/pay")],
            ),
        ],
    };
    bot.create_menu(&menu).await.unwrap();
    assert_eq!(bot.menu().await.unwrap().menu, menu);
    bot.delete_menu().await.unwrap();
    assert_eq!(
        bot.menu().await.unwrap_err().code(),
        Some(ErrCode::Unknown(46003))
    );

    let template = TemplateMessage::new(user("o-4"), "tmpl").value("first", "停暖通知");
    assert_eq!(
        bot.send_template(&template).await.unwrap_err().code(),
        Some(ErrCode::InvalidTemplateId),
        "a template the account does not have"
    );
    fake.add_template("tmpl", &["first"]);
    assert!(bot.send_template(&template).await.unwrap() > 0);

    let media = bot
        .upload_media(
            MediaType::Image,
            "a.png",
            bytes::Bytes::from_static(b"\x89PNG"),
        )
        .await
        .unwrap();
    assert!(media.media_id.starts_with("fake-media-"));
    assert_eq!(
        fake.calls()
            .last()
            .unwrap()
            .query
            .get("type")
            .map(String::as_str),
        Some("image")
    );

    bot.create_kf_session("agent1@heat", &user("o-4"))
        .await
        .unwrap();
    assert_eq!(fake.kf_session("o-4").as_deref(), Some("agent1@heat"));
    assert_eq!(
        bot.kf_session(&user("o-4"))
            .await
            .unwrap()
            .unwrap()
            .kf_account,
        "agent1@heat"
    );
    bot.close_kf_session("agent1@heat", &user("o-4"))
        .await
        .unwrap();
    assert_eq!(bot.kf_session(&user("o-4")).await.unwrap(), None);

    let info = bot.user_info(&user("o-4")).await.unwrap();
    assert_eq!((info.subscribe, info.openid.as_str()), (1, "o-4"));
}

#[tokio::test]
async fn failures_and_wrong_credentials_surface_as_typed_errors() {
    let fake = FakeWeChat::start().await;
    let bot = fake.bot();
    fake.fail_all(Some(-1));
    assert_eq!(
        bot.delete_menu().await.unwrap_err().code(),
        Some(ErrCode::SystemBusy)
    );
    fake.fail_all(None);
    bot.delete_menu().await.unwrap();

    let wrong = Bot::builder(FAKE_APPID, "wrong")
        .api_base(fake.base_url())
        .build();
    assert_eq!(
        wrong.delete_menu().await.unwrap_err().code(),
        Some(ErrCode::Unknown(40125))
    );
}

#[tokio::test]
async fn classic_tokens_and_shared_stores() {
    let fake = FakeWeChat::start().await;
    let store: Arc<dyn wechat_mp::bot::TokenStore> =
        Arc::new(wechat_mp::bot::InMemoryTokenStore::new());
    let build = || {
        Bot::builder(FAKE_APPID, FAKE_SECRET)
            .api_base(fake.base_url())
            .token_source(TokenSource::Classic)
            .token_store(store.clone())
            .build()
    };
    let (a, b) = (build(), build());
    assert_eq!(
        a.access_token().await.unwrap(),
        b.access_token().await.unwrap()
    );
    assert_eq!(
        fake.token_requests(),
        1,
        "the second instance found the token in the store"
    );
}

#[tokio::test]
async fn a_slow_api_times_out_as_a_network_error() {
    let fake = FakeWeChat::start().await;
    let http = reqwest::Client::builder()
        .timeout(Duration::from_millis(100))
        .build()
        .unwrap();
    let bot = Bot::builder(FAKE_APPID, FAKE_SECRET)
        .api_base(fake.base_url())
        .http_client(http)
        .build();
    fake.set_latency(Duration::from_millis(400));
    assert!(matches!(
        bot.access_token().await,
        Err(wechat_mp::RequestError::Network(_))
    ));
}

/// A store shared by several processes, its refresh lock standing for a database's.
#[derive(Default)]
struct SharedStore {
    tokens: wechat_mp::bot::InMemoryTokenStore,
    lock: Arc<tokio::sync::Mutex<()>>,
}

struct Held(tokio::sync::OwnedMutexGuard<()>);

#[async_trait::async_trait]
impl wechat_mp::bot::RefreshLock for Held {
    async fn release(self: Box<Self>) {
        drop(self.0);
    }
}

#[async_trait::async_trait]
impl wechat_mp::bot::TokenStore for SharedStore {
    async fn load(
        &self,
        appid: &str,
    ) -> Result<Option<wechat_mp::bot::AccessToken>, wechat_mp::dedup::StoreError> {
        self.tokens.load(appid).await
    }
    async fn save(
        &self,
        appid: &str,
        token: &wechat_mp::bot::AccessToken,
    ) -> Result<(), wechat_mp::dedup::StoreError> {
        self.tokens.save(appid, token).await
    }
    async fn discard(
        &self,
        appid: &str,
        rejected: &str,
    ) -> Result<(), wechat_mp::dedup::StoreError> {
        self.tokens.discard(appid, rejected).await
    }
    async fn lock_refresh(
        &self,
        _appid: &str,
    ) -> Result<Option<Box<dyn wechat_mp::bot::RefreshLock>>, wechat_mp::dedup::StoreError> {
        Ok(Some(Box::new(Held(self.lock.clone().lock_owned().await))))
    }
}

/// Five bots (five instances) with an expired token at the same moment, sharing a store
/// with a refresh lock: one of them asks WeChat, the others find its token in the store.
#[tokio::test]
async fn instances_sharing_a_locking_store_fetch_once() {
    let fake = FakeWeChat::start().await;
    fake.set_latency(Duration::from_millis(100));
    let store: Arc<dyn wechat_mp::bot::TokenStore> = Arc::new(SharedStore::default());
    let bots: Vec<Bot> = (0..5)
        .map(|_| {
            Bot::builder(FAKE_APPID, FAKE_SECRET)
                .api_base(fake.base_url())
                .token_store(store.clone())
                .build()
        })
        .collect();
    let tasks: Vec<_> = bots
        .iter()
        .map(|b| {
            let b = b.clone();
            tokio::spawn(async move { b.access_token().await.unwrap() })
        })
        .collect();
    let mut tokens = Vec::new();
    for t in tasks {
        tokens.push(t.await.unwrap());
    }
    assert!(tokens.iter().all(|t| t == &tokens[0]));
    assert_eq!(fake.token_requests(), 1);
}
