//! Complaint cases in the database. The statements are portable (`$N` placeholders,
//! `ON CONFLICT`, `RETURNING`), so one body serves SQLite and PostgreSQL; the schemas are
//! per backend (`migrations/<backend>/0013_complaints.sql`).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Row;

use super::model::{Case, CaseEvent, CaseStatus, Category, EventKind, NewCase};
use crate::storage::direct::WriterOf;
use crate::storage::Database;

#[derive(Debug, thiserror::Error)]
pub enum ComplaintError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("stored value: {0}")]
    Decode(String),
    /// The case is not in a state that allows this (closed already, not closed yet…).
    #[error("the case does not allow this now")]
    Conflict,
    #[error("no such case")]
    NotFound,
    #[error("{0}")]
    Invalid(String),
}

/// Which cases a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listing {
    /// Open cases, the nearest deadline first.
    Open,
    /// Closed cases, the latest first (at most this many).
    Closed(i64),
}

#[async_trait]
pub trait ComplaintStore: Send + Sync + std::fmt::Debug + 'static {
    /// Opens a case, or finds the one opened with the same key; `true` when it is new.
    async fn open(&self, new: &NewCase) -> Result<(Case, bool), ComplaintError>;

    async fn get(&self, id: i64) -> Result<Option<Case>, ComplaintError>;

    async fn list(&self, which: Listing) -> Result<Vec<Case>, ComplaintError>;

    /// The resident's cases, newest first.
    async fn for_user(&self, user: &str) -> Result<Vec<Case>, ComplaintError>;

    async fn events(&self, id: i64) -> Result<Vec<CaseEvent>, ComplaintError>;

    /// A line in the timeline of an existing case.
    async fn add_event(&self, id: i64, e: &CaseEvent) -> Result<(), ComplaintError>;

    /// Changes an open case with `set` (`$2`, `$3`… are `binds`) and records `e`; `false`
    /// when the case is not open or `guard` (an extra condition) does not hold.
    async fn change(
        &self,
        id: i64,
        set: &str,
        guard: &str,
        binds: &[Bind],
        e: &CaseEvent,
    ) -> Result<bool, ComplaintError>;

    /// Open cases past a deadline that the desk has not been told of yet: marked as told
    /// (with a timeline line) and returned, so each is announced once whichever instance
    /// looks first.
    async fn mark_overdue(&self, now: DateTime<Utc>) -> Result<Vec<i64>, ComplaintError>;

    /// The resident's closed case whose follow-up question was sent and not answered.
    async fn awaiting_follow_up(&self, user: &str) -> Result<Option<i64>, ComplaintError>;
}

/// A value for `ComplaintStore::change`.
#[derive(Debug, Clone, PartialEq)]
pub enum Bind {
    Int(i64),
    Text(String),
    At(DateTime<Utc>),
}

pub fn store_for(db: &Database) -> std::sync::Arc<dyn ComplaintStore> {
    match db {
        Database::Sqlite(pool) => std::sync::Arc::new(SqliteComplaints {
            pool: pool.clone(),
            writer: pool.writer(),
        }),
        Database::Postgres(pool) => std::sync::Arc::new(PgComplaints {
            pool: pool.clone(),
            writer: pool.writer(),
        }),
    }
}

const COLUMNS: &str = "c.id, c.user_id, c.account, c.district, c.words, c.category, c.channel, \
     c.status, c.owner, u.display_name AS owner_name, c.handoff_id, c.opened_at, c.contact_by, \
     c.resolve_by, c.contacted_at, c.closed_at, c.outcome, c.overdue_at, c.follow_up_due, \
     c.followed_up_at, c.satisfaction, c.follow_up_note";
const FROM: &str = "FROM complaints c LEFT JOIN desk_users u ON u.id = c.owner";

// What `Complaints::act` changes (`$1` is the case's id), and when it may.
pub(super) const OPEN: &str = "status = 'open'";
pub(super) const NOT_CONTACTED: &str = "status = 'open' AND contacted_at IS NULL";
pub(super) const AWAITING_FOLLOW_UP: &str = "status = 'closed' AND followed_up_at IS NULL";
pub(super) const TAKE: &str = "owner = $2";
// The contact deadline is met: the resolution deadline is announced when it passes.
pub(super) const CONTACTED: &str = "contacted_at = $2, overdue_at = NULL";
pub(super) const CATEGORISE: &str = "category = $2";
// A resident of WeChat is sent the outcome with the follow-up question at once.
pub(super) const CLOSE: &str = "status = 'closed', closed_at = $2, closed_by = $3, outcome = $4, \
     follow_up_due = $5, contacted_at = COALESCE(contacted_at, $2), \
     follow_up_asked_at = CASE WHEN user_id IS NULL THEN NULL ELSE $2 END";
pub(super) const FOLLOW_UP: &str = "followed_up_at = $2, satisfaction = $3, follow_up_note = $4";

