//! The contract's client: `ServiceApi` over HTTP for a utility with its own business
//! system. Every call has a deadline; connect errors, timeouts and 5xx answers are retried
//! with exponential backoff and jitter (safe for writes: they carry idempotency keys).

use std::time::Duration;

use async_trait::async_trait;
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::wire::{CreateBody, StatusBody, Verified, WorkOrderQuery, IDEMPOTENCY_KEY};
use super::{
    Account, AccountNo, Bill, Hall, IdempotencyKey, NewRequest, Payment, RequestId, ServiceApi,
    ServiceError, ServiceRequest, ServiceSettings, StatusUpdate, Verification, WorkOrder,
};
use crate::domain::Secret;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("service.url `{0}` is not an http(s) URL")]
    BadUrl(String),
    #[error("cannot build the HTTP client: {0}")]
    Build(#[from] reqwest::Error),
}

#[derive(Debug, Clone)]
pub struct HttpServiceApi {
    http: reqwest::Client,
    base: String,
    token: Secret,
    attempts: u32,
    backoff: Duration,
}

#[derive(Debug, Deserialize)]
struct ErrorBody {
    error: ErrorInner,
}

#[derive(Debug, Deserialize)]
struct ErrorInner {
    code: String,
    #[serde(default)]
    detail: Option<String>,
}

/// One try's failure: worth another try or not.
enum Failure {
    Retry(String),
    Final(ServiceError),
}

impl HttpServiceApi {
    pub fn new(settings: &ServiceSettings) -> Result<Self, ClientError> {
        let base = settings.url.trim_end_matches('/').to_owned();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(ClientError::BadUrl(base));
        }
        let timeout = Duration::from_millis(settings.timeout_ms.max(1));
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .build()?;
        Ok(Self {
            http,
            base,
            token: settings.token.clone(),
            attempts: settings.retries.max(1),
            backoff: Duration::from_millis(200),
        })
    }

    /// The first retry's pause; later ones double.
    pub fn with_backoff(mut self, first: Duration) -> Self {
        self.backoff = first;
        self
    }

    fn pause(&self, attempt: u32) -> Duration {
        let base = self.backoff.saturating_mul(1 << attempt.min(10));
        // Jitter spreads the retries of many clients after an outage.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let jitter = self.backoff.mul_f64(f64::from(nanos % 1000) / 1000.0);
        base + jitter
    }

    async fn call<T: DeserializeOwned, B: Serialize + Sync>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
        key: Option<&IdempotencyKey>,
    ) -> Result<T, ServiceError> {
        self.call_query(method, path, None::<&()>, body, key).await
    }

    /// `call` with a query string built from `query` (encoded, so district names travel as
    /// written).
    async fn call_query<T: DeserializeOwned, Q: Serialize + Sync, B: Serialize + Sync>(
        &self,
        method: Method,
        path: &str,
        query: Option<&Q>,
        body: Option<&B>,
        key: Option<&IdempotencyKey>,
    ) -> Result<T, ServiceError> {
        let started = std::time::Instant::now();
        let result = self
            .with_retries(method.clone(), path, query, body, key)
            .await;
        metrics::histogram!("heatdesk_service_api_duration_seconds", "method" => method.to_string()).record(started.elapsed().as_secs_f64());
        result
    }

    async fn with_retries<T: DeserializeOwned, Q: Serialize + Sync, B: Serialize + Sync>(
        &self,
        method: Method,
        path: &str,
        query: Option<&Q>,
        body: Option<&B>,
        key: Option<&IdempotencyKey>,
    ) -> Result<T, ServiceError> {
        let mut last = String::new();
        for attempt in 0..self.attempts {
            if attempt > 0 {
                tokio::time::sleep(self.pause(attempt - 1)).await;
            }
            match self.try_once(method.clone(), path, query, body, key).await {
                Ok(v) => return Ok(v),
                Err(Failure::Final(e)) => {
                    metrics::counter!("heatdesk_service_api_errors_total", "method" => method.to_string(), "kind" => "final").increment(1);
                    return Err(e);
                }
                Err(Failure::Retry(why)) => {
                    metrics::counter!("heatdesk_service_api_errors_total", "method" => method.to_string(), "kind" => "transient").increment(1);
                    tracing::warn!(attempt = attempt + 1, %why, "service API call failed");
                    last = why;
                }
            }
        }
        Err(ServiceError::Unavailable(last))
    }

    async fn try_once<T: DeserializeOwned, Q: Serialize + Sync, B: Serialize + Sync>(
        &self,
        method: Method,
        path: &str,
        query: Option<&Q>,
        body: Option<&B>,
        key: Option<&IdempotencyKey>,
    ) -> Result<T, Failure> {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(query) = query {
            req = req.query(query);
        }
        if !self.token.is_empty() {
            req = req.bearer_auth(self.token.expose());
        }
        if let Some(key) = key {
            req = req.header(IDEMPOTENCY_KEY, key.as_str());
        }
        if let Some(body) = body {
            req = req.json(body);
        }
        let res = req.send().await.map_err(|e| {
            // The URL names accounts: not for the log.
            let e = e.without_url();
            if e.is_connect() || e.is_timeout() || e.is_request() {
                Failure::Retry(e.to_string())
            } else {
                Failure::Final(ServiceError::Unavailable(e.to_string()))
            }
        })?;
        let status = res.status();
        if status.is_success() {
            return res.json().await.map_err(|e| {
                let e = e.without_url();
                let e = if e.is_timeout() {
                    e.to_string()
                } else {
                    format!("bad answer: {e}")
                };
                Failure::Retry(e)
            });
        }
        if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
            return Err(Failure::Retry(format!("status {status}")));
        }
        let body: Option<ErrorBody> = res.json().await.ok();
        Err(Failure::Final(map_error(status, body)))
    }
}

