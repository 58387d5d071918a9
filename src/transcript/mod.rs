//! What a conversation leaves behind, shared by the dialogue, the handoff, the desk and
//! request notices: the transcript, bindings, escalations and held notices (one store per
//! backend), and the words they use to speak of it.
//!
//! It sits below the capabilities that read and write it, so none of them needs another
//! to reach a resident's record.

mod lock;
mod store;
mod store_sql;
mod turns_pg;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::{EscalationReason, IntentId};

pub use lock::{TurnLock, TurnStart};
pub use store::{
    store_for, Answered, Binding, ConversationStore, Direction, EscalationRecord, SavedTurn,
    StoreError, StoredConversation, TranscriptLine,
};

/// Why a turn asks for a person, what it understood and how sure it was.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Escalation {
    pub reason: EscalationReason,
    pub intent: Option<IntentId>,
    pub confidence: Option<f32>,
}

/// A form a resident is filling (`seq` numbers the forms of a conversation) after a turn:
/// the step it stands at, or the step it stood at when it ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormRun {
    pub seq: u64,
    pub intent: IntentId,
    /// The intent's action (snake case), if it has one.
    pub action: Option<String>,
    /// The slot asked for, or `offer`, `verification`, `account`, `confirm`; `none` for a
    /// form that ended in the turn it began.
    pub step: String,
    pub at: DateTime<Utc>,
    pub outcome: Option<FormOutcome>,
}

/// How a form ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormOutcome {
    /// The bot carried the transaction out, or one of its rules ended it (arrears…).
    Finished,
    /// The resident cancelled, turned to something else or fell silent past the timeout.
    Abandoned,
}

impl FormOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Finished => "finished",
            Self::Abandoned => "abandoned",
        }
    }
}

/// One thing the bot understood, with how sure it was.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Understood {
    pub intent: IntentId,
    pub confidence: f32,
    pub at: DateTime<Utc>,
}

/// What the bot knew when it handed over: kept with the handoff, shown beside the live
/// account state.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// The intents recognised in the conversation (its last lines: `dialogue::LOOK_BACK`),
    /// oldest first.
    #[serde(default)]
    pub intents: Vec<Understood>,
    /// The form being filled, if any, and the slots it had.
    #[serde(default)]
    pub form: Option<IntentId>,
    #[serde(default)]
    pub slots: Vec<(String, String)>,
    /// Account numbers the form was acting on (bound accounts are read live).
    #[serde(default)]
    pub accounts: Vec<String>,
}
