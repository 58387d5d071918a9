//! Station work orders: which requests a station sees and in which order, the steps it may
//! mark, on both backends and over the wire.

use heatdesk::config::Secret;
use heatdesk::service::{
    station_steps, RequestKind, RequestStatus, ServiceApi, ServiceRequest, StatusUpdate, WorkOrder,
};
use serde_json::json;

use super::builtin::{key, new_request, no, services, TestClock};
use super::wire::client;
use crate::helpers::{spawn_app, spawn_app_with};

fn ids(orders: &[WorkOrder]) -> Vec<&str> {
    orders.iter().map(|o| o.request.id.as_str()).collect()
}

async fn create(
    svc: &dyn ServiceApi,
    k: &str,
    account: &str,
    kind: RequestKind,
    urgent: bool,
) -> ServiceRequest {
    let mut new = new_request(k, account, kind, json!({}));
    new.urgent = urgent;
    if kind == RequestKind::AreaChange {
        new.details = json!({"claimed_m2": 90});
    }
    svc.create_request(&new).await.unwrap()
}

/// Marks the one step `station_steps` offers, as a station page would.
async fn mark_next(svc: &dyn ServiceApi, r: &ServiceRequest) -> ServiceRequest {
    let steps = station_steps(r.kind, r.status);
    assert_eq!(steps.len(), 1, "{:?} {:?}: {steps:?}", r.kind, r.status);
    let update = StatusUpdate {
        idempotency_key: key(&format!("station-{}-{:?}", r.id, steps[0])),
        request: r.id.clone(),
        status: steps[0],
        note: None,
    };
    svc.advance_request(&update).await.unwrap()
}

#[tokio::test]
async fn work_orders_are_open_station_jobs_by_district_urgent_then_oldest_first() {
    let dir = tempfile::tempdir().unwrap();
    let clock = TestClock::at(2026, 9, 1);
    for (backend, svc) in services(dir.path(), &clock).await {
        clock.set(2026, 9, 1);
        let suspension = create(&svc, "wo-susp", "30030003", RequestKind::Suspension, false).await;
        clock.set(2026, 11, 27);
        let inspection = create(&svc, "wo-insp", "30030001", RequestKind::Inspection, false).await;
        let leak = create(&svc, "wo-leak", "20020001", RequestKind::Leak, true).await;
        // Open, but office work: not a station's.
        create(&svc, "wo-invoice", "10010001", RequestKind::Invoice, false).await;
        let review = create(&svc, "wo-area", "20020001", RequestKind::AreaChange, false).await;
        assert_eq!(review.status, RequestStatus::UnderReview);
        // Station work, but closed.
        let done = create(&svc, "wo-done", "10010001", RequestKind::Repair, false).await;
        let started = mark_next(&svc, &done).await;
        assert_eq!(
            mark_next(&svc, &started).await.status,
            RequestStatus::Completed
        );
        let cancelled = create(&svc, "wo-cancel", "10010002", RequestKind::Leak, false).await;
        let cancel = StatusUpdate {
            idempotency_key: key("wo-cancel-it"),
            request: cancelled.id.clone(),
            status: RequestStatus::Cancelled,
            note: None,
        };
        svc.advance_request(&cancel).await.unwrap();

        let demo_repair = svc.requests(&no("10010003")).await.unwrap().remove(0);
        let demo_resumption = svc
            .requests(&no("30030002"))
            .await
            .unwrap()
            .into_iter()
            .find(|r| r.kind == RequestKind::Resumption)
            .unwrap();
        let all = svc.work_orders(None).await.unwrap();
        assert_eq!(
            ids(&all),
            [
                leak.id.as_str(),
                suspension.id.as_str(),
                demo_resumption.id.as_str(),
                demo_repair.id.as_str(),
                inspection.id.as_str(),
            ],
            "{backend}: the urgent leak first, then the oldest first"
        );
        for o in &all {
            assert_eq!(
                o.request,
                svc.request(&o.request.id).await.unwrap(),
                "{backend}: the request with its whole timeline"
            );
            let account = svc.account(&o.request.account).await.unwrap();
            assert_eq!(
                (&o.address, &o.district, &o.estate, &o.holder_masked),
                (
                    &account.address,
                    &account.district,
                    &account.estate,
                    &account.holder_masked
                )
            );
        }
        let repair = all.iter().find(|o| o.request.id == demo_repair.id).unwrap();
        assert_eq!(repair.address, "海勃湾区新华园5号楼3单元601");
        assert_eq!(repair.holder_masked, "*伟", "never the holder's name");
        assert_eq!(repair.request.timeline.len(), 2);
        let json = serde_json::to_string(&all).unwrap();
        assert!(!json.contains("张伟") && !json.contains("13904731001"));

        assert_eq!(
            ids(&svc.work_orders(Some("海南区")).await.unwrap()),
            [
                suspension.id.as_str(),
                demo_resumption.id.as_str(),
                inspection.id.as_str()
            ],
            "{backend}"
        );
        assert_eq!(
            ids(&svc.work_orders(Some("乌达区")).await.unwrap()),
            [leak.id.as_str()]
        );
        assert_eq!(
            ids(&svc.work_orders(Some("海勃湾区")).await.unwrap()),
            [demo_repair.id.as_str()]
        );
        assert!(
            svc.work_orders(Some("海")).await.unwrap().is_empty(),
            "exact names"
        );

        // Each job moves on by the steps the station is offered, and leaves the list done.
        let closed = mark_next(&svc, &suspension).await;
        assert_eq!(closed.status, RequestStatus::ValveClosed);
        assert_eq!(
            mark_next(&svc, &closed).await.status,
            RequestStatus::Completed
        );
        assert!(
            station_steps(demo_resumption.kind, demo_resumption.status).is_empty(),
            "awaiting payment: nothing for the station yet"
        );
        let fixing = mark_next(&svc, &leak).await;
        assert_eq!(fixing.status, RequestStatus::InProgress);
        let orders = svc.work_orders(Some("乌达区")).await.unwrap();
        assert_eq!(orders[0].request.status, RequestStatus::InProgress);
        mark_next(&svc, &fixing).await;
        assert_eq!(
            ids(&svc.work_orders(None).await.unwrap()),
            [
                demo_resumption.id.as_str(),
                demo_repair.id.as_str(),
                inspection.id.as_str()
            ],
            "{backend}"
        );
    }
}

