//! A request moves on and its residents are told: by WeChat message inside the 48-hour
//! window, otherwise at their next message.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use chrono::Utc;
use heatdesk::config::Secret;
use heatdesk::dialogue::{Inbound, Turn};
use heatdesk::service::{AccountNo, RequestKind, RequestStatus};
use wechat_mp::testing::{FakeWeChat, FAKE_APPID, FAKE_SECRET};

use crate::helpers::spawn_app_with;

#[tokio::test]
async fn a_paid_resumption_is_told_by_message_or_at_the_next_turn() {
    let fake = FakeWeChat::start().await;
    let base = fake.base_url();
    let app = spawn_app_with(|s| {
        s.wechat.token = Secret::new("notify-token");
        s.wechat.appid = FAKE_APPID.into();
        s.wechat.app_secret = Secret::new(FAKE_SECRET);
        s.wechat.api_base = base;
    })
    .await;
    // Demo account 30030002 has a resumption awaiting payment.
    let no = AccountNo::parse("30030002").unwrap();
    let requests = app.state.service.requests(&no).await.unwrap();
    let resumption = requests
        .iter()
        .find(|r| r.kind == RequestKind::Resumption && r.status == RequestStatus::AwaitingPayment)
        .expect("the demo data has a resumption awaiting payment");
    let store = heatdesk::transcript::store_for(&app.state.db);
    store.bind("o-far", &no, Utc::now()).await.unwrap();
    store.bind("o-near", &no, Utc::now()).await.unwrap();
    fake.touch_user("o-near");

    let res = app
        .client
        .post(app.url(&format!(
            "/api/service/v1/requests/{}/status",
            resumption.id
        )))
        .header("idempotency-key", "notify-test-0001")
        .json(&serde_json::json!({"status": "paid"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());

    let paid = app.state.locales.text("zh-CN", "request-status-paid", &[]);
    fake.wait_for_messages(1, Duration::from_secs(10)).await;
    let near = fake.texts_to("o-near");
    assert_eq!(near.len(), 1, "one message inside the window");
    assert!(
        near[0].contains(resumption.id.as_str()) && near[0].contains(&paid),
        "{near:?}"
    );
    assert!(
        fake.texts_to("o-far").is_empty(),
        "outside the window nothing is sent"
    );
    // The sent notice is in the transcript (agents see it; it used WeChat's quota).
    let mut kept = Vec::new();
    for _ in 0..50 {
        kept = store.transcript("o-near").await.unwrap();
        if !kept.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].text, near[0]);
    assert_eq!(kept[0].delivery.as_deref(), Some("sent"));

    // The resident outside the window hears of it at the next message, once.
    let dialogue = app.state.dialogue().unwrap();
    let turn = |text: &str| Turn {
        user: "o-far".into(),
        inbound: Inbound::Text(text.into()),
        at: Utc::now(),
        locale: "zh-CN".into(),
        message: None,
    };
    let mut first = Vec::new();
    for _ in 0..50 {
        // The notice is held by a task beside the API call: give it a moment.
        first = dialogue.handle(turn("你好")).await.unwrap().replies;
        if first.iter().any(|r| r.contains(resumption.id.as_str())) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        first[0].contains(resumption.id.as_str()) && first[0].contains(&paid),
        "{first:?}"
    );
    let second = dialogue.handle(turn("你好")).await.unwrap().replies;
    assert!(
        second.iter().all(|r| !r.contains(resumption.id.as_str())),
        "told once: {second:?}"
    );
}

#[tokio::test]
async fn held_notices_and_bound_residents_on_every_backend() {
    let dir = tempfile::tempdir().unwrap();
    for db in crate::helpers::all_databases(dir.path()).await {
        let backend = db.backend();
        let store = heatdesk::transcript::store_for(&db);
        let no = AccountNo::parse("10010001").unwrap();
        store.bind("o-b", &no, Utc::now()).await.unwrap();
        store.bind("o-a", &no, Utc::now()).await.unwrap();
        store
            .bind("o-c", &AccountNo::parse("10010002").unwrap(), Utc::now())
            .await
            .unwrap();
        assert_eq!(
            store.users_bound_to(&no).await.unwrap(),
            ["o-a", "o-b"],
            "{backend:?}"
        );
        store.hold_notice("o-a", "first", Utc::now()).await.unwrap();
        store
            .hold_notice("o-a", "second", Utc::now())
            .await
            .unwrap();
        assert_eq!(
            store.take_notices("o-a").await.unwrap(),
            ["first", "second"],
            "{backend:?}"
        );
        assert!(
            store.take_notices("o-a").await.unwrap().is_empty(),
            "{backend:?}: once"
        );
    }
}
