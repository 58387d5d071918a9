//! The utility's service API: what heatdesk needs from the business system (accounts,
//! verification, bills and payments, requests with their timeline, halls).
//!
//! One trait, two implementations: an HTTP client for a utility with its own system, and
//! a built-in implementation on heatdesk's database (also served over HTTP at
//! `/api/service/v1`, the contract's reference server).

pub mod builtin;
pub mod client;
pub mod demo;
pub mod http;
pub mod outbox;
pub mod rules;
pub mod station;
pub mod types;
pub mod wire;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::domain::Secret;

pub use builtin::BuiltinService;
pub use client::HttpServiceApi;
pub use outbox::{Outbox, OutboxOutcome, OutboxResult, Submission};
pub use rules::Rules;
pub use station::{station_steps, STATION_KINDS};
pub use types::*;

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum ServiceError {
    /// The account, request or hall does not exist.
    #[error("not found")]
    NotFound,
    /// The business system refused: a rule, a state that does not allow it. `code` is
    /// stable and is also a Fluent message id (`service-…`).
    #[error("refused: {code}")]
    Refused { code: String },
    /// The input is not acceptable (bad area, date in the past…).
    #[error("invalid: {0}")]
    Invalid(String),
    /// Down, slow or answering garbage: try again later; nothing was changed.
    #[error("service unavailable: {0}")]
    Unavailable(String),
}

impl ServiceError {
    /// Worth retrying later (the outbox does).
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Unavailable(_))
    }
}

/// What heatdesk asks of the utility's business system. Every write carries an
/// idempotency key: the same key twice gives the first result and changes nothing more.
#[async_trait]
pub trait ServiceApi: Send + Sync + std::fmt::Debug + 'static {
    async fn account(&self, no: &AccountNo) -> Result<Account, ServiceError>;

    /// `Ok(false)` when the proof does not match; never says which part was wrong.
    async fn verify(&self, no: &AccountNo, proof: &Verification) -> Result<bool, ServiceError>;

    /// Bills per heating season, newest first.
    async fn bills(&self, no: &AccountNo) -> Result<Vec<Bill>, ServiceError>;

    /// Payments, newest first.
    async fn payments(&self, no: &AccountNo) -> Result<Vec<Payment>, ServiceError>;

    async fn create_request(&self, new: &NewRequest) -> Result<ServiceRequest, ServiceError>;

    /// Requests of an account, newest first, each with its timeline.
    async fn requests(&self, no: &AccountNo) -> Result<Vec<ServiceRequest>, ServiceError>;

    async fn request(&self, id: &RequestId) -> Result<ServiceRequest, ServiceError>;

    /// Moves a request along its timeline (a station opened the valve, a repair is done).
    async fn advance_request(&self, update: &StatusUpdate) -> Result<ServiceRequest, ServiceError>;

    async fn halls(&self) -> Result<Vec<Hall>, ServiceError>;

    /// Open requests a station does on site (`STATION_KINDS`) on accounts in `district`
    /// (`None`: every district), urgent ones first, then the oldest first.
    async fn work_orders(&self, district: Option<&str>) -> Result<Vec<WorkOrder>, ServiceError>;
}

/// Where the service API is. An empty `url` means the built-in service on heatdesk's own
/// database; otherwise `url` is the base of the contract, e.g.
/// `https://crm.example/api/service/v1`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServiceSettings {
    pub url: String,
    /// Bearer token: sent by the client, and required by the reference server when set.
    pub token: Secret,
    /// Deadline of one call, in milliseconds.
    pub timeout_ms: u64,
    /// Attempts per call, the first included.
    pub retries: u32,
    /// Seconds between two rounds of the outbox worker.
    pub outbox_interval_secs: u64,
}

impl Default for ServiceSettings {
    fn default() -> Self {
        Self {
            url: String::new(),
            token: Secret::default(),
            timeout_ms: 3000,
            retries: 3,
            outbox_interval_secs: 15,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error(transparent)]
    Client(#[from] client::ClientError),
    #[error(transparent)]
    Demo(#[from] demo::DemoError),
}

/// The service API the settings name: the HTTP client when `service.url` is set, else the
/// built-in service (with the demo data loaded on first start when `demo` is on).
pub async fn from_settings(
    settings: &ServiceSettings,
    rules: &Rules,
    demo: bool,
    db: &crate::storage::Database,
) -> Result<std::sync::Arc<dyn ServiceApi>, SetupError> {
    if !settings.url.is_empty() {
        return Ok(std::sync::Arc::new(HttpServiceApi::new(settings)?));
    }
    let builtin = BuiltinService::new(db.clone(), rules.clone());
    if demo {
        demo::load_if_empty(&builtin).await?;
    }
    Ok(std::sync::Arc::new(builtin))
}
