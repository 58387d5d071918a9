//! The built-in service on SQLite and PostgreSQL, with the demo data.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use heatdesk::service::rules::Rules;
use heatdesk::service::{
    demo, AccountNo, AccountStatus, BuiltinService, IdempotencyKey, NewRequest, RequestId,
    RequestKind, RequestStatus, ServiceApi, ServiceError, StatusUpdate, Verification,
};
use heatdesk::storage::Database;
use serde_json::json;

use crate::helpers::fresh_postgres;

/// A clock the test moves.
#[derive(Clone)]
pub struct TestClock(Arc<AtomicI64>);

impl TestClock {
    pub fn at(y: i32, m: u32, d: u32) -> Self {
        let c = Self(Arc::new(AtomicI64::new(0)));
        c.set(y, m, d);
        c
    }
    pub fn set(&self, y: i32, m: u32, d: u32) {
        let t = Utc.with_ymd_and_hms(y, m, d, 2, 0, 0).unwrap();
        self.0.store(t.timestamp(), Ordering::SeqCst);
    }
    fn now(&self) -> DateTime<Utc> {
        Utc.timestamp_opt(self.0.load(Ordering::SeqCst), 0).unwrap()
    }
}

/// The built-in service with the demo data, on every backend this machine offers.
pub async fn services(dir: &std::path::Path, clock: &TestClock) -> Vec<(String, BuiltinService)> {
    let mut urls = vec![format!("sqlite://{}/svc.db", dir.display())];
    urls.extend(fresh_postgres().await);
    let mut out = Vec::new();
    for url in urls {
        let db = Database::open(&url).await.unwrap();
        let c = clock.clone();
        let svc = BuiltinService::new(db, Rules::default()).with_clock(Arc::new(move || c.now()));
        assert!(demo::load_if_empty(&svc).await.unwrap());
        assert!(!demo::load_if_empty(&svc).await.unwrap(), "loaded once");
        out.push((format!("{:?}", url.split(':').next()), svc));
    }
    out
}

pub fn no(s: &str) -> AccountNo {
    AccountNo::parse(s).unwrap()
}

pub fn key(s: &str) -> IdempotencyKey {
    IdempotencyKey::parse(format!("test-key-{s}")).unwrap()
}

pub fn new_request(
    k: &str,
    account: &str,
    kind: RequestKind,
    details: serde_json::Value,
) -> NewRequest {
    NewRequest {
        idempotency_key: key(k),
        account: no(account),
        kind,
        urgent: false,
        details,
    }
}

async fn advance(
    svc: &dyn ServiceApi,
    id: &RequestId,
    status: RequestStatus,
) -> Result<RequestStatus, ServiceError> {
    let update = StatusUpdate {
        idempotency_key: key(&format!("{id}-{status:?}")),
        request: id.clone(),
        status,
        note: None,
    };
    svc.advance_request(&update).await.map(|r| r.status)
}

