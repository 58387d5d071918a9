//! Notices in the database (the `notices` table: held notices since 0005, an outbox since
//! 0016). The statements are portable, so one body serves SQLite and PostgreSQL.

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Row;

use super::settings::{Field, Purpose};
use super::Notice;
use crate::storage::Database;

#[derive(Debug, thiserror::Error)]
pub enum NoticeError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("stored value: {0}")]
    Decode(String),
}

/// How a notice reached its resident.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Done {
    /// As a customer-service message, inside the 48-hour window.
    Sent,
    /// As a template message, outside it.
    Template,
    /// Neither could: told at the resident's next message.
    Held,
}

impl Done {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sent => "sent",
            Self::Template => "template",
            Self::Held => "held",
        }
    }
}

/// A notice an instance claimed and now delivers.
#[derive(Debug, Clone, PartialEq)]
pub struct Claimed {
    pub id: i64,
    pub key: String,
    pub user: String,
    pub purpose: Purpose,
    pub text: String,
    pub fields: BTreeMap<Field, String>,
}

/// A notice as kept, for the desk and tests.
#[derive(Debug, Clone, PartialEq)]
pub struct NoticeRecord {
    pub id: i64,
    pub key: Option<String>,
    pub purpose: Option<Purpose>,
    pub text: String,
    /// `pending`, `held`, `told`, `sent` or `template`.
    pub status: String,
    pub attempts: i64,
    /// Why a way of delivery failed.
    pub detail: Option<String>,
}

#[async_trait]
pub trait NoticeStore: Send + Sync + std::fmt::Debug + 'static {
    /// Keeps a notice to deliver; the id of the one already made when its key and
    /// resident were seen before (whatever became of it).
    async fn enqueue(&self, notice: &Notice, at: DateTime<Utc>) -> Result<i64, NoticeError>;

    /// Claims a pending notice until `lease_until` (epoch ms) unless another claim on it
    /// still runs at `now` (epoch ms) or it is finished.
    async fn claim(
        &self,
        id: i64,
        lease_until: i64,
        now: i64,
    ) -> Result<Option<Claimed>, NoticeError>;

    /// Pending notices nobody holds a live claim on at `now`, oldest first.
    async fn due(&self, now: i64, limit: i64) -> Result<Vec<i64>, NoticeError>;

    /// Records how the notice went; `false` when it was not pending any more.
    async fn finish(
        &self,
        id: i64,
        done: Done,
        detail: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<bool, NoticeError>;

    /// The resident's notices, oldest first.
    async fn for_user(&self, user: &str) -> Result<Vec<NoticeRecord>, NoticeError>;
}

pub fn store_for(db: &Database) -> std::sync::Arc<dyn NoticeStore> {
    match db {
        Database::Sqlite(pool) => std::sync::Arc::new(SqliteNotices { pool: pool.clone() }),
        Database::Postgres(pool) => std::sync::Arc::new(PgNotices { pool: pool.clone() }),
    }
}

const ENQUEUE: &str = "INSERT INTO notices (notice_key, user_id, purpose, text, fields, status, \
     created_at) VALUES ($1, $2, $3, $4, $5, 'pending', $6) \
     ON CONFLICT (notice_key, user_id) DO NOTHING RETURNING id";
const BY_KEY: &str = "SELECT id FROM notices WHERE notice_key = $1 AND user_id = $2";
const CLAIM: &str = "UPDATE notices SET lease_until = $2, attempts = attempts + 1 \
     WHERE id = $1 AND status = 'pending' AND (lease_until IS NULL OR lease_until < $3) \
     RETURNING id, notice_key, user_id, purpose, text, fields";
const DUE: &str = "SELECT id FROM notices WHERE status = 'pending' \
     AND (lease_until IS NULL OR lease_until < $1) ORDER BY id LIMIT $2";
const FINISH: &str = "UPDATE notices SET status = $2, detail = $3, done_at = $4, \
     lease_until = NULL WHERE id = $1 AND status = 'pending'";
