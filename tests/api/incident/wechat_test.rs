//! The acceptance path: opened from the command line, told to residents through the signed
//! WeChat callback, one notice per subscriber when heat is back, on both backends and with
//! two instances on one PostgreSQL.

use std::process::{Command, Output};
use std::time::Duration;

use chrono::Utc;
use heatdesk::config::{Secret, Settings};
use heatdesk::incident::triage::Outcome;
use heatdesk::notify::Delivery;
use heatdesk::service::rules::MonthDay;
use heatdesk::service::AccountNo;
use heatdesk::storage::Database;
use wechat_mp::testing::{CallbackClient, FakeWeChat, FAKE_SECRET};
use wechat_mp::{Config, Reply};

use super::{BINHE, CAUSE, SUHAITU};
use crate::helpers::{fresh_postgres, repo, spawn_app_in, TestApp};

const CALLBACK_TOKEN: &str = "incident-callback-token";
const APPID: &str = wechat_mp::testing::FAKE_APPID;

fn heatdesk_cli(db_url: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_heatdesk"))
        .args(args)
        .current_dir(repo())
        .env("HEATDESK_DATABASE_URL", db_url)
        .output()
        .unwrap()
}

fn cli_ok(db_url: &str, args: &[&str]) -> String {
    let out = heatdesk_cli(db_url, args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

struct Resident<'a> {
    app: &'a TestApp,
    client: &'a CallbackClient,
}

impl Resident<'_> {
    async fn says(&self, user: &str, text: &str, msg_id: u64) -> String {
        let xml = CallbackClient::text_message(user, text, msg_id, Utc::now().timestamp());
        let req = self.client.push(&xml);
        let (parts, body) = req.into_parts();
        let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap();
        let res = self
            .app
            .client
            .request(parts.method, self.app.url(&parts.uri.to_string()))
            .body(bytes)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let body = res.bytes().await.unwrap();
        if body.as_ref() == b"success" || body.is_empty() {
            return String::new();
        }
        match self.client.read_reply(&body).unwrap().reply {
            Reply::Text(t) => t,
            other => panic!("expected text, got {other:?}"),
        }
    }
}

async fn wechat_app(dir: tempfile::TempDir, url: &str, fake: &FakeWeChat) -> TestApp {
    wechat_app_with(dir, url, fake, |_| {}).await
}

async fn wechat_app_with(
    dir: tempfile::TempDir,
    url: &str,
    fake: &FakeWeChat,
    adjust: impl Fn(&mut Settings) + Send + Sync + 'static,
) -> TestApp {
    let (url, base) = (url.to_owned(), fake.base_url());
    spawn_app_in(dir, move |s| {
        s.database_url = Secret::new(url);
        s.wechat.token = Secret::new(CALLBACK_TOKEN);
        s.wechat.appid = APPID.into();
        s.wechat.app_secret = Secret::new(FAKE_SECRET);
        s.wechat.api_base = base;
        // In season whatever the day the test runs: triage's season check does not answer.
        s.rules.season_start = MonthDay::new(1, 1);
        s.rules.season_end = MonthDay::new(12, 31);
        adjust(s);
    })
    .await
}

fn callback() -> CallbackClient {
    CallbackClient::new(&Config::new(APPID, FAKE_SECRET, CALLBACK_TOKEN)).at("/wechat")
}