fn code(e: ServiceError) -> String {
    match e {
        ServiceError::Refused { code } => code,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn demo_data_reads_on_every_backend() {
    let dir = tempfile::tempdir().unwrap();
    for (backend, svc) in services(dir.path(), &TestClock::at(2026, 11, 27)).await {
        let a = svc.account(&no("10010001")).await.unwrap();
        assert_eq!(a.holder_masked, "**国", "{backend}");
        assert_eq!(a.district, "海勃湾区");
        assert!(svc
            .verify(&a.no, &Verification::HolderName("王建国".into()))
            .await
            .unwrap());
        assert!(svc
            .verify(&a.no, &Verification::PhoneLast4("1001".into()))
            .await
            .unwrap());
        assert!(!svc
            .verify(&a.no, &Verification::PhoneLast4("9999".into()))
            .await
            .unwrap());
        assert!(!svc
            .verify(&a.no, &Verification::HolderName("王建".into()))
            .await
            .unwrap());
        let bills = svc.bills(&no("10010002")).await.unwrap();
        assert_eq!(bills[0].season, "2026-2027", "{backend}: newest first");
        assert_eq!(bills[1].outstanding().0, 129_500);
        assert_eq!(svc.payments(&a.no).await.unwrap().len(), 2);
        let halls = svc.halls().await.unwrap();
        assert_eq!(halls.len(), 3);
        assert!(halls
            .iter()
            .all(|h| (39.3..40.0).contains(&h.lat) && (106.5..107.1).contains(&h.lon)));
        let repair = &svc.requests(&no("10010003")).await.unwrap()[0];
        assert_eq!(
            (repair.kind, repair.status),
            (RequestKind::Repair, RequestStatus::WorkOrderIssued)
        );
        assert_eq!(repair.timeline.len(), 2);
        assert_eq!(svc.request(&repair.id).await.unwrap(), *repair);
        let suspended = svc.account(&no("20020002")).await.unwrap();
        assert_eq!(suspended.status, AccountStatus::Suspended);
        assert_eq!(
            svc.account(&no("99999999")).await.unwrap_err(),
            ServiceError::NotFound
        );
        assert_eq!(
            svc.bills(&no("99999999")).await.unwrap_err(),
            ServiceError::NotFound
        );
    }
}

#[tokio::test]
async fn the_same_key_makes_one_request_even_concurrently() {
    let dir = tempfile::tempdir().unwrap();
    for (backend, svc) in services(dir.path(), &TestClock::at(2026, 11, 27)).await {
        let new = new_request(
            "repair-1",
            "30030001",
            RequestKind::Repair,
            json!({"problem": "漏水"}),
        );
        let first = svc.create_request(&new).await.unwrap();
        assert!(first.id.as_str().starts_with("R20261127"), "{}", first.id);
        assert_eq!(svc.create_request(&new).await.unwrap(), first, "{backend}");
        let racing = new_request("inspect-1", "30030001", RequestKind::Inspection, json!({}));
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let (svc, r) = (svc.clone(), racing.clone());
                tokio::spawn(async move { svc.create_request(&r).await })
            })
            .collect();
        let mut ids = Vec::new();
        for t in tasks {
            ids.push(t.await.unwrap().unwrap().id);
        }
        ids.dedup();
        assert_eq!(ids.len(), 1, "{backend}: one request for one key");
        assert_eq!(
            svc.requests(&no("30030001")).await.unwrap().len(),
            2,
            "{backend}"
        );
        let mut reused = new.clone();
        reused.details = json!({"problem": "另一件事"});
        assert_eq!(
            code(svc.create_request(&reused).await.unwrap_err()),
            "service-idempotency-key-reused"
        );
    }
}

#[tokio::test]
async fn suspension_rules_deadline_arrears_and_limits() {
    let dir = tempfile::tempdir().unwrap();
    let clock = TestClock::at(2026, 9, 1);
    for (backend, svc) in services(dir.path(), &clock).await {
        clock.set(2026, 9, 1);
        let owing = new_request("susp-owing", "10010002", RequestKind::Suspension, json!({}));
        assert_eq!(
            code(svc.create_request(&owing).await.unwrap_err()),
            "service-arrears-unpaid"
        );
        assert_eq!(
            code(svc.create_request(&owing).await.unwrap_err()),
            "service-arrears-unpaid",
            "{backend}: a refusal is the key's first response too"
        );
        let ok = svc
            .create_request(&new_request(
                "susp-ok",
                "10010001",
                RequestKind::Suspension,
                json!({}),
            ))
            .await
            .unwrap();
        assert_eq!(ok.status, RequestStatus::Submitted);
        assert_eq!(ok.details["season"], "2026-2027");
        assert_eq!(
            ok.details["fee_fen"], 58_388,
            "{backend}: 30% of 1946.25 yuan"
        );
        let again = new_request("susp-again", "10010001", RequestKind::Suspension, json!({}));
        assert_eq!(
            code(svc.create_request(&again).await.unwrap_err()),
            "service-already-suspended"
        );
        advance(&svc, &ok.id, RequestStatus::ValveClosed)
            .await
            .unwrap();
        assert_eq!(
            svc.account(&no("10010001")).await.unwrap().status,
            AccountStatus::Suspended
        );
        advance(&svc, &ok.id, RequestStatus::Completed)
            .await
            .unwrap();

        clock.set(2026, 10, 11);
        let late = new_request("susp-late", "30030001", RequestKind::Suspension, json!({}));
        assert_eq!(
            code(svc.create_request(&late).await.unwrap_err()),
            "service-suspension-deadline-passed"
        );
        let active = new_request(
            "resume-active",
            "30030001",
            RequestKind::Resumption,
            json!({}),
        );
        assert_eq!(
            code(svc.create_request(&active).await.unwrap_err()),
            "service-not-suspended"
        );

        // Suspended 2024-2025 and 2025-2026 (resumed in between): a third season is refused.
        let acc = "30030003";
        for year in [2024, 2025] {
            clock.set(year, 6, 1);
            let s = svc
                .create_request(&new_request(
                    &format!("s{year}"),
                    acc,
                    RequestKind::Suspension,
                    json!({}),
                ))
                .await
                .unwrap();
            advance(&svc, &s.id, RequestStatus::Completed)
                .await
                .unwrap();
            clock.set(year + 1, 5, 1);
            let r = svc
                .create_request(&new_request(
                    &format!("r{year}"),
                    acc,
                    RequestKind::Resumption,
                    json!({}),
                ))
                .await
                .unwrap();
            for st in [
                RequestStatus::Paid,
                RequestStatus::WorkOrderIssued,
                RequestStatus::ValveOpened,
                RequestStatus::Completed,
            ] {
                advance(&svc, &r.id, st).await.unwrap();
            }
        }
        clock.set(2026, 6, 1);
        let third = new_request("s2026", acc, RequestKind::Suspension, json!({}));
        assert_eq!(
            code(svc.create_request(&third).await.unwrap_err()),
            "service-suspension-limit",
            "{backend}"
        );
    }
}

