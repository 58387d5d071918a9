//! Handoffs in the database: the queue, claims, closing and the resident's rating. The
//! statements are portable (`$N` placeholders, `ON CONFLICT`), so one body serves SQLite
//! and PostgreSQL; the schemas are per backend (`migrations/<backend>/0006_desk.sql`).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::Row;

use crate::domain::{EscalationReason, IntentId};
use crate::storage::Database;
use crate::transcript::Snapshot;

#[derive(Debug, thiserror::Error)]
pub enum HandoffError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("stored value: {0}")]
    Decode(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// In the queue, no agent yet: the bot still answers.
    Waiting,
    /// An agent owns the conversation: the bot is silent.
    Claimed,
    Closed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Waiting => "waiting",
            Self::Claimed => "claimed",
            Self::Closed => "closed",
        }
    }

    fn parse(s: &str) -> Result<Self, HandoffError> {
        match s {
            "waiting" => Ok(Self::Waiting),
            "claimed" => Ok(Self::Claimed),
            "closed" => Ok(Self::Closed),
            other => Err(HandoffError::Decode(format!("status `{other}`"))),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewHandoff {
    pub user: String,
    pub reason: EscalationReason,
    pub priority: i64,
    pub intent: Option<IntentId>,
    pub confidence: Option<f32>,
    pub snapshot: Snapshot,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Handoff {
    pub id: i64,
    pub user: String,
    pub status: Status,
    pub reason: EscalationReason,
    pub priority: i64,
    pub intent: Option<IntentId>,
    pub confidence: Option<f32>,
    pub snapshot: Snapshot,
    pub created_at: DateTime<Utc>,
    pub claimed_by: Option<i64>,
    /// The claiming agent's display name.
    pub agent: Option<String>,
    pub claimed_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub resolution: Option<String>,
    pub note: Option<String>,
    pub rating: Option<i64>,
}

/// How handoffs went over a period, for the office: why residents were handed over, how
/// agents closed them, and what residents thought of it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HandoffStats {
    /// Handoffs opened in the period per reason, most frequent first.
    pub by_reason: Vec<(EscalationReason, i64)>,
    /// Handoffs closed in the period per resolution code, most frequent first.
    pub by_resolution: Vec<(String, i64)>,
    /// Ratings of handoffs closed in the period: how many residents gave 1, 2, … 5.
    pub ratings: [i64; 5],
}

impl HandoffStats {
    pub fn rated(&self) -> i64 {
        self.ratings.iter().sum()
    }

    /// `None` before the first rating.
    pub fn average_rating(&self) -> Option<f64> {
        let n = self.rated();
        let sum: i64 = self.ratings.iter().zip(1..).map(|(c, r)| c * r).sum();
        (n > 0).then(|| sum as f64 / n as f64)
    }
}

/// The result of an escalation: a new handoff, or the resident's open one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Opened {
    pub id: i64,
    pub created: bool,
}

/// Which open handoffs a queue screen lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QueueFilter {
    All,
    /// Waiting for an agent.
    Unassigned,
    /// Claimed by this agent.
    ClaimedBy(i64),
}

impl QueueFilter {
    /// The filter's two parameters in the queue's statements: which kind, and the agent.
    fn params(self) -> (&'static str, i64) {
        match self {
            Self::All => ("all", 0),
            Self::Unassigned => ("unassigned", 0),
            Self::ClaimedBy(agent) => ("mine", agent),
        }
    }
}

/// One card of the queue: the handoff without its context snapshot, and the glance an agent
/// needs to pick it.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueCard {
    pub id: i64,
    pub user: String,
    pub status: Status,
    pub reason: EscalationReason,
    pub priority: i64,
    pub intent: Option<IntentId>,
    pub confidence: Option<f32>,
    pub created_at: DateTime<Utc>,
    pub claimed_by: Option<i64>,
    /// The claiming agent's display name.
    pub agent: Option<String>,
    /// What the resident last wrote.
    pub last_words: Option<String>,
    /// Lines the resident wrote since a person last answered (all of them, if nobody has),
    /// up to `UNREAD_CAP`.
    pub unread: i64,
    /// The first account the resident bound: WeChat no longer tells a follower's nickname.
    pub account: Option<String>,
}

/// Where a card's count of unread lines stops.
pub const UNREAD_CAP: i64 = 100;

