use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::app::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/healthz", get(healthz))
}

/// Up when the engine is loaded and the database answers.
async fn healthz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let engine = state.engine.current();
    let database = state.storage.ping().await;
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
            "database": state.storage.backend(),
        })),
    )
}
