//! Values a message can carry, each validated by `parse` so the dialogue never holds a
//! phone number or a name it has not checked.

use std::fmt;

use serde::{Deserialize, Serialize};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EntityError {
    #[error("a phone number is a mainland mobile (11 digits from 13 to 19) or a landline with its area code (0473-3961234)")]
    Phone,
    #[error("a name is 2 to 4 Han characters")]
    Name,
}

/// A mainland mobile number (`13912345678`) or a landline with its area code
/// (`0473-3961234`), kept in that canonical form.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// Accepts a mobile number, or a landline whose area code is separated by `-` or a
    /// space (without it, 3- and 4-digit area codes cannot be told apart).
    pub fn parse(s: &str) -> Result<Self, EntityError> {
        let s = s.trim();
        if is_mobile(s) {
            return Ok(Self(s.to_owned()));
        }
        let (area, local) = s.split_once(['-', ' ']).ok_or(EntityError::Phone)?;
        let digits = |p: &str, lens: std::ops::RangeInclusive<usize>| {
            lens.contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit())
        };
        if area.starts_with('0') && digits(area, 3..=4) && digits(local, 7..=8) {
            Ok(Self(format!("{area}-{local}")))
        } else {
            Err(EntityError::Phone)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_mobile(&self) -> bool {
        is_mobile(&self.0)
    }

    /// What a resident is asked to confirm, and what is compared with the phone on file.
    pub fn last4(&self) -> &str {
        &self.0[self.0.len().saturating_sub(4)..]
    }

    /// For logs and replies to residents who have not verified: every digit but the last
    /// 4 hidden.
    pub fn masked(&self) -> String {
        let keep_from = self.0.len().saturating_sub(4);
        self.0
            .char_indices()
            .map(|(i, c)| {
                if i < keep_from && c.is_ascii_digit() {
                    '*'
                } else {
                    c
                }
            })
            .collect()
    }
}

/// Mainland mobile numbers: 11 digits, starting 13 to 19.
pub(crate) fn is_mobile(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 11
        && b[0] == b'1'
        && (b'3'..=b'9').contains(&b[1])
        && b.iter().all(u8::is_ascii_digit)
}

impl TryFrom<String> for PhoneNumber {
    type Error = EntityError;
    fn try_from(s: String) -> Result<Self, EntityError> {
        Self::parse(&s)
    }
}

impl From<PhoneNumber> for String {
    fn from(p: PhoneNumber) -> String {
        p.0
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A person's name as residents give it for the account holder: 2 to 4 Han characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PersonName(String);

impl PersonName {
    pub fn parse(s: &str) -> Result<Self, EntityError> {
        let s = s.trim();
        let n = s.chars().count();
        if (2..=4).contains(&n) && s.chars().all(is_han) {
            Ok(Self(s.to_owned()))
        } else {
            Err(EntityError::Name)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// CJK unified ideographs and extension A, the blocks names are written in.
pub(crate) fn is_han(c: char) -> bool {
    matches!(c, '\u{4e00}'..='\u{9fff}' | '\u{3400}'..='\u{4dbf}')
}

impl TryFrom<String> for PersonName {
    type Error = EntityError;
    fn try_from(s: String) -> Result<Self, EntityError> {
        Self::parse(&s)
    }
}

impl From<PersonName> for String {
    fn from(p: PersonName) -> String {
        p.0
    }
}

impl fmt::Display for PersonName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
