//! What a resident reads on WeChat about a measurement: both deadlines in the request's
//! status, and what their account is owed (only once the account is bound), through the
//! signed callback on SQLite and, when reachable, PostgreSQL.

use chrono::{DateTime, Duration as Span, Utc};
use heatdesk::compensation::MeasurementForm;
use heatdesk::config::{Secret, Settings};
use heatdesk::entities::UTILITY_TZ;
use heatdesk::service::rules::MonthDay;
use heatdesk::service::{AccountNo, IdempotencyKey, NewRequest, RequestKind, ServiceRequest};
use wechat_mp::testing::{CallbackClient, FakeWeChat, FAKE_APPID, FAKE_SECRET};
use wechat_mp::{Config, Reply};

use crate::helpers::{fresh_postgres, spawn_app_in, TestApp};

const CALLBACK_TOKEN: &str = "compensation-callback-token";
const ACCOUNT: &str = "10010003";

fn local(at: DateTime<Utc>) -> String {
    at.with_timezone(&UTILITY_TZ)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

async fn wechat_app(url: Option<String>, fake: &FakeWeChat) -> TestApp {
    let base = fake.base_url();
    spawn_app_in(tempfile::tempdir().unwrap(), move |s: &mut Settings| {
        if let Some(url) = url {
            s.database_url = Secret::new(url);
        }
        s.wechat.token = Secret::new(CALLBACK_TOKEN);
        s.wechat.appid = FAKE_APPID.into();
        s.wechat.app_secret = Secret::new(FAKE_SECRET);
        s.wechat.api_base = base;
        // In season whatever the day the test runs.
        s.rules.season_start = MonthDay::new(1, 1);
        s.rules.season_end = MonthDay::new(12, 31);
        // Not the defaults: the replies must follow the settings.
        s.commitments.inspection_hours = 30;
        s.commitments.rectification_days = 5;
    })
    .await
}

async fn says(app: &TestApp, user: &str, text: &str, msg_id: u64) -> String {
    let client =
        CallbackClient::new(&Config::new(FAKE_APPID, FAKE_SECRET, CALLBACK_TOKEN)).at("/wechat");
    let xml = CallbackClient::text_message(user, text, msg_id, Utc::now().timestamp());
    let (parts, body) = client.push(&xml).into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap();
    let res = app
        .client
        .request(parts.method, app.url(&parts.uri.to_string()))
        .body(bytes)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body = res.bytes().await.unwrap();
    match client.read_reply(&body).unwrap().reply {
        Reply::Text(t) => t,
        other => panic!("expected text, got {other:?}"),
    }
}

/// An inspection of `ACCOUNT` measured two hours ago at 16.5 °C in the bedroom.
/// The request, when its room was measured, and the rectification deadline set.
async fn measured_below(app: &TestApp) -> (ServiceRequest, DateTime<Utc>, DateTime<Utc>) {
    let request = app
        .state
        .service
        .create_request(&NewRequest {
            idempotency_key: IdempotencyKey::parse("compensation-wechat-inspection").unwrap(),
            account: AccountNo::parse(ACCOUNT).unwrap(),
            kind: RequestKind::Inspection,
            urgent: false,
            details: serde_json::json!({ "problem": "卧室室温低", "phone": "15804733003" }),
        })
        .await
        .unwrap();
    let comp = &app.state.compensation;
    let now = Utc::now();
    let form = MeasurementForm {
        rooms: vec![("卧室".into(), "16.5".into()), ("客厅".into(), "19".into())],
        measured_at: now - Span::hours(2),
        agreed: true,
        photo: None,
    };
    let new = comp.check(&request, form, "station", now).unwrap();
    let m = comp.record(&new).await.unwrap();
    (request, m.measured_at, m.rectify_by.unwrap())
}

async fn told_on(url: Option<String>) {
    let fake = FakeWeChat::start().await;
    let app = wechat_app(url, &fake).await;
    let (request, measured_at, rectify_by) = measured_below(&app).await;
    let no = AccountNo::parse(ACCOUNT).unwrap();
    app.state
        .conversations
        .bind("o-bound", &no, Utc::now())
        .await
        .unwrap();

    let status = says(&app, "o-bound", "我的测温申请进度到哪一步了", 1).await;
    assert!(status.contains(request.id.as_str()), "{status}");
    let visit_due = request.created_at + Span::hours(30);
    assert!(
        status.contains(&local(visit_due)),
        "visit deadline: {status}"
    );
    assert!(
        status.contains(&local(rectify_by)),
        "rectification deadline: {status}"
    );
    assert_eq!(
        local(rectify_by - Span::days(5)),
        local(measured_at),
        "commitments.rectification_days"
    );
    assert!(status.contains("16.5"), "{status}");

    let owed = app
        .state
        .compensation
        .owed(
            &no,
            app.state.compensation.current_season(Utc::now()),
            Utc::now(),
        )
        .await
        .unwrap();
    assert!(owed.owed.total.0 > 0, "{owed:?}");
    let amount = owed.owed.total.yuan();
    for (i, question) in ["我能减免多少", "暖气不达标有补偿吗", "停热能退费吗"]
        .iter()
        .enumerate()
    {
        let reply = says(&app, "o-bound", question, 10 + i as u64).await;
        assert!(reply.contains(&amount), "{question}: {reply}");
        assert!(reply.contains(ACCOUNT), "{question}: {reply}");
    }

    // Not bound: the rules and the way to bind, never the account's figure.
    for (i, question) in ["我能减免多少", "暖气不达标有补偿吗"].iter().enumerate() {
        let reply = says(&app, "o-stranger", question, 20 + i as u64).await;
        assert!(!reply.contains(&amount), "{question}: {reply}");
        assert!(!reply.contains(ACCOUNT), "{question}: {reply}");
        assert!(reply.contains("绑定"), "{question}: {reply}");
        assert!(
            reply.contains("18℃"),
            "the standard, from the settings: {reply}"
        );
    }
}

#[tokio::test]
async fn residents_read_both_deadlines_and_what_they_are_owed() {
    told_on(None).await;
    if let Some(url) = fresh_postgres().await {
        told_on(Some(url)).await;
    }
}

#[tokio::test]
async fn a_bound_account_with_nothing_below_the_standard_is_owed_nothing() {
    let fake = FakeWeChat::start().await;
    let app = wechat_app(None, &fake).await;
    app.state
        .conversations
        .bind("o-warm", &AccountNo::parse(ACCOUNT).unwrap(), Utc::now())
        .await
        .unwrap();
    let reply = says(&app, "o-warm", "我能减免多少", 1).await;
    assert!(reply.contains(ACCOUNT), "{reply}");
    assert!(reply.contains("没有需要减免"), "{reply}");
    assert!(reply.contains("18℃"), "with the rules: {reply}");
}