/// The top of the queue and its counts, read together.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QueueView {
    /// Open handoffs waiting for an agent.
    pub waiting: i64,
    /// Open handoffs, waiting or claimed.
    pub open: i64,
    /// Open handoffs the filter keeps; `cards` holds the first of them.
    pub listed: i64,
    /// Highest priority first, then the oldest.
    pub cards: Vec<QueueCard>,
}

#[async_trait]
pub trait HandoffStore: Send + Sync + std::fmt::Debug + 'static {
    /// Opens a handoff, or joins the resident's open one (raising its priority if this
    /// reason is more urgent).
    async fn open(&self, new: &NewHandoff) -> Result<Opened, HandoffError>;

    async fn get(&self, id: i64) -> Result<Option<Handoff>, HandoffError>;

    /// The resident's handoff that is not closed.
    async fn open_for(&self, user: &str) -> Result<Option<Handoff>, HandoffError>;

    /// The id and status of the resident's handoff that is not closed: what every message
    /// of a resident asks first.
    async fn open_status(&self, user: &str) -> Result<Option<(i64, Status)>, HandoffError>;

    /// Waiting and claimed handoffs: highest priority first, then the oldest.
    async fn queue(&self) -> Result<Vec<Handoff>, HandoffError>;

    /// The first `limit` open handoffs `filter` keeps, each with its glance (last words,
    /// unread lines, bound account), and the queue's counts: one read whatever the queue's
    /// length, for a page agents keep open and refresh on every change.
    async fn queue_view(&self, filter: QueueFilter, limit: i64) -> Result<QueueView, HandoffError>;

    /// Recently closed handoffs, newest first.
    async fn closed(&self, limit: i64) -> Result<Vec<Handoff>, HandoffError>;

    /// 1 for the next handoff an agent will take.
    async fn position(&self, id: i64) -> Result<i64, HandoffError>;

    /// `false` when it is not waiting (another agent was quicker).
    async fn claim(&self, id: i64, agent: i64, at: DateTime<Utc>) -> Result<bool, HandoffError>;

    /// Back to the queue; `false` unless `agent` owns it.
    async fn release(&self, id: i64, agent: i64) -> Result<bool, HandoffError>;

    /// To another agent; `false` unless `from` owns it.
    async fn transfer(
        &self,
        id: i64,
        from: i64,
        to: i64,
        at: DateTime<Utc>,
    ) -> Result<bool, HandoffError>;

    /// `false` unless `agent` owns it.
    async fn close(
        &self,
        id: i64,
        agent: i64,
        resolution: &str,
        note: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, HandoffError>;

    /// The resident's rating of a closed handoff, once.
    async fn rate(&self, id: i64, rating: i64, at: DateTime<Utc>) -> Result<bool, HandoffError>;

    /// Handoffs opened (reasons) and closed (resolutions, ratings) since `since`.
    async fn stats(&self, since: DateTime<Utc>) -> Result<HandoffStats, HandoffError>;
}

pub fn store_for(db: &Database) -> std::sync::Arc<dyn HandoffStore> {
    match db {
        Database::Sqlite(pool) => std::sync::Arc::new(SqliteHandoffs {
            pool: pool.clone(),
            direct: db.direct(),
        }),
        Database::Postgres(pool) => std::sync::Arc::new(PgHandoffs {
            pool: pool.clone(),
            direct: None,
        }),
    }
}

const COLUMNS: &str = "h.id, h.user_id, h.status, h.reason, h.priority, h.intent, h.confidence, \
     h.context, h.created_at, h.claimed_by, u.display_name AS agent, h.claimed_at, h.closed_at, \
     h.resolution, h.note, h.rating";
const FROM: &str = "FROM handoffs h LEFT JOIN desk_users u ON u.id = h.claimed_by";

