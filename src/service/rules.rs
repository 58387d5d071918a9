//! The utility's business rules as settings, and the pure checks the dialogue runs before
//! a resident confirms (so the limits and the fee are told first), which the built-in
//! service runs again when the request arrives.

use std::fmt;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::types::{Account, AccountStatus, Bill, Fen, RequestKind, RequestStatus, ServiceRequest};

/// A day of the year written `MM-DD` in settings (`"10-10"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MonthDay {
    pub month: u32,
    pub day: u32,
}

impl MonthDay {
    pub const fn new(month: u32, day: u32) -> Self {
        Self { month, day }
    }

    /// That day in `year`; 29 February falls back to the 28th in common years.
    pub fn in_year(self, year: i32) -> NaiveDate {
        NaiveDate::from_ymd_opt(year, self.month, self.day)
            .or_else(|| NaiveDate::from_ymd_opt(year, self.month, self.day - 1))
            .unwrap_or(NaiveDate::MIN)
    }

    fn of(date: NaiveDate) -> Self {
        Self::new(date.month(), date.day())
    }
}

impl TryFrom<String> for MonthDay {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        let bad = || format!("`{s}` is not a month-day like \"10-10\"");
        let (m, d) = s.split_once('-').ok_or_else(bad)?;
        let (month, day) = (m.parse().map_err(|_| bad())?, d.parse().map_err(|_| bad())?);
        NaiveDate::from_ymd_opt(2024, month, day).ok_or_else(bad)?;
        Ok(Self { month, day })
    }
}

impl From<MonthDay> for String {
    fn from(md: MonthDay) -> String {
        md.to_string()
    }
}

impl fmt::Display for MonthDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}-{:02}", self.month, self.day)
    }
}

/// Business rules. Every number here is policy the utility may change without a release.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Rules {
    /// Last day to apply for suspension of the season that starts that year.
    pub suspension_deadline: MonthDay,
    /// A suspended account still pays this share of its season's heat charge.
    pub suspension_fee_ratio: f64,
    /// Arrears from earlier seasons must be paid before a suspension is accepted.
    pub arrears_block_suspension: bool,
    /// Consecutive seasons an account may stay suspended.
    pub max_suspensions_in_a_row: u32,
    pub max_resumptions_per_season: u32,
    /// The valve-opening fee of a resumption.
    pub resumption_fee_fen: i64,
    /// Residential heat price per m² and season, for quotes where no bill exists yet.
    pub price_fen_per_m2: i64,
    /// An area change is approved directly when the difference is within either limit.
    pub area_direct_max_pct: f64,
    pub area_direct_max_m2: f64,
    /// Above this a claimed area is a typing error, not a flat.
    pub area_max_m2: f64,
    pub season_start: MonthDay,
    pub season_end: MonthDay,
    /// Arrears past their due date keep the valve closed: a resident with arrears who
    /// writes that the heating is off is told so (and how to pay) before a visit is booked.
    pub arrears_block_valve: bool,
    /// The legal indoor minimum in the heating season (°C); the replies' `{indoor_temp_standard}`.
    pub indoor_min_celsius: f64,
}

impl Default for Rules {
    fn default() -> Self {
        Self {
            suspension_deadline: MonthDay::new(10, 10),
            suspension_fee_ratio: 0.30,
            arrears_block_suspension: true,
            max_suspensions_in_a_row: 2,
            max_resumptions_per_season: 1,
            resumption_fee_fen: 5000,
            price_fen_per_m2: 2250,
            area_direct_max_pct: 3.0,
            area_direct_max_m2: 5.0,
            area_max_m2: 1000.0,
            season_start: MonthDay::new(10, 15),
            season_end: MonthDay::new(4, 15),
            arrears_block_valve: true,
            indoor_min_celsius: 18.0,
        }
    }
}

/// A heating season, named by the years it spans (`"2026-2027"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Season {
    pub start_year: i32,
}

impl Season {
    /// The season running on `day`, or the next one between two seasons.
    pub fn of(day: NaiveDate, rules: &Rules) -> Self {
        let after_end = MonthDay::of(day) > rules.season_end;
        Self {
            start_year: if after_end {
                day.year()
            } else {
                day.year() - 1
            },
        }
    }

    pub fn parse(label: &str) -> Option<Self> {
        let (a, b) = label.split_once('-')?;
        let (a, b): (i32, i32) = (a.parse().ok()?, b.parse().ok()?);
        (b == a + 1).then_some(Self { start_year: a })
    }

