//! The desk in a real browser (headless Debian Chromium): a handoff arrives live on the
//! agent's screen, the agent reads the context, inserts a suggested standard reply, edits
//! and sends it (the fake WeChat server receives the customer-service message), closes, and
//! the resident is asked for a rating. A station marks a valve opened on a phone and the
//! resident is told on WeChat.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chrono::Utc;
use heatdesk::desk::users::{hash_password, NewUser, Role};
use heatdesk::handoff::{self, Status};
use heatdesk::service::{AccountNo, IdempotencyKey, RequestKind, RequestStatus, StatusUpdate};
use wechat_mp::testing::{CallbackClient, FakeWeChat, FAKE_APPID, FAKE_SECRET};
use wechat_mp::{Config, Reply};

use super::{desk_app, DeskClient, DEMO_PASSWORD};
use crate::browser::{browser, Browser};
use crate::helpers::TestApp;

pub(super) const LIVE: Duration = Duration::from_secs(10);

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// The resident's side: pushes to /wechat exactly as WeChat does (plaintext mode).
pub(crate) struct WeChatResident<'a> {
    app: &'a TestApp,
    fake: &'a FakeWeChat,
    pub(super) client: CallbackClient,
    pub(super) user: String,
    next_id: u64,
}

impl<'a> WeChatResident<'a> {
    pub(crate) fn new(app: &'a TestApp, fake: &'a FakeWeChat, user: &str) -> Self {
        let config = Config::new(FAKE_APPID, FAKE_SECRET, "desk-token");
        Self {
            app,
            fake,
            client: CallbackClient::new(&config).at("/wechat"),
            user: user.to_owned(),
            next_id: 9_000,
        }
    }

    /// Sends a text; returns the passive reply's text ("" for `success`).
    pub(crate) async fn says(&mut self, text: &str) -> String {
        self.next_id += 1;
        // Writing opens WeChat's 48-hour window for customer-service messages.
        self.fake.touch_user(&self.user);
        let xml = CallbackClient::text_message(
            &self.user,
            text,
            self.next_id,
            chrono::Utc::now().timestamp(),
        );
        let (parts, body) = self.client.push(&xml).into_parts();
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
            other => panic!("expected a text reply, got {other:?}"),
        }
    }
}

pub(super) async fn sign_in(b: &Browser, app: &TestApp, name: &str) {
    b.goto(&app.url("/desk/login")).await;
    b.fill("#name", name).await;
    b.fill("#password", DEMO_PASSWORD).await;
    b.click("#login").await;
}

/// When the page's live element last refreshed (set by desk.js), in Unix milliseconds.
async fn refreshed_at(b: &Browser, css: &str) -> Option<i64> {
    let v = b
        .client()
        .execute(
            "var e = document.querySelector(arguments[0]); return e && e.dataset.refreshedAt ? Number(e.dataset.refreshedAt) : null;",
            vec![serde_json::json!(css)],
        )
        .await
        .unwrap();
    v.as_i64()
}