#[tokio::test]
async fn work_orders_go_through_the_wire() {
    let app = spawn_app().await;
    let api = client(&format!("http://{}", app.addr), "", 3);
    let leak = create(&api, "wire-wo-leak", "30030001", RequestKind::Leak, true).await;
    let all = api.work_orders(None).await.unwrap();
    assert_eq!(all, app.state.service.work_orders(None).await.unwrap());
    assert_eq!(all[0].request.id, leak.id, "urgent first");
    assert!(all.len() >= 3, "the demo's open repair and resumption too");
    let hainan = api.work_orders(Some("海南区")).await.unwrap();
    assert_eq!(
        hainan,
        app.state.service.work_orders(Some("海南区")).await.unwrap()
    );
    assert!(!hainan.is_empty() && hainan.iter().all(|o| o.district == "海南区"));
    assert!(hainan.len() < all.len());
    assert!(api.work_orders(Some("无此区")).await.unwrap().is_empty());

    let raw: Vec<WorkOrder> = app
        .client
        .get(app.url("/api/service/v1/work-orders?district="))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(raw, all, "an empty district is every district");
}

#[tokio::test]
async fn work_orders_need_the_token_when_set() {
    let app = spawn_app_with(|s| s.service.token = Secret::new("station-token")).await;
    let res = app
        .client
        .get(app.url("/api/service/v1/work-orders"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let base = format!("http://{}", app.addr);
    assert!(client(&base, "wrong-token", 1)
        .work_orders(None)
        .await
        .is_err());
    assert!(!client(&base, "station-token", 1)
        .work_orders(Some("海勃湾区"))
        .await
        .unwrap()
        .is_empty());
}