    pub fn label(self) -> String {
        format!("{}-{}", self.start_year, self.start_year + 1)
    }

    pub fn prev(self) -> Self {
        Self {
            start_year: self.start_year - 1,
        }
    }

    pub fn start(self, rules: &Rules) -> NaiveDate {
        rules.season_start.in_year(self.start_year)
    }

    pub fn end(self, rules: &Rules) -> NaiveDate {
        rules.season_end.in_year(self.start_year + 1)
    }

    pub fn suspension_deadline(self, rules: &Rules) -> NaiveDate {
        rules.suspension_deadline.in_year(self.start_year)
    }
}

/// The utility's calendar day at `now`, whatever the server's zone.
pub fn today_in_shanghai(now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&chrono_tz::Asia::Shanghai).date_naive()
}

/// Why a request cannot be accepted. `code()` is stable and a Fluent message id.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RuleViolation {
    #[error("arrears of {} yuan must be paid first", .outstanding.yuan())]
    ArrearsUnpaid { outstanding: Fen },
    #[error("the suspension deadline {deadline} has passed")]
    SuspensionDeadlinePassed { deadline: NaiveDate },
    #[error("suspended {max} seasons in a row already")]
    SuspensionLimit { max: u32 },
    #[error("the account is already suspended")]
    AlreadySuspended,
    #[error("the account is not suspended")]
    NotSuspended,
    #[error("{max} resumption(s) per season already used")]
    ResumptionLimit { max: u32 },
    #[error("a request of this kind is already open")]
    RequestPending,
    #[error("the claimed area is not plausible")]
    AreaAbsurd,
}

impl RuleViolation {
    pub fn code(&self) -> &'static str {
        match self {
            Self::ArrearsUnpaid { .. } => "service-arrears-unpaid",
            Self::SuspensionDeadlinePassed { .. } => "service-suspension-deadline-passed",
            Self::SuspensionLimit { .. } => "service-suspension-limit",
            Self::AlreadySuspended => "service-already-suspended",
            Self::NotSuspended => "service-not-suspended",
            Self::ResumptionLimit { .. } => "service-resumption-limit",
            Self::RequestPending => "service-request-pending",
            Self::AreaAbsurd => "service-area-absurd",
        }
    }
}

/// What the resident is told before confirming a suspension.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SuspensionQuote {
    pub season: String,
    pub deadline: NaiveDate,
    /// The basic heat charge still due for the suspended season.
    pub fee: Fen,
    /// Consecutive suspended seasons including this one, and the most allowed.
    pub in_a_row: u32,
    pub max_in_a_row: u32,
    pub max_resumptions_per_season: u32,
}

/// What the resident is told before confirming a resumption.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResumptionQuote {
    pub season: String,
    pub opening_fee: Fen,
    /// The heat charge for the days left in the running season (zero between seasons).
    pub heat_charge: Fen,
    pub arrears: Fen,
    pub total: Fen,
    pub resumptions_left: u32,
    pub max_resumptions_per_season: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AreaDecision {
    Direct,
    Review,
    Absurd,
}

fn counts(r: &ServiceRequest) -> bool {
    !matches!(r.status, RequestStatus::Rejected | RequestStatus::Cancelled)
}

/// The season a request was made for, as recorded in its details.
pub fn request_season(r: &ServiceRequest) -> Option<Season> {
    r.details.get("season")?.as_str().and_then(Season::parse)
}

/// An account's fee for a season: its bill, or area × price where no bill exists yet.
pub fn season_fee(account: &Account, bills: &[Bill], season: Season, rules: &Rules) -> Fen {
    season_amount(account, bills, season, rules)
}

fn season_amount(account: &Account, bills: &[Bill], season: Season, rules: &Rules) -> Fen {
    let label = season.label();
    bills.iter().find(|b| b.season == label).map_or_else(
        || Fen((account.area_m2 * rules.price_fen_per_m2 as f64).round() as i64),
        |b| b.amount,
    )
}

fn arrears(bills: &[Bill], except: &str) -> Fen {
    Fen(bills
        .iter()
        .filter(|b| b.season != except)
        .map(|b| b.outstanding().0)
        .sum())
}