#[tokio::test]
async fn an_agent_answers_a_handoff_live_and_the_resident_rates_it() {
    let Some(b) = browser().await else { return };
    let (app, fake) = desk_app().await;
    let mut resident = WeChatResident::new(&app, &fake, "o-browser-resident");
    let tr = |id: &str| app.state.locales.text("zh-CN", id, &[]);

    sign_in(&b, &app, "agent").await;
    b.wait_for("#queue", LIVE).await;
    b.wait_for("body[data-live=connected]", LIVE).await;
    // Alerts are turned on once and remembered.
    b.click("#alerts").await;
    b.wait_for_text("#alerts", &tr("desk-alerts-on"), LIVE)
        .await;

    // The resident asks for a person; the card appears without a reload.
    let sent_at = now_ms();
    let told = resident.says("我要转人工").await;
    assert!(told.contains(&app.state.locales.text(
        "zh-CN",
        "handoff-queued",
        &[
            ("position", fluent_bundle::FluentValue::from("1")),
            ("minutes", fluent_bundle::FluentValue::from("3")),
        ],
    )));
    b.wait_for(".handoff[data-status=waiting]", LIVE).await;
    let queue_latency = refreshed_at(&b, "#queue").await.unwrap() - sent_at;
    // The tab's title counts what waits, for an agent looking at another tab.
    let title = b.client().title().await.unwrap();
    assert!(title.starts_with("(1) "), "{title}");
    b.screenshot("desk-queue").await;
    // What the resident writes while waiting reaches the card (its last words) unreloaded.
    resident.says("还在等吗").await;
    b.wait_for_text(".handoff[data-status=waiting]", "还在等吗", LIVE)
        .await;

    b.click(".handoff[data-status=waiting] button.claim").await;
    b.wait_for("#transcript", LIVE).await;
    b.wait_for("body[data-live=connected]", LIVE).await;

    // Now the bot is silent and the resident's words reach the agent's screen live.
    let sent_at = now_ms();
    let reply = resident
        .says("家里暖气片不热，摸着冰凉，室温才十几度")
        .await;
    assert_eq!(
        reply, "",
        "the bot keeps quiet while an agent owns the conversation"
    );
    b.wait_for_text("#transcript", "室温才十几度", LIVE).await;
    let mut latencies = vec![refreshed_at(&b, "#transcript").await.unwrap() - sent_at];
    // A few more, for a spread (printed for the record, never asserted).
    for i in 1..=9 {
        let text = format!("补充第{i}条：楼上邻居家也不热");
        let sent_at = now_ms();
        resident.says(&text).await;
        b.wait_for_text("#transcript", &text, LIVE).await;
        latencies.push(refreshed_at(&b, "#transcript").await.unwrap() - sent_at);
    }
    latencies.sort_unstable();
    eprintln!(
        "measured: resident message → agent screen, 10 messages: min {} ms, median {} ms, max {} ms; handoff → queue card {queue_latency} ms",
        latencies[0],
        latencies[latencies.len() / 2],
        latencies[latencies.len() - 1]
    );
    // The last message the resident wrote is the one the suggestions follow.
    resident
        .says("家里暖气片不热，摸着冰凉，室温才十几度")
        .await;
    b.wait_for("#transcript", LIVE).await;

    // On a phone the context is folded under the reply box; a tap opens it. It says why
    // and what the bot understood.
    let folded = b
        .client()
        .execute(
            "return document.getElementById('context-details').open",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(folded, serde_json::Value::Bool(false), "folded on a phone");
    b.click("#context-details > summary").await;
    let context = b.text_of("#context").await;
    assert!(context.contains(&tr("desk-reason-requested")), "{context}");
    assert!(context.contains(&tr("desk-window")), "{context}");

    // Suggestions follow the last message: a not-warm standard reply, inserted with a click.
    let catalog = app.state.engine.current().catalog().clone();
    let not_warm: Vec<String> = catalog
        .published()
        .filter(|e| e.intent.as_str() == "not_warm")
        .map(|e| catalog.rendered_reply(e).wechat)
        .collect();
    let mut suggested = String::new();
    for _ in 0..100 {
        suggested = b.text_of("#suggestions").await;
        if not_warm.iter().any(|r| suggested.contains(r.as_str())) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let first = b.find("#suggestions button.suggestion").await;
    let inserted = first.attr("data-insert").await.unwrap().unwrap();
    assert!(not_warm.contains(&inserted), "{suggested}");
    first.click().await.unwrap();
    let box_value = b
        .find("#reply-text")
        .await
        .prop("value")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        box_value, inserted,
        "one click puts the standard reply in the box"
    );
    // Edited before sending.
    b.find("#reply-text")
        .await
        .send_keys("（客服李娜）")
        .await
        .unwrap();
    b.screenshot("desk-conversation-reply").await;
    b.client()
        .execute("window.scrollTo(0, 0)", vec![])
        .await
        .unwrap();
    b.screenshot("desk-conversation").await;
    // Every standard reply can be searched, not only the three suggested.
    b.fill("#reply-search", "发票").await;
    b.wait_for(
        "#reply-search-results button[data-entry^=\"invoice.\"]",
        LIVE,
    )
    .await;
    // Ctrl+Enter sends without leaving the page; the box clears.
    let page_before = b.client().current_url().await.unwrap();
    let chord: String = [
        char::from(fantoccini::key::Key::Control),
        char::from(fantoccini::key::Key::Enter),
        char::from(fantoccini::key::Key::Null),
    ]
    .into_iter()
    .collect();
    b.find("#reply-text").await.send_keys(&chord).await.unwrap();

    let expected = format!("{inserted}（客服李娜）");
    fake.wait_for_messages(1, LIVE).await;
    assert_eq!(fake.texts_to(&resident.user), vec![expected.clone()]);
    assert_eq!(b.client().current_url().await.unwrap(), page_before);
    for _ in 0..50 {
        let left = b.find("#reply-text").await.prop("value").await.unwrap();
        if left.as_deref() == Some("") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        b.find("#reply-text")
            .await
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some(""),
        "the box clears once sent"
    );
    b.wait_for(".line.agent[data-delivery=sent]", LIVE).await;

    // The same desk at desktop width: the queue card and the conversation side by side
    // with its context; a private note stays on the desk.
    if let Some(wide) = Browser::builder().desktop().launch().await {
        sign_in(&wide, &app, "agent").await;
        wide.wait_for("#queue .handoff", LIVE).await;
        let card = wide.text_of("#queue .handoff").await;
        assert!(
            card.contains("家里暖气片不热"),
            "the last message on the card: {card}"
        );
        wide.screenshot("desk-queue-desktop").await;
        wide.click("#queue .handoff a.button.open").await;
        wide.wait_for("#reply-text", LIVE).await;
        let open = wide
            .client()
            .execute(
                "return document.getElementById('context-details').open",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(open, serde_json::Value::Bool(true), "unfolded on a desktop");
        wide.fill("#reply-text", "居民说楼上也不热，可能是整栋楼的问题")
            .await;
        wide.click("#add-note").await;
        wide.wait_for_text(".line.note", "整栋楼的问题", LIVE).await;
        wide.client()
            .execute("window.scrollTo(0, 0)", vec![])
            .await
            .unwrap();
        wide.screenshot("desk-conversation-desktop").await;
        wide.close().await;
        assert_eq!(
            fake.texts_to(&resident.user),
            vec![expected.clone()],
            "the note did not reach WeChat"
        );
    }

    // Close with a resolution: the resident is asked for a rating, and rates.
    b.find("#resolution")
        .await
        .select_by_value("answered")
        .await
        .unwrap();
    b.click("#close").await;
    b.wait_for("#queue", LIVE).await;
    fake.wait_for_messages(2, LIVE).await;
    assert_eq!(
        fake.texts_to(&resident.user).last(),
        Some(&tr("handoff-rating-prompt"))
    );
    assert_eq!(resident.says("4").await, tr("handoff-rating-thanks"));
    let h = handoff::store_for(&app.state.db)
        .closed(1)
        .await
        .unwrap()
        .pop()
        .unwrap();
    assert_eq!((h.status, h.rating), (Status::Closed, Some(4)));
    assert_eq!(h.resolution.as_deref(), Some("answered"));
    b.close().await;
}

#[tokio::test]
async fn a_station_opens_the_valve_and_the_resident_is_told() {
    let Some(b) = browser().await else { return };
    let (app, fake) = desk_app().await;
    let tr = |id: &str| app.state.locales.text("zh-CN", id, &[]);
    let service = &app.state.service;

    // Demo account 30030002 (海南区) has a resumption awaiting payment; the office takes it
    // as far as the work order, where the station's part begins.
    let no = AccountNo::parse("30030002").unwrap();
    let resumption = service
        .requests(&no)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.kind == RequestKind::Resumption)
        .unwrap();
    for status in [RequestStatus::Paid, RequestStatus::WorkOrderIssued] {
        let key = format!("browser-office-{status:?}");
        service
            .advance_request(&StatusUpdate {
                idempotency_key: IdempotencyKey::parse(key).unwrap(),
                request: resumption.id.clone(),
                status,
                note: None,
            })
            .await
            .unwrap();
    }
    let resident = "o-browser-valve";
    heatdesk::transcript::store_for(&app.state.db)
        .bind(resident, &no, Utc::now())
        .await
        .unwrap();
    // The resident wrote recently: WeChat's 48-hour window is open.
    fake.touch_user(resident);
    // The demo has no 海南区 station; one is added as an admin would.
    heatdesk::desk::users::store_for(&app.state.db)
        .create(
            &NewUser {
                name: "station-hn".into(),
                display_name: "海南站 赵站长".into(),
                role: Role::Station,
                area: Some("海南区".into()),
            },
            &hash_password(DEMO_PASSWORD).unwrap(),
        )
        .await
        .unwrap();

    sign_in(&b, &app, "station-hn").await;
    let card = format!("li.order[data-id=\"{}\"]", resumption.id);
    b.wait_for(&format!("{card}[data-status=work_order_issued]"), LIVE)
        .await;
    let list = b.text_of("#orders").await;
    assert!(
        !list.contains("海勃湾区"),
        "another district's repair is not listed: {list}"
    );
    b.fill(&format!("{card} input[name=note]"), "阀门已开，请留意室温")
        .await;
    b.screenshot("desk-orders").await;
    b.click(&format!("{card} button.step[data-step=valve_opened]"))
        .await;

    b.wait_for(&format!("{card}[data-status=valve_opened]"), LIVE)
        .await;
    b.wait_for(&format!("{card} button.step[data-step=completed]"), LIVE)
        .await;
    let now = service.request(&resumption.id).await.unwrap();
    assert_eq!(now.status, RequestStatus::ValveOpened);
    fake.wait_for_messages(1, LIVE).await;
    let told = fake.texts_to(resident);
    assert_eq!(told.len(), 1, "{told:?}");
    assert!(
        told[0].contains(resumption.id.as_str())
            && told[0].contains(&tr("request-status-valve-opened"))
            && told[0].contains("阀门已开，请留意室温"),
        "{told:?}"
    );

    // A colleague completes the job from another phone: this screen follows without a
    // reload, and the resident hears of that too.
    b.wait_for("body[data-live=connected]", LIVE).await;
    let loaded = refreshed_at(&b, "#orders").await;
    assert_eq!(loaded, None, "not refreshed since the page loaded");
    let colleague = DeskClient::login(&app, "station-hn", DEMO_PASSWORD).await;
    let res = colleague
        .post(
            &format!("/desk/orders/{}/step", resumption.id),
            &[("status", "completed")],
        )
        .await;
    assert_eq!(res.status(), 303);
    b.wait_for_text("#orders", &tr("desk-orders-empty"), LIVE)
        .await;
    assert!(
        refreshed_at(&b, "#orders").await.is_some(),
        "a live refresh"
    );
    fake.wait_for_messages(2, LIVE).await;
    assert_eq!(fake.texts_to(resident).len(), 2);
    b.close().await;
}