const INSERT: &str = "INSERT INTO complaints (source_key, user_id, account, district, words, \
     category, channel, status, owner, handoff_id, opened_at, contact_by, resolve_by) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, 'open', $8, $9, $10, $11, $12) \
     ON CONFLICT (source_key) DO NOTHING RETURNING id";
const BY_KEY: &str = "SELECT id FROM complaints WHERE source_key = $1";
const EVENT: &str = "INSERT INTO complaint_events (complaint_id, at, kind, author, note) \
     VALUES ($1, $2, $3, $4, $5)";
const EVENTS: &str = "SELECT at, kind, author, note FROM complaint_events \
     WHERE complaint_id = $1 ORDER BY at, id";
const AWAITING: &str = "SELECT id FROM complaints WHERE user_id = $1 AND status = 'closed' \
     AND follow_up_asked_at IS NOT NULL AND followed_up_at IS NULL \
     ORDER BY closed_at DESC, id DESC LIMIT 1";
const OVERDUE: &str = "UPDATE complaints SET overdue_at = $1 WHERE status = 'open' \
     AND overdue_at IS NULL AND (resolve_by < $1 OR (contacted_at IS NULL AND contact_by < $1)) \
     RETURNING id";

fn decode_err(e: impl std::fmt::Display) -> ComplaintError {
    ComplaintError::Decode(e.to_string())
}

