//! The lexicon file's format and its checks. Every problem is reported as `file:line`, like
//! the catalogue's, so the office can fix the file without reading code.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;
use toml::Spanned;

use crate::catalog::{line_of_pub as line_of, Diagnostics};
use crate::nlu::text::normalize;

pub(crate) type Words = Vec<Spanned<String>>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawLexicon {
    pub day: Vec<ValueWords>,
    pub weekday: Vec<WeekdayWords>,
    pub week: Vec<ValueWords>,
    pub time_of_day: RawTimeOfDay,
    pub answers: RawAnswers,
    pub correction: RawCorrection,
    pub name: RawName,
    pub account: RawCues,
    pub phone: RawPhone,
    pub date: RawDate,
    pub district: Vec<RawDistrict>,
    #[serde(default)]
    pub estate: Vec<RawEstate>,
    pub units: RawUnits,
    pub numerals: Spanned<BTreeMap<String, Spanned<i64>>>,
    pub choice: Vec<RawChoice>,
    /// Words that rate the service 1 to 5 ("very satisfied"), for follow-up questions.
    #[serde(default)]
    pub satisfaction: Vec<RawSatisfaction>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ValueWords {
    pub offset: Spanned<i64>,
    pub words: Words,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct WeekdayWords {
    pub day: Spanned<i64>,
    pub words: Words,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTimeOfDay {
    pub morning: Words,
    pub noon: Words,
    pub afternoon: Words,
    pub evening: Words,
    pub all_day: Words,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAnswers {
    pub yes: Words,
    pub no: Words,
    pub cancel: Words,
    #[serde(default)]
    pub fillers: Words,
    /// Words of an unhappy resident; repeated, they hand the conversation to a person.
    #[serde(default)]
    pub negative: Words,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCorrection {
    pub cues: Words,
    #[serde(default)]
    pub negators: Words,
    #[serde(default)]
    pub absent: Words,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawName {
    pub cues: Words,
    #[serde(default)]
    pub stops: Words,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCues {
    pub cues: Words,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPhone {
    pub last4_cues: Words,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawDate {
    pub year: Words,
    pub month: Words,
    pub day: Words,
    #[serde(default)]
    pub day_exclusions: Words,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawDistrict {
    pub name: Spanned<String>,
    #[serde(default)]
    pub aliases: Words,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawEstate {
    pub name: Spanned<String>,
    pub district: Spanned<String>,
    #[serde(default)]
    pub aliases: Words,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawUnits {
    pub area: Words,
    pub money: Words,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSatisfaction {
    pub score: Spanned<i64>,
    pub words: Words,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawChoice {
    pub n: Spanned<i64>,
    pub words: Words,
    #[serde(default)]
    pub bare: Words,
}

/// Normalised like messages, so a word matches however the resident typed it.
pub(crate) fn norm(words: &Words) -> Vec<String> {
    words.iter().map(|w| normalize(w.get_ref())).collect()
}

/// The file's text, kept for turning byte offsets into line numbers.
pub(crate) struct Source {
    pub path: PathBuf,
    pub text: String,
}

impl Source {
    pub(crate) fn line<T>(&self, s: &Spanned<T>) -> usize {
        line_of(&self.text, s.span().start)
    }
}

/// Parses the file, reporting a syntax or shape error with its line.
pub(crate) fn parse(src: &Source, diags: &mut Diagnostics) -> Option<RawLexicon> {
    toml::from_str(&src.text)
        .map_err(|e| {
            let line = e.span().map_or(1, |s| line_of(&src.text, s.start));
            diags.error(&src.path, line, e.message().trim().to_owned());
        })
        .ok()
}
