//! What one account is owed for one season: pure, from the measurements recorded on its
//! inspection visits and the interruptions that covered it. No clock, no database: the
//! caller passes "now" (`as_of`) and everything read.
//!
//! The rules, as decided for issue 16 (the README's `[compensation]` section says the same):
//!
//! - **Below the standard.** A measurement is below when its coldest room is *strictly*
//!   below `rules.indoor_min_celsius` (exactly the standard is not below). From the local
//!   day of a below measurement, each day is reduced by the percentage of the band the
//!   coldest room falls in, until the day before the account's next measurement (a later
//!   measurement that is not below confirms the rectification and ends the reduction; a
//!   later one still below starts again with its own band). With no later measurement the
//!   reduction runs through the day of `as_of`: the rectification deadline is the
//!   utility's promise, not a limit on what the resident is owed while still cold.
//! - **Interruptions.** Only those the utility caused (faults and planned works; never
//!   "season not started"). The intervals covering the account are merged first, so two
//!   overlapping interruptions count once; a merged stretch is compensated only when it
//!   lasts *longer* than the threshold (exactly the threshold is not), then for every
//!   started day of its whole length (25 h is 2 days).
//! - Everything is clipped to the season (local days, start included, end excluded) and
//!   to `as_of`. A day can be reduced both for a measurement and an interruption (different
//!   causes, both listed), but the total never exceeds the season's fee.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

// Days are the utility's calendar days.
use crate::entities::UTILITY_TZ as TZ;
use crate::service::Fen;

/// A fee reduction for a range of the coldest room's temperature: `from` (inclusive, none:
/// no lower edge) up to `to` (exclusive).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Band {
    #[serde(default)]
    pub from_celsius: Option<f64>,
    pub to_celsius: f64,
    /// Share of the daily fee not charged, 0–100.
    pub percent: f64,
}

impl Band {
    fn contains(&self, celsius: f64) -> bool {
        celsius < self.to_celsius && self.from_celsius.is_none_or(|f| celsius >= f)
    }
}

/// The calculation's rules (the `[compensation]` settings less their bookkeeping).
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub min_celsius: f64,
    pub bands: Vec<Band>,
    /// An interruption stretch is compensated when strictly longer than this.
    pub interruption_threshold_hours: i64,
    /// Share of the daily fee not charged per started day of such a stretch, 0–100.
    pub interruption_percent: f64,
}

/// One measurement visit's result: when, and the coldest room.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reading {
    pub at: DateTime<Utc>,
    pub lowest_celsius: f64,
}

/// An interruption that covered the account (already filtered by cause and scope).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Outage {
    pub id: i64,
    pub from: DateTime<Utc>,
    /// Restored at; none: still off.
    pub to: Option<DateTime<Utc>>,
}

/// Everything the calculation reads for one account and season.
#[derive(Debug, Clone)]
pub struct Input<'a> {
    pub policy: &'a Policy,
    /// The season's fee of the account (its bill, or area × price).
    pub season_fee: Fen,
    /// First day of the season (included) and its end (excluded), local days.
    pub season_start: NaiveDate,
    pub season_end: NaiveDate,
    pub as_of: DateTime<Utc>,
    pub readings: &'a [Reading],
    pub outages: &'a [Outage],
}

/// Why a line is owed.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Reason {
    /// Measured below the standard; the coldest room.
    BelowStandard { celsius: f64 },
    /// Without heat longer than the threshold; the interruptions merged into the stretch.
    Interruption { hours: i64, incidents: Vec<i64> },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Line {
    #[serde(flatten)]
    pub reason: Reason,
    /// First local day reduced.
    pub from: NaiveDate,
    pub days: i64,
    pub percent: f64,
    pub amount: Fen,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Owed {
    /// The season's fee divided by its days, in fen (unrounded).
    pub daily_fee: f64,
    pub lines: Vec<Line>,
    pub total: Fen,
}

impl Policy {
    /// The band of a temperature below the standard; none when not below or in no band.
    pub fn band(&self, celsius: f64) -> Option<&Band> {
        if !self.is_below(celsius) {
            return None;
        }
        self.bands.iter().find(|b| b.contains(celsius))
    }

    /// Strictly below: the standard itself is met.
    pub fn is_below(&self, celsius: f64) -> bool {
        celsius < self.min_celsius
    }
}

fn day_of(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&TZ).date_naive()
}

fn amount(daily_fee: f64, days: i64, percent: f64) -> Fen {
    Fen((daily_fee * days as f64 * percent / 100.0).round() as i64)
}

/// What the account is owed.
pub fn owed(input: &Input<'_>) -> Owed {
    let season_days = (input.season_end - input.season_start).num_days().max(1);
    let daily_fee = input.season_fee.0 as f64 / season_days as f64;
    let mut lines = below_standard(input, daily_fee);
    lines.extend(interruptions(input, daily_fee));
    let sum: i64 = lines.iter().map(|l| l.amount.0).sum();
    Owed {
        daily_fee,
        total: Fen(sum.min(input.season_fee.0.max(0))),
        lines,
    }
}

