//! One error type for the JSON API. Every failure has a stable code that is also a Fluent
//! message id; the message is localised on the way out (`localize`), and internal detail
//! goes to the log, never to the client.

use axum::body::Body;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use fluent_bundle::FluentValue;
use serde::de::DeserializeOwned;
use serde_json::json;

use std::sync::Arc;

use crate::i18n::Locales;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("empty text")]
    EmptyText,
    #[error("text longer than {max} characters")]
    TextTooLong { max: usize },
    #[error("payload too large")]
    PayloadTooLarge,
    #[error("unsupported media type")]
    UnsupportedMedia,
    #[error("not found")]
    NotFound,
    #[error("internal error: {0}")]
    Internal(String),
}

/// What the localising layer needs to write the body.
#[derive(Debug, Clone)]
struct ErrorInfo {
    code: &'static str,
    max: Option<usize>,
    detail: Option<String>,
}

impl ApiError {
    fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) | Self::EmptyText | Self::TextTooLong { .. } => {
                StatusCode::BAD_REQUEST
            }
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMedia => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn info(&self) -> ErrorInfo {
        let (code, max, detail) = match self {
            Self::BadRequest(d) => ("error-bad-request", None, Some(d.clone())),
            Self::EmptyText => ("error-empty-text", None, None),
            Self::TextTooLong { max } => ("error-text-too-long", Some(*max), None),
            Self::PayloadTooLarge => ("error-payload-too-large", None, None),
            Self::UnsupportedMedia => ("error-unsupported-media", None, None),
            Self::NotFound => ("error-not-found", None, None),
            Self::Internal(_) => ("error-internal", None, None),
        };
        ErrorInfo { code, max, detail }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let Self::Internal(detail) = &self {
            tracing::error!(%detail, "request failed");
        }
        let info = self.info();
        let mut res = (
            self.status(),
            Json(json!({ "error": { "code": info.code } })),
        )
            .into_response();
        res.extensions_mut().insert(info);
        res
    }
}

/// Writes the localised message into every API error body, including the ones axum's own
/// layers produce (an oversized body, an unknown route).
pub async fn localize(State(locales): State<Arc<Locales>>, req: Request, next: Next) -> Response {
    let accept = req
        .headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let request_id = req
        .extensions()
        .get::<super::request_id::RequestId>()
        .map(|id| id.0.clone());
    let res = next.run(req).await;
    let info = match res.extensions().get::<ErrorInfo>() {
        Some(info) => info.clone(),
        None => match res.status() {
            StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge.info(),
            StatusCode::NOT_FOUND => ApiError::NotFound.info(),
            _ => return res,
        },
    };
    let locale = locales.negotiate(accept.as_deref());
    let mut args = Vec::new();
    if let Some(max) = info.max {
        args.push(("max", FluentValue::from(max)));
    }
    let message = locales.text(locale, info.code, &args);
    let mut body = json!({ "error": { "code": info.code, "message": message } });
    if let Some(detail) = info.detail {
        body["error"]["detail"] = json!(detail);
    }
    if let Some(id) = request_id {
        body["error"]["request_id"] = json!(id);
    }
    let status = res.status();
    let mut out = Response::new(Body::from(body.to_string()));
    *out.status_mut() = status;
    out.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    out
}

/// `Json` whose rejections are `ApiError`s.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(Self(v)),
            Err(JsonRejection::MissingJsonContentType(_)) => Err(ApiError::UnsupportedMedia),
            Err(JsonRejection::BytesRejection(r))
                if r.status() == StatusCode::PAYLOAD_TOO_LARGE =>
            {
                Err(ApiError::PayloadTooLarge)
            }
            Err(e) => Err(ApiError::BadRequest(e.body_text())),
        }
    }
}
