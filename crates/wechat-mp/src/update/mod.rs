//! Typed inbound pushes: user messages and events.

mod event;
mod message;
mod parse;

pub use event::{Event, TemplateStatus};
pub use message::{File, Image, Link, Location, Message, MessageKind, Text, Video, Voice};
pub use parse::UpdateError;

use std::fmt;

use crate::xml::Fields;

/// A user's OpenID: stable per user and per account.
#[derive(
    Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct OpenId(String);

impl OpenId {
    /// Wraps an OpenID; it must be non-empty and free of whitespace and control characters.
    pub fn parse(value: impl Into<String>) -> Result<Self, UpdateError> {
        let value = value.into();
        if value.is_empty() || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(UpdateError::InvalidOpenId);
        }
        Ok(Self(value))
    }

    /// The OpenID text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The last four characters, for logs: enough to follow one user through a day's
    /// lines, too little to find them by.
    pub fn masked(&self) -> String {
        let tail: Vec<char> = self.0.chars().rev().take(4).collect();
        std::iter::once('…').chain(tail.into_iter().rev()).collect()
    }
}

impl fmt::Display for OpenId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for OpenId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// A message id. WeChat sends 17-19 digit numbers; kept as text so an id that
/// is not a number is not a parse failure.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct MsgId(String);

impl MsgId {
    /// Wraps an id.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The id text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The id as a number when it is one.
    pub fn as_u64(&self) -> Option<u64> {
        self.0.parse().ok()
    }
}

impl fmt::Display for MsgId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One push from WeChat.
#[derive(Clone, Debug, PartialEq)]
pub struct Update {
    /// The account's original id (`ToUserName`, `gh_…`).
    pub account: String,
    /// The user (`FromUserName`).
    pub from: OpenId,
    /// `CreateTime`, seconds since the Unix epoch.
    pub create_time: i64,
    /// What happened.
    pub kind: UpdateKind,
    /// Every field of the decrypted document, for elements this crate does not model.
    pub raw: Fields,
}

/// The two families of pushes, plus anything without a `MsgType`.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum UpdateKind {
    /// The user sent something.
    Message(Message),
    /// Something happened (follow, menu click, template delivery, …).
    Event(Event),
    /// A `MsgType` this crate does not know; the fields are in [`Update::raw`].
    Unknown {
        /// The `MsgType` value, empty when absent.
        msg_type: String,
    },
}

impl Update {
    /// Parses a decrypted XML document.
    pub fn from_xml(body: &[u8]) -> Result<Self, UpdateError> {
        let fields = crate::xml::parse(body)?;
        Self::from_fields(fields)
    }

    /// Builds an update from already parsed fields.
    pub fn from_fields(fields: Fields) -> Result<Self, UpdateError> {
        parse::update(fields)
    }

    /// The message, if this update is one.
    pub fn message(&self) -> Option<&Message> {
        match &self.kind {
            UpdateKind::Message(m) => Some(m),
            _ => None,
        }
    }

    /// The event, if this update is one.
    pub fn event(&self) -> Option<&Event> {
        match &self.kind {
            UpdateKind::Event(e) => Some(e),
            _ => None,
        }
    }

    /// The text of a text message.
    pub fn text(&self) -> Option<&str> {
        match self.message()?.kind {
            MessageKind::Text(ref t) => Some(&t.content),
            _ => None,
        }
    }

    /// Whether this is a user message (as opposed to an event); passive news
    /// replies to user messages may carry only one article.
    pub fn is_message(&self) -> bool {
        matches!(self.kind, UpdateKind::Message(_))
    }
}

#[cfg(test)]
mod masking_tests {
    use super::OpenId;

    #[test]
    fn a_masked_openid_keeps_only_its_last_four_characters() {
        let id = OpenId::parse("oUpF8uMuAJO_M2pxb1Q9zNjWeS6o").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(id.masked(), "…eS6o");
        let short = OpenId::parse("ab").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(short.masked(), "…ab");
    }
}
