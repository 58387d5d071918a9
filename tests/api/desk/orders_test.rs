//! Station work orders over HTTP: each station sees its district's open jobs, marks the
//! next step, and the resident bound to the account is told; wrong steps, other districts'
//! jobs, forged forms and double clicks change nothing more.

use std::time::Duration;

use chrono::Utc;
use heatdesk::desk::users::{hash_password, NewUser, Role};
use heatdesk::service::{
    AccountNo, IdempotencyKey, NewRequest, RequestId, RequestKind, RequestStatus, ServiceRequest,
};
use reqwest::header;

use super::{desk_app, desk_app_with, DeskClient, DEMO_PASSWORD};
use crate::helpers::TestApp;

/// The demo repair of account 10010003 (海勃湾区), with its work order issued.
async fn haibowan_repair(app: &TestApp) -> ServiceRequest {
    let no = AccountNo::parse("10010003").unwrap();
    app.state
        .service
        .requests(&no)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.kind == RequestKind::Repair && r.status == RequestStatus::WorkOrderIssued)
        .expect("the demo data has a repair with a work order in 海勃湾区")
}

/// A leak reported on 20020001 (乌达区).
async fn wuda_leak(app: &TestApp) -> ServiceRequest {
    app.state
        .service
        .create_request(&NewRequest {
            idempotency_key: IdempotencyKey::parse("orders-test-wuda-leak").unwrap(),
            account: AccountNo::parse("20020001").unwrap(),
            kind: RequestKind::Leak,
            urgent: true,
            details: serde_json::json!({ "problem": "厨房管道漏水", "phone": "13664732004" }),
        })
        .await
        .unwrap()
}

async fn request(app: &TestApp, id: &RequestId) -> ServiceRequest {
    app.state.service.request(id).await.unwrap()
}

fn card_of(id: &RequestId) -> String {
    format!("data-id=\"{id}\"")
}

#[tokio::test]
async fn each_station_sees_the_work_orders_of_its_district() {
    let (app, _fake) = desk_app().await;
    let repair = haibowan_repair(&app).await;
    let leak = wuda_leak(&app).await;
    // Demo account 30030002 (海南区) has a resumption awaiting payment: station work, but
    // no station's step yet.
    let resumption = app
        .state
        .service
        .requests(&AccountNo::parse("30030002").unwrap())
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.kind == RequestKind::Resumption)
        .unwrap();

    let station = DeskClient::login(&app, "station", DEMO_PASSWORD).await;
    let html = station.page("/desk/orders").await;
    assert!(html.contains(&card_of(&repair.id)), "{html}");
    assert!(!html.contains(&card_of(&leak.id)));
    assert!(!html.contains(&card_of(&resumption.id)));
    // What the crew needs: kind, status, address, the phone to call ahead, the office's
    // note, and the one step it may mark.
    let tr = |id: &str| app.state.locales.text("zh-CN", id, &[]);
    for text in [
        tr("request-kind-repair").as_str(),
        tr("request-status-work-order-issued").as_str(),
        "海勃湾区新华园5号楼3单元601",
        "tel:15804733003",
        "海勃湾一站",
        "标记已开始施工",
    ] {
        assert!(html.contains(text), "{text} missing");
    }
    assert!(html.contains("data-step=\"in_progress\""));
    assert!(!html.contains("data-step=\"completed\""));
    assert!(html.contains("data-live=\"orders\" data-src=\"/desk/orders/list\""));
    let fragment = station.page("/desk/orders/list").await;
    assert!(fragment.contains(&card_of(&repair.id)));
    assert!(
        !fragment.contains("<html"),
        "the live fragment is not a page"
    );

    let station2 = DeskClient::login(&app, "station2", DEMO_PASSWORD).await;
    let html = station2.page("/desk/orders").await;
    assert!(!html.contains(&card_of(&repair.id)));
    assert!(html.contains(&card_of(&leak.id)), "{html}");
    assert!(html.contains("紧急"), "an urgent leak says so");

    // A station user tied to no district sees every district's jobs (as admins do): the
    // resumption awaiting payment too, without a step, since paying and issuing the work
    // order are the office's.
    heatdesk::desk::users::store_for(&app.state.db)
        .create(
            &NewUser {
                name: "station-all".into(),
                display_name: "调度中心".into(),
                role: Role::Station,
                area: None,
            },
            &hash_password(DEMO_PASSWORD).unwrap(),
        )
        .await
        .unwrap();
    let everywhere = DeskClient::login(&app, "station-all", DEMO_PASSWORD).await;
    let html = everywhere.page("/desk/orders").await;
    for id in [&repair.id, &leak.id, &resumption.id] {
        assert!(html.contains(&card_of(id)), "{id} listed");
    }
    let resumption_card = html.split(&card_of(&resumption.id)).nth(1).unwrap();
    let resumption_card = resumption_card.split("</li>").next().unwrap();
    assert!(!resumption_card.contains("button"), "{resumption_card}");

    let agent = DeskClient::login(&app, "agent", DEMO_PASSWORD).await;
    assert_eq!(agent.get("/desk/orders").await.status(), 403);
    assert_eq!(agent.get("/desk/orders/list").await.status(), 403);
    let res = agent
        .post(
            &format!("/desk/orders/{}/step", repair.id),
            &[("status", "in_progress")],
        )
        .await;
    assert_eq!(res.status(), 403);
    assert_eq!(
        request(&app, &repair.id).await.status,
        RequestStatus::WorkOrderIssued
    );
}

