//! When things happen in the generated year: more in the heating season (most at its start
//! in November), less at weekends, by day and evening more than at night, in local time
//! (Asia/Shanghai).

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc, Weekday};
use rand::distr::weighted::WeightedIndex;
use rand::distr::Distribution;
use rand::rngs::StdRng;
use rand::Rng;

use crate::entities::UTILITY_TZ;

/// Relative activity per local hour of the day.
const HOURS: [f64; 24] = [
    0.25, 0.12, 0.06, 0.05, 0.05, 0.1, 0.3, 0.8, 1.5, 2.0, 2.0, 1.6, 1.0, 1.2, 1.6, 1.6, 1.5, 1.2,
    1.0, 1.4, 1.6, 1.3, 0.8, 0.4,
];

/// Picks moments over the local days before `until`.
pub struct Spread {
    days: Vec<NaiveDate>,
    by_day: WeightedIndex<f64>,
    by_hour: WeightedIndex<f64>,
    pub until: DateTime<Utc>,
}

/// How busy a local day is: the heating season (15 October to 15 April) three times the
/// summer, its first weeks five times; weekends a little quieter.
fn weight(d: NaiveDate) -> f64 {
    let (m, day) = (d.month(), d.day());
    let season = match (m, day) {
        (11, _) | (10, 25..) => 5.0,
        (12 | 1 | 2 | 3, _) | (10, 15..) | (4, ..=15) => 3.0,
        _ => 1.0,
    };
    let weekend = matches!(d.weekday(), Weekday::Sat | Weekday::Sun);
    season * if weekend { 0.8 } else { 1.0 }
}

impl Spread {
    /// The `days` local days up to and including the day of `until`.
    pub fn new(until: DateTime<Utc>, days: i64) -> Self {
        let last = until.with_timezone(&UTILITY_TZ).date_naive();
        let days: Vec<NaiveDate> = (0..days.max(1))
            .rev()
            .map(|n| last - Duration::days(n))
            .collect();
        let weights: Vec<f64> = days.iter().map(|d| weight(*d)).collect();
        Self {
            by_day: WeightedIndex::new(&weights).expect("positive weights"),
            by_hour: WeightedIndex::new(HOURS).expect("positive weights"),
            days,
            until,
        }
    }

    /// A moment on a busy-weighted day at a busy-weighted hour, never after `until`.
    pub fn moment(&self, rng: &mut StdRng) -> DateTime<Utc> {
        let day = self.days[self.by_day.sample(rng)];
        self.on(day, rng)
    }

    /// A moment of `day` at a busy-weighted hour, never after `until`.
    pub fn on(&self, day: NaiveDate, rng: &mut StdRng) -> DateTime<Utc> {
        let hour = self.by_hour.sample(rng) as u32;
        let local = day
            .and_hms_opt(hour, rng.random_range(0..60), rng.random_range(0..60))
            .unwrap_or_default();
        let at = UTILITY_TZ
            .from_local_datetime(&local)
            .earliest()
            .map_or_else(|| local.and_utc(), |t| t.with_timezone(&Utc));
        if at > self.until {
            self.until - Duration::seconds(rng.random_range(1..3600))
        } else {
            at
        }
    }

    /// How far into the generated period `at` lies, 0 to 1 (for trends).
    pub fn progress(&self, at: DateTime<Utc>) -> f64 {
        let first = self.days.first().copied().unwrap_or_default();
        let span = self.days.len().max(1) as f64;
        let day = at.with_timezone(&UTILITY_TZ).date_naive();
        ((day - first).num_days() as f64 / span).clamp(0.0, 1.0)
    }

    /// The local hour of `at`.
    pub fn local_hour(at: DateTime<Utc>) -> u32 {
        use chrono::Timelike;
        at.with_timezone(&UTILITY_TZ).hour()
    }
}