/// The acceptance path on one backend: opened from the command line, told to a bound
/// resident of the estate with the expected time, the usual handling elsewhere, an unbound
/// resident asked for the estate, and one notice per subscriber at the restoration.
async fn opened_told_restored(url: &str, dir: tempfile::TempDir) {
    let fake = FakeWeChat::start().await;
    let app = wechat_app(dir, url, &fake).await;
    let eta_local = (Utc::now() + chrono::Duration::hours(5))
        .with_timezone(&heatdesk::entities::UTILITY_TZ)
        .format("%Y-%m-%d %H:%M")
        .to_string();
    let out = cli_ok(
        url,
        &[
            "incident",
            "open",
            "--estate",
            "滨河花园",
            "--cause",
            CAUSE,
            "--eta",
            &eta_local,
        ],
    );
    assert!(out.starts_with("opened 1\t"), "{out}");
    let listed = cli_ok(url, &["incident", "list"]);
    assert!(
        listed.contains("滨河花园") && listed.contains(&eta_local),
        "{listed}"
    );
    // What the poll does every few seconds on a serving instance.
    assert!(app.state.incidents.refresh().await.unwrap());

    let conversations = &app.state.conversations;
    let now = Utc::now();
    for (user, account) in [
        ("o-binhe-1", BINHE),
        ("o-binhe-2", BINHE),
        ("o-suhaitu", SUHAITU),
    ] {
        conversations
            .bind(user, &AccountNo::parse(account).unwrap(), now)
            .await
            .unwrap();
    }
    let cb = callback();
    let r = Resident {
        app: &app,
        client: &cb,
    };

    let told = r.says("o-binhe-1", "暖气怎么不热了", 1).await;
    assert!(told.contains(CAUSE), "{told}");
    assert!(told.contains(&eta_local), "the expected time: {told}");
    assert!(told.contains("恢复后通知我"), "the offer: {told}");
    let subscribed = r.says("o-binhe-1", "恢复后通知我", 2).await;
    assert!(subscribed.contains("通知您"), "{subscribed}");

    // Another estate: triage instead, and nothing on the account, so the self-check (the
    // standard reply of not_warm and the two answers as buttons), no word of the interruption.
    let usual = r.says("o-suhaitu", "暖气怎么不热了", 3).await;
    assert!(!usual.contains(CAUSE), "{usual}");
    let engine = app.state.engine.current();
    let c = engine.classify("暖气怎么不热了");
    assert_eq!(c.intent.as_str(), "not_warm");
    let standard = engine
        .catalog()
        .rendered_reply(engine.catalog().entry(c.entry.as_ref().unwrap()).unwrap())
        .wechat;
    assert!(usual.starts_with(&standard), "{usual}");
    let button = app
        .state
        .locales
        .text("zh-CN", "triage-button-still-cold", &[]);
    assert!(usual.contains(&button), "the self-check: {usual}");

    // The second resident of the estate insists after reading it: the usual handling.
    let told = r.says("o-binhe-2", "暖气片冰凉", 4).await;
    assert!(told.contains(CAUSE), "{told}");
    let insisted = r.says("o-binhe-2", "还是要报修", 5).await;
    assert!(!insisted.contains(CAUSE), "{insisted}");
    let offer = app.state.locales.text("zh-CN", "offer-inspection", &[]);
    assert!(insisted.contains(&offer), "{insisted}");
    r.says("o-binhe-2", "取消", 6).await;
    // …and then asks to be told after all.
    r.says("o-binhe-2", "暖气不热", 7).await;
    r.says("o-binhe-2", "好的，通知我", 8).await;

    // Not bound: which estate first.
    let asked = r.says("o-stranger", "暖气不热", 9).await;
    assert!(asked.contains("哪个小区"), "{asked}");
    let told = r.says("o-stranger", "滨河花园", 10).await;
    assert!(told.contains(CAUSE), "{told}");

    // Restored from the command line: the first subscriber wrote within the window (a
    // message now), the second not (held for the next message).
    fake.touch_user("o-binhe-1");
    let out = cli_ok(url, &["incident", "restore", "1"]);
    assert!(out.starts_with("restored 1\t"), "{out}");
    app.state.incidents.refresh().await.unwrap();
    let mut told = app.state.incidents.deliver().await;
    told.sort_by_key(|d| format!("{d:?}"));
    assert_eq!(
        told,
        vec![
            Delivery::Held {
                user: "o-binhe-2".to_owned()
            },
            Delivery::Sent {
                user: "o-binhe-1".to_owned()
            },
        ]
    );
    assert!(app.state.incidents.deliver().await.is_empty(), "once");
    let sent = fake.texts_to("o-binhe-1");
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(sent[0].contains("已恢复供热"));
    assert!(fake.texts_to("o-suhaitu").is_empty());
    let next = r.says("o-binhe-2", "你好", 11).await;
    assert_eq!(next.matches("已恢复供热").count(), 1, "{next}");
    let after = r.says("o-binhe-2", "你好", 12).await;
    assert!(!after.contains("已恢复供热"), "{after}");

    // Restored: the bot answers as usual again.
    let usual = r.says("o-binhe-1", "暖气怎么不热了", 13).await;
    assert!(
        !usual.contains(CAUSE) && usual.starts_with(&standard),
        "{usual}"
    );

    // How each case ended: told three times (one resident insisted after reading it), the
    // self-check twice (the other estate, and after the restoration).
    let f = app
        .state
        .incidents
        .triage()
        .figures(Utc::now() - chrono::Duration::days(1), None)
        .await
        .unwrap();
    assert_eq!(f.count(Outcome::Interruption), 3, "{f:?}");
    assert_eq!(f.count(Outcome::Insisted), 1, "{f:?}");
    assert_eq!(f.count(Outcome::SelfCheckAsked), 2, "{f:?}");
    assert_eq!(f.avoided(), 3);
}

