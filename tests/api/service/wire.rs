//! The contract over HTTP: the reference server, the client, retries and the outbox.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use heatdesk::app::AppState;
use heatdesk::config::{Secret, Settings};
use heatdesk::service::{
    HttpServiceApi, Outbox, OutboxResult, RequestKind, RequestStatus, ServiceApi, ServiceError,
    ServiceSettings, StatusUpdate, Submission, Verification,
};
use heatdesk::storage::Database;
use serde_json::json;

use super::builtin::{key, new_request, no};
use crate::helpers::{settings, spawn_app, spawn_app_with};

pub fn client(base: &str, token: &str, retries: u32) -> HttpServiceApi {
    let s = ServiceSettings {
        url: format!("{base}/api/service/v1"),
        token: Secret::new(token),
        timeout_ms: 2000,
        retries,
        ..ServiceSettings::default()
    };
    HttpServiceApi::new(&s)
        .unwrap()
        .with_backoff(Duration::from_millis(10))
}

fn refused(e: ServiceError) -> String {
    match e {
        ServiceError::Refused { code } => code,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn every_method_goes_through_the_wire() {
    let app = spawn_app().await;
    let api = client(&format!("http://{}", app.addr), "", 3);
    let a = api.account(&no("10010003")).await.unwrap();
    assert_eq!(a, app.state.service.account(&no("10010003")).await.unwrap());
    assert!(api
        .verify(&a.no, &Verification::PhoneLast4("3003".into()))
        .await
        .unwrap());
    assert!(!api
        .verify(&a.no, &Verification::HolderName("李四".into()))
        .await
        .unwrap());
    assert_eq!(api.bills(&a.no).await.unwrap().len(), 2);
    assert_eq!(api.payments(&a.no).await.unwrap().len(), 2);
    assert_eq!(api.halls().await.unwrap().len(), 3);
    let new = new_request(
        "wire-leak",
        "10010003",
        RequestKind::Leak,
        json!({"where": "厨房"}),
    );
    let r = api.create_request(&new).await.unwrap();
    assert_eq!(
        api.create_request(&new).await.unwrap(),
        r,
        "idempotent over the wire"
    );
    assert_eq!(api.request(&r.id).await.unwrap(), r);
    assert_eq!(api.requests(&a.no).await.unwrap().len(), 2);
    let update = StatusUpdate {
        idempotency_key: key("wire-leak-done"),
        request: r.id.clone(),
        status: RequestStatus::Completed,
        note: Some("fixed".into()),
    };
    let done = api.advance_request(&update).await.unwrap();
    assert_eq!(done.status, RequestStatus::Completed);
    assert_eq!(done.timeline.last().unwrap().note.as_deref(), Some("fixed"));
    // Status codes map back to the trait's errors.
    assert_eq!(
        api.account(&no("99999999")).await.unwrap_err(),
        ServiceError::NotFound
    );
    let resume = new_request(
        "wire-resume",
        "10010001",
        RequestKind::Resumption,
        json!({}),
    );
    assert_eq!(
        refused(api.create_request(&resume).await.unwrap_err()),
        "service-not-suspended"
    );
    let mut reused = new.clone();
    reused.urgent = true;
    assert_eq!(
        refused(api.create_request(&reused).await.unwrap_err()),
        "service-idempotency-key-reused"
    );
    let area = new_request("wire-area", "10010001", RequestKind::AreaChange, json!({}));
    assert!(matches!(
        api.create_request(&area).await,
        Err(ServiceError::Invalid(_))
    ));
}

#[tokio::test]
async fn writes_need_an_idempotency_key() {
    let app = spawn_app().await;
    let res = app
        .client
        .post(app.url("/api/service/v1/requests"))
        .json(&json!({"account": "10010001", "kind": "repair"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "service-idempotency-key-required");
    let refused = app
        .client
        .post(app.url("/api/service/v1/requests"))
        .header("Idempotency-Key", "raw-http-key-1")
        .json(&json!({"account": "10010001", "kind": "resumption"}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 422);
}

#[tokio::test]
async fn a_token_is_required_when_set() {
    let app = spawn_app_with(|s| s.service.token = Secret::new("s3cret-token")).await;
    let res = app
        .client
        .get(app.url("/api/service/v1/halls"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let base = format!("http://{}", app.addr);
    assert!(client(&base, "wrong-token", 1).halls().await.is_err());
    assert_eq!(
        client(&base, "s3cret-token", 1)
            .halls()
            .await
            .unwrap()
            .len(),
        3
    );
    let doc = app
        .client
        .get(app.url("/api/service/v1/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(doc.status(), 200, "the contract itself is public");
}

/// The routes `service::http::router` serves.
const ROUTES: [(&str, &str); 11] = [
    ("get", "/openapi.json"),
    ("get", "/accounts/{no}"),
    ("post", "/accounts/{no}/verify"),
    ("get", "/accounts/{no}/bills"),
    ("get", "/accounts/{no}/payments"),
    ("get", "/accounts/{no}/requests"),
    ("post", "/requests"),
    ("get", "/requests/{id}"),
    ("post", "/requests/{id}/status"),
    ("get", "/halls"),
    ("get", "/work-orders"),
];

#[tokio::test]
async fn the_openapi_document_names_every_route() {
    let app = spawn_app().await;
    let doc: serde_json::Value = app
        .client
        .get(app.url("/api/service/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let paths = doc["paths"].as_object().unwrap();
    assert_eq!(
        paths
            .values()
            .map(|p| p.as_object().unwrap().len())
            .sum::<usize>(),
        ROUTES.len()
    );
    let id = app.state.service.requests(&no("10010003")).await.unwrap()[0]
        .id
        .clone();
    for (method, path) in ROUTES {
        assert!(
            paths[path][method].is_object(),
            "{method} {path} is documented"
        );
        let url = app.url(&format!(
            "/api/service/v1{}",
            path.replace("{no}", "10010003")
                .replace("{id}", id.as_str())
        ));
        let res = match method {
            "get" => app.client.get(url).send().await.unwrap(),
            _ => app.client.post(url).json(&json!({})).send().await.unwrap(),
        };
        assert_ne!(res.status(), 404, "{method} {path} is served");
        assert_ne!(res.status(), 405, "{method} {path} is served");
    }
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for name in [
        "Account",
        "Bill",
        "Payment",
        "ServiceRequest",
        "WorkOrder",
        "Hall",
        "Error",
    ] {
        assert!(schemas.contains_key(name), "{name}");
    }
}

#[tokio::test]
async fn calls_are_retried_with_backoff_on_503() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let flaky = axum::Router::new().route(
        "/api/service/v1/halls",
        axum::routing::get(move || {
            let n = counter.fetch_add(1, Ordering::SeqCst);
            async move {
                let status = if n < 2 {
                    axum::http::StatusCode::SERVICE_UNAVAILABLE
                } else {
                    axum::http::StatusCode::OK
                };
                (
                    status,
                    [(axum::http::header::CONTENT_TYPE, "application/json")],
                    "[]",
                )
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, flaky).await });
    assert!(client(&base, "", 3).halls().await.unwrap().is_empty());
    assert_eq!(
        calls.load(Ordering::SeqCst),
        3,
        "two failures, then success"
    );
    calls.store(0, Ordering::SeqCst);
    let gave_up = client(&base, "", 2).halls().await.unwrap_err();
    assert!(gave_up.is_transient(), "{gave_up:?}");
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

/// Serves heatdesk (and so the reference service) on `addr` until the task is aborted.
async fn serve_on(addr: SocketAddr, s: Settings) -> tokio::task::JoinHandle<()> {
    let state = AppState::build(s).await.unwrap();
    let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
    let router = heatdesk::app::router(&state);
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    })
}

#[tokio::test]
async fn the_outbox_completes_a_request_once_the_service_is_back() {
    let dir = tempfile::tempdir().unwrap();
    let addr = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let server_settings = settings(dir.path());
    let first = serve_on(addr, server_settings.clone()).await;
    first.abort();
    let _ = first.await;

    let outbox_db = Database::open(&format!("sqlite://{}/desk.db", dir.path().display()))
        .await
        .unwrap();
    let outbox = Outbox::new(outbox_db);
    let api: Arc<dyn ServiceApi> = Arc::new(client(&format!("http://{addr}"), "", 2));
    let new = new_request(
        "outbox-repair",
        "20020001",
        RequestKind::Repair,
        json!({"problem": "不热"}),
    );
    let sub = outbox
        .submit(api.as_ref(), "openid-resident-1", &new)
        .await
        .unwrap();
    assert_eq!(sub, Submission::Queued);
    outbox.enqueue("openid-resident-1", &new).await.unwrap();
    assert_eq!(outbox.pending().await.unwrap(), 1, "kept once");
    let worker = outbox.spawn_worker(api.clone(), Duration::from_millis(100));
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(outbox
        .take_finished("openid-resident-1")
        .await
        .unwrap()
        .is_empty());

    let second = serve_on(addr, server_settings).await;
    let mut outcomes = Vec::new();
    for _ in 0..100 {
        outcomes = outbox.take_finished("openid-resident-1").await.unwrap();
        if !outcomes.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(outcomes.len(), 1);
    let OutboxResult::Created(req) = &outcomes[0].result else {
        panic!("{outcomes:?}")
    };
    assert_eq!(req.kind, RequestKind::Repair);
    tokio::time::sleep(Duration::from_millis(300)).await;
    worker.abort();
    assert_eq!(outbox.pending().await.unwrap(), 0);
    assert!(
        outbox
            .take_finished("openid-resident-1")
            .await
            .unwrap()
            .is_empty(),
        "told once"
    );
    let repairs: Vec<_> = api
        .requests(&no("20020001"))
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.kind == RequestKind::Repair)
        .collect();
    assert_eq!(repairs.len(), 1, "made exactly once");
    second.abort();
}

#[tokio::test]
async fn a_refused_outbox_item_is_recorded_as_failed() {
    let app = spawn_app().await;
    let outbox = Outbox::new(app.state.db.clone());
    let new = new_request(
        "outbox-refused",
        "10010001",
        RequestKind::Resumption,
        json!({}),
    );
    outbox.enqueue("openid-resident-2", &new).await.unwrap();
    let api = client(&format!("http://{}", app.addr), "", 1);
    assert_eq!(outbox.run_once(&api).await.unwrap(), 1);
    let told = outbox.take_finished("openid-resident-2").await.unwrap();
    assert_eq!(
        told[0].result,
        OutboxResult::Failed {
            code: "service-not-suspended".into()
        }
    );
}
