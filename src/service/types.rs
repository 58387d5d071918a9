//! The service API's domain types, parsed at the edge.

use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ParseError {
    #[error("an account number has 8 to 12 digits")]
    AccountNo,
    #[error("a request id looks like R followed by digits")]
    RequestId,
    #[error("an idempotency key has 8 to 128 printable ASCII characters")]
    IdempotencyKey,
}

macro_rules! string_id {
    ($name:ident, $check:expr, $err:expr) => {
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub fn parse(s: impl Into<String>) -> Result<Self, ParseError> {
                let s: String = s.into();
                let check: fn(&str) -> bool = $check;
                if check(&s) {
                    Ok(Self(s))
                } else {
                    Err($err)
                }
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = ParseError;
            fn try_from(s: String) -> Result<Self, ParseError> {
                Self::parse(s)
            }
        }

        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

string_id!(
    AccountNo,
    |s| (8..=12).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit()),
    ParseError::AccountNo
);
string_id!(
    RequestId,
    |s| s.len() > 1
        && s.len() <= 32
        && s.starts_with('R')
        && s[1..].bytes().all(|b| b.is_ascii_digit()),
    ParseError::RequestId
);
string_id!(
    IdempotencyKey,
    |s| (8..=128).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_graphic()),
    ParseError::IdempotencyKey
);

/// How the keys of requests made in the resident's chat begin. Here, beside the key, since
/// both the dialogue (which makes them) and the reports (which count them apart) read it,
/// and neither may import the other (the reports feed compensation, which the dialogue
/// asks).
pub const CHAT_REQUEST_KEY_PREFIX: &str = "dlg-";

impl AccountNo {
    /// For logs and for residents who have not verified: the last 4 digits only.
    pub fn masked(&self) -> String {
        let keep = self.0.len().saturating_sub(4);
        format!("{}{}", "*".repeat(keep), &self.0[keep..])
    }
}

/// An amount of money in fen (0.01 yuan), so sums are exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Fen(pub i64);

impl Fen {
    pub fn yuan(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        format!("{sign}{}.{:02}", self.0.abs() / 100, self.0.abs() % 100)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountStatus {
    Active,
    Suspended,
}

/// A heating account as the business system shows it. The holder's name comes masked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Account {
    pub no: AccountNo,
    pub holder_masked: String,
    pub address: String,
    pub district: String,
    pub estate: String,
    /// Billed heating area in m².
    pub area_m2: f64,
    pub status: AccountStatus,
}

/// Proof that a resident may see an account: the holder's name, or the last 4 digits of
/// the phone number on file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum Verification {
    HolderName(String),
    PhoneLast4(String),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bill {
    /// e.g. "2026-2027".
    pub season: String,
    pub amount: Fen,
    pub paid: Fen,
    pub due: NaiveDate,
}

impl Bill {
    pub fn outstanding(&self) -> Fen {
        Fen((self.amount.0 - self.paid.0).max(0))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Payment {
    pub at: DateTime<Utc>,
    pub amount: Fen,
    pub channel: String,
    pub season: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestKind {
    Suspension,
    Resumption,
    Repair,
    Inspection,
    Leak,
    AreaChange,
    Invoice,
}

/// Where a request stands. Resumption follows the unified flow: submitted → awaiting
/// payment → paid → work order issued → valve opened → completed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestStatus {
    Submitted,
    AwaitingPayment,
    Paid,
    UnderReview,
    WorkOrderIssued,
    InProgress,
    ValveClosed,
    ValveOpened,
    Completed,
    Rejected,
    Cancelled,
}

impl RequestStatus {
    /// Where a request ends: nothing moves it on from there.
    pub const CLOSED: [Self; 3] = [Self::Completed, Self::Rejected, Self::Cancelled];

    pub fn is_open(self) -> bool {
        !Self::CLOSED.contains(&self)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimelineEvent {
    pub at: DateTime<Utc>,
    pub status: RequestStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceRequest {
    pub id: RequestId,
    pub account: AccountNo,
    pub kind: RequestKind,
    pub status: RequestStatus,
    pub urgent: bool,
    pub created_at: DateTime<Utc>,
    /// What the resident gave: address, phone, problem, preferred date, photos, invoice
    /// title… (kind-specific, kept as JSON).
    pub details: serde_json::Value,
    pub timeline: Vec<TimelineEvent>,
}

/// A request a station does on site, with what the crew needs to find the flat. The holder
/// comes masked and the account's phone on file stays out, since crews read work orders
/// too; the request's details keep what the resident gave for this job (the contact phone
/// they asked to be called on).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkOrder {
    pub request: ServiceRequest,
    pub holder_masked: String,
    pub address: String,
    pub district: String,
    pub estate: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewRequest {
    pub idempotency_key: IdempotencyKey,
    pub account: AccountNo,
    pub kind: RequestKind,
    #[serde(default)]
    pub urgent: bool,
    #[serde(default)]
    pub details: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusUpdate {
    pub idempotency_key: IdempotencyKey,
    pub request: RequestId,
    pub status: RequestStatus,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hall {
    pub id: String,
    pub name: String,
    pub district: String,
    pub address: String,
    pub phone: String,
    pub hours: String,
    pub lat: f64,
    pub lon: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_numbers_are_parsed_and_masked() {
        let no = AccountNo::parse("1020304050").expect("valid");
        assert_eq!(no.masked(), "******4050");
        assert!(AccountNo::parse("12ab5678").is_err());
        assert!(AccountNo::parse("1234567").is_err());
    }

    #[test]
    fn money_prints_in_yuan() {
        assert_eq!(Fen(123456).yuan(), "1234.56");
        assert_eq!(Fen(-5).yuan(), "-0.05");
    }
}