// The filter is two parameters ($1 its kind, $2 the agent), so that one statement serves
// every filter.
macro_rules! keeps {
    () => {
        "($1 = 'all' OR ($1 = 'unassigned' AND h.status = 'waiting') \
         OR ($1 = 'mine' AND h.claimed_by = $2))"
    };
}
const QUEUE_COUNTS: &str = concat!(
    "SELECT \
     COALESCE(SUM(CASE WHEN h.status = 'waiting' THEN 1 ELSE 0 END), 0) AS waiting, \
     COUNT(*) AS open, COALESCE(SUM(CASE WHEN ",
    keeps!(),
    " THEN 1 ELSE 0 END), 0) AS listed FROM handoffs h WHERE h.status <> 'closed'"
);
// The page's handoffs are picked first (without their context snapshots, the bulk of a
// row) and only they get the glance: three lookups on the
// resident's own lines (the last agent's answer from the index of agents' lines) and one
// on the bindings. The unread count stops at `UNREAD_CAP`: a resident who chatted with the
// bot for years before asking for a person has "many", not a count of every line.
const QUEUE_CARDS: &str = concat!(
    "SELECT h.id, h.user_id, h.status, h.reason, h.priority, h.intent, \
     h.confidence, h.created_at, h.claimed_by, u.display_name AS agent, \
     (SELECT t.text FROM transcript_lines t WHERE t.user_id = h.user_id \
      AND t.direction = 'in' ORDER BY t.id DESC LIMIT 1) AS last_words, \
     (SELECT COUNT(*) FROM (SELECT 1 FROM transcript_lines t WHERE t.user_id = h.user_id \
      AND t.direction = 'in' AND t.id > COALESCE((SELECT a.id FROM transcript_lines a \
      WHERE a.user_id = h.user_id AND a.direction = 'out' AND a.author IS NOT NULL \
      AND (a.delivery IS NULL OR a.delivery <> 'note') ORDER BY a.at DESC, a.id DESC LIMIT 1), 0) \
      LIMIT $4) AS unanswered) AS unread, \
     (SELECT b.account_no FROM bindings b WHERE b.user_id = h.user_id \
      ORDER BY b.verified_at, b.account_no LIMIT 1) AS account \
     FROM (SELECT h.id, h.user_id, h.status, h.reason, h.priority, h.intent, h.confidence, \
     h.created_at, h.claimed_by FROM handoffs h WHERE h.status <> 'closed' AND ",
    keeps!(),
    " ORDER BY h.priority DESC, h.created_at, h.id LIMIT $3) h \
     LEFT JOIN desk_users u ON u.id = h.claimed_by \
     ORDER BY h.priority DESC, h.created_at, h.id"
);

const INSERT: &str = "INSERT INTO handoffs \
     (user_id, status, reason, priority, intent, confidence, context, created_at) \
     VALUES ($1, 'waiting', $2, $3, $4, $5, $6, $7) \
     ON CONFLICT (user_id) WHERE status <> 'closed' DO NOTHING RETURNING id";
const RAISE: &str = "UPDATE handoffs SET \
     priority = CASE WHEN priority < $2 THEN $2 ELSE priority END \
     WHERE user_id = $1 AND status <> 'closed' RETURNING id";
const POSITION: &str = "SELECT COUNT(*) AS n FROM handoffs o, handoffs h \
     WHERE h.id = $1 AND o.status = 'waiting' AND (o.priority > h.priority \
     OR (o.priority = h.priority AND (o.created_at < h.created_at \
     OR (o.created_at = h.created_at AND o.id < h.id))))";
const CLAIM: &str = "UPDATE handoffs SET status = 'claimed', claimed_by = $2, claimed_at = $3 \
     WHERE id = $1 AND status = 'waiting'";
const RELEASE: &str = "UPDATE handoffs SET status = 'waiting', claimed_by = NULL, \
     claimed_at = NULL WHERE id = $1 AND status = 'claimed' AND claimed_by = $2";
const TRANSFER: &str = "UPDATE handoffs SET claimed_by = $3, claimed_at = $4 \
     WHERE id = $1 AND status = 'claimed' AND claimed_by = $2";
const CLOSE: &str = "UPDATE handoffs SET status = 'closed', closed_at = $3, closed_by = $2, \
     resolution = $4, note = $5 WHERE id = $1 AND status = 'claimed' AND claimed_by = $2";
const RATE: &str = "UPDATE handoffs SET rating = $2, rated_at = $3 \
     WHERE id = $1 AND status = 'closed' AND rating IS NULL";

// Counted per value rather than averaged in SQL: PostgreSQL's AVG of an integer is a
// NUMERIC, which would need a decimal type to read.
const BY_REASON: &str = "SELECT reason AS k, COUNT(*) AS n FROM handoffs \
     WHERE created_at >= $1 GROUP BY reason ORDER BY n DESC, reason";