fn below_standard(input: &Input<'_>, daily_fee: f64) -> Vec<Line> {
    let mut readings = input.readings.to_vec();
    readings.sort_by_key(|r| r.at);
    // The day after the last day that may be counted.
    let stop = (day_of(input.as_of) + Duration::days(1)).min(input.season_end);
    let mut lines = Vec::new();
    for (i, r) in readings.iter().enumerate() {
        let Some(band) = input.policy.band(r.lowest_celsius) else {
            continue;
        };
        let from = day_of(r.at).max(input.season_start);
        let until = readings
            .get(i + 1)
            .map_or(stop, |next| day_of(next.at).min(stop));
        let days = (until - from).num_days();
        if days <= 0 {
            continue;
        }
        lines.push(Line {
            reason: Reason::BelowStandard {
                celsius: r.lowest_celsius,
            },
            from,
            days,
            percent: band.percent,
            amount: amount(daily_fee, days, band.percent),
        });
    }
    lines
}

/// Local midnight of a day, in UTC.
fn midnight(day: NaiveDate) -> DateTime<Utc> {
    use chrono::TimeZone;
    TZ.from_local_datetime(&day.and_time(chrono::NaiveTime::MIN))
        .earliest()
        .map_or_else(
            || day.and_time(chrono::NaiveTime::MIN).and_utc(),
            |t| t.with_timezone(&Utc),
        )
}

