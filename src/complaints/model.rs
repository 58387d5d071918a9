//! What a complaint case is: its number, deadlines, standing and timeline.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::Channel;
use crate::entities::UTILITY_TZ;

/// What the complaint is about; set by the agent (the dialogue lodges it `Unsorted`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Unsorted,
    /// How residents were served (halls, hotline, waiting).
    Service,
    /// Rooms too cold, heating not restored.
    Heating,
    /// Repairs and visits not done or done badly.
    Repair,
    /// Bills, fees, refunds.
    Billing,
    /// A member of staff's conduct.
    Staff,
    Other,
}

impl Category {
    pub const ALL: [Self; 7] = [
        Self::Unsorted,
        Self::Service,
        Self::Heating,
        Self::Repair,
        Self::Billing,
        Self::Staff,
        Self::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unsorted => "unsorted",
            Self::Service => "service",
            Self::Heating => "heating",
            Self::Repair => "repair",
            Self::Billing => "billing",
            Self::Staff => "staff",
            Self::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    Open,
    Closed,
}

impl CaseStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Open, Self::Closed]
            .into_iter()
            .find(|c| c.as_str() == s)
    }
}

/// A line of a case's timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Opened,
    Note,
    /// An agent made the case theirs.
    Taken,
    /// The resident was contacted (the first deadline is met).
    Contacted,
    Categorised,
    Closed,
    /// A deadline passed with the case open; the desk was told.
    Overdue,
    /// The follow-up call after closing: the resident's satisfaction.
    FollowedUp,
}

impl EventKind {
    pub const ALL: [Self; 8] = [
        Self::Opened,
        Self::Note,
        Self::Taken,
        Self::Contacted,
        Self::Categorised,
        Self::Closed,
        Self::Overdue,
        Self::FollowedUp,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Opened => "opened",
            Self::Note => "note",
            Self::Taken => "taken",
            Self::Contacted => "contacted",
            Self::Categorised => "categorised",
            Self::Closed => "closed",
            Self::Overdue => "overdue",
            Self::FollowedUp => "followed_up",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct CaseEvent {
    pub at: DateTime<Utc>,
    pub kind: EventKind,
    /// The desk user's display name; `None`: heatdesk itself.
    pub author: Option<String>,
    pub note: Option<String>,
}

/// A complaint to be opened.
#[derive(Debug, Clone, PartialEq)]
pub struct NewCase {
    /// One case per key: the same message lodging it twice finds the first.
    pub source_key: String,
    /// The resident's OpenID, when they wrote on WeChat.
    pub user: Option<String>,
    pub account: Option<String>,
    pub district: Option<String>,
    pub words: String,
    pub category: Category,
    pub channel: Channel,
    pub owner: Option<i64>,
    pub handoff: Option<i64>,
    pub opened_at: DateTime<Utc>,
    pub contact_by: DateTime<Utc>,
    pub resolve_by: DateTime<Utc>,
    /// Who opened it (a desk user's display name; `None`: the resident, through the bot).
    pub author: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    pub id: i64,
    pub user: Option<String>,
    pub account: Option<String>,
    pub district: Option<String>,
    pub words: String,
    pub category: Category,
    pub channel: String,
    pub status: CaseStatus,
    pub owner: Option<i64>,
    /// The owner's display name.
    pub owner_name: Option<String>,
    pub handoff: Option<i64>,
    pub opened_at: DateTime<Utc>,
    pub contact_by: DateTime<Utc>,
    pub resolve_by: DateTime<Utc>,
    pub contacted_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub outcome: Option<String>,
    pub overdue_at: Option<DateTime<Utc>>,
    pub follow_up_due: Option<DateTime<Utc>>,
    pub followed_up_at: Option<DateTime<Utc>>,
    pub satisfaction: Option<i64>,
    pub follow_up_note: Option<String>,
}

/// Where an open case stands against its deadlines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    /// A deadline passed: not contacted in time, or not resolved in time.
    Overdue,
    /// The next deadline is near.
    DueSoon,
    OnTrack,
    Closed,
}

impl Standing {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Overdue => "overdue",
            Self::DueSoon => "due_soon",
            Self::OnTrack => "on_track",
            Self::Closed => "closed",
        }
    }
}

/// The number of a case opened at `at` with id `id`: `TS` + the local day + the id, so it
/// reads as a date on the phone and never repeats.
pub fn case_number(id: i64, at: DateTime<Utc>) -> String {
    format!(
        "TS{}{id:04}",
        at.with_timezone(&UTILITY_TZ).format("%Y%m%d")
    )
}

/// The id inside a case number (`TS202612040007` → 7).
pub fn parse_number(number: &str) -> Option<i64> {
    let digits = number.trim().strip_prefix("TS")?;
    digits.get(8..)?.parse().ok().filter(|id| *id > 0)
}

impl Case {
    pub fn number(&self) -> String {
        case_number(self.id, self.opened_at)
    }

    /// The deadline the case is working to now: contact first, then resolution.
    pub fn next_deadline(&self) -> DateTime<Utc> {
        match self.contacted_at {
            None => self.contact_by.min(self.resolve_by),
            Some(_) => self.resolve_by,
        }
    }

    pub fn standing(&self, now: DateTime<Utc>, due_soon: Duration) -> Standing {
        if self.status == CaseStatus::Closed {
            return Standing::Closed;
        }
        let next = self.next_deadline();
        if now > next {
            Standing::Overdue
        } else if next - now <= due_soon {
            Standing::DueSoon
        } else {
            Standing::OnTrack
        }
    }

    /// Closed before the resolution deadline (and contacted before the contact deadline).
    pub fn closed_in_time(&self) -> bool {
        let contacted = self
            .contacted_at
            .or(self.closed_at)
            .is_some_and(|c| c <= self.contact_by);
        self.closed_at.is_some_and(|c| c <= self.resolve_by) && contacted
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn numbers_carry_the_local_day_and_give_back_the_id() {
        // 17:30 UTC is already the next day in Asia/Shanghai.
        let at = Utc.with_ymd_and_hms(2026, 12, 3, 17, 30, 0).unwrap();
        let n = case_number(7, at);
        assert_eq!(n, "TS202612040007");
        assert_eq!(parse_number(&n), Some(7));
        assert_eq!(parse_number("TS2026120412345"), Some(12345));
        assert_eq!(parse_number("X1"), None);
    }
}
