//! Reading one message. Numbers are taken most specific first (landlines, dates, areas,
//! money, "tail number" answers) and blanked out, so what is left as a bare digit run is an
//! account or a mobile number and never the year of a date.

use std::ops::Range;

use chrono::DateTime;
use chrono_tz::Tz;

use super::matcher::Lexicon;
use super::types::{is_mobile, PersonName, PhoneNumber};
use super::{DateMention, Entities, TimeOfDay, UTILITY_TZ};
use crate::nlu::text::normalize;
use crate::service::types::{AccountNo, Fen};

/// One message being read: the normalised text, and a copy with consumed numbers blanked
/// (same byte offsets, so ranges from either apply to both).
pub(crate) struct Scan<'a> {
    pub(crate) lex: &'a Lexicon,
    pub(crate) text: String,
    pub(crate) work: String,
    correction: bool,
}

impl<'a> Scan<'a> {
    fn new(lex: &'a Lexicon, text: &str) -> Self {
        let text = normalize(text);
        Self {
            lex,
            work: text.clone(),
            text,
            correction: false,
        }
    }

    /// Replaces a consumed span by spaces of the same byte length, which keeps the text
    /// valid UTF-8 and every other offset unchanged.
    pub(crate) fn blank(&mut self, range: Range<usize>) {
        let spaces = " ".repeat(range.len());
        self.work.replace_range(range, &spaces);
    }

    /// No ASCII digit right before or after: "11-05" inside "2011-055" is not a date.
    pub(crate) fn digit_bounded(&self, range: Range<usize>) -> bool {
        let b = self.work.as_bytes();
        let before = range.start.checked_sub(1).map(|i| b[i]);
        let after = b.get(range.end).copied();
        !before.is_some_and(|c| c.is_ascii_digit()) && !after.is_some_and(|c| c.is_ascii_digit())
    }

    /// A value right after a negator is what the resident is correcting away from.
    fn negated(&mut self, start: usize) -> bool {
        let before = self.text[..start].trim_end();
        let negated = self
            .lex
            .negators
            .iter()
            .any(|n| before.ends_with(n.as_str()));
        self.correction |= negated;
        negated
    }

    /// A day or time right before "not at home" is when the visit cannot happen. Only
    /// what directly precedes counts: in "tomorrow morning I am out" the morning is out, not the day.
    fn absent_after(&self, end: usize) -> bool {
        let rest = self.text[end..].trim_start();
        self.lex.absent.iter().any(|a| rest.starts_with(a.as_str()))
    }

    /// Whether a mention counts: neither negated before nor declared absent after.
    pub(crate) fn keep(&mut self, range: &Range<usize>) -> bool {
        !self.negated(range.start) && !self.absent_after(range.end)
    }

    fn cued(&self, start: usize, cues: &[String]) -> bool {
        let before = self.text[..start].trim_end_matches([' ', ':']);
        cues.iter().any(|c| before.ends_with(c.as_str()))
    }

    fn landlines(&mut self) -> Vec<(usize, PhoneNumber)> {
        let ranges: Vec<_> = self
            .lex
            .landline
            .find_iter(&self.work)
            .map(|m| m.range())
            .filter(|r| self.digit_bounded(r.clone()))
            .collect();
        let mut phones = Vec::new();
        for r in ranges {
            self.blank(r.clone());
            if let Ok(p) = PhoneNumber::parse(&self.text[r.clone()]) {
                if !self.negated(r.start) {
                    phones.push((r.start, p));
                }
            }
        }
        phones
    }

    /// Numbers followed by a unit, as (value text) in message order.
    fn with_unit(&mut self, re: &regex::Regex) -> Vec<String> {
        let found: Vec<(Range<usize>, String)> = re
            .captures_iter(&self.work)
            .filter_map(|c| Some((c.get(0)?.range(), c.get(1)?.as_str().to_owned())))
            .filter(|(r, _)| self.digit_bounded(r.clone()))
            .collect();
        let mut values = Vec::new();
        for (r, v) in found {
            self.blank(r.clone());
            if !self.negated(r.start) {
                values.push(v);
            }
        }
        values
    }

    fn last4_cued(&mut self) -> Option<String> {
        let c = self.lex.last4.captures(&self.work)?;
        let digits = c.get(1)?;
        if !self.digit_bounded(digits.range()) {
            return None;
        }
        let value = digits.as_str().to_owned();
        self.blank(digits.range());
        Some(value)
    }

    /// What is left: mobiles, accounts (an account cue wins over a mobile's shape), and a
    /// message that is nothing but 4 digits.
    fn digit_runs(&mut self, e: &mut Entities, phones: &mut Vec<(usize, PhoneNumber)>) {
        let runs: Vec<Range<usize>> = self
            .lex
            .digits
            .find_iter(&self.work)
            .map(|m| m.range())
            .collect();
        let whole = self
            .text
            .trim_matches(|c: char| !c.is_alphanumeric())
            .to_owned();
        let lex = self.lex;
        for r in runs {
            let run = self.text[r.clone()].to_owned();
            if self.negated(r.start) {
                continue;
            }
            let account_cue = self.cued(r.start, &lex.account_cues);
            if is_mobile(&run) && !account_cue {
                phones.extend(PhoneNumber::parse(&run).ok().map(|p| (r.start, p)));
            } else if let Ok(no) = AccountNo::parse(run.as_str()) {
                e.account_nos.push(no);
            } else if run.len() == 4 && run == whole {
                e.phone_last4 = Some(run);
            }
        }
    }

