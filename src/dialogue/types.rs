//! What goes in and out of the dialogue: domain values, never XML or HTTP.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One message from a resident, as the channel adapter parsed it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type", content = "value")]
pub enum Inbound {
    Text(String),
    /// WeChat's speech recognition, when the account has it switched on.
    Voice {
        recognition: Option<String>,
    },
    /// A custom-menu click (`EventKey`).
    Click {
        key: String,
    },
    Location {
        lat: f64,
        lon: f64,
        label: Option<String>,
    },
    Image {
        media_id: String,
        url: Option<String>,
    },
    Subscribe,
    /// A message type the dialogue does not read (video, link, file…), kept by name.
    Other {
        kind: String,
    },
}

/// One turn: who (an OpenID, or the terminal's user), what, when, in which language.
#[derive(Debug, Clone, PartialEq)]
pub struct Turn {
    pub user: String,
    pub inbound: Inbound,
    /// The clock of the turn: relative dates, deadlines and the timeout are computed from it.
    pub at: DateTime<Utc>,
    pub locale: String,
    /// The channel's id of the message (WeChat's retry key), when it has one: a message
    /// answered once is answered the same way again, never run twice.
    pub message: Option<String>,
}

pub use crate::domain::EscalationReason;

pub use crate::transcript::Escalation;

/// What the resident is sent back, in order, and whether a person should take over.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcome {
    pub replies: Vec<String>,
    pub escalation: Option<Escalation>,
    /// Hand the resident to WeChat's customer-service tool (the account, empty: any agent)
    /// instead of replying.
    pub transfer: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum DialogueError {
    #[error("conversation store: {0}")]
    Store(#[from] crate::transcript::StoreError),
    #[error("dialogue data: {0}")]
    Data(String),
    #[error("the conversation of this user kept changing under this turn")]
    Contended,
}
