//! Notices reach residents once: a customer-service message inside WeChat's 48-hour
//! window, a template message outside it (when the purpose has a template id), held for
//! the next message otherwise; kept before they are sent, so two instances on one
//! PostgreSQL and a restart deliver each once. And the follow-up question of a closed
//! complaint case, answered through the signed callback.
#![allow(clippy::unwrap_used)]

mod delivery_test;
mod follow_up_test;
mod instances_test;

use std::time::Duration;

use heatdesk::config::{Secret, Settings};
use heatdesk::service::ServiceRequest;
use wechat_mp::testing::{CallbackClient, FakeWeChat};
use wechat_mp::{Config, Reply};

use crate::desk::{desk_app_with, with_wechat};
use crate::helpers::{fresh_postgres, spawn_app_with, TestApp};

pub const PROGRESS_TEMPLATE: &str = "TPL_progress_0001";
pub const OUTCOME_TEMPLATE: &str = "TPL_outcome_0001";
/// The keys of the shipped defaults (`notify::settings`), as the account's templates
/// declare them.
pub const PROGRESS_KEYS: [&str; 5] = ["character_string1", "thing2", "thing3", "time4", "thing5"];
pub const OUTCOME_KEYS: [&str; 4] = ["character_string1", "thing2", "time3", "thing4"];

/// Template ids for request progress and complaint outcomes; redelivery left to the tests.
pub fn templates(s: &mut Settings) {
    s.notices.request_progress_template = PROGRESS_TEMPLATE.into();
    s.notices.complaint_outcome_template = OUTCOME_TEMPLATE.into();
    s.notices.redeliver_secs = 0;
    s.complaints.overdue_check_secs = 0;
}

/// The fake account has both templates.
pub fn account_templates(fake: &FakeWeChat) {
    fake.add_template(PROGRESS_TEMPLATE, &PROGRESS_KEYS);
    fake.add_template(OUTCOME_TEMPLATE, &OUTCOME_KEYS);
}

/// heatdesk with WeChat (a fake with the templates) on SQLite, and on PostgreSQL when it
/// is reachable; `adjust` after the templates.
pub async fn apps(adjust: impl Fn(&mut Settings)) -> Vec<(TestApp, FakeWeChat)> {
    let mut out = Vec::new();
    let urls = std::iter::once(None).chain(fresh_postgres().await.map(Some));
    for url in urls {
        let (app, fake) = desk_app_with(|s| {
            templates(s);
            if let Some(url) = url {
                s.database_url = Secret::new(url);
            }
            adjust(s);
        })
        .await;
        account_templates(&fake);
        out.push((app, fake));
    }
    out
}

/// A second instance on `app`'s database (the same WeChat fake).
pub async fn second_instance(
    app: &TestApp,
    fake: &FakeWeChat,
    adjust: impl Fn(&mut Settings),
) -> TestApp {
    let url = app.state.settings.database_url.clone();
    spawn_app_with(|s| {
        with_wechat(s, fake);
        templates(s);
        s.database_url = url;
        adjust(s);
    })
    .await
}

/// A repair request on `account`, made through the service API.
pub async fn repair(app: &TestApp, account: &str, key: &str) -> ServiceRequest {
    let res = app
        .client
        .post(app.url("/api/service/v1/requests"))
        .header("idempotency-key", key)
        .json(&serde_json::json!({"account": account, "kind": "repair", "details": {}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    res.json().await.unwrap()
}

/// Moves a request on through the service API, as a station's system does.
pub async fn advance(app: &TestApp, id: &str, status: &str, key: &str) -> ServiceRequest {
    let res = app
        .client
        .post(app.url(&format!("/api/service/v1/requests/{id}/status")))
        .header("idempotency-key", key)
        .json(&serde_json::json!({"status": status}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    res.json().await.unwrap()
}

/// The resident's notices as kept, waiting until none is pending.
pub async fn settled(app: &TestApp, user: &str) -> Vec<heatdesk::notify::NoticeRecord> {
    let store = &app.state.notifier.store;
    for _ in 0..100 {
        let all = store.for_user(user).await.unwrap();
        if !all.is_empty() && all.iter().all(|n| n.status != "pending") {
            return all;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "notices of {user} still pending: {:?}",
        store.for_user(user).await
    );
}

/// A resident writing through the signed callback at `/wechat`, as WeChat posts.
pub struct WeChatResident {
    pub user: String,
    client: CallbackClient,
}

impl WeChatResident {
    pub fn new(user: &str) -> Self {
        let config = Config::new(
            wechat_mp::testing::FAKE_APPID,
            wechat_mp::testing::FAKE_SECRET,
            "desk-token",
        );
        Self {
            user: user.to_owned(),
            client: CallbackClient::new(&config).at("/wechat"),
        }
    }

    /// Sends `text` (message id `msg_id`) and returns the passive reply's text.
    pub async fn says(&self, app: &TestApp, text: &str, msg_id: u64) -> String {
        let now = chrono::Utc::now().timestamp();
        let xml = CallbackClient::text_message(&self.user, text, msg_id, now);
        let req = self.client.push(&xml);
        let uri = req.uri().to_string();
        let body = axum::body::to_bytes(req.into_body(), usize::MAX)
            .await
            .unwrap();
        let res = app
            .client
            .post(app.url(&uri))
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let reply = self.client.read_reply(&res.bytes().await.unwrap()).unwrap();
        match reply.reply {
            Reply::Text(t) => t,
            other => panic!("not a text reply: {other:?}"),
        }
    }
}