#[tokio::test]
async fn an_interruption_opened_from_the_command_line_is_told_to_its_residents_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/heatdesk.db", dir.path().display());
    opened_told_restored(&url, dir).await;
}

#[tokio::test]
async fn an_interruption_opened_from_the_command_line_is_told_to_its_residents_on_postgres() {
    let Some(url) = fresh_postgres().await else {
        return;
    };
    opened_told_restored(&url, tempfile::tempdir().unwrap()).await;
}

/// A subscriber whose 48-hour window has closed hears of the restoration by template
/// message where the account has one: the place, the cause, when heat came back; once.
#[tokio::test]
async fn outside_the_window_the_restoration_goes_out_as_a_template_message_once() {
    const TEMPLATE: &str = "TPL_interruption_01";
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/heatdesk.db", dir.path().display());
    let fake = FakeWeChat::start().await;
    fake.add_template(TEMPLATE, &["thing1", "thing2", "time3", "thing4"]);
    let app = wechat_app_with(dir, &url, &fake, |s| {
        s.notices.interruption_template = TEMPLATE.into();
    })
    .await;
    let eta = (Utc::now() + chrono::Duration::hours(5)).to_rfc3339();
    let args = [
        "incident",
        "open",
        "--estate",
        "滨河花园",
        "--cause",
        CAUSE,
        "--eta",
        &eta,
    ];
    cli_ok(&url, &args);
    app.state.incidents.refresh().await.unwrap();
    let user = "o-away";
    app.state
        .conversations
        .bind(user, &AccountNo::parse(BINHE).unwrap(), Utc::now())
        .await
        .unwrap();
    let cb = callback();
    let r = Resident {
        app: &app,
        client: &cb,
    };
    assert!(r.says(user, "暖气不热", 1).await.contains(CAUSE));
    r.says(user, "恢复后通知我", 2).await;

    // The fake never saw this user write: the customer-service message is refused.
    cli_ok(&url, &["incident", "restore", "1"]);
    app.state.incidents.refresh().await.unwrap();
    let told = app.state.incidents.deliver().await;
    assert_eq!(
        told,
        vec![Delivery::Template {
            user: user.to_owned()
        }]
    );
    assert!(app.state.incidents.deliver().await.is_empty(), "once");
    assert!(fake.texts_to(user).is_empty());
    let sent = fake.templates_to(user);
    assert_eq!(sent.len(), 1, "{sent:?}");
    let t = &sent[0];
    assert_eq!(t.template_id, TEMPLATE);
    assert!(t.data["thing1"].contains("滨河花园"), "{t:?}");
    assert!(
        CAUSE.starts_with(t.data["thing2"].trim_end_matches('…')),
        "{t:?}"
    );
    let remark = app
        .state
        .locales
        .text("zh-CN", "notice-remark-interruption-restored", &[]);
    assert!(
        remark.starts_with(t.data["thing4"].trim_end_matches('…')),
        "{t:?}"
    );
    assert!(t.client_msg_id.is_some(), "sent with an idempotency key");
    // Nothing waits for the next message: it was delivered.
    let next = r.says(user, "你好", 3).await;
    assert!(!next.contains("已恢复供热"), "{next}");
}