    fn time_of_day(&mut self) -> Option<TimeOfDay> {
        let found: Vec<_> = self.lex.time_of_day.find_iter(&self.text).collect();
        found
            .into_iter()
            .filter(|(r, _)| self.keep(r))
            .map(|(_, t)| t)
            .last()
    }

    /// Words of a dictionary the message names, not negated, first mention first.
    fn named<T: Clone + PartialEq>(&mut self, dict: &super::dict::Dict<T>) -> Vec<T> {
        let found: Vec<_> = dict.find_iter(&self.text).collect();
        let mut out = Vec::new();
        for (r, v) in found {
            if !self.negated(r.start) && !out.contains(&v) {
                out.push(v);
            }
        }
        out
    }

    /// 2 to 4 Han characters after a cue, cut before a date, a time or a stop word.
    fn names(&self) -> Vec<PersonName> {
        let mut names = Vec::new();
        for c in self.lex.name.captures_iter(&self.text) {
            let Some(m) = c.get(1) else { continue };
            let candidate = m.as_str();
            let cut = self
                .lex
                .name_stops
                .find_iter(candidate)
                .map(|(r, _)| r.start)
                .find(|&s| candidate[..s].chars().count() >= 2)
                .unwrap_or(candidate.len());
            names.extend(PersonName::parse(&candidate[..cut]).ok());
        }
        names
    }

    fn choice(&self) -> Option<usize> {
        let whole = self.text.trim_matches(|c: char| !c.is_alphanumeric());
        if let Some(n) = self.lex.bare_choices.get(whole) {
            return Some(n);
        }
        self.lex
            .choices
            .find_iter(&self.text)
            .map(|(_, n)| n)
            .next()
    }

    /// Yes and no are whole clauses of answer words; cancel and correction cues count
    /// anywhere, unless negated ("do not cancel").
    fn flags(&mut self, e: &mut Entities) {
        let clauses: Vec<&str> = self.text.split(|c: char| !c.is_alphanumeric()).collect();
        e.yes = clauses.iter().any(|c| self.lex.yes.is_match(c));
        e.no = clauses.iter().any(|c| self.lex.no.is_match(c));
        let lex = self.lex;
        e.cancel = !self.named(&lex.cancel).is_empty();
        e.negative = !self.named(&lex.negative).is_empty();
        e.correction = self
            .lex
            .correction_cues
            .find_iter(&self.text)
            .next()
            .is_some()
            || self.correction;
    }
}

fn to_fen(yuan: &str) -> Option<Fen> {
    let (int, frac) = yuan.split_once('.').unwrap_or((yuan, ""));
    let cents: i64 = format!("{frac:0<2}").get(..2)?.parse().ok()?;
    let fen = int
        .parse::<i64>()
        .ok()?
        .checked_mul(100)?
        .checked_add(cents)?;
    Some(Fen(fen))
}

impl Lexicon {
    /// Reads every entity in `text`. `now` may be in any zone: relative dates and "in the
    /// past" are computed from today in Asia/Shanghai.
    pub fn extract(&self, text: &str, now: DateTime<Tz>) -> Entities {
        let today = now.with_timezone(&UTILITY_TZ).date_naive();
        let mut s = Scan::new(self, text);
        let mut e = Entities::default();
        let mut phones = s.landlines();
        let mut dates = s.dates(today);
        dates.dedup_by_key(|(_, d)| *d);
        e.dates = dates
            .into_iter()
            .map(|(_, date)| DateMention {
                date,
                in_past: date < today,
            })
            .collect();
        e.areas_m2 = s
            .with_unit(&self.area)
            .iter()
            .filter_map(|v| v.parse().ok())
            .collect();
        e.money = s
            .with_unit(&self.money)
            .iter()
            .filter_map(|v| to_fen(v))
            .collect();
        e.phone_last4 = s.last4_cued();
        s.digit_runs(&mut e, &mut phones);
        phones.sort_by_key(|(pos, _)| *pos);
        e.phones = phones.into_iter().map(|(_, p)| p).collect();
        e.time_of_day = s.time_of_day();
        e.names = s.names();
        e.districts = s.named(&self.districts);
        e.estates = s
            .named(&self.estates)
            .into_iter()
            .filter_map(|i| Some(self.estate_names.get(i)?.0.clone()))
            .collect();
        e.choice = s.choice();
        e.satisfaction = s.named(&self.satisfaction).first().copied();
        s.flags(&mut e);
        e
    }
}