macro_rules! impl_store {
    ($name:ident, $pool:ty, $row:ty, $db:ty) => {
        #[derive(Debug, Clone)]
        struct $name {
            pool: $pool,
            /// SQLite: the reply path's writer, held while a transaction here writes (its
            /// batches would otherwise keep the pool's transaction polling for the lock).
            writer: Option<crate::storage::direct::Direct>,
        }

        impl $name {
            fn case(r: &$row) -> Result<Case, ComplaintError> {
                let category: String = r.try_get("category")?;
                let status: String = r.try_get("status")?;
                Ok(Case {
                    id: r.try_get("id")?,
                    user: r.try_get("user_id")?,
                    account: r.try_get("account")?,
                    district: r.try_get("district")?,
                    words: r.try_get("words")?,
                    category: Category::parse(&category)
                        .ok_or_else(|| decode_err(format!("category `{category}`")))?,
                    channel: r.try_get("channel")?,
                    status: CaseStatus::parse(&status)
                        .ok_or_else(|| decode_err(format!("status `{status}`")))?,
                    owner: r.try_get("owner")?,
                    owner_name: r.try_get("owner_name")?,
                    handoff: r.try_get("handoff_id")?,
                    opened_at: r.try_get("opened_at")?,
                    contact_by: r.try_get("contact_by")?,
                    resolve_by: r.try_get("resolve_by")?,
                    contacted_at: r.try_get("contacted_at")?,
                    closed_at: r.try_get("closed_at")?,
                    outcome: r.try_get("outcome")?,
                    overdue_at: r.try_get("overdue_at")?,
                    follow_up_due: r.try_get("follow_up_due")?,
                    followed_up_at: r.try_get("followed_up_at")?,
                    satisfaction: r.try_get("satisfaction")?,
                    follow_up_note: r.try_get("follow_up_note")?,
                })
            }

            async fn select(
                &self,
                filter: &str,
                bind: Option<Bind>,
            ) -> Result<Vec<Case>, ComplaintError> {
                let sql = format!("SELECT {COLUMNS} {FROM} {filter}");
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()));
                match bind {
                    Some(Bind::Int(i)) => q = q.bind(i),
                    Some(Bind::Text(t)) => q = q.bind(t),
                    Some(Bind::At(t)) => q = q.bind(t),
                    None => {}
                }
                let rows = q.fetch_all(&self.pool).await?;
                rows.iter().map(Self::case).collect()
            }

            async fn event_in<'c, E>(exec: E, id: i64, e: &CaseEvent) -> Result<(), ComplaintError>
            where
                E: sqlx::Executor<'c, Database = $db>,
            {
                sqlx::query(EVENT)
                    .bind(id)
                    .bind(e.at)
                    .bind(e.kind.as_str())
                    .bind(e.author.clone())
                    .bind(e.note.clone())
                    .execute(exec)
                    .await?;
                Ok(())
            }
        }

        #[async_trait]
        impl ComplaintStore for $name {
            async fn open(&self, new: &NewCase) -> Result<(Case, bool), ComplaintError> {
                let _paused = crate::storage::direct::pause(self.writer.as_ref()).await;
                let mut tx = self.pool.begin().await?;
                let inserted = sqlx::query(INSERT)
                    .bind(&new.source_key)
                    .bind(new.user.clone())
                    .bind(new.account.clone())
                    .bind(new.district.clone())
                    .bind(&new.words)
                    .bind(new.category.as_str())
                    .bind(crate::domain::snake_name(&new.channel))
                    .bind(new.owner)
                    .bind(new.handoff)
                    .bind(new.opened_at)
                    .bind(new.contact_by)
                    .bind(new.resolve_by)
                    .fetch_optional(&mut *tx)
                    .await?;
                let (id, created) = match inserted {
                    Some(r) => (r.try_get::<i64, _>("id")?, true),
                    None => {
                        let r = sqlx::query(BY_KEY)
                            .bind(&new.source_key)
                            .fetch_one(&mut *tx)
                            .await?;
                        (r.try_get::<i64, _>("id")?, false)
                    }
                };
                if created {
                    let e = CaseEvent {
                        at: new.opened_at,
                        kind: EventKind::Opened,
                        author: new.author.clone(),
                        note: None,
                    };
                    Self::event_in(&mut *tx, id, &e).await?;
                }
                tx.commit().await?;
                let case = self.get(id).await?.ok_or(ComplaintError::NotFound)?;
                Ok((case, created))
            }

            async fn get(&self, id: i64) -> Result<Option<Case>, ComplaintError> {
                Ok(self.select("WHERE c.id = $1", Some(Bind::Int(id))).await?.pop())
            }

            async fn list(&self, which: Listing) -> Result<Vec<Case>, ComplaintError> {
                match which {
                    Listing::Open => {
                        // The deadline being worked to: contact first, then resolution.
                        self.select(
                            "WHERE c.status = 'open' ORDER BY CASE WHEN c.contacted_at IS NULL \
                             AND c.contact_by < c.resolve_by THEN c.contact_by ELSE c.resolve_by END, c.id",
                            None,
                        )
                        .await
                    }
                    Listing::Closed(limit) => {
                        self.select(
                            "WHERE c.status = 'closed' ORDER BY c.closed_at DESC, c.id DESC LIMIT $1",
                            Some(Bind::Int(limit)),
                        )
                        .await
                    }
                }
            }

            async fn for_user(&self, user: &str) -> Result<Vec<Case>, ComplaintError> {
                self.select(
                    "WHERE c.user_id = $1 ORDER BY c.opened_at DESC, c.id DESC",
                    Some(Bind::Text(user.to_owned())),
                )
                .await
            }

            async fn events(&self, id: i64) -> Result<Vec<CaseEvent>, ComplaintError> {
                let rows = sqlx::query(EVENTS).bind(id).fetch_all(&self.pool).await?;
                rows.iter()
                    .map(|r| {
                        let kind: String = r.try_get("kind")?;
                        Ok(CaseEvent {
                            at: r.try_get("at")?,
                            kind: EventKind::parse(&kind)
                                .ok_or_else(|| decode_err(format!("event `{kind}`")))?,
                            author: r.try_get("author")?,
                            note: r.try_get("note")?,
                        })
                    })
                    .collect()
            }

            async fn add_event(&self, id: i64, e: &CaseEvent) -> Result<(), ComplaintError> {
                let _paused = crate::storage::direct::pause(self.writer.as_ref()).await;
                Self::event_in(&self.pool, id, e).await
            }

            async fn change(
                &self,
                id: i64,
                set: &str,
                guard: &str,
                binds: &[Bind],
                e: &CaseEvent,
            ) -> Result<bool, ComplaintError> {
                let sql = format!("UPDATE complaints SET {set} WHERE id = $1 AND {guard}");
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.as_str())).bind(id);
                for b in binds {
                    q = match b {
                        Bind::Int(i) => q.bind(*i),
                        Bind::Text(t) => q.bind(t.clone()),
                        Bind::At(t) => q.bind(*t),
                    };
                }
                let _paused = crate::storage::direct::pause(self.writer.as_ref()).await;
                let mut tx = self.pool.begin().await?;
                let done = q.execute(&mut *tx).await?;
                if done.rows_affected() != 1 {
                    return Ok(false);
                }
                Self::event_in(&mut *tx, id, e).await?;
                tx.commit().await?;
                Ok(true)
            }

            async fn awaiting_follow_up(
                &self,
                user: &str,
            ) -> Result<Option<i64>, ComplaintError> {
                let row = sqlx::query(AWAITING)
                    .bind(user)
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(row.map(|r| r.try_get("id")).transpose()?)
            }

            async fn mark_overdue(&self, now: DateTime<Utc>) -> Result<Vec<i64>, ComplaintError> {
                let _paused = crate::storage::direct::pause(self.writer.as_ref()).await;
                let mut tx = self.pool.begin().await?;
                let rows = sqlx::query(OVERDUE).bind(now).fetch_all(&mut *tx).await?;
                let mut ids = Vec::with_capacity(rows.len());
                for r in rows {
                    let id: i64 = r.try_get("id")?;
                    let e = CaseEvent {
                        at: now,
                        kind: EventKind::Overdue,
                        author: None,
                        note: None,
                    };
                    Self::event_in(&mut *tx, id, &e).await?;
                    ids.push(id);
                }
                tx.commit().await?;
                ids.sort_unstable();
                Ok(ids)
            }
        }
    };
}

impl_store!(
    SqliteComplaints,
    sqlx::SqlitePool,
    sqlx::sqlite::SqliteRow,
    sqlx::Sqlite
);
impl_store!(
    PgComplaints,
    sqlx::PgPool,
    sqlx::postgres::PgRow,
    sqlx::Postgres
);