#[tokio::test]
async fn the_command_line_refuses_an_unknown_estate_and_a_past_time() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/cli.db", dir.path().display());
    let unknown = heatdesk_cli(
        &url,
        &[
            "incident",
            "open",
            "--estate",
            "月亮湾",
            "--cause",
            CAUSE,
            "--eta",
            "2099-01-01 08:00",
        ],
    );
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("月亮湾"));
    let past = heatdesk_cli(
        &url,
        &[
            "incident",
            "open",
            "--estate",
            "滨河花园",
            "--cause",
            CAUSE,
            "--eta",
            "2001-01-01 08:00",
        ],
    );
    assert!(!past.status.success());
    assert_eq!(cli_ok(&url, &["incident", "list"]), "");
}

/// Two `serve` processes on one PostgreSQL: the restoration reaches both (notification),
/// both try to tell, and each subscriber gets one message.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_tell_each_subscriber_once() {
    use crate::scaleout::{free_port, serve_with, slow_system, wait_ready};
    let Some(url) = fresh_postgres().await else {
        return;
    };
    let fake = FakeWeChat::start().await;
    let system = slow_system(Duration::ZERO).await;
    let eta = (Utc::now() + chrono::Duration::hours(5)).to_rfc3339();
    cli_ok(
        &url,
        &[
            "incident",
            "open",
            "--estate",
            "滨河花园",
            "--cause",
            CAUSE,
            "--eta",
            &eta,
        ],
    );
    let env = [("HEATDESK_INCIDENT_SYNC_INTERVAL_SECS", "1")];
    let mut a = serve_with(&url, system.addr, &fake, free_port(), &env);
    let mut b = serve_with(&url, system.addr, &fake, free_port(), &env);
    let http = reqwest::Client::new();
    wait_ready(&http, &mut a).await;
    wait_ready(&http, &mut b).await;

    let db = Database::connect(&url).await.unwrap();
    let conversations = heatdesk::transcript::store_for(&db);
    let users = ["o-two-1", "o-two-2", "o-two-3"];
    for user in users {
        conversations
            .bind(user, &AccountNo::parse(BINHE).unwrap(), Utc::now())
            .await
            .unwrap();
    }
    let cb =
        CallbackClient::new(&Config::new(APPID, FAKE_SECRET, crate::scaleout::TOKEN)).at("/wechat");
    for (i, user) in users.iter().enumerate() {
        let base = if i % 2 == 0 { &a.base } else { &b.base };
        let other = if i % 2 == 0 { &b.base } else { &a.base };
        let p = crate::scaleout::push(&cb, user, "暖气怎么不热了", 100 + i as u64).await;
        let told = crate::scaleout::send(&http, &cb, base, &p).await;
        assert!(told.contains(CAUSE), "{told}");
        let p = crate::scaleout::push(&cb, user, "恢复后通知我", 200 + i as u64).await;
        crate::scaleout::send(&http, &cb, other, &p).await;
        fake.touch_user(user);
    }

    cli_ok(&url, &["incident", "restore", "1"]);
    let sent = fake
        .wait_for_messages(users.len(), Duration::from_secs(30))
        .await;
    assert_eq!(sent.len(), users.len(), "{sent:?}");
    // Both instances poll again meanwhile; nothing more goes out.
    tokio::time::sleep(Duration::from_secs(3)).await;
    for user in users {
        let texts = fake.texts_to(user);
        assert_eq!(texts.len(), 1, "{user}: {texts:?}");
        assert!(texts[0].contains("已恢复供热"));
    }
    let held = conversations.take_notices("o-two-1").await.unwrap();
    assert!(held.is_empty(), "sent, not held: {held:?}");
}

