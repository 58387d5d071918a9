//! Conversations, transcripts, bindings and escalations, per backend behind one trait.
//!
//! A turn reads the conversation with its version and writes it back only if the version is
//! unchanged, so two instances handling the same resident's messages never both win: the
//! loser runs its turn again on the newer state.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::domain::{EscalationReason, IntentId};
use crate::service::AccountNo;
use crate::storage::Database;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("stored value: {0}")]
    Decode(String),
    #[error("{0}")]
    Storage(#[from] crate::storage::StorageError),
}

/// A conversation as stored: its state (JSON), its version and when it last changed.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredConversation {
    pub state: String,
    pub version: i64,
    pub updated_at: DateTime<Utc>,
    /// The message the last turn answered (its WeChat key) and the answer (JSON).
    pub last_message: Option<String>,
    pub last_outcome: Option<String>,
}

/// `finish_turn` as three writes: the save, then (when it saved) the lines, then the forms.
pub(super) async fn finish_in_steps<S: ConversationStore + ?Sized>(
    store: &S,
    user: &str,
    turn: SavedTurn<'_>,
    lines: &[TranscriptLine],
    runs: &[super::FormRun],
) -> Result<bool, StoreError> {
    if !store
        .save_turn(user, turn.state, turn.expected, turn.at, turn.answered)
        .await?
    {
        return Ok(false);
    }
    store.append(user, lines).await?;
    for run in runs {
        if let Err(e) = store.record_form(user, run).await {
            tracing::warn!(error = %e, "cannot record where the form stands");
        }
    }
    Ok(true)
}

/// What `save_turn` takes, for `finish_turn`.
#[derive(Debug, Clone, Copy)]
pub struct SavedTurn<'a> {
    pub state: &'a str,
    pub expected: Option<i64>,
    pub at: DateTime<Utc>,
    pub answered: Option<Answered<'a>>,
}

/// The message a turn answered, stored with the state it left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Answered<'a> {
    pub message: &'a str,
    pub outcome: &'a str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    In,
    Out,
}

impl Direction {
    fn as_str(self) -> &'static str {
        match self {
            Self::In => "in",
            Self::Out => "out",
        }
    }
}

/// One line of a conversation, kept whole for the agents who take it over (and never logged).
#[derive(Debug, Clone, PartialEq)]
pub struct TranscriptLine {
    /// Its place in the transcript; 0 until stored.
    pub id: i64,
    pub at: DateTime<Utc>,
    pub direction: Direction,
    pub text: String,
    /// The desk user who wrote an outgoing line; `None` for the resident and the bot.
    pub author: Option<String>,
    /// What the bot understood of an incoming line, and how sure it was.
    pub intent: Option<IntentId>,
    pub confidence: Option<f32>,
    /// How a line sent outside a passive reply fared (`sent`, `failed:<code>`, `pending`).
    pub delivery: Option<String>,
}

