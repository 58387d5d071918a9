//! The built-in service's storage: one trait, and one body of code shared by both backends
//! through a macro, so each backend file holds only its own SQL.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::service::{
    Account, AccountNo, AccountStatus, Bill, Hall, IdempotencyKey, Payment, RequestId, RequestKind,
    RequestStatus, ServiceRequest, TimelineEvent, WorkOrder,
};

/// An account with what proves a resident may see it. Never leaves the service.
#[derive(Clone)]
pub(crate) struct Holder {
    pub account: Account,
    pub name: String,
    pub phone: String,
}

impl std::fmt::Debug for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Holder")
            .field("account", &self.account.no.masked())
            .finish_non_exhaustive()
    }
}

/// The first response to an idempotency key and what the call looked like.
#[derive(Debug, Clone)]
pub(crate) struct Stored {
    pub fingerprint: String,
    pub response: String,
}

/// What a request or a status change does to its account.
#[derive(Debug, Clone, Default)]
pub(crate) struct Effect {
    pub status: Option<AccountStatus>,
    pub area_m2: Option<f64>,
}

#[derive(Debug, Clone)]
pub(crate) struct NewRow {
    pub account: AccountNo,
    pub kind: RequestKind,
    pub status: RequestStatus,
    pub urgent: bool,
    pub created_at: DateTime<Utc>,
    pub details: serde_json::Value,
    pub timeline: Vec<TimelineEvent>,
    pub effect: Effect,
}

/// A status change: `request` is the request as it will be after it.
#[derive(Debug, Clone)]
pub(crate) struct StatusChange {
    pub from: RequestStatus,
    pub event: TimelineEvent,
    pub effect: Effect,
    pub request: ServiceRequest,
}

#[derive(Debug)]
pub(crate) enum Written {
    Fresh(ServiceRequest),
    /// The key was claimed first by another call: its response.
    Replay(Stored),
    /// The request changed status meanwhile.
    Conflict,
}

#[async_trait]
pub(crate) trait Repo: Send + Sync + std::fmt::Debug {
    async fn account(&self, no: &AccountNo) -> Result<Option<Holder>, sqlx::Error>;
    async fn bills(&self, no: &AccountNo) -> Result<Vec<Bill>, sqlx::Error>;
    async fn payments(&self, no: &AccountNo) -> Result<Vec<Payment>, sqlx::Error>;
    async fn requests(&self, no: &AccountNo) -> Result<Vec<ServiceRequest>, sqlx::Error>;
    async fn request(&self, id: &RequestId) -> Result<Option<ServiceRequest>, sqlx::Error>;
    async fn halls(&self) -> Result<Vec<Hall>, sqlx::Error>;
    /// Requests of `kinds` not in a `closed` status, on accounts in `district` (any when
    /// `None`), urgent first, then oldest first.
    async fn work_orders(
        &self,
        district: Option<&str>,
        kinds: &[RequestKind],
        closed: &[RequestStatus],
    ) -> Result<Vec<WorkOrder>, sqlx::Error>;
    async fn replay(&self, key: &IdempotencyKey) -> Result<Option<Stored>, sqlx::Error>;
    /// Stores a response for `key`; `Some(first)` when the key already had one.
    async fn remember(
        &self,
        key: &IdempotencyKey,
        s: &Stored,
    ) -> Result<Option<Stored>, sqlx::Error>;
    async fn insert_request(
        &self,
        key: &IdempotencyKey,
        fingerprint: &str,
        row: NewRow,
    ) -> Result<Written, sqlx::Error>;
    async fn apply_status(
        &self,
        key: &IdempotencyKey,
        fingerprint: &str,
        change: StatusChange,
    ) -> Result<Written, sqlx::Error>;
    async fn count_accounts(&self) -> Result<i64, sqlx::Error>;
    async fn insert_account(&self, h: &Holder) -> Result<(), sqlx::Error>;
    async fn insert_bill(&self, no: &AccountNo, b: &Bill) -> Result<(), sqlx::Error>;
    async fn insert_payment(&self, no: &AccountNo, p: &Payment) -> Result<(), sqlx::Error>;
    async fn insert_hall(&self, h: &Hall) -> Result<(), sqlx::Error>;
}

/// The SQL one backend speaks, statement by statement.
pub(crate) struct Sql {
    pub account: &'static str,
    pub bills: &'static str,
    pub payments: &'static str,
    pub requests_of: &'static str,
    pub request: &'static str,
    pub events_of_account: &'static str,
    pub events_of_request: &'static str,
    pub halls: &'static str,
    /// Binds the kinds and the closed statuses as JSON arrays of names, then the district
    /// (NULL for every district).
    pub work_orders: &'static str,
    /// Binds the request ids as a JSON array.
    pub events_of_requests: &'static str,
    pub replay: &'static str,
    pub claim: &'static str,
    pub set_response: &'static str,
    pub next_seq: &'static str,
    pub insert_request: &'static str,
    pub insert_event: &'static str,
    pub update_status: &'static str,
    pub set_account_status: &'static str,
    pub set_account_area: &'static str,
    pub count_accounts: &'static str,
    pub insert_account: &'static str,
    pub insert_bill: &'static str,
    pub insert_payment: &'static str,
    pub insert_hall: &'static str,
}

/// Enum values are stored as their snake_case JSON names.
pub(crate) fn enum_str<T: serde::Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

pub(crate) fn enum_parse<T: serde::de::DeserializeOwned>(s: &str) -> Result<T, sqlx::Error> {
    serde_json::from_value(serde_json::Value::String(s.to_owned()))
        .map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

pub(crate) fn parse_id<T, E: std::error::Error + Send + Sync + 'static>(
    r: Result<T, E>,
) -> Result<T, sqlx::Error> {
    r.map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

pub(crate) fn json_text(v: &serde_json::Value) -> String {
    v.to_string()
}

/// Enum values as a JSON array of their stored names, bound as one parameter: both
/// backends expand it in SQL, so a list of any length is one statement.
pub(crate) fn enum_list<T: serde::Serialize>(values: &[T]) -> String {
    let names: Vec<String> = values.iter().map(enum_str).collect();
    serde_json::Value::from(names).to_string()
}

pub(crate) fn request_id(day: &str, n: i64) -> Result<RequestId, sqlx::Error> {
    parse_id(RequestId::parse(format!("R{day}{n:05}")))
}

pub(crate) fn id_day(at: DateTime<Utc>) -> String {
    crate::service::rules::today_in_shanghai(at)
        .format("%Y%m%d")
        .to_string()
}

pub(crate) fn encode_err(e: crate::service::ServiceError) -> sqlx::Error {
    sqlx::Error::Encode(Box::new(e))
}
