//! The utility's service API: what heatdesk needs from the business system (accounts,
//! verification, bills and payments, requests with their timeline, halls).
//!
//! One trait, two implementations: an HTTP client for a utility with its own system, and
//! a built-in implementation on heatdesk's database (also served over HTTP at
//! `/api/service/v1`, the contract's reference server).

pub mod types;

use async_trait::async_trait;

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
}
