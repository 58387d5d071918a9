//! The contract's reference server, `/api/service/v1`: the configured `ServiceApi` over
//! HTTP/JSON, described by `openapi.json`. Refusals carry stable codes (Fluent ids).

use std::sync::Arc;

use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;

use super::wire::{CreateBody, StatusBody, Verified, WorkOrderQuery, IDEMPOTENCY_KEY};
use super::ServiceApi;
use super::{
    Account, AccountNo, Bill, Hall, IdempotencyKey, NewRequest, Payment, RequestId, ServiceError,
    ServiceRequest, StatusUpdate, Verification, WorkOrder,
};
use crate::domain::Secret;
use crate::http::error::ApiJson;
use crate::notify::Notifier;

const OPENAPI: &str = include_str!("openapi.json");

#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("unauthorized")]
    Unauthorized,
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("missing or malformed Idempotency-Key header")]
    NoKey,
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        let (status, code, detail) = match self {
            Self::Unauthorized => (StatusCode::UNAUTHORIZED, "error-unauthorized".into(), None),
            Self::BadRequest(d) => (StatusCode::BAD_REQUEST, "service-invalid".into(), Some(d)),
            Self::NoKey => (
                StatusCode::BAD_REQUEST,
                "service-idempotency-key-required".into(),
                None,
            ),
            Self::Service(ServiceError::NotFound) => {
                (StatusCode::NOT_FOUND, "error-not-found".into(), None)
            }
            Self::Service(ServiceError::Invalid(d)) => {
                (StatusCode::BAD_REQUEST, "service-invalid".into(), Some(d))
            }
            Self::Service(ServiceError::Refused { code }) => (refusal_status(&code), code, None),
            Self::Service(ServiceError::Unavailable(d)) => {
                tracing::warn!(detail = %d, "service API unavailable");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "service-unavailable".into(),
                    None,
                )
            }
        };
        let mut body = json!({ "error": { "code": code } });
        if let Some(d) = detail {
            body["error"]["detail"] = json!(d);
        }
        (status, Json(body)).into_response()
    }
}

/// 409 when the state moved under the caller or a key was reused; 422 for business rules.
fn refusal_status(code: &str) -> StatusCode {
    match code {
        "service-status-conflict" | "service-idempotency-key-reused" => StatusCode::CONFLICT,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    }
}

/// What the reference server serves: the configured service API, the token callers must
/// present, and who tells residents when a request moves on.
#[derive(Clone)]
pub struct ServiceHttp {
    pub service: Arc<dyn ServiceApi>,
    pub token: Secret,
    pub notifier: Notifier,
}

/// Present when `service.token` is empty or the bearer token matches it.
pub struct Authorized;

impl FromRequestParts<ServiceHttp> for Authorized {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, state: &ServiceHttp) -> Result<Self, HttpError> {
        let expected = state.token.expose();
        if expected.is_empty() {
            return Ok(Self);
        }
        let given = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        if constant_time_eq(given.as_bytes(), expected.as_bytes()) {
            Ok(Self)
        } else {
            Err(HttpError::Unauthorized)
        }
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub struct IdemKey(pub IdempotencyKey);

impl<S: Send + Sync> FromRequestParts<S> for IdemKey {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, HttpError> {
        let raw = parts
            .headers
            .get(IDEMPOTENCY_KEY)
            .and_then(|v| v.to_str().ok());
        raw.and_then(|k| IdempotencyKey::parse(k).ok())
            .map(Self)
            .ok_or(HttpError::NoKey)
    }
}

fn account_no(raw: String) -> Result<AccountNo, HttpError> {
    AccountNo::parse(raw).map_err(|e| HttpError::BadRequest(e.to_string()))
}

fn request_id(raw: String) -> Result<RequestId, HttpError> {
    RequestId::parse(raw).map_err(|e| HttpError::BadRequest(e.to_string()))
}

type Answer<T> = Result<Json<T>, HttpError>;

pub fn router(state: ServiceHttp) -> Router {
    Router::new()
        .route("/api/service/v1/openapi.json", get(openapi))
        .route("/api/service/v1/accounts/{no}", get(account))
        .route("/api/service/v1/accounts/{no}/verify", post(verify))
        .route("/api/service/v1/accounts/{no}/bills", get(bills))
        .route("/api/service/v1/accounts/{no}/payments", get(payments))
        .route("/api/service/v1/accounts/{no}/requests", get(requests))
        .route("/api/service/v1/requests", post(create))
        .route("/api/service/v1/requests/{id}", get(request))
        .route("/api/service/v1/requests/{id}/status", post(advance))
        .route("/api/service/v1/halls", get(halls))
        .route("/api/service/v1/work-orders", get(work_orders))
        .with_state(state)
}

async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI)
}