impl TranscriptLine {
    pub fn new(at: DateTime<Utc>, direction: Direction, text: impl Into<String>) -> Self {
        Self {
            id: 0,
            at,
            direction,
            text: text.into(),
            author: None,
            intent: None,
            confidence: None,
            delivery: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Binding {
    pub account: AccountNo,
    pub verified_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EscalationRecord {
    pub at: DateTime<Utc>,
    pub reason: EscalationReason,
    pub intent: Option<IntentId>,
    pub confidence: Option<f32>,
}

#[async_trait]
pub trait ConversationStore: Send + Sync + std::fmt::Debug + 'static {
    async fn load(&self, user: &str) -> Result<Option<StoredConversation>, StoreError>;

    /// Writes `state` if the stored version is still `expected` (`None`: no row yet).
    /// `false` when another turn got there first.
    async fn save(
        &self,
        user: &str,
        state: &str,
        expected: Option<i64>,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.save_turn(user, state, expected, at, None).await
    }

    /// As `save`, recording in the same write which message this turn answered and how.
    async fn save_turn(
        &self,
        user: &str,
        state: &str,
        expected: Option<i64>,
        at: DateTime<Utc>,
        answered: Option<Answered<'_>>,
    ) -> Result<bool, StoreError>;

    /// A finished turn: `save_turn`, and when it saved, the turn's transcript lines and
    /// where its forms stand. On SQLite in one write (one commit); elsewhere one after
    /// another. `false`: the conversation changed meanwhile and nothing was written.
    async fn finish_turn(
        &self,
        user: &str,
        turn: SavedTurn<'_>,
        lines: &[TranscriptLine],
        runs: &[super::FormRun],
    ) -> Result<bool, StoreError> {
        finish_in_steps(self, user, turn, lines, runs).await
    }

    /// Waits until no other turn of `user` runs, on any instance sharing the database, and
    /// holds that until the lock is released.
    async fn lock(&self, user: &str) -> Result<super::TurnLock, StoreError>;

    /// Makes every commit so far durable (`storage::Database::sync`): called before a
    /// resident is told that something was done.
    async fn sync(&self) -> Result<(), StoreError>;

    async fn append(&self, user: &str, lines: &[TranscriptLine]) -> Result<(), StoreError>;

    /// Stores one line and returns its id (an agent's message, before it is delivered).
    async fn append_line(&self, user: &str, line: &TranscriptLine) -> Result<i64, StoreError>;

    /// Records how an outgoing line fared.
    async fn set_delivery(&self, line: i64, delivery: &str) -> Result<(), StoreError>;

    /// Oldest first.
    async fn transcript(&self, user: &str) -> Result<Vec<TranscriptLine>, StoreError>;

    /// The lines after `after` (an id), oldest first: what a desk screen has not shown yet.
    async fn transcript_after(
        &self,
        user: &str,
        after: i64,
    ) -> Result<Vec<TranscriptLine>, StoreError>;

    /// The last `limit` lines, oldest first: what a turn looks back on, at the same cost
    /// however long the resident's history.
    async fn recent_transcript(
        &self,
        user: &str,
        limit: usize,
    ) -> Result<Vec<TranscriptLine>, StoreError>;

    /// When the resident last wrote: WeChat's 48-hour window runs from it.
    async fn last_inbound(&self, user: &str) -> Result<Option<DateTime<Utc>>, StoreError>;

    /// Lines delivered as customer-service messages since `since`: the quota they used.
    async fn sent_since(&self, user: &str, since: DateTime<Utc>) -> Result<i64, StoreError>;

    /// Oldest first.
    async fn bindings(&self, user: &str) -> Result<Vec<Binding>, StoreError>;

    /// `false` when the account was already bound to this user.
    async fn bind(&self, user: &str, no: &AccountNo, at: DateTime<Utc>)
        -> Result<bool, StoreError>;

    /// `false` when it was not bound.
    async fn unbind(&self, user: &str, no: &AccountNo) -> Result<bool, StoreError>;

    async fn record_escalation(&self, user: &str, e: &EscalationRecord) -> Result<(), StoreError>;

    /// Oldest first.
    async fn escalations(&self, user: &str) -> Result<Vec<EscalationRecord>, StoreError>;

    /// The residents who bound `no`: the ones to tell when its requests move on.
    async fn users_bound_to(&self, no: &AccountNo) -> Result<Vec<String>, StoreError>;

    /// Keeps a message for `user`'s next turn.
    async fn hold_notice(
        &self,
        user: &str,
        text: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// The held messages, oldest first; each is returned once.
    async fn take_notices(&self, user: &str) -> Result<Vec<String>, StoreError>;

    /// Where one of `user`'s forms stands after a turn, or how it ended (for the reports).
    async fn record_form(&self, user: &str, run: &super::FormRun) -> Result<(), StoreError>;
}

/// The store of the database's backend.
pub fn store_for(db: &Database) -> std::sync::Arc<dyn ConversationStore> {
    match db {
        Database::Sqlite(pool) => {
            std::sync::Arc::new(super::store_sql::SqliteStore::new(pool.clone()))
        }
        Database::Postgres(pool) => {
            std::sync::Arc::new(super::store_sql::PgStore::new(pool.clone()))
        }
    }
}

pub(super) fn direction(s: &str) -> Result<Direction, StoreError> {
    match s {
        "in" => Ok(Direction::In),
        "out" => Ok(Direction::Out),
        other => Err(StoreError::Decode(format!("direction `{other}`"))),
    }
}

pub(super) fn direction_str(d: Direction) -> &'static str {
    d.as_str()
}
