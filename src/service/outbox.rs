//! Writes that could not reach the service API wait here, in heatdesk's own database, and a
//! worker sends them again with their original idempotency key until the API answers, so a
//! resident's request is never lost and never made twice.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use serde::{Deserialize, Serialize};
use sqlx::Row;

use super::{
    AccountNo, IdempotencyKey, NewRequest, RequestKind, ServiceApi, ServiceError, ServiceRequest,
};
use crate::storage::Database;

/// The same statements run on both backends (SQLite reads `$N` placeholders too).
macro_rules! on_pool {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            Database::Sqlite($pool) => $body,
            Database::Postgres($pool) => $body,
        }
    };
}

#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    #[error("outbox database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("outbox payload: {0}")]
    Payload(#[from] serde_json::Error),
}

#[derive(Debug, Clone)]
pub struct Outbox {
    db: Database,
    /// SQLite: whether a resident has anything to be told, without the pool.
    direct: Option<crate::storage::direct::Direct>,
}

/// What became of a request the resident was told would be sent later.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxOutcome {
    pub idempotency_key: IdempotencyKey,
    pub account: AccountNo,
    pub kind: RequestKind,
    pub result: OutboxResult,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutboxResult {
    Created(ServiceRequest),
    /// Refused for good; `code` is a Fluent message id.
    Failed {
        code: String,
    },
}

/// The answer to `submit`: made now, or kept for later.
#[derive(Debug, Clone, PartialEq)]
pub enum Submission {
    Created(ServiceRequest),
    Queued,
}

fn failure_code(e: &ServiceError) -> String {
    match e {
        ServiceError::Refused { code } => code.clone(),
        ServiceError::NotFound => "service-account-not-found".to_owned(),
        ServiceError::Invalid(_) | ServiceError::Unavailable(_) => "service-invalid".to_owned(),
    }
}

impl Outbox {
    pub fn new(db: Database) -> Self {
        Self {
            direct: db.direct(),
            db,
        }
    }

    /// Keeps `new` for sending later on behalf of `owner` (the resident's openid). Enqueuing
    /// the same idempotency key twice keeps one item.
    pub async fn enqueue(&self, owner: &str, new: &NewRequest) -> Result<(), OutboxError> {
        let payload = serde_json::to_string(new)?;
        let now = Utc::now();
        on_pool!(&self.db, pool => {
            sqlx::query(
                "INSERT INTO outbox (owner, idem_key, payload, state, created_at, updated_at) \
                 VALUES ($1, $2, $3, 'pending', $4, $4) ON CONFLICT (idem_key) DO NOTHING",
            )
            .bind(owner)
            .bind(new.idempotency_key.as_str())
            .bind(&payload)
            .bind(now)
            .execute(pool)
            .await?;
        });
        tracing::info!(kind = ?new.kind, account = %new.account.masked(), "request kept in the outbox");
        Ok(())
    }

    /// Sends `new` now; when the API is down or slow, keeps it and answers `Queued`.
    pub async fn submit(
        &self,
        api: &dyn ServiceApi,
        owner: &str,
        new: &NewRequest,
    ) -> Result<Submission, ServiceError> {
        match api.create_request(new).await {
            Ok(req) => Ok(Submission::Created(req)),
            Err(e) if e.is_transient() => match self.enqueue(owner, new).await {
                Ok(()) => Ok(Submission::Queued),
                Err(err) => {
                    tracing::error!(error = %err, "cannot keep a request in the outbox");
                    Err(e)
                }
            },
            Err(e) => Err(e),
        }
    }

    /// Items still waiting to be sent.
    pub async fn pending(&self) -> Result<i64, OutboxError> {
        let n: i64 = on_pool!(&self.db, pool => {
            sqlx::query("SELECT COUNT(*) AS n FROM outbox WHERE state = 'pending'")
                .fetch_one(pool)
                .await?
                .try_get("n")?
        });
        Ok(n)
    }

    /// When the oldest item still waiting was kept, if any.
    pub async fn oldest_pending(&self) -> Result<Option<chrono::DateTime<Utc>>, OutboxError> {
        let at = on_pool!(&self.db, pool => {
            sqlx::query_scalar("SELECT created_at FROM outbox WHERE state = 'pending' ORDER BY id LIMIT 1")
                .fetch_optional(pool)
                .await?
        });
        Ok(at)
    }