#[tokio::test]
async fn a_step_moves_the_request_and_tells_the_resident_once() {
    let (app, fake) = desk_app().await;
    let repair = haibowan_repair(&app).await;
    let store = heatdesk::transcript::store_for(&app.state.db);
    store
        .bind("o-orders-resident", &repair.account, Utc::now())
        .await
        .unwrap();
    fake.touch_user("o-orders-resident");
    let station = DeskClient::login(&app, "station", DEMO_PASSWORD).await;
    let path = format!("/desk/orders/{}/step", repair.id);
    let form = [
        ("status", "in_progress"),
        ("note", "师傅已出发，约30分钟到"),
    ];

    let res = station.post(&path, &form).await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()[header::LOCATION], "/desk/orders");
    let now = request(&app, &repair.id).await;
    assert_eq!(now.status, RequestStatus::InProgress);
    let last = now.timeline.last().unwrap();
    assert_eq!(last.status, RequestStatus::InProgress);
    assert_eq!(last.note.as_deref(), Some("师傅已出发，约30分钟到"));

    fake.wait_for_messages(1, Duration::from_secs(10)).await;
    let told = fake.texts_to("o-orders-resident");
    assert_eq!(told.len(), 1);
    assert!(
        told[0].contains(repair.id.as_str()) && told[0].contains("师傅已出发"),
        "{told:?}"
    );

    // A double click: the second post finds the step done and changes nothing.
    let again = station.post(&path, &form).await;
    assert_eq!(again.status(), 303);
    let after = request(&app, &repair.id).await;
    let started = after
        .timeline
        .iter()
        .filter(|e| e.status == RequestStatus::InProgress)
        .count();
    assert_eq!(started, 1, "{:?}", after.timeline);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(fake.texts_to("o-orders-resident").len(), 1, "told once");

    // The page now offers the next step.
    let html = station.page("/desk/orders").await;
    assert!(html.contains("data-step=\"completed\""));
    assert!(html.contains("data-status=\"in_progress\""));
}

#[tokio::test]
async fn clicks_that_race_make_one_change() {
    let (app, _fake) = desk_app().await;
    let repair = haibowan_repair(&app).await;
    let station = DeskClient::login(&app, "station", DEMO_PASSWORD).await;
    let path = format!("/desk/orders/{}/step", repair.id);
    let form = [("status", "in_progress"), ("note", "")];
    let (a, b) = tokio::join!(station.post(&path, &form), station.post(&path, &form));
    assert_eq!((a.status().as_u16(), b.status().as_u16()), (303, 303));
    let after = request(&app, &repair.id).await;
    let started = after
        .timeline
        .iter()
        .filter(|e| e.status == RequestStatus::InProgress)
        .count();
    assert_eq!(started, 1, "{:?}", after.timeline);
}

#[tokio::test]
async fn wrong_steps_other_districts_and_forged_forms_are_refused() {
    let (app, _fake) = desk_app().await;
    let repair = haibowan_repair(&app).await;
    let leak = wuda_leak(&app).await;
    let station = DeskClient::login(&app, "station", DEMO_PASSWORD).await;
    let path = format!("/desk/orders/{}/step", repair.id);

    // Another kind's step, the office's steps, skipping the start (the service would take
    // that), and no status at all.
    for wrong in ["valve_opened", "paid", "cancelled", "completed", "flying"] {
        let res = station.post(&path, &[("status", wrong)]).await;
        assert_eq!(res.status(), 400, "{wrong}");
        let html = res.text().await.unwrap();
        assert!(
            html.contains("该工单当前不能标记这一步"),
            "a localised reason for {wrong}: {html}"
        );
    }
    assert_eq!(
        request(&app, &repair.id).await.status,
        RequestStatus::WorkOrderIssued
    );

    // Another district's job, even with a valid step.
    let res = station
        .post(
            &format!("/desk/orders/{}/step", leak.id),
            &[("status", "in_progress")],
        )
        .await;
    assert_eq!(res.status(), 404);
    assert_eq!(
        request(&app, &leak.id).await.status,
        RequestStatus::Submitted
    );
    // No such request, or not a request id at all.
    for id in ["R99990101999", "nonsense"] {
        let res = station
            .post(
                &format!("/desk/orders/{id}/step"),
                &[("status", "in_progress")],
            )
            .await;
        assert_eq!(res.status(), 404, "{id}");
    }

    // Without the CSRF token, or with a forged one.
    let res = station.post_raw(&path, &[("status", "in_progress")]).await;
    assert_eq!(res.status(), 403);
    let res = station
        .post_raw(&path, &[("_csrf", "forged"), ("status", "in_progress")])
        .await;
    assert_eq!(res.status(), 403);
    assert_eq!(
        request(&app, &repair.id).await.status,
        RequestStatus::WorkOrderIssued
    );
}

#[tokio::test]
async fn a_business_system_that_cannot_be_reached_is_said_so() {
    let (app, _fake) = desk_app_with(|s| {
        // Nothing listens on port 1: every call fails at once.
        s.service.url = "http://127.0.0.1:1/api/service/v1".into();
        s.service.retries = 1;
    })
    .await;
    let station = DeskClient::try_login(&app, "station", DEMO_PASSWORD).await;
    let station = station.expect("the page loads, with the error, while the service is down");
    let res = station.get("/desk/orders").await;
    assert_eq!(res.status(), 503);
    assert!(res.text().await.unwrap().contains("暂时连不上业务系统"));
    let res = station
        .post(
            "/desk/orders/R20261124001/step",
            &[("status", "in_progress")],
        )
        .await;
    assert_eq!(res.status(), 503);
    assert!(res.text().await.unwrap().contains("暂时连不上业务系统"));
}
