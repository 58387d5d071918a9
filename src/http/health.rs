use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::nlu::EngineHandle;
use crate::storage::Storage;

/// Whether this instance should be sent traffic: not once it has begun to shut down, so a
/// load balancer stops sending before the instance stops answering. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct Readiness {
    draining: Arc<AtomicBool>,
}

impl Readiness {
    /// Shutdown has begun: `/readyz` answers 503 from now on.
    pub fn drain(&self) {
        self.draining.store(true, Ordering::SeqCst);
    }

    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::SeqCst)
    }
}

#[derive(Clone)]
struct Health {
    engine: Arc<EngineHandle>,
    storage: Arc<dyn Storage>,
    readiness: Readiness,
}

pub fn router(
    engine: Arc<EngineHandle>,
    storage: Arc<dyn Storage>,
    readiness: Readiness,
) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .with_state(Health {
            engine,
            storage,
            readiness,
        })
}

/// Ready for traffic: not draining, the database answers, and a phrasebook is loaded (it
/// always is once the instance serves; the version tells which).
async fn readyz(State(h): State<Health>) -> (StatusCode, Json<Value>) {
    let version = h.engine.current().catalog().version.clone();
    let why = if h.readiness.is_draining() {
        Some("draining")
    } else if h.storage.ping().await.is_err() {
        Some("database_unreachable")
    } else {
        None
    };
    match why {
        None => (
            StatusCode::OK,
            Json(json!({ "status": "ready", "phrasebook_version": version })),
        ),
        Some(why) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": why, "phrasebook_version": version })),
        ),
    }
}

/// Up when the engine is loaded and the database answers.
async fn healthz(State(h): State<Health>) -> (StatusCode, Json<Value>) {
    let engine = h.engine.current();
    let database = h.storage.ping().await;
    let status = if database.is_ok() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    if let Err(e) = &database {
        tracing::error!(error = %e, "health check: database unreachable");
    }
    (
        status,
        Json(json!({
            "status": if database.is_ok() { "ok" } else { "degraded" },
            "phrasebook_version": engine.catalog().version,
            "database": h.storage.backend(),
        })),
    )
}
