//! The built-in service: the contract implemented on heatdesk's own database, for a utility
//! without a business system of its own, and the reference server of the contract.
//!
//! Every write first claims its idempotency key in the same transaction as the change
//! (a unique constraint), so a repeated or concurrent call returns the first response.

#[macro_use]
mod generic;
#[macro_use]
mod generic_impl;
mod flow;
mod postgres;
mod repo;
mod sqlite;

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::rules::Rules;
use super::{
    Account, AccountNo, AccountStatus, Bill, Hall, IdempotencyKey, NewRequest, Payment, RequestId,
    RequestStatus, ServiceApi, ServiceError, ServiceRequest, StatusUpdate, Verification, WorkOrder,
    STATION_KINDS,
};
use crate::storage::Database;

pub(crate) use flow::allowed;
pub(crate) use repo::{Effect, Holder, NewRow, Repo, StatusChange, Stored, Written};

/// Where "now" comes from; tests move it to try deadlines and seasons.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

#[derive(Clone)]
pub struct BuiltinService {
    repo: Arc<dyn Repo>,
    rules: Rules,
    clock: Clock,
}

impl std::fmt::Debug for BuiltinService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BuiltinService")
            .field("repo", &self.repo)
            .finish_non_exhaustive()
    }
}

/// The first response to an idempotency key, as stored.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Outcome {
    Done(ServiceRequest),
    Refused { code: String },
}

impl BuiltinService {
    pub fn new(db: Database, rules: Rules) -> Self {
        let repo: Arc<dyn Repo> = match db {
            Database::Sqlite(pool) => Arc::new(sqlite::SqliteRepo::new(pool)),
            Database::Postgres(pool) => Arc::new(postgres::PgRepo::new(pool)),
        };
        Self {
            repo,
            rules,
            clock: Arc::new(Utc::now),
        }
    }

    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    pub fn rules(&self) -> &Rules {
        &self.rules
    }

    pub(crate) fn repo(&self) -> &dyn Repo {
        self.repo.as_ref()
    }

    pub(crate) fn now(&self) -> DateTime<Utc> {
        (self.clock)()
    }

    async fn holder(&self, no: &AccountNo) -> Result<Holder, ServiceError> {
        self.repo
            .account(no)
            .await
            .map_err(db)?
            .ok_or(ServiceError::NotFound)
    }

    /// Returns the stored response for `key`, if the key was used before.
    async fn replay(
        &self,
        key: &IdempotencyKey,
        fingerprint: &str,
    ) -> Result<Option<ServiceRequest>, ServiceError> {
        match self.repo.replay(key).await.map_err(db)? {
            Some(stored) => stored_outcome(&stored, fingerprint).map(Some),
            None => Ok(None),
        }
    }

    async fn refuse(
        &self,
        key: &IdempotencyKey,
        fingerprint: &str,
        code: &str,
    ) -> Result<ServiceRequest, ServiceError> {
        let stored = Stored {
            fingerprint: fingerprint.to_owned(),
            response: to_json(&Outcome::Refused {
                code: code.to_owned(),
            })?,
        };
        match self.repo.remember(key, &stored).await.map_err(db)? {
            Some(first) => stored_outcome(&first, fingerprint),
            None => Err(refused(code)),
        }
    }

    fn written(&self, w: Written, fingerprint: &str) -> Result<ServiceRequest, ServiceError> {
        match w {
            Written::Fresh(req) => Ok(req),
            Written::Replay(stored) => stored_outcome(&stored, fingerprint),
            Written::Conflict => Err(refused("service-status-conflict")),
        }
    }
}

pub(crate) fn refused(code: &str) -> ServiceError {
    ServiceError::Refused {
        code: code.to_owned(),
    }
}

/// Database trouble is the caller's "try later"; the detail stays in the log.
pub(crate) fn db(e: sqlx::Error) -> ServiceError {
    tracing::error!(error = %e, "service database error");
    ServiceError::Unavailable("database".to_owned())
}

fn to_json<T: Serialize>(v: &T) -> Result<String, ServiceError> {
    serde_json::to_string(v).map_err(|e| ServiceError::Unavailable(e.to_string()))
}

pub(crate) fn response_json(req: &ServiceRequest) -> Result<String, ServiceError> {
    to_json(&Outcome::Done(req.clone()))
}

fn fingerprint<T: Serialize>(scope: &str, v: &T) -> Result<String, ServiceError> {
    let body = to_json(v)?;
    Ok(hex::encode(Sha256::digest(format!("{scope}:{body}"))))
}

