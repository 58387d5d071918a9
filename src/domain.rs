//! Identifiers parsed at the edge: once a value has one of these types it is known valid.

use std::fmt;

use serde::{Deserialize, Serialize};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum IdError {
    #[error(
        "`{0}` is not a valid intent id (lower-case letters, digits and _, starting with a letter)"
    )]
    Intent(String),
    #[error("`{0}` is not a valid entry id (lower-case letters, digits, _ and ., starting with a letter)")]
    Entry(String),
}

fn valid_id(s: &str, extra: &[char]) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some('a'..='z'))
        && s.len() <= 64
        && chars
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || extra.contains(&c))
}

macro_rules! id_type {
    ($name:ident, $err:ident, $extra:expr) => {
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub fn parse(s: impl Into<String>) -> Result<Self, IdError> {
                let s = s.into();
                if valid_id(&s, $extra) {
                    Ok(Self(s))
                } else {
                    Err(IdError::$err(s))
                }
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(s: String) -> Result<Self, IdError> {
                Self::parse(s)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

id_type!(IntentId, Intent, &[]);
id_type!(EntryId, Entry, &['.']);

impl IntentId {
    /// The fallback every catalogue must have.
    pub const OUT_OF_SCOPE: &'static str = "out_of_scope";

    pub fn out_of_scope() -> Self {
        Self(Self::OUT_OF_SCOPE.to_owned())
    }

    pub fn is_out_of_scope(&self) -> bool {
        self.0 == Self::OUT_OF_SCOPE
    }
}

/// The intent ids of the public contract (`shared/spec/intents.md`): they must always exist.
pub const CONTRACT_INTENTS: [&str; 21] = [
    "greeting",
    "thanks_bye",
    "human_agent",
    "complaint",
    "heating_period",
    "fee_standard",
    "payment_channels",
    "payment_lookup",
    "invoice",
    "hall_info",
    "not_warm",
    "leak_emergency",
    "repair_service",
    "suspension",
    "resumption",
    "request_status",
    "area_change",
    "new_connection",
    "ownership_transfer",
    "account_binding",
    "out_of_scope",
];

/// The channels a standard reply is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    Wechat,
    Hotline,
    Counter,
}

/// Masks personal data (phone and account numbers: any run of 7+ digits) before it is
/// logged or stored for review, keeping the last 4 digits for recognisability.
pub fn mask_personal(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut digits = String::new();
    let flush = |digits: &mut String, out: &mut String| {
        if digits.chars().count() >= 7 {
            let keep = digits.len() - 4;
            out.extend(std::iter::repeat_n('*', keep));
            out.push_str(&digits[keep..]);
        } else {
            out.push_str(digits);
        }
        digits.clear();
    };
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
        } else {
            flush(&mut digits, &mut out);
            out.push(c);
        }
    }
    flush(&mut digits, &mut out);
    out
}

/// A value that must never reach a log line or an error message.
#[derive(Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

thread_local! {
    static REDACTING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f` with every `Secret` serialising as `"***"` (`""` when empty): settings can be
/// shown whatever secrets they hold, including ones added later.
pub fn with_secrets_hidden<T>(f: impl FnOnce() -> T) -> T {
    struct Reset(bool);
    impl Drop for Reset {
        fn drop(&mut self) {
            REDACTING.with(|r| r.set(self.0));
        }
    }
    let _reset = Reset(REDACTING.with(|r| r.replace(true)));
    f()
}

impl Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if REDACTING.with(std::cell::Cell::get) && !self.0.is_empty() {
            s.serialize_str("***")
        } else {
            s.serialize_str(&self.0)
        }
    }
}

/// A database URL fit to print: the password (`user:password@`, `password=`) left out.
pub fn url_without_password(url: &str) -> String {
    let (head, query) = url.split_once('?').unwrap_or((url, ""));
    let head = match head.split_once("://") {
        Some((scheme, rest)) => {
            let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
            let authority = match authority.rsplit_once('@') {
                Some((user, host)) => {
                    let user = user.split_once(':').map_or(user, |(u, _)| u);
                    format!("{user}@{host}")
                }
                None => authority.to_owned(),
            };
            let slash = if rest.contains('/') { "/" } else { "" };
            format!("{scheme}://{authority}{slash}{path}")
        }
        None => head.to_owned(),
    };
    let params: Vec<&str> = query
        .split('&')
        .filter(|p| !p.is_empty() && !p.to_ascii_lowercase().starts_with("password="))
        .collect();
    if params.is_empty() {
        head
    } else {
        format!("{head}?{}", params.join("&"))
    }
}

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_empty() { "\"\"" } else { "\"***\"" })
    }
}

/// 32 random bytes, hex: session tokens, CSRF tokens, an instance's name.
pub fn random_token() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// Full-width to half-width (NFKC), lower case, runs of white space folded to one space.
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    for c in unicode_normalization::UnicodeNormalization::nfkc(text).flat_map(char::to_lowercase) {
        if c.is_whitespace() || c.is_control() {
            space = !out.is_empty();
        } else {
            if space {
                out.push(' ');
                space = false;
            }
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printed_database_urls_carry_no_password() {
        for (url, shown) in [
            ("postgres://hd:pw@db:5432/hd", "postgres://hd@db:5432/hd"),
            (
                "postgresql://hd:p@ss@db/hd?password=x&sslmode=require",
                "postgresql://hd@db/hd?sslmode=require",
            ),
            ("sqlite://data/heatdesk.db", "sqlite://data/heatdesk.db"),
            (
                "sqlite:///var/lib/heatdesk/heatdesk.db",
                "sqlite:///var/lib/heatdesk/heatdesk.db",
            ),
        ] {
            assert_eq!(url_without_password(url), shown);
        }
        let s = Secret::new("pw");
        assert_eq!(
            with_secrets_hidden(|| serde_json::to_string(&s))
                .ok()
                .as_deref(),
            Some("\"***\"")
        );
        assert_eq!(
            serde_json::to_string(&s).ok().as_deref(),
            Some("\"pw\""),
            "hidden only when asked"
        );
    }

    #[test]
    fn ids_are_validated() {
        assert!(IntentId::parse("not_warm").is_ok());
        assert!(IntentId::parse("Not-Warm").is_err());
        assert!(IntentId::parse("").is_err());
        assert!(EntryId::parse("invoice.vat_special").is_ok());
        assert!(IntentId::parse("invoice.vat").is_err());
    }

    #[test]
    fn long_digit_runs_are_masked() {
        assert_eq!(
            mask_personal("call 13912345678 now"),
            "call *******5678 now"
        );
        assert_eq!(mask_personal("room 1201"), "room 1201");
        assert_eq!(mask_personal("1020304050"), "******4050");
    }
}

/// Why a conversation is handed to a person. Which of these open a handoff, and with
/// which priority, is a setting (`[handoff]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EscalationReason {
    /// The resident asked for a person.
    Requested,
    /// A complaint: always a person's job.
    Complaint,
    /// An emergency (a leak): a person follows up at once.
    Urgent,
    /// The classifier stayed unsure after the resident was asked again.
    NotUnderstood,
    /// The resident kept using negative words (angry, fed up).
    Negative,
    /// The service API refused a transaction (arrears, a rule).
    ServiceRefused,
    /// The office marked the intent as one a person handles.
    CuratorMarked,
    /// The account could not be verified.
    VerificationFailed,
}

impl EscalationReason {
    pub const ALL: [Self; 8] = [
        Self::Requested,
        Self::Complaint,
        Self::Urgent,
        Self::NotUnderstood,
        Self::Negative,
        Self::ServiceRefused,
        Self::CuratorMarked,
        Self::VerificationFailed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Requested => "requested",
            Self::Complaint => "complaint",
            Self::Urgent => "urgent",
            Self::NotUnderstood => "not_understood",
            Self::Negative => "negative",
            Self::ServiceRefused => "service_refused",
            Self::CuratorMarked => "curator_marked",
            Self::VerificationFailed => "verification_failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// A unit enum's serde name (`valve_opened`), as the APIs and data attributes spell it.
pub fn snake_name<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The same name as a part of a Fluent id (`valve-opened`).
pub fn fluent_part<T: Serialize>(v: &T) -> String {
    snake_name(v).replace('_', "-")
}