fn interruptions(input: &Input<'_>, daily_fee: f64) -> Vec<Line> {
    let lo = midnight(input.season_start);
    let hi = midnight(input.season_end).min(input.as_of);
    let mut spans: Vec<(DateTime<Utc>, DateTime<Utc>, i64)> = input
        .outages
        .iter()
        .map(|o| (o.from.max(lo), o.to.unwrap_or(input.as_of).min(hi), o.id))
        .filter(|(a, b, _)| a < b)
        .collect();
    spans.sort_by_key(|s| (s.0, s.1));
    // The union of the intervals: an account without heat twice over is without heat once.
    let mut merged: Vec<(DateTime<Utc>, DateTime<Utc>, Vec<i64>)> = Vec::new();
    for (a, b, id) in spans {
        match merged.last_mut() {
            Some(last) if a <= last.1 => {
                last.1 = last.1.max(b);
                last.2.push(id);
            }
            _ => merged.push((a, b, vec![id])),
        }
    }
    let threshold = Duration::hours(input.policy.interruption_threshold_hours);
    merged
        .into_iter()
        .filter(|(a, b, _)| *b - *a > threshold)
        .map(|(a, b, mut ids)| {
            ids.sort_unstable();
            ids.dedup();
            let secs = (b - a).num_seconds();
            let days = (secs + 86_399) / 86_400;
            Line {
                reason: Reason::Interruption {
                    hours: secs / 3600,
                    incidents: ids,
                },
                from: day_of(a),
                days,
                percent: input.policy.interruption_percent,
                amount: amount(daily_fee, days, input.policy.interruption_percent),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn policy() -> Policy {
        Policy {
            min_celsius: 18.0,
            bands: vec![
                Band {
                    from_celsius: Some(16.0),
                    to_celsius: 18.0,
                    percent: 30.0,
                },
                Band {
                    from_celsius: Some(14.0),
                    to_celsius: 16.0,
                    percent: 50.0,
                },
                Band {
                    from_celsius: None,
                    to_celsius: 14.0,
                    percent: 100.0,
                },
            ],
            interruption_threshold_hours: 24,
            interruption_percent: 100.0,
        }
    }

    /// Local (Asia/Shanghai) time of the 2026-2027 season.
    fn at(month: u32, day: u32, hour: u32) -> DateTime<Utc> {
        let year = if month >= 10 { 2026 } else { 2027 };
        TZ.with_ymd_and_hms(year, month, day, hour, 0, 0)
            .single()
            .expect("a valid local time")
            .with_timezone(&Utc)
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("a valid date")
    }

    /// A season of 100 days and a fee of 100 yuan: one day is 100 fen.
    fn run(readings: &[Reading], outages: &[Outage], as_of: DateTime<Utc>) -> Owed {
        let p = policy();
        owed(&Input {
            policy: &p,
            season_fee: Fen(10_000),
            season_start: d(2026, 11, 1),
            season_end: d(2027, 2, 9),
            as_of,
            readings,
            outages,
        })
    }

    fn reading(month: u32, day: u32, celsius: f64) -> Reading {
        Reading {
            at: at(month, day, 10),
            lowest_celsius: celsius,
        }
    }

    #[test]
    fn bands_and_their_edges() {
        let p = policy();
        // (temperature, percent; None: not below the standard)
        let table: &[(f64, Option<f64>)] = &[
            (18.0, None), // exactly the standard is not below
            (18.5, None),
            (17.99, Some(30.0)),
            (16.0, Some(30.0)), // a band's lower edge belongs to it
            (15.99, Some(50.0)),
            (14.0, Some(50.0)),
            (13.99, Some(100.0)),
            (-5.0, Some(100.0)),
        ];
        for (celsius, want) in table {
            assert_eq!(p.band(*celsius).map(|b| b.percent), *want, "{celsius} °C");
        }
    }

    #[test]
    fn below_standard_days_and_amounts() {
        // (readings, as_of, expected lines as (from, days, percent, fen))
        type Case = (
            &'static str,
            Vec<Reading>,
            DateTime<Utc>,
            Vec<(NaiveDate, i64, f64, i64)>,
        );
        let table: Vec<Case> = vec![
            (
                "exactly the standard: nothing",
                vec![reading(12, 1, 18.0)],
                at(12, 20, 12),
                vec![],
            ),
            (
                "unconfirmed: through the day of as_of",
                vec![reading(12, 1, 17.0)],
                at(12, 10, 12),
                vec![(d(2026, 12, 1), 10, 30.0, 300)],
            ),
            (
                "confirmed: until the day before the measurement at the standard",
                vec![reading(12, 1, 15.0), reading(12, 5, 18.0)],
                at(12, 20, 12),
                vec![(d(2026, 12, 1), 4, 50.0, 200)],
            ),
            (
                "measured again still below: the new band from its day",
                vec![
                    reading(12, 1, 17.0),
                    reading(12, 3, 12.0),
                    reading(12, 6, 19.0),
                ],
                at(12, 20, 12),
                vec![
                    (d(2026, 12, 1), 2, 30.0, 60),
                    (d(2026, 12, 3), 3, 100.0, 300),
                ],
            ),
            (
                "confirmed the same day: nothing",
                vec![
                    reading(12, 1, 17.0),
                    Reading {
                        at: at(12, 1, 16),
                        lowest_celsius: 18.0,
                    },
                ],
                at(12, 20, 12),
                vec![],
            ),
            (
                "clipped to the season's end",
                vec![reading(2, 5, 17.0)],
                at(3, 1, 12),
                vec![(d(2027, 2, 5), 4, 30.0, 120)],
            ),
        ];
        for (name, readings, as_of, want) in table {
            let got: Vec<_> = run(&readings, &[], as_of)
                .lines
                .into_iter()
                .map(|l| (l.from, l.days, l.percent, l.amount.0))
                .collect();
            assert_eq!(got, want, "{name}");
        }
    }

    #[test]
    fn interruptions_threshold_union_and_started_days() {
        let o = |id, from: DateTime<Utc>, hours: i64| Outage {
            id,
            from,
            to: Some(from + Duration::hours(hours)),
        };
        let start = at(12, 1, 8);
        // (outages, expected (days, incidents, fen))
        type Case = (&'static str, Vec<Outage>, Vec<(i64, Vec<i64>, i64)>);
        let table: Vec<Case> = vec![
            (
                "exactly 24 h: not longer than the threshold",
                vec![o(1, start, 24)],
                vec![],
            ),
            (
                "24 h and one second: two started days",
                vec![Outage {
                    id: 1,
                    from: start,
                    to: Some(start + Duration::hours(24) + Duration::seconds(1)),
                }],
                vec![(2, vec![1], 200)],
            ),
            (
                "48 h: two whole days",
                vec![o(1, start, 48)],
                vec![(2, vec![1], 200)],
            ),
            (
                "overlapping, same account: counted once (30 h, not 50)",
                vec![o(1, start, 20), o(2, start + Duration::hours(10), 20)],
                vec![(2, vec![1, 2], 200)],
            ),
            (
                "one inside another: the outer one only",
                vec![o(1, start, 30), o(2, start + Duration::hours(2), 5)],
                vec![(2, vec![1, 2], 200)],
            ),
            (
                "two short ones with a gap: neither is longer than 24 h",
                vec![o(1, start, 20), o(2, start + Duration::hours(21), 20)],
                vec![],
            ),
            (
                "touching ones are one stretch",
                vec![o(1, start, 20), o(2, start + Duration::hours(20), 20)],
                vec![(2, vec![1, 2], 200)],
            ),
            (
                "still off: counted up to as_of",
                vec![Outage {
                    id: 3,
                    from: start,
                    to: None,
                }],
                vec![(3, vec![3], 300)],
            ),
        ];
        let as_of = at(12, 3, 20); // 60 h after `start`
        for (name, outages, want) in table {
            let got: Vec<_> = run(&[], &outages, as_of)
                .lines
                .into_iter()
                .map(|l| match l.reason {
                    Reason::Interruption { incidents, .. } => (l.days, incidents, l.amount.0),
                    other => panic!("{name}: unexpected {other:?}"),
                })
                .collect();
            assert_eq!(got, want, "{name}");
        }
    }

    #[test]
    fn total_is_capped_at_the_season_fee() {
        let owed = run(
            &[reading(11, 1, 5.0)],
            &[Outage {
                id: 1,
                from: at(11, 1, 0),
                to: None,
            }],
            at(3, 1, 12),
        );
        assert_eq!(owed.lines.len(), 2);
        assert_eq!(owed.total, Fen(10_000));
    }

    #[test]
    fn daily_fee_is_the_season_fee_over_its_days() {
        let owed = run(&[], &[], at(12, 1, 0));
        assert!((owed.daily_fee - 100.0).abs() < 1e-9);
        assert_eq!(owed.total, Fen(0));
    }
}