fn stored_outcome(stored: &Stored, fingerprint: &str) -> Result<ServiceRequest, ServiceError> {
    if stored.fingerprint != fingerprint {
        return Err(refused("service-idempotency-key-reused"));
    }
    match serde_json::from_str(&stored.response) {
        Ok(Outcome::Done(req)) => Ok(req),
        Ok(Outcome::Refused { code }) => Err(refused(&code)),
        // Claimed by a call still running (or one that died mid-way): try again later.
        Err(_) => Err(ServiceError::Unavailable("request in progress".to_owned())),
    }
}

/// Every character but the last hidden: enough for a resident to recognise the account.
pub fn mask_name(name: &str) -> String {
    let n = name.chars().count();
    let last: String = name.chars().skip(n.saturating_sub(1)).collect();
    format!("{}{last}", "*".repeat(n.saturating_sub(1)))
}

fn proof_matches(holder: &Holder, proof: &Verification) -> bool {
    match proof {
        Verification::HolderName(name) => !name.trim().is_empty() && name.trim() == holder.name,
        Verification::PhoneLast4(last4) => {
            let digits: String = holder.phone.chars().filter(char::is_ascii_digit).collect();
            last4.len() == 4 && digits.len() >= 4 && digits.ends_with(last4.as_str())
        }
    }
}

#[async_trait]
impl ServiceApi for BuiltinService {
    async fn account(&self, no: &AccountNo) -> Result<Account, ServiceError> {
        Ok(self.holder(no).await?.account)
    }

    async fn verify(&self, no: &AccountNo, proof: &Verification) -> Result<bool, ServiceError> {
        Ok(proof_matches(&self.holder(no).await?, proof))
    }

    async fn bills(&self, no: &AccountNo) -> Result<Vec<Bill>, ServiceError> {
        self.holder(no).await?;
        self.repo.bills(no).await.map_err(db)
    }

    async fn payments(&self, no: &AccountNo) -> Result<Vec<Payment>, ServiceError> {
        self.holder(no).await?;
        self.repo.payments(no).await.map_err(db)
    }

    async fn create_request(&self, new: &NewRequest) -> Result<ServiceRequest, ServiceError> {
        let fp = fingerprint("create", new)?;
        if let Some(first) = self.replay(&new.idempotency_key, &fp).await? {
            return Ok(first);
        }
        let holder = self.holder(&new.account).await?;
        match self.plan(new, holder).await? {
            Err(code) => self.refuse(&new.idempotency_key, &fp, code).await,
            Ok(row) => {
                let w = self
                    .repo
                    .insert_request(&new.idempotency_key, &fp, row)
                    .await;
                self.written(w.map_err(db)?, &fp)
            }
        }
    }

    async fn requests(&self, no: &AccountNo) -> Result<Vec<ServiceRequest>, ServiceError> {
        self.holder(no).await?;
        self.repo.requests(no).await.map_err(db)
    }

    async fn request(&self, id: &RequestId) -> Result<ServiceRequest, ServiceError> {
        self.repo
            .request(id)
            .await
            .map_err(db)?
            .ok_or(ServiceError::NotFound)
    }

    async fn advance_request(&self, update: &StatusUpdate) -> Result<ServiceRequest, ServiceError> {
        let fp = fingerprint("advance", update)?;
        if let Some(first) = self.replay(&update.idempotency_key, &fp).await? {
            return Ok(first);
        }
        let current = self.request(&update.request).await?;
        match self.transition(current, update) {
            Err(code) => self.refuse(&update.idempotency_key, &fp, code).await,
            Ok(change) => {
                let w = self
                    .repo
                    .apply_status(&update.idempotency_key, &fp, change)
                    .await;
                self.written(w.map_err(db)?, &fp)
            }
        }
    }

    async fn halls(&self) -> Result<Vec<Hall>, ServiceError> {
        self.repo.halls().await.map_err(db)
    }

    async fn work_orders(&self, district: Option<&str>) -> Result<Vec<WorkOrder>, ServiceError> {
        self.repo
            .work_orders(district, &STATION_KINDS, &RequestStatus::CLOSED)
            .await
            .map_err(db)
    }
}

impl Effect {
    pub(crate) fn status(status: AccountStatus) -> Self {
        Self {
            status: Some(status),
            area_m2: None,
        }
    }
}