async fn account(
    _: Authorized,
    State(s): State<ServiceHttp>,
    Path(no): Path<String>,
) -> Answer<Account> {
    Ok(Json(s.service.account(&account_no(no)?).await?))
}

async fn verify(
    _: Authorized,
    State(s): State<ServiceHttp>,
    Path(no): Path<String>,
    ApiJson(proof): ApiJson<Verification>,
) -> Answer<Verified> {
    let verified = s.service.verify(&account_no(no)?, &proof).await?;
    Ok(Json(Verified { verified }))
}

async fn bills(
    _: Authorized,
    State(s): State<ServiceHttp>,
    Path(no): Path<String>,
) -> Answer<Vec<Bill>> {
    Ok(Json(s.service.bills(&account_no(no)?).await?))
}

async fn payments(
    _: Authorized,
    State(s): State<ServiceHttp>,
    Path(no): Path<String>,
) -> Answer<Vec<Payment>> {
    Ok(Json(s.service.payments(&account_no(no)?).await?))
}

async fn requests(
    _: Authorized,
    State(s): State<ServiceHttp>,
    Path(no): Path<String>,
) -> Answer<Vec<ServiceRequest>> {
    Ok(Json(s.service.requests(&account_no(no)?).await?))
}

async fn create(
    _: Authorized,
    State(s): State<ServiceHttp>,
    IdemKey(key): IdemKey,
    ApiJson(body): ApiJson<CreateBody>,
) -> Answer<ServiceRequest> {
    let new = NewRequest {
        idempotency_key: key,
        account: body.account,
        kind: body.kind,
        urgent: body.urgent,
        details: body.details,
    };
    Ok(Json(s.service.create_request(&new).await?))
}

async fn request(
    _: Authorized,
    State(s): State<ServiceHttp>,
    Path(id): Path<String>,
) -> Answer<ServiceRequest> {
    Ok(Json(s.service.request(&request_id(id)?).await?))
}

async fn advance(
    _: Authorized,
    State(s): State<ServiceHttp>,
    Path(id): Path<String>,
    IdemKey(key): IdemKey,
    ApiJson(body): ApiJson<StatusBody>,
) -> Answer<ServiceRequest> {
    let update = StatusUpdate {
        idempotency_key: key,
        request: request_id(id)?,
        status: body.status,
        note: body.note,
    };
    let request = s.service.advance_request(&update).await?;
    // The notices are kept before the answer (a replayed call makes none twice); WeChat
    // is called in the background, so the business system does not wait for it.
    s.notifier.request_changed(&request).await;
    Ok(Json(request))
}

async fn halls(_: Authorized, State(s): State<ServiceHttp>) -> Answer<Vec<Hall>> {
    Ok(Json(s.service.halls().await?))
}

async fn work_orders(
    _: Authorized,
    State(s): State<ServiceHttp>,
    Query(q): Query<WorkOrderQuery>,
) -> Answer<Vec<WorkOrder>> {
    // A page's "all districts" choice sends the parameter empty.
    let district = q
        .district
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty());
    Ok(Json(s.service.work_orders(district).await?))
}
