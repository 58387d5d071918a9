//! Entity extraction: what a resident's message says about slots (account, phone, name,
//! date, time of day, area, place, money, a numbered choice) and about the conversation
//! (yes, no, cancel, a correction), as domain types.
//!
//! The words come from the office's `intents/lexicon.toml`, never from code, so a new
//! colloquial word is a data change. One message may fill several slots at once; the
//! dialogue decides what to do with them, this module only reports what is there.

mod check;
mod dates;
mod dict;
mod extract;
mod lexicon;
mod matcher;
mod types;

#[cfg(test)]
mod tests;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::service::types::{AccountNo, Fen};

pub use check::check;
pub use matcher::{Lexicon, LexiconError};
pub use types::{EntityError, PersonName, PhoneNumber};

/// The time zone the utility works in: "today" is today in Wuhai, whatever the server's
/// own zone is.
pub const UTILITY_TZ: chrono_tz::Tz = chrono_tz::Asia::Shanghai;

/// A part of the day a resident can be at home for a visit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeOfDay {
    Morning,
    Noon,
    Afternoon,
    Evening,
    AllDay,
}

/// A calendar date a message names, resolved against today in the utility's zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DateMention {
    pub date: NaiveDate,
    /// Before today: the dialogue should say so rather than book it.
    pub in_past: bool,
}

/// Everything found in one message. Lists keep the order of the message; a value the
/// resident negated ("not tomorrow, the day after") is left out.
///
/// The flags are independent observations: "no, tomorrow afternoon" is a `no`, a `correction`
/// and a date with a time of day, and the dialogue weighs them against its state.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Entities {
    pub account_nos: Vec<AccountNo>,
    pub phones: Vec<PhoneNumber>,
    /// A bare 4-digit answer, or 4 digits after a cue such as "tail number".
    pub phone_last4: Option<String>,
    pub names: Vec<PersonName>,
    pub dates: Vec<DateMention>,
    /// The last part of the day the message names (a later mention corrects an earlier).
    pub time_of_day: Option<TimeOfDay>,
    pub areas_m2: Vec<f64>,
    /// Canonical district names.
    pub districts: Vec<String>,
    /// Canonical estate names.
    pub estates: Vec<String>,
    pub money: Vec<Fen>,
    /// 1-based answer to a numbered question.
    pub choice: Option<usize>,
    /// How satisfied the words say the resident is, 1 to 5 ("very satisfied": 5).
    #[serde(default)]
    pub satisfaction: Option<usize>,
    pub yes: bool,
    pub no: bool,
    pub cancel: bool,
    pub correction: bool,
    /// The message has a word of an unhappy resident.
    pub negative: bool,
}

impl Entities {
    /// No slot value at all (flags aside): the message is a question, an answer or chat.
    pub fn has_no_values(&self) -> bool {
        self.account_nos.is_empty()
            && self.phones.is_empty()
            && self.phone_last4.is_none()
            && self.names.is_empty()
            && self.dates.is_empty()
            && self.time_of_day.is_none()
            && self.areas_m2.is_empty()
            && self.districts.is_empty()
            && self.estates.is_empty()
            && self.money.is_empty()
            && self.choice.is_none()
    }
}
