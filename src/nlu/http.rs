//! `POST /api/v1/classify`: the classifier over HTTP, with the CLI's JSON.

use std::time::Instant;

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use chrono::Utc;
use serde::Deserialize;

use super::Classification;
use crate::app::AppState;
use crate::domain::{mask_personal, Channel};
use crate::http::error::{ApiError, ApiJson};
use crate::storage::ClassificationLog;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/classify", post(classify))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ClassifyRequest {
    text: String,
    #[serde(default)]
    channel: Option<Channel>,
}

async fn classify(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<ClassifyRequest>,
) -> Result<Json<Classification>, ApiError> {
    let channel = req.channel.unwrap_or(Channel::Wechat);
    Ok(Json(classify_logged(&state, &req.text, channel).await?))
}

/// Validates, classifies and logs one message (masked). Shared by every channel.
pub async fn classify_logged(
    state: &AppState,
    text: &str,
    channel: Channel,
) -> Result<Classification, ApiError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(ApiError::EmptyText);
    }
    let max = state.settings.nlu.max_text_chars;
    if text.chars().count() > max {
        return Err(ApiError::TextTooLong { max });
    }
    let engine = state.engine.current();
    let started = Instant::now();
    let result = engine.classify(text);
    let latency_us = started.elapsed().as_micros() as i64;
    tracing::info!(intent = %result.intent, confidence = result.confidence, decision = ?result.decision, latency_us, "classified");
    let log = ClassificationLog {
        at: Utc::now(),
        channel: serde_json::to_value(channel)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default(),
        text_masked: mask_personal(text),
        intent: result.intent.to_string(),
        entry: result.entry.as_ref().map(ToString::to_string),
        confidence: result.confidence,
        decision: serde_json::to_value(result.decision)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default(),
        latency_us,
        catalog_version: engine.catalog().version.clone(),
    };
    // A log write must not fail the resident's answer.
    if let Err(e) = state.storage.log_classification(&log).await {
        tracing::error!(error = %e, "cannot log the classification");
    }
    Ok(result)
}