fn map_error(status: StatusCode, body: Option<ErrorBody>) -> ServiceError {
    let (code, detail) = body.map_or((None, None), |b| (Some(b.error.code), b.error.detail));
    match status {
        StatusCode::NOT_FOUND => ServiceError::NotFound,
        StatusCode::CONFLICT | StatusCode::UNPROCESSABLE_ENTITY => ServiceError::Refused {
            code: code.unwrap_or_else(|| "service-refused".to_owned()),
        },
        StatusCode::BAD_REQUEST => {
            ServiceError::Invalid(detail.or(code).unwrap_or_else(|| "bad request".to_owned()))
        }
        other => {
            tracing::error!(status = %other, "service API refused the call");
            ServiceError::Unavailable(format!("status {other}"))
        }
    }
}

const NO_BODY: Option<&()> = None;

#[async_trait]
impl ServiceApi for HttpServiceApi {
    async fn account(&self, no: &AccountNo) -> Result<Account, ServiceError> {
        self.call(Method::GET, &format!("/accounts/{no}"), NO_BODY, None)
            .await
    }

    async fn verify(&self, no: &AccountNo, proof: &Verification) -> Result<bool, ServiceError> {
        let path = format!("/accounts/{no}/verify");
        let v: Verified = self.call(Method::POST, &path, Some(proof), None).await?;
        Ok(v.verified)
    }

    async fn bills(&self, no: &AccountNo) -> Result<Vec<Bill>, ServiceError> {
        self.call(Method::GET, &format!("/accounts/{no}/bills"), NO_BODY, None)
            .await
    }

    async fn payments(&self, no: &AccountNo) -> Result<Vec<Payment>, ServiceError> {
        self.call(
            Method::GET,
            &format!("/accounts/{no}/payments"),
            NO_BODY,
            None,
        )
        .await
    }

    async fn create_request(&self, new: &NewRequest) -> Result<ServiceRequest, ServiceError> {
        let body = CreateBody {
            account: new.account.clone(),
            kind: new.kind,
            urgent: new.urgent,
            details: new.details.clone(),
        };
        let key = Some(&new.idempotency_key);
        self.call(Method::POST, "/requests", Some(&body), key).await
    }

    async fn requests(&self, no: &AccountNo) -> Result<Vec<ServiceRequest>, ServiceError> {
        self.call(
            Method::GET,
            &format!("/accounts/{no}/requests"),
            NO_BODY,
            None,
        )
        .await
    }

    async fn request(&self, id: &RequestId) -> Result<ServiceRequest, ServiceError> {
        self.call(Method::GET, &format!("/requests/{id}"), NO_BODY, None)
            .await
    }

    async fn advance_request(&self, update: &StatusUpdate) -> Result<ServiceRequest, ServiceError> {
        let body = StatusBody {
            status: update.status,
            note: update.note.clone(),
        };
        let path = format!("/requests/{}/status", update.request);
        self.call(
            Method::POST,
            &path,
            Some(&body),
            Some(&update.idempotency_key),
        )
        .await
    }

    async fn halls(&self) -> Result<Vec<Hall>, ServiceError> {
        self.call(Method::GET, "/halls", NO_BODY, None).await
    }

    async fn work_orders(&self, district: Option<&str>) -> Result<Vec<WorkOrder>, ServiceError> {
        let query = WorkOrderQuery {
            district: district.map(str::to_owned),
        };
        self.call_query(Method::GET, "/work-orders", Some(&query), NO_BODY, None)
            .await
    }
}
