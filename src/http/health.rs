use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::nlu::EngineHandle;
use crate::storage::Storage;

#[derive(Clone)]
struct Health {
    engine: Arc<EngineHandle>,
    storage: Arc<dyn Storage>,
}

pub fn router(engine: Arc<EngineHandle>, storage: Arc<dyn Storage>) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .with_state(Health { engine, storage })
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
