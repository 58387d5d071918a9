//! The office's words: versions, change sets and their edits, labelled questions, feedback,
//! the gate's report and the audit log.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::catalog::{OfficeDoc, Subject};

/// A published version's record (its document is read on demand).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VersionMeta {
    pub number: i64,
    /// The catalogue's digest (what classifications are logged with).
    pub digest: String,
    pub author: String,
    pub reviewer: Option<String>,
    pub summary: String,
    /// Set when an admin published past a refusing gate.
    pub override_reason: Option<String>,
    pub changeset: Option<i64>,
    pub published_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Version {
    pub meta: VersionMeta,
    pub doc: OfficeDoc,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeStatus {
    /// Being edited by its author.
    Draft,
    /// Submitted, waiting for another curator.
    Review,
    /// Approved, ready to publish.
    Approved,
    Published,
    /// Sent back with a comment; its author edits on.
    Returned,
    Withdrawn,
}

impl ChangeStatus {
    pub const ALL: [Self; 6] = [
        Self::Draft,
        Self::Review,
        Self::Approved,
        Self::Published,
        Self::Returned,
        Self::Withdrawn,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Review => "review",
            Self::Approved => "approved",
            Self::Published => "published",
            Self::Returned => "returned",
            Self::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Still on its way to publication: its edits count as the current text.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            Self::Draft | Self::Review | Self::Approved | Self::Returned
        )
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChangeSet {
    pub id: i64,
    pub author: String,
    pub status: ChangeStatus,
    pub summary: String,
    /// The reviewer's comment when sent back.
    pub comment: Option<String>,
    pub reviewer: Option<String>,
    /// The last gate run on it.
    pub gate: Option<GateReport>,
    pub published_version: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Optional fields a status change also sets.
#[derive(Debug, Clone, Copy, Default)]
pub struct StatusUpdate<'a> {
    pub summary: Option<&'a str>,
    pub comment: Option<&'a str>,
    pub reviewer: Option<&'a str>,
    pub published_version: Option<i64>,
}

/// One object as a change set leaves it: the whole object (`None`: removed), and the digest
/// of the object the editor started from (for optimistic concurrency).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Edit {
    pub changeset: i64,
    pub subject: Subject,
    pub body: Option<serde_json::Value>,
    pub base: String,
    pub author: String,
    pub at: DateTime<Utc>,
}

/// The digest of an object as stored: what two editors compare. Absent objects digest to "".
pub fn digest(value: Option<&serde_json::Value>) -> String {
    match value {
        None => String::new(),
        Some(v) => {
            let text = serde_json::to_string(v).unwrap_or_default();
            hex::encode(&Sha256::digest(text.as_bytes())[..8])
        }
    }
}

/// A question the office said the answer to: part of the gate's test set for good.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Label {
    /// The text as compared (`collision_key`): one label per question.
    pub key: String,
    pub text: String,
    pub intent: String,
    /// The inbox action that made it (`paraphrase`, `new_entry`, `not_ours`).
    pub source: String,
    pub by: String,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeedbackKind {
    /// An agent marked the desk's suggestion wrong.
    WrongSuggestion,
    /// The resident contradicted the answer at once (asked for a person, "wrong", "useless").
    Contradicted,
    /// A low rating after a handoff.
    LowRating,
}

impl FeedbackKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::WrongSuggestion => "wrong_suggestion",
            Self::Contradicted => "contradicted",
            Self::LowRating => "low_rating",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::WrongSuggestion, Self::Contradicted, Self::LowRating]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// An answer someone found wrong; the text is stored masked.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Feedback {
    pub at: DateTime<Utc>,
    pub kind: FeedbackKind,
    pub text_masked: String,
    pub intent: Option<String>,
    pub entry: Option<String>,
    pub by: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Audit {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub before: Option<String>,
    pub after: Option<String>,
    pub reason: Option<String>,
}

/// One labelled question whose answer a candidate changes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GateCase {
    pub text: String,
    pub expected: String,
    pub before: String,
    pub after: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IntentDelta {
    pub intent: String,
    pub support: usize,
    pub before: usize,
    pub after: usize,
}

/// The live version against a candidate on every labelled question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GateReport {
    pub total: usize,
    pub before_correct: usize,
    pub after_correct: usize,
    /// Questions the live version gets wrong and the candidate right.
    pub fixed: Vec<GateCase>,
    /// Questions the live version gets right and the candidate wrong.
    pub broken: Vec<GateCase>,
    /// Intents whose count of correct answers changes.
    pub per_intent: Vec<IntentDelta>,
    pub passed: bool,
    /// Time to build the candidate and run the questions.
    pub build_ms: u64,
    pub gate_ms: u64,
}

impl GateReport {
    pub fn before_accuracy(&self) -> f64 {
        ratio(self.before_correct, self.total)
    }

    pub fn after_accuracy(&self) -> f64 {
        ratio(self.after_correct, self.total)
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        1.0
    } else {
        a as f64 / b as f64
    }
}