const FOR_USER: &str = "SELECT id, notice_key, purpose, text, status, attempts, detail \
     FROM notices WHERE user_id = $1 ORDER BY id";

fn decode(e: impl std::fmt::Display) -> NoticeError {
    NoticeError::Decode(e.to_string())
}

macro_rules! impl_store {
    ($name:ident, $pool:ty, $row:ty) => {
        #[derive(Debug, Clone)]
        struct $name {
            pool: $pool,
        }

        impl $name {
            fn claimed(r: &$row) -> Result<Claimed, NoticeError> {
                let purpose: Option<String> = r.try_get("purpose")?;
                let fields: Option<String> = r.try_get("fields")?;
                let key: Option<String> = r.try_get("notice_key")?;
                Ok(Claimed {
                    id: r.try_get("id")?,
                    key: key.unwrap_or_default(),
                    user: r.try_get("user_id")?,
                    purpose: purpose
                        .as_deref()
                        .and_then(Purpose::parse)
                        .ok_or_else(|| decode(format!("purpose {purpose:?}")))?,
                    text: r.try_get("text")?,
                    fields: match fields {
                        Some(f) => serde_json::from_str(&f).map_err(decode)?,
                        None => BTreeMap::new(),
                    },
                })
            }
        }

        #[async_trait]
        impl NoticeStore for $name {
            async fn enqueue(&self, n: &Notice, at: DateTime<Utc>) -> Result<i64, NoticeError> {
                let fields = serde_json::to_string(&n.fields).map_err(decode)?;
                let made = sqlx::query(ENQUEUE)
                    .bind(&n.key)
                    .bind(&n.user)
                    .bind(n.purpose.as_str())
                    .bind(&n.text)
                    .bind(fields)
                    .bind(at)
                    .fetch_optional(&self.pool)
                    .await?;
                let row = match made {
                    Some(row) => row,
                    None => {
                        sqlx::query(BY_KEY)
                            .bind(&n.key)
                            .bind(&n.user)
                            .fetch_one(&self.pool)
                            .await?
                    }
                };
                Ok(row.try_get("id")?)
            }

            async fn claim(
                &self,
                id: i64,
                lease_until: i64,
                now: i64,
            ) -> Result<Option<Claimed>, NoticeError> {
                let row = sqlx::query(CLAIM)
                    .bind(id)
                    .bind(lease_until)
                    .bind(now)
                    .fetch_optional(&self.pool)
                    .await?;
                row.as_ref().map(Self::claimed).transpose()
            }

            async fn due(&self, now: i64, limit: i64) -> Result<Vec<i64>, NoticeError> {
                let rows = sqlx::query(DUE)
                    .bind(now)
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter().map(|r| Ok(r.try_get("id")?)).collect()
            }

            async fn finish(
                &self,
                id: i64,
                done: Done,
                detail: Option<&str>,
                at: DateTime<Utc>,
            ) -> Result<bool, NoticeError> {
                let changed = sqlx::query(FINISH)
                    .bind(id)
                    .bind(done.as_str())
                    .bind(detail)
                    .bind(at)
                    .execute(&self.pool)
                    .await?;
                Ok(changed.rows_affected() == 1)
            }

            async fn for_user(&self, user: &str) -> Result<Vec<NoticeRecord>, NoticeError> {
                let rows = sqlx::query(FOR_USER)
                    .bind(user)
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter()
                    .map(|r| {
                        let purpose: Option<String> = r.try_get("purpose")?;
                        Ok(NoticeRecord {
                            id: r.try_get("id")?,
                            key: r.try_get("notice_key")?,
                            purpose: purpose.as_deref().and_then(Purpose::parse),
                            text: r.try_get("text")?,
                            status: r.try_get("status")?,
                            attempts: r.try_get("attempts")?,
                            detail: r.try_get("detail")?,
                        })
                    })
                    .collect()
            }
        }
    };
}

impl_store!(SqliteNotices, sqlx::SqlitePool, sqlx::sqlite::SqliteRow);
impl_store!(PgNotices, sqlx::PgPool, sqlx::postgres::PgRow);