const BY_RESOLUTION: &str = "SELECT resolution AS k, COUNT(*) AS n FROM handoffs \
     WHERE status = 'closed' AND closed_at >= $1 AND resolution IS NOT NULL \
     GROUP BY resolution ORDER BY n DESC, resolution";
const BY_RATING: &str = "SELECT rating AS k, COUNT(*) AS n FROM handoffs \
     WHERE status = 'closed' AND closed_at >= $1 AND rating IS NOT NULL GROUP BY rating";

fn decode_err<E: std::fmt::Display>(e: E) -> HandoffError {
    HandoffError::Decode(e.to_string())
}

fn reason_of(stored: String) -> Result<EscalationReason, HandoffError> {
    EscalationReason::parse(&stored).ok_or_else(|| decode_err(format!("reason `{stored}`")))
}

fn intent_of(stored: Option<String>) -> Result<Option<IntentId>, HandoffError> {
    stored.map(IntentId::parse).transpose().map_err(decode_err)
}

/// `open_status` on a direct connection (one open handoff per resident: a unique index).
fn open_status_direct(
    c: &rusqlite::Connection,
    user: &str,
) -> rusqlite::Result<Result<Option<(i64, Status)>, HandoffError>> {
    let mut stmt = crate::storage::direct::prepare(
        c,
        "SELECT id, status FROM handoffs WHERE user_id = $1 AND status <> 'closed'",
        &[&user],
    )?;
    let mut rows = stmt.raw_query();
    let Some(r) = rows.next()? else {
        return Ok(Ok(None));
    };
    let id: i64 = r.get(0)?;
    let status: String = r.get(1)?;
    Ok(Status::parse(&status).map(|s| Some((id, s))))
}

/// `open` on the writer thread: the handoff joined or made, in one savepoint.
fn open_direct(c: &rusqlite::Connection, new: &OpenDirect) -> rusqlite::Result<Opened> {
    let mut insert = crate::storage::direct::prepare(
        c,
        INSERT,
        &[
            &new.user,
            &new.reason,
            &new.priority,
            &new.intent,
            &new.confidence,
            &new.context,
            &new.at,
        ],
    )?;
    let mut rows = insert.raw_query();
    if let Some(r) = rows.next()? {
        return Ok(Opened {
            id: r.get(0)?,
            created: true,
        });
    }
    drop(rows);
    drop(insert);
    let mut raise = crate::storage::direct::prepare(c, RAISE, &[&new.user, &new.priority])?;
    let mut rows = raise.raw_query();
    let r = rows.next()?.ok_or(rusqlite::Error::QueryReturnedNoRows)?;
    Ok(Opened {
        id: r.get(0)?,
        created: false,
    })
}

/// A new handoff's values, owned for the writer thread.
struct OpenDirect {
    user: String,
    reason: &'static str,
    priority: i64,
    intent: Option<String>,
    confidence: Option<f64>,
    context: String,
    at: String,
}

/// `position` on a direct connection.
fn position_direct(c: &rusqlite::Connection, id: i64) -> rusqlite::Result<i64> {
    let mut stmt = crate::storage::direct::prepare(c, POSITION, &[&id])?;
    let mut rows = stmt.raw_query();
    let r = rows.next()?.ok_or(rusqlite::Error::QueryReturnedNoRows)?;
    r.get(0)
}

