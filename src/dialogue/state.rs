//! The conversation's state: a closed set of situations, stored as JSON between turns.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::domain::IntentId;
use crate::entities::TimeOfDay;
use crate::service::AccountNo;

/// Where a conversation stands between two messages.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum State {
    #[default]
    Idle,
    /// "Did you mean 1 … 2 … 3 …?", asked `failures + 1` times so far.
    Clarifying {
        candidates: Vec<IntentId>,
        failures: u32,
    },
    /// "Shall I book it for you?" before a form starts.
    Offering { form: FormInstance },
    /// Waiting for the value of one slot (or for the proof that an account is theirs).
    Filling {
        form: FormInstance,
        pending: Pending,
    },
    /// Several accounts are bound: which one?
    ChoosingAccount {
        form: FormInstance,
        options: Vec<AccountNo>,
    },
    /// Everything is known and the fee and limits were told: go ahead?
    Confirming { form: FormInstance },
    /// An agent closed the conversation and asked for a rating of 1 to 5.
    Rating { handoff: i64 },
    /// Interruptions covering the resident were told in answer to `intent`'s question,
    /// with the offer to be told when heat is back.
    InterruptionTold {
        interruptions: Vec<i64>,
        intent: IntentId,
        /// The triage case recorded (amended when the resident insists).
        #[serde(default)]
        case: Option<i64>,
    },
    /// Interruptions are in effect and the resident, not bound, was asked for the estate
    /// before `intent`'s question is answered.
    AskingEstate { intent: IntentId },
    /// "Not warm": nothing else explained it and the self-check was asked before a visit is
    /// booked (`case`: the triage record its answer amends).
    SelfCheck {
        intent: IntentId,
        #[serde(default)]
        case: Option<i64>,
    },
    /// "Not warm": triage told what keeps it cold (the season, a suspension, the valve,
    /// arrears) instead of booking; the resident may still insist on the visit.
    Explained {
        intent: IntentId,
        #[serde(default)]
        case: Option<i64>,
    },
}

/// What a `Filling` conversation waits for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "slot")]
pub enum Pending {
    Slot(String),
    /// The holder's name or the phone's last 4 digits for `FormInstance::candidate`.
    Verification,
}

/// A value given for a slot, already validated into its domain type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type", content = "value")]
pub enum SlotValue {
    Account(AccountNo),
    Phone(String),
    Name(String),
    Date(NaiveDate),
    TimeOfDay(TimeOfDay),
    Area(f64),
    Place(String),
    Money(i64),
    Text(String),
    Choice(String),
    Images(Vec<String>),
    /// An optional slot the resident chose not to answer.
    Skipped,
}

impl SlotValue {
    /// The value as an agent reads it.
    pub fn display(&self) -> String {
        match self {
            Self::Account(a) => a.to_string(),
            Self::Phone(s) | Self::Name(s) | Self::Place(s) | Self::Text(s) | Self::Choice(s) => {
                s.clone()
            }
            Self::Date(d) => d.to_string(),
            Self::TimeOfDay(t) => serde_json::to_value(t)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            Self::Area(a) => format!("{a} m2"),
            Self::Money(fen) => crate::service::Fen(*fen).yuan(),
            Self::Images(ids) => ids.join(", "),
            Self::Skipped => "-".to_owned(),
        }
    }
}

/// One run of an intent's form. `seq` numbers the forms of a conversation, so
/// `(user, seq)` identifies it across retries and restarts: the idempotency key of the
/// request it makes is derived from it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FormInstance {
    pub intent: IntentId,
    pub seq: u64,
    #[serde(default)]
    pub mode: Option<String>,
    #[serde(default)]
    pub slots: BTreeMap<String, SlotValue>,
    /// Optional slots already asked for once.
    #[serde(default)]
    pub asked: BTreeSet<String>,
    /// Accounts this form acts on, verified or bound.
    #[serde(default)]
    pub accounts: Vec<AccountNo>,
    /// An account number given but not yet verified.
    #[serde(default)]
    pub candidate: Option<AccountNo>,
    #[serde(default)]
    pub failures: u32,
    /// The fee and limits were told (they are told once, before anything else is asked).
    #[serde(default)]
    pub quoted: bool,
    /// A location the resident sent (for the nearest hall).
    #[serde(default)]
    pub location: Option<(f64, f64)>,
    /// Per slot, how often its question went unanswered in a row (a wrong value, a photo
    /// step answered with text, a question in between): after two, a way out is offered.
    #[serde(default)]
    pub misses: BTreeMap<String, u32>,
}

impl FormInstance {
    pub fn new(intent: IntentId, seq: u64) -> Self {
        Self {
            intent,
            seq,
            mode: None,
            slots: BTreeMap::new(),
            asked: BTreeSet::new(),
            accounts: Vec::new(),
            candidate: None,
            failures: 0,
            quoted: false,
            location: None,
            misses: BTreeMap::new(),
        }
    }

    pub fn text(&self, slot: &str) -> Option<&str> {
        match self.slots.get(slot)? {
            SlotValue::Text(s) | SlotValue::Choice(s) | SlotValue::Place(s) => Some(s),
            SlotValue::Phone(s) | SlotValue::Name(s) => Some(s),
            _ => None,
        }
    }

    pub fn account(&self) -> Option<&AccountNo> {
        self.accounts.first()
    }
}

/// What is stored per user: the state, and the counter that names the next form.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Conversation {
    pub state: State,
    #[serde(default)]
    pub next_seq: u64,
    /// Messages with negative words since the last handoff.
    #[serde(default)]
    pub negative: u32,
}