    /// Tries every pending item once; returns how many were settled (done or failed).
    pub async fn run_once(&self, api: &dyn ServiceApi) -> Result<usize, OutboxError> {
        let items: Vec<(i64, String)> = on_pool!(&self.db, pool => {
            sqlx::query("SELECT id, payload FROM outbox WHERE state = 'pending' ORDER BY id LIMIT 50")
                .fetch_all(pool)
                .await?
                .iter()
                .map(|r| Ok((r.try_get("id")?, r.try_get("payload")?)))
                .collect::<Result<_, sqlx::Error>>()?
        });
        let mut settled = 0;
        for (id, payload) in items {
            let new: NewRequest = serde_json::from_str(&payload)?;
            let (state, outcome, error) = match api.create_request(&new).await {
                Ok(req) => ("done", Some(OutboxResult::Created(req)), None),
                Err(e) if e.is_transient() => ("pending", None, Some(e.to_string())),
                Err(e) => (
                    "failed",
                    Some(OutboxResult::Failed {
                        code: failure_code(&e),
                    }),
                    None,
                ),
            };
            let outcome = outcome.map(|o| serde_json::to_string(&o)).transpose()?;
            if state != "pending" {
                settled += 1;
                tracing::info!(outbox_id = id, state, "outbox item settled");
            }
            on_pool!(&self.db, pool => {
                sqlx::query(
                    "UPDATE outbox SET state = $1, outcome = $2, last_error = $3, \
                     attempts = attempts + 1, updated_at = $4 WHERE id = $5",
                )
                .bind(state)
                .bind(outcome.as_deref())
                .bind(error.as_deref())
                .bind(Utc::now())
                .bind(id)
                .execute(pool)
                .await?;
            });
        }
        Ok(settled)
    }

    /// Sends pending items every `interval` until the task is dropped or aborted.
    pub fn spawn_worker(
        &self,
        api: Arc<dyn ServiceApi>,
        interval: Duration,
    ) -> tokio::task::JoinHandle<()> {
        let outbox = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(interval);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                if let Err(e) = outbox.run_once(api.as_ref()).await {
                    tracing::warn!(error = %e, "outbox round failed");
                }
            }
        })
    }

    /// Settled items of `owner` not yet told to them, oldest first; each is returned once.
    pub async fn take_finished(&self, owner: &str) -> Result<Vec<OutboxOutcome>, OutboxError> {
        // Asked at every message, and nearly always nothing: that needs no trip to the pool.
        let nothing = self.direct.as_ref().and_then(|d| {
            d.read(|c| {
                let mut stmt = crate::storage::direct::prepare(
                    c,
                    "SELECT 1 FROM outbox WHERE owner = $1 AND state <> 'pending' AND reported = 0 LIMIT 1",
                    &[&owner],
                )?;
                let none = stmt.raw_query().next()?.is_none();
                Ok(none)
            })
        });
        if nothing == Some(true) {
            return Ok(Vec::new());
        }
        let mut rows: Vec<(i64, String, String)> = on_pool!(&self.db, pool => {
            sqlx::query(
                "UPDATE outbox SET reported = 1, updated_at = $2 \
                 WHERE owner = $1 AND state <> 'pending' AND reported = 0 \
                 RETURNING id, payload, outcome",
            )
            .bind(owner)
            .bind(Utc::now())
            .fetch_all(pool)
            .await?
            .iter()
            .map(|r| Ok((r.try_get("id")?, r.try_get("payload")?, r.try_get("outcome")?)))
            .collect::<Result<_, sqlx::Error>>()?
        });
        rows.sort_by_key(|r| r.0);
        rows.into_iter()
            .map(|(_, payload, outcome)| {
                let new: NewRequest = serde_json::from_str(&payload)?;
                Ok(OutboxOutcome {
                    idempotency_key: new.idempotency_key,
                    account: new.account,
                    kind: new.kind,
                    result: serde_json::from_str(&outcome)?,
                })
            })
            .collect()
    }
}
