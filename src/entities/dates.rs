//! Dates: calendar dates in digits or words, relative days and weekdays, all resolved
//! against today in the utility's zone.

use std::collections::HashMap;

use chrono::{Datelike, Days, NaiveDate};
use regex::Captures;

use super::extract::Scan;

/// A number written in digits or in numerals up to 99 (11, 25 and 30 in characters).
pub(crate) fn number(s: &str, numerals: &HashMap<char, u32>) -> Option<u32> {
    if s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse().ok();
    }
    let values: Vec<u32> = s
        .chars()
        .map(|c| numerals.get(&c).copied())
        .collect::<Option<_>>()?;
    match values.as_slice() {
        [v] => Some(*v),
        [10, u] if *u < 10 => Some(10 + u),
        [t, 10] if *t < 10 => Some(t * 10),
        [t, 10, u] if *t < 10 && *u < 10 => Some(t * 10 + u),
        _ => None,
    }
}

/// Months and days written without a year mean the nearest such date: 5 January said in
/// December is next January (the heating season spans the new year), 5 November said late
/// in November stays this year and is in the past.
fn nearest(month: u32, day: u32, today: NaiveDate) -> Option<NaiveDate> {
    let this = NaiveDate::from_ymd_opt(today.year(), month, day);
    let next = NaiveDate::from_ymd_opt(today.year() + 1, month, day);
    match (this, next) {
        (Some(d), Some(n)) if (today - d).num_days() > 183 => Some(n),
        (Some(d), _) => Some(d),
        (None, n) => n.filter(|n| (*n - today).num_days() <= 183),
    }
}

fn offset(today: NaiveDate, days: i64) -> Option<NaiveDate> {
    let magnitude = Days::new(days.unsigned_abs());
    if days >= 0 {
        today.checked_add_days(magnitude)
    } else {
        today.checked_sub_days(magnitude)
    }
}

/// A weekday of a week relative to this one (weeks start on Monday), or without a week
/// its next occurrence, today included.
fn weekday(today: NaiveDate, week: Option<i64>, day: u32) -> Option<NaiveDate> {
    let from_monday = i64::from(today.weekday().num_days_from_monday());
    let target = i64::from(day.checked_sub(1)?);
    match week {
        Some(w) => offset(today, 7 * w + target - from_monday),
        None => offset(today, (target - from_monday).rem_euclid(7)),
    }
}

impl Scan<'_> {
    /// Every date in the message with its byte offset, in the order written.
    pub(crate) fn dates(&mut self, today: NaiveDate) -> Vec<(usize, NaiveDate)> {
        let mut found = Vec::new();
        self.numeric_dates(today, &mut found);
        self.worded_dates(today, &mut found);
        self.days_of_month(today, &mut found);
        let lex = self.lex;
        let relative: Vec<_> = lex.days.find_iter(&self.text).collect();
        for (range, days) in relative {
            if let Some(d) = offset(today, days).filter(|_| self.keep(&range)) {
                found.push((range.start, d));
            }
        }
        let weekdays: Vec<_> = lex.weekdays.find_iter(&self.text).collect();
        for (range, (week, day)) in weekdays {
            if let Some(d) = weekday(today, week, day).filter(|_| self.keep(&range)) {
                found.push((range.start, d));
            }
        }
        found.sort_by_key(|(pos, _)| *pos);
        found
    }

    /// Matches of `re` on the not yet consumed text that are whole numbers (no digit
    /// touching either end), consumed as they are taken.
    fn take_all(&mut self, re: &regex::Regex) -> Vec<(std::ops::Range<usize>, Vec<String>)> {
        let caps: Vec<_> = re
            .captures_iter(&self.work)
            .filter_map(|c| {
                let m = c.get(0)?;
                self.digit_bounded(m.range())
                    .then(|| (m.range(), groups(&c)))
            })
            .collect();
        for (range, _) in &caps {
            self.blank(range.clone());
        }
        caps
    }

    fn numeric_dates(&mut self, today: NaiveDate, found: &mut Vec<(usize, NaiveDate)>) {
        let lex = self.lex;
        for (range, g) in self.take_all(&lex.numeric_date) {
            // Alternatives: (year?, month, day) with - or /, or (year, month, day) with dots.
            let (y, m, d) = if g[1].is_empty() {
                (&g[3], &g[4], &g[5])
            } else {
                (&g[0], &g[1], &g[2])
            };
            self.push_date(found, range, today, y, m, d);
        }
    }

    fn worded_dates(&mut self, today: NaiveDate, found: &mut Vec<(usize, NaiveDate)>) {
        let lex = self.lex;
        for (range, g) in self.take_all(&lex.full_date) {
            self.push_date(found, range, today, &g[0], &g[1], &g[2]);
        }
    }

    fn days_of_month(&mut self, today: NaiveDate, found: &mut Vec<(usize, NaiveDate)>) {
        let lex = self.lex;
        let (re, exclusions) = (&lex.day_only, &lex.day_exclusions);
        let work = self.work.clone();
        for caps in re.captures_iter(&work) {
            let Some(m) = caps.get(0) else { continue };
            let rest = work[m.end()..].trim_start();
            if !self.digit_bounded(m.range()) || exclusions.iter().any(|x| rest.starts_with(x)) {
                continue;
            }
            self.blank(m.range());
            let day = caps.get(1).and_then(|d| number(d.as_str(), &lex.numerals));
            let date = day.and_then(|d| NaiveDate::from_ymd_opt(today.year(), today.month(), d));
            if let Some(date) = date.filter(|_| self.keep(&m.range())) {
                found.push((m.start(), date));
            }
        }
    }

    fn push_date(
        &mut self,
        found: &mut Vec<(usize, NaiveDate)>,
        range: std::ops::Range<usize>,
        today: NaiveDate,
        year: &str,
        month: &str,
        day: &str,
    ) {
        let numerals = &self.lex.numerals;
        let (Some(m), Some(d)) = (number(month, numerals), number(day, numerals)) else {
            return;
        };
        let date = if year.is_empty() {
            nearest(m, d, today)
        } else {
            year.parse()
                .ok()
                .and_then(|y| NaiveDate::from_ymd_opt(y, m, d))
        };
        if let Some(date) = date.filter(|_| self.keep(&range)) {
            found.push((range.start, date));
        }
    }
}

/// Capture groups after the whole match, an unmatched group as "".
fn groups(c: &Captures<'_>) -> Vec<String> {
    c.iter()
        .skip(1)
        .map(|g| g.map_or_else(String::new, |g| g.as_str().to_owned()))
        .collect()
}