fn of_kind(
    requests: &[ServiceRequest],
    kind: RequestKind,
) -> impl Iterator<Item = &ServiceRequest> {
    requests.iter().filter(move |r| r.kind == kind && counts(r))
}

pub fn quote_suspension(
    account: &Account,
    bills: &[Bill],
    requests: &[ServiceRequest],
    today: NaiveDate,
    rules: &Rules,
) -> Result<SuspensionQuote, RuleViolation> {
    let season = Season::of(today, rules);
    let suspensions: Vec<_> = of_kind(requests, RequestKind::Suspension).collect();
    if account.status == AccountStatus::Suspended
        || suspensions
            .iter()
            .any(|r| request_season(r) == Some(season))
    {
        return Err(RuleViolation::AlreadySuspended);
    }
    let deadline = season.suspension_deadline(rules);
    if today > deadline {
        return Err(RuleViolation::SuspensionDeadlinePassed { deadline });
    }
    let outstanding = arrears(bills, &season.label());
    if rules.arrears_block_suspension && outstanding > Fen(0) {
        return Err(RuleViolation::ArrearsUnpaid { outstanding });
    }
    let mut before = 0;
    let mut s = season.prev();
    while suspensions.iter().any(|r| request_season(r) == Some(s)) {
        before += 1;
        s = s.prev();
    }
    if before >= rules.max_suspensions_in_a_row {
        return Err(RuleViolation::SuspensionLimit {
            max: rules.max_suspensions_in_a_row,
        });
    }
    let amount = season_amount(account, bills, season, rules);
    Ok(SuspensionQuote {
        season: season.label(),
        deadline,
        fee: Fen((amount.0 as f64 * rules.suspension_fee_ratio).round() as i64),
        in_a_row: before + 1,
        max_in_a_row: rules.max_suspensions_in_a_row,
        max_resumptions_per_season: rules.max_resumptions_per_season,
    })
}

pub fn quote_resumption(
    account: &Account,
    bills: &[Bill],
    requests: &[ServiceRequest],
    today: NaiveDate,
    rules: &Rules,
) -> Result<ResumptionQuote, RuleViolation> {
    if account.status != AccountStatus::Suspended {
        return Err(RuleViolation::NotSuspended);
    }
    let resumptions: Vec<_> = of_kind(requests, RequestKind::Resumption).collect();
    if resumptions.iter().any(|r| r.status.is_open()) {
        return Err(RuleViolation::RequestPending);
    }
    let season = Season::of(today, rules);
    let used = resumptions
        .iter()
        .filter(|r| request_season(r) == Some(season))
        .count() as u32;
    if used >= rules.max_resumptions_per_season {
        return Err(RuleViolation::ResumptionLimit {
            max: rules.max_resumptions_per_season,
        });
    }
    let (start, end) = (season.start(rules), season.end(rules));
    let heat_charge = if today >= start && today < end {
        let left = (end - today).num_days() as f64 / (end - start).num_days().max(1) as f64;
        let full = (account.area_m2 * rules.price_fen_per_m2 as f64).round();
        Fen((full * left).round() as i64)
    } else {
        Fen(0)
    };
    let arrears = arrears(bills, "");
    let opening_fee = Fen(rules.resumption_fee_fen);
    Ok(ResumptionQuote {
        season: season.label(),
        opening_fee,
        heat_charge,
        arrears,
        total: Fen(opening_fee.0 + heat_charge.0 + arrears.0),
        resumptions_left: rules.max_resumptions_per_season - used - 1,
        max_resumptions_per_season: rules.max_resumptions_per_season,
    })
}

/// Direct approval when the difference is within the percentage or the m² limit.
pub fn judge_area_change(current_m2: f64, claimed_m2: f64, rules: &Rules) -> AreaDecision {
    if !claimed_m2.is_finite() || claimed_m2 <= 0.0 || claimed_m2 > rules.area_max_m2 {
        return AreaDecision::Absurd;
    }
    let diff = (claimed_m2 - current_m2).abs();
    let pct = if current_m2 > 0.0 {
        diff / current_m2 * 100.0
    } else {
        f64::INFINITY
    };
    if diff <= rules.area_direct_max_m2 + 1e-9 || pct <= rules.area_direct_max_pct + 1e-9 {
        AreaDecision::Direct
    } else {
        AreaDecision::Review
    }
}

#[cfg(test)]
#[path = "rules_tests.rs"]
mod tests;