/// The wechat reply of the phrasebook entry the dialogue data names as the advice, in the
/// catalogue the app serves now.
fn meanwhile_reply(app: &TestApp) -> String {
    let id = heatdesk::domain::EntryId::parse("not_warm.interruption_meanwhile").unwrap();
    let engine = app.state.engine.current();
    let catalog = engine.catalog();
    let entry = catalog.entry(&id).expect("the advice is in the phrasebook");
    catalog.rendered_reply(entry).wechat
}

/// A change set of the office changing the advice's entry (saved, not yet published).
async fn edit_meanwhile(
    o: &heatdesk::office::Office,
    change: impl FnOnce(&mut heatdesk::catalog::EntryText),
) -> i64 {
    let subject = heatdesk::catalog::Subject::Entry("not_warm.interruption_meanwhile".into());
    let cur = o.current(&subject, "curator").await.unwrap();
    let mut e: heatdesk::catalog::EntryText = serde_json::from_value(cur.value.unwrap()).unwrap();
    change(&mut e);
    o.save(
        "curator",
        subject,
        Some(serde_json::to_value(&e).unwrap()),
        &cur.digest,
    )
    .await
    .unwrap()
    .id
}

/// What to do meanwhile is the office's standard reply, not a locale string: residents read
/// the published entry, a version the office publishes is told to the next resident without
/// a restart, and once the office retires it the interruption's data is told alone.
#[tokio::test]
async fn what_to_do_meanwhile_is_the_published_standard_reply_of_the_phrasebook() {
    use heatdesk::catalog::EntryStatus;

    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/heatdesk.db", dir.path().display());
    let fake = FakeWeChat::start().await;
    let app = wechat_app_with(dir, &url, &fake, |s| s.office.require_review = false).await;
    super::open_for(&app, "滨河花园").await;
    let now = Utc::now();
    for user in ["o-first", "o-second", "o-third"] {
        app.state
            .conversations
            .bind(user, &AccountNo::parse(BINHE).unwrap(), now)
            .await
            .unwrap();
    }
    let cb = callback();
    let r = Resident {
        app: &app,
        client: &cb,
    };

    let shipped = meanwhile_reply(&app);
    assert!(shipped.contains("关好门窗"), "{shipped}");
    let told = r.says("o-first", "暖气怎么不热了", 1).await;
    assert!(told.contains(CAUSE), "{told}");
    assert!(told.contains(&shipped), "the entry's reply: {told}");

    // The office changes the reply and publishes it as a new version.
    let o = &app.state.office;
    const ADDED: &str = "抢修人员正在全力施工，请勿靠近施工现场。";
    let id = edit_meanwhile(o, |e| e.reply.wechat = format!("{ADDED}{}", e.reply.wechat)).await;
    o.publish("curator", id, None).await.unwrap();
    let changed = meanwhile_reply(&app);
    assert!(changed.starts_with(ADDED), "{changed}");
    let told = r.says("o-second", "暖气怎么不热了", 2).await;
    assert!(told.contains(CAUSE), "{told}");
    assert!(told.contains(&changed), "the published version: {told}");

    // Retired: the data alone, and the bot still answers.
    let id = edit_meanwhile(o, |e| e.status = EntryStatus::Retired).await;
    o.publish("admin", id, Some("the advice is rewritten"))
        .await
        .unwrap();
    let told = r.says("o-third", "暖气怎么不热了", 3).await;
    assert!(told.contains(CAUSE), "{told}");
    assert!(
        !told.contains(ADDED) && !told.contains("关好门窗"),
        "{told}"
    );
    assert!(told.contains("恢复后通知我"), "the offer: {told}");
}
