//! `POST /api/v1/classify`: the classifier over HTTP, with the CLI's JSON.

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;

use super::{Classification, Classifier, ClassifyError};
use crate::domain::Channel;
use crate::http::error::{ApiError, ApiJson};

pub fn router(classifier: Classifier) -> Router {
    Router::new()
        .route("/api/v1/classify", post(classify))
        .with_state(classifier)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ClassifyRequest {
    text: String,
    #[serde(default)]
    channel: Option<Channel>,
}

async fn classify(
    State(classifier): State<Classifier>,
    ApiJson(req): ApiJson<ClassifyRequest>,
) -> Result<Json<Classification>, ApiError> {
    let channel = req.channel.unwrap_or(Channel::Wechat);
    Ok(Json(classifier.classify_logged(&req.text, channel).await?))
}

impl From<ClassifyError> for ApiError {
    fn from(e: ClassifyError) -> Self {
        match e {
            ClassifyError::Empty => Self::EmptyText,
            ClassifyError::TooLong { max } => Self::TextTooLong { max },
        }
    }
}