macro_rules! impl_store {
    ($name:ident, $pool:ty, $row:ty) => {
        #[derive(Debug, Clone)]
        struct $name {
            pool: $pool,
            /// SQLite: the question every message asks, without the pool.
            direct: Option<crate::storage::direct::Direct>,
        }

        impl $name {
            fn card(r: &$row) -> Result<QueueCard, HandoffError> {
                Ok(QueueCard {
                    id: r.try_get("id")?,
                    user: r.try_get("user_id")?,
                    status: Status::parse(r.try_get("status")?)?,
                    reason: reason_of(r.try_get("reason")?)?,
                    priority: r.try_get("priority")?,
                    intent: intent_of(r.try_get("intent")?)?,
                    confidence: r.try_get::<Option<f64>, _>("confidence")?.map(|c| c as f32),
                    created_at: r.try_get("created_at")?,
                    claimed_by: r.try_get("claimed_by")?,
                    agent: r.try_get("agent")?,
                    last_words: r.try_get("last_words")?,
                    unread: r.try_get("unread")?,
                    account: r.try_get("account")?,
                })
            }

            fn handoff(r: &$row) -> Result<Handoff, HandoffError> {
                let context: String = r.try_get("context")?;
                Ok(Handoff {
                    id: r.try_get("id")?,
                    user: r.try_get("user_id")?,
                    status: Status::parse(r.try_get("status")?)?,
                    reason: reason_of(r.try_get("reason")?)?,
                    priority: r.try_get("priority")?,
                    intent: intent_of(r.try_get("intent")?)?,
                    confidence: r.try_get::<Option<f64>, _>("confidence")?.map(|c| c as f32),
                    snapshot: serde_json::from_str(&context).map_err(decode_err)?,
                    created_at: r.try_get("created_at")?,
                    claimed_by: r.try_get("claimed_by")?,
                    agent: r.try_get("agent")?,
                    claimed_at: r.try_get("claimed_at")?,
                    closed_at: r.try_get("closed_at")?,
                    resolution: r.try_get("resolution")?,
                    note: r.try_get("note")?,
                    rating: r.try_get("rating")?,
                })
            }

            async fn select(
                &self,
                filter: &str,
                bind: Option<&str>,
                id: Option<i64>,
            ) -> Result<Vec<Handoff>, HandoffError> {
                let sql = format!("SELECT {COLUMNS} {FROM} {filter}");
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()));
                if let Some(b) = bind {
                    q = q.bind(b.to_owned());
                }
                if let Some(i) = id {
                    q = q.bind(i);
                }
                let rows = q.fetch_all(&self.pool).await?;
                rows.iter().map(Self::handoff).collect()
            }
        }

        #[async_trait]
        impl HandoffStore for $name {
            async fn open(&self, new: &NewHandoff) -> Result<Opened, HandoffError> {
                let context = serde_json::to_string(&new.snapshot).map_err(decode_err)?;
                if let Some(d) = &self.direct {
                    let owned = OpenDirect {
                        user: new.user.clone(),
                        reason: new.reason.as_str(),
                        priority: new.priority,
                        intent: new.intent.as_ref().map(|i| i.as_str().to_owned()),
                        confidence: new.confidence.map(f64::from),
                        context: context.clone(),
                        at: crate::storage::direct::time(new.at),
                    };
                    match d.write(move |c| open_direct(c, &owned)).await {
                        Ok(opened) => return Ok(opened),
                        Err(e) => tracing::debug!(error = %e, "handoff opened through the pool"),
                    }
                }
                let mut tx = self.pool.begin().await?;
                let inserted = sqlx::query(INSERT)
                    .bind(&new.user)
                    .bind(new.reason.as_str())
                    .bind(new.priority)
                    .bind(new.intent.as_ref().map(|i| i.as_str().to_owned()))
                    .bind(new.confidence.map(f64::from))
                    .bind(context)
                    .bind(new.at)
                    .fetch_optional(&mut *tx)
                    .await?;
                let opened = match inserted {
                    Some(r) => Opened {
                        id: r.try_get("id")?,
                        created: true,
                    },
                    None => {
                        let r = sqlx::query(RAISE)
                            .bind(&new.user)
                            .bind(new.priority)
                            .fetch_one(&mut *tx)
                            .await?;
                        Opened {
                            id: r.try_get("id")?,
                            created: false,
                        }
                    }
                };
                tx.commit().await?;
                Ok(opened)
            }

            async fn get(&self, id: i64) -> Result<Option<Handoff>, HandoffError> {
                Ok(self.select("WHERE h.id = $1", None, Some(id)).await?.pop())
            }

            async fn open_for(&self, user: &str) -> Result<Option<Handoff>, HandoffError> {
                Ok(self
                    .select(
                        "WHERE h.user_id = $1 AND h.status <> 'closed'",
                        Some(user),
                        None,
                    )
                    .await?
                    .pop())
            }

            async fn open_status(&self, user: &str) -> Result<Option<(i64, Status)>, HandoffError> {
                if let Some(found) = self
                    .direct
                    .as_ref()
                    .and_then(|d| d.read(|c| open_status_direct(c, user)))
                {
                    return found;
                }
                Ok(self.open_for(user).await?.map(|h| (h.id, h.status)))
            }

            async fn queue(&self) -> Result<Vec<Handoff>, HandoffError> {
                self.select(
                    "WHERE h.status <> 'closed' ORDER BY h.priority DESC, h.created_at, h.id",
                    None,
                    None,
                )
                .await
            }

            async fn queue_view(
                &self,
                filter: QueueFilter,
                limit: i64,
            ) -> Result<QueueView, HandoffError> {
                let (kind, agent) = filter.params();
                let counts = sqlx::query(QUEUE_COUNTS)
                    .bind(kind)
                    .bind(agent)
                    .fetch_one(&self.pool)
                    .await?;
                let rows = sqlx::query(QUEUE_CARDS)
                    .bind(kind)
                    .bind(agent)
                    .bind(limit)
                    .bind(UNREAD_CAP)
                    .fetch_all(&self.pool)
                    .await?;
                Ok(QueueView {
                    waiting: counts.try_get("waiting")?,
                    open: counts.try_get("open")?,
                    listed: counts.try_get("listed")?,
                    cards: rows.iter().map(Self::card).collect::<Result<_, _>>()?,
                })
            }

            async fn closed(&self, limit: i64) -> Result<Vec<Handoff>, HandoffError> {
                self.select(
                    "WHERE h.status = 'closed' ORDER BY h.closed_at DESC, h.id DESC LIMIT $1",
                    None,
                    Some(limit),
                )
                .await
            }

            async fn position(&self, id: i64) -> Result<i64, HandoffError> {
                if let Some(n) = self.direct.as_ref().and_then(|d| d.read(|c| position_direct(c, id))) {
                    return Ok(n + 1);
                }
                let r = sqlx::query(POSITION).bind(id).fetch_one(&self.pool).await?;
                Ok(r.try_get::<i64, _>("n")? + 1)
            }

            async fn claim(
                &self,
                id: i64,
                agent: i64,
                at: DateTime<Utc>,
            ) -> Result<bool, HandoffError> {
                let done = sqlx::query(CLAIM)
                    .bind(id)
                    .bind(agent)
                    .bind(at)
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn release(&self, id: i64, agent: i64) -> Result<bool, HandoffError> {
                let done = sqlx::query(RELEASE)
                    .bind(id)
                    .bind(agent)
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn transfer(
                &self,
                id: i64,
                from: i64,
                to: i64,
                at: DateTime<Utc>,
            ) -> Result<bool, HandoffError> {
                let done = sqlx::query(TRANSFER)
                    .bind(id)
                    .bind(from)
                    .bind(to)
                    .bind(at)
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn close(
                &self,
                id: i64,
                agent: i64,
                resolution: &str,
                note: &str,
                at: DateTime<Utc>,
            ) -> Result<bool, HandoffError> {
                let done = sqlx::query(CLOSE)
                    .bind(id)
                    .bind(agent)
                    .bind(at)
                    .bind(resolution)
                    .bind(note)
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn rate(
                &self,
                id: i64,
                rating: i64,
                at: DateTime<Utc>,
            ) -> Result<bool, HandoffError> {
                let done = sqlx::query(RATE)
                    .bind(id)
                    .bind(rating)
                    .bind(at)
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn stats(&self, since: DateTime<Utc>) -> Result<HandoffStats, HandoffError> {
                let mut stats = HandoffStats::default();
                for r in sqlx::query(BY_REASON)
                    .bind(since)
                    .fetch_all(&self.pool)
                    .await?
                {
                    let reason: String = r.try_get("k")?;
                    let reason = EscalationReason::parse(&reason)
                        .ok_or_else(|| decode_err(format!("reason `{reason}`")))?;
                    stats.by_reason.push((reason, r.try_get("n")?));
                }
                for r in sqlx::query(BY_RESOLUTION)
                    .bind(since)
                    .fetch_all(&self.pool)
                    .await?
                {
                    stats.by_resolution.push((r.try_get("k")?, r.try_get("n")?));
                }
                for r in sqlx::query(BY_RATING)
                    .bind(since)
                    .fetch_all(&self.pool)
                    .await?
                {
                    let rating: i64 = r.try_get("k")?;
                    let slot = usize::try_from(rating - 1)
                        .ok()
                        .and_then(|i| stats.ratings.get_mut(i))
                        .ok_or_else(|| decode_err(format!("rating {rating}")))?;
                    *slot = r.try_get("n")?;
                }
                Ok(stats)
            }
        }
    };
}

impl_store!(SqliteHandoffs, sqlx::SqlitePool, sqlx::sqlite::SqliteRow);
impl_store!(PgHandoffs, sqlx::PgPool, sqlx::postgres::PgRow);
