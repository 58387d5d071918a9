//! What the dialogue asks of whoever hands conversations to people. The dialogue only
//! escalates; `handoff` implements this port and decides what an escalation becomes, so the
//! dialogue never reaches into the desk or the queue.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::domain::IntentId;
use crate::transcript::{Escalation, Snapshot};

/// A failure behind the port, told in words (the dialogue logs it and carries on).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct EscalateError(pub String);

/// The resident's handoff that is not closed yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenHandoff {
    pub id: i64,
    /// An agent owns it: the bot stays silent.
    pub claimed: bool,
}

/// What an escalation became.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handover {
    /// A handoff was opened; the resident is told this (their place, or the opening hours).
    Queued { told: String },
    /// Hand the resident to WeChat's customer-service tool (the account; empty: any agent).
    Transfer { account: String },
    /// Nothing changes for the resident: the reason is only recorded, or they already wait.
    Unchanged,
}

#[async_trait]
pub trait Escalate: Send + Sync + 'static {
    async fn open_handoff(&self, user: &str) -> Result<Option<OpenHandoff>, EscalateError>;

    /// Whether `open_handoff` answers from the `handoffs` table that the conversation store
    /// reads with a turn's lock (`TurnStart::open_handoff`): the turn then takes that read
    /// and does not ask. `false` for any other port, which is always asked.
    fn kept_in_handoffs_table(&self) -> bool {
        false
    }

    async fn escalated(
        &self,
        user: &str,
        escalation: &Escalation,
        snapshot: Snapshot,
        at: DateTime<Utc>,
        locale: &str,
    ) -> Result<Handover, EscalateError>;

    /// A resident's message reached an open handoff: the screens showing it refresh.
    fn resident_wrote(&self, handoff: i64);

    /// The resident's rating of a closed handoff, 1 to 5; `false` when it was not taken.
    async fn rate(
        &self,
        handoff: i64,
        rating: i64,
        at: DateTime<Utc>,
    ) -> Result<bool, EscalateError>;
}

/// How a resident showed an answer missed the point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unhappy {
    /// Right after the answer: a word of an unhappy resident ("wrong", "useless"), or
    /// asking for a person.
    Contradicted,
    /// A rating of 1 or 2 after the conversation went to a person.
    LowRating,
}

/// Where the dialogue reports answers residents were unhappy with: the office's inbox
/// implements it.
#[async_trait]
pub trait Contradicted: Send + Sync + 'static {
    /// `question` is what the resident had asked (as they wrote it), `intent` what the bot
    /// answered it as.
    async fn contradicted(
        &self,
        question: &str,
        intent: &IntentId,
        how: Unhappy,
        at: DateTime<Utc>,
    );
}

/// A resident's complaint, to become a case with a number and deadlines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Complaint {
    pub user: String,
    /// What the resident wrote.
    pub words: String,
    /// The same key for the same message: a turn run again finds the case it made.
    pub key: String,
    pub at: DateTime<Utc>,
}

/// What the resident is told of their case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lodged {
    pub number: String,
    /// The resident will have been contacted by then.
    pub contact_by: DateTime<Utc>,
    /// The resident will have the outcome by then.
    pub resolve_by: DateTime<Utc>,
}

/// Where complaints become cases: `complaints::Complaints` implements it. Closing a case
/// asks the resident how satisfied they are; their answer comes back through the dialogue.
#[async_trait]
pub trait LodgeComplaint: Send + Sync + 'static {
    async fn lodge(&self, complaint: &Complaint) -> Result<Lodged, EscalateError>;

    /// The resident's closed case whose follow-up question they were asked and have not
    /// answered yet (the latest, when several).
    async fn awaiting_follow_up(&self, _user: &str) -> Result<Option<i64>, EscalateError> {
        Ok(None)
    }

    /// The resident's answer to the follow-up question: satisfaction 1 to 5 and their
    /// words; `false` when the case has its follow-up already.
    async fn followed_up(
        &self,
        _case: i64,
        _satisfaction: i64,
        _words: &str,
        _at: DateTime<Utc>,
    ) -> Result<bool, EscalateError> {
        Ok(false)
    }
}