#[tokio::test]
async fn area_changes_direct_review_and_absurd() {
    let dir = tempfile::tempdir().unwrap();
    for (backend, svc) in services(dir.path(), &TestClock::at(2026, 11, 27)).await {
        let small = new_request(
            "area-small",
            "10010001",
            RequestKind::AreaChange,
            json!({"claimed_m2": 88.0}),
        );
        let r = svc.create_request(&small).await.unwrap();
        assert_eq!(r.status, RequestStatus::Completed, "{backend}");
        assert_eq!(svc.account(&no("10010001")).await.unwrap().area_m2, 88.0);
        let big = new_request(
            "area-big",
            "20020001",
            RequestKind::AreaChange,
            json!({"claimed_m2": 90}),
        );
        let r = svc.create_request(&big).await.unwrap();
        assert_eq!(r.status, RequestStatus::UnderReview);
        assert_eq!(
            svc.account(&no("20020001")).await.unwrap().area_m2,
            75.0,
            "not before review"
        );
        advance(&svc, &r.id, RequestStatus::Completed)
            .await
            .unwrap();
        assert_eq!(svc.account(&no("20020001")).await.unwrap().area_m2, 90.0);
        let absurd = new_request(
            "area-absurd",
            "30030003",
            RequestKind::AreaChange,
            json!({"claimed_m2": 8600}),
        );
        assert_eq!(
            code(svc.create_request(&absurd).await.unwrap_err()),
            "service-area-absurd"
        );
        let missing = new_request("area-none", "30030003", RequestKind::AreaChange, json!({}));
        assert!(matches!(
            svc.create_request(&missing).await,
            Err(ServiceError::Invalid(_))
        ));
    }
}

#[tokio::test]
async fn resumption_follows_the_unified_timeline() {
    let dir = tempfile::tempdir().unwrap();
    for (backend, svc) in services(dir.path(), &TestClock::at(2026, 11, 27)).await {
        let pending = new_request(
            "resume-pending",
            "30030002",
            RequestKind::Resumption,
            json!({}),
        );
        assert_eq!(
            code(svc.create_request(&pending).await.unwrap_err()),
            "service-request-pending"
        );
        let r = svc
            .create_request(&new_request(
                "resume-1",
                "20020002",
                RequestKind::Resumption,
                json!({}),
            ))
            .await
            .unwrap();
        assert_eq!(r.status, RequestStatus::AwaitingPayment, "{backend}");
        assert!(
            r.details["fee_fen"].as_i64().unwrap() > 5000,
            "opening fee plus the days left"
        );
        let skip = StatusUpdate {
            idempotency_key: key("skip-payment"),
            request: r.id.clone(),
            status: RequestStatus::ValveOpened,
            note: None,
        };
        let refused = svc.advance_request(&skip).await.unwrap_err();
        assert_eq!(code(refused), "service-status-transition");
        // The refusal is that key's answer for good, even once the step becomes possible.
        let refused_again = svc.advance_request(&skip).await.unwrap_err();
        assert_eq!(code(refused_again), "service-status-transition");
        for st in [
            RequestStatus::Paid,
            RequestStatus::WorkOrderIssued,
            RequestStatus::ValveOpened,
        ] {
            advance(&svc, &r.id, st).await.unwrap();
        }
        assert_eq!(
            svc.account(&no("20020002")).await.unwrap().status,
            AccountStatus::Active
        );
        advance(&svc, &r.id, RequestStatus::Completed)
            .await
            .unwrap();
        let done = svc.request(&r.id).await.unwrap();
        let steps: Vec<_> = done.timeline.iter().map(|e| e.status).collect();
        assert_eq!(
            steps,
            [
                RequestStatus::Submitted,
                RequestStatus::AwaitingPayment,
                RequestStatus::Paid,
                RequestStatus::WorkOrderIssued,
                RequestStatus::ValveOpened,
                RequestStatus::Completed
            ],
            "{backend}"
        );
        let closed = advance(&svc, &r.id, RequestStatus::Cancelled)
            .await
            .unwrap_err();
        assert_eq!(code(closed), "service-request-closed");
    }
}
