//! Below standard: measured, promised, compensated (issue 16). A station records the room
//! temperatures of an inspection visit on the work order; below `rules.indoor_min_celsius`
//! a rectification deadline is set (`commitments.rectification_days`) and the resident is
//! told. What each account is owed for a season is computed, never stored, from those
//! measurements and the interruptions the utility caused (`calc.rs`, pure, under the
//! `[compensation]` settings); the desk lists it and exports it for billing.

pub mod calc;
mod store;

use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::incident::{Incidents, Kind};
use crate::reports::CommitmentSettings;
use crate::service::rules::Season;
use crate::service::{AccountNo, Fen, Rules, ServiceApi, ServiceError, ServiceRequest};

pub use calc::{Band, Line, Owed, Policy, Reason};
pub use store::{store_for, MeasurementStore};

/// Largest photo kept with a measurement: a phone's JPEG, not a video.
pub const PHOTO_MAX_BYTES: usize = 2 * 1024 * 1024;
/// The photo types a station may upload.
pub const PHOTO_TYPES: [&str; 3] = ["image/jpeg", "image/png", "image/webp"];
/// Rooms one visit may record.
pub const ROOMS_MAX: usize = 12;

/// `[compensation]`: how much of the fee is not charged when the heat fell short
/// (`HEATDESK_COMPENSATION_*`). The defaults are labelled sample values; a utility sets its
/// own (usually from its local heating regulations).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct CompensationSettings {
    /// Fee reduction per day by the coldest room's temperature, for the days measured
    /// below the standard. Bands may not overlap; percentages are 0–100.
    pub bands: Vec<Band>,
    /// An interruption (fault or planned works) is compensated when it lasts longer than
    /// this (exactly this is not).
    pub interruption_threshold_hours: i64,
    /// Share of the daily fee not charged per started day of such an interruption.
    pub interruption_percent: f64,
}

impl Default for CompensationSettings {
    fn default() -> Self {
        // Sample values, not any utility's policy: 16-18 °C 30 %, 14-16 °C 50 %, below
        // 14 °C the whole daily fee; interruptions over 24 h the whole daily fee.
        Self {
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
}

impl CompensationSettings {
    /// What `config check` and `Settings::load` refuse.
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        let pct = |p: f64| (0.0..=100.0).contains(&p);
        for (i, b) in self.bands.iter().enumerate() {
            if !pct(b.percent) {
                out.push((
                    "compensation.bands",
                    format!("band {}: {} is not a percentage 0-100", i + 1, b.percent),
                ));
            }
            if b.from_celsius.is_some_and(|f| f >= b.to_celsius) || !b.to_celsius.is_finite() {
                out.push((
                    "compensation.bands",
                    format!("band {}: from_celsius must be below to_celsius", i + 1),
                ));
            }
        }
        let mut sorted: Vec<&Band> = self.bands.iter().collect();
        sorted.sort_by(|a, b| a.to_celsius.total_cmp(&b.to_celsius));
        for w in sorted.windows(2) {
            // The lower band must end where the higher one starts, or below.
            match w[1].from_celsius {
                Some(from) if from >= w[0].to_celsius => {}
                _ => out.push((
                    "compensation.bands",
                    format!(
                        "the bands up to {} and up to {} overlap",
                        w[0].to_celsius, w[1].to_celsius
                    ),
                )),
            }
        }
        if !pct(self.interruption_percent) {
            out.push((
                "compensation.interruption_percent",
                format!("{} is not a percentage 0-100", self.interruption_percent),
            ));
        }
        if self.interruption_threshold_hours < 0 {
            out.push((
                "compensation.interruption_threshold_hours",
                format!("{} is negative", self.interruption_threshold_hours),
            ));
        }
        out
    }

    pub fn policy(&self, rules: &Rules) -> Policy {
        Policy {
            min_celsius: rules.indoor_min_celsius,
            bands: self.bands.clone(),
            interruption_threshold_hours: self.interruption_threshold_hours,
            interruption_percent: self.interruption_percent,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CompensationError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("stored value: {0}")]
    Decode(String),
    #[error("service: {0}")]
    Service(#[from] ServiceError),
    #[error("interruptions: {0}")]
    Incident(String),
    /// What the station typed cannot be recorded; a Fluent id of the reason.
    #[error("invalid measurement: {0}")]
    Invalid(&'static str),
}

/// One room as measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Room {
    pub room: String,
    pub celsius: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Photo {
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// What a station records on a work order, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct NewMeasurement {
    pub request: String,
    pub account: String,
    pub rooms: Vec<Room>,
    pub min_celsius: f64,
    pub measured_at: DateTime<Utc>,
    pub agreed: bool,
    pub visit_due: DateTime<Utc>,
    pub rectify_by: Option<DateTime<Utc>>,
    pub recorded_by: String,
    pub recorded_at: DateTime<Utc>,
    pub photo: Option<Photo>,
}

impl NewMeasurement {
    pub fn lowest_celsius(&self) -> f64 {
        self.rooms
            .iter()
            .map(|r| r.celsius)
            .fold(f64::INFINITY, f64::min)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Measurement {
    pub id: i64,
    pub request: String,
    pub account: String,
    pub rooms: Vec<Room>,
    pub lowest_celsius: f64,
    pub min_celsius: f64,
    pub measured_at: DateTime<Utc>,
    pub agreed: bool,
    pub visit_due: DateTime<Utc>,
    pub rectify_by: Option<DateTime<Utc>>,
    pub recorded_by: String,
    pub recorded_at: DateTime<Utc>,
    pub has_photo: bool,
}

impl Measurement {
    /// Strictly below the standard in force when measured.
    pub fn below(&self) -> bool {
        self.lowest_celsius < self.min_celsius
    }
}

/// What the station typed, before checking.
#[derive(Debug, Clone, Default)]
pub struct MeasurementForm {
    /// Room names and temperatures as typed, in pairs.
    pub rooms: Vec<(String, String)>,
    pub measured_at: DateTime<Utc>,
    pub agreed: bool,
    pub photo: Option<Photo>,
}

/// One account's amount for a season, for the desk and the export.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AccountOwed {
    pub account: String,
    pub address: String,
    pub district: String,
    pub owed: Owed,
}

/// Records measurements and says what is owed. Cheap to clone.
#[derive(Clone)]
pub struct Compensation {
    pub store: Arc<dyn MeasurementStore>,
    pub service: Arc<dyn ServiceApi>,
    pub incidents: Incidents,
    pub rules: Arc<Rules>,
    pub commitments: Arc<CommitmentSettings>,
    pub settings: Arc<CompensationSettings>,
}

/// Parses a temperature as typed ("17.5", "17,5"); none when it is not a plausible
/// indoor temperature.
fn celsius(s: &str) -> Option<f64> {
    let t: f64 = s.trim().replace(',', ".").parse().ok()?;
    (t.is_finite() && (-40.0..=60.0).contains(&t)).then_some(t)
}

impl Compensation {
    /// The visit's promised deadline: the request plus `commitments.inspection_hours`.
    pub fn visit_due(&self, request: &ServiceRequest) -> DateTime<Utc> {
        request.created_at + Duration::hours(self.commitments.inspection_hours)
    }

    /// The rectification deadline of a measurement below the standard, in calendar days
    /// (`commitments.rectification_days`): heating faults do not wait for a weekend.
    pub fn rectify_by(&self, measured_at: DateTime<Utc>) -> DateTime<Utc> {
        measured_at + Duration::days(self.commitments.rectification_days)
    }

    /// Checks what a station typed into a measurement of `request`: every room a name and a
    /// number, at least one room, the photo small and an image. Nothing is stored on error.
    pub fn check(
        &self,
        request: &ServiceRequest,
        form: MeasurementForm,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<NewMeasurement, CompensationError> {
        let mut rooms = Vec::new();
        for (name, value) in &form.rooms {
            let (name, value) = (name.trim(), value.trim());
            if name.is_empty() && value.is_empty() {
                continue;
            }
            let c = celsius(value)
                .ok_or(CompensationError::Invalid("desk-measure-error-temperature"))?;
            if name.is_empty() {
                return Err(CompensationError::Invalid("desk-measure-error-room"));
            }
            rooms.push(Room {
                room: name.chars().take(40).collect(),
                celsius: c,
            });
        }
        if rooms.is_empty() {
            return Err(CompensationError::Invalid("desk-measure-error-no-rooms"));
        }
        if rooms.len() > ROOMS_MAX {
            return Err(CompensationError::Invalid("desk-measure-error-rooms"));
        }
        if form.measured_at > now + Duration::minutes(5) {
            return Err(CompensationError::Invalid("desk-measure-error-future"));
        }
        if let Some(p) = &form.photo {
            if p.bytes.len() > PHOTO_MAX_BYTES {
                return Err(CompensationError::Invalid("desk-measure-error-photo-size"));
            }
            if !PHOTO_TYPES.contains(&p.content_type.as_str()) || !looks_like(p) {
                return Err(CompensationError::Invalid("desk-measure-error-photo-type"));
            }
        }
        let min = self.rules.indoor_min_celsius;
        let mut new = NewMeasurement {
            request: request.id.to_string(),
            account: request.account.as_str().to_owned(),
            rooms,
            min_celsius: min,
            measured_at: form.measured_at,
            agreed: form.agreed,
            visit_due: self.visit_due(request),
            rectify_by: None,
            recorded_by: by.to_owned(),
            recorded_at: now,
            photo: form.photo,
        };
        if new.lowest_celsius() < min {
            new.rectify_by = Some(self.rectify_by(new.measured_at));
        }
        Ok(new)
    }

    pub async fn record(&self, new: &NewMeasurement) -> Result<Measurement, CompensationError> {
        self.store.record(new).await
    }

    pub async fn for_request(&self, request: &str) -> Result<Vec<Measurement>, CompensationError> {
        self.store.for_request(request).await
    }

    /// The season a label names (`2026`, or `2026-2027`).
    pub fn parse_season(label: &str) -> Option<Season> {
        Season::parse(label).or_else(|| {
            let y: i32 = label.trim().parse().ok()?;
            (1900..3000)
                .contains(&y)
                .then_some(Season { start_year: y })
        })
    }

    /// The season running now (or the next one between seasons).
    pub fn current_season(&self, now: DateTime<Utc>) -> Season {
        Season::of(crate::service::rules::today_in_shanghai(now), &self.rules)
    }

    /// What one account is owed for `season`, as of `now`.
    pub async fn owed(
        &self,
        no: &AccountNo,
        season: Season,
        now: DateTime<Utc>,
    ) -> Result<AccountOwed, CompensationError> {
        let outages = self.outages(season).await?;
        self.owed_with(no, season, now, &outages).await
    }

    /// Every account owed something for `season`, as of `now`: those measured below the
    /// standard and those an interruption covered (built-in service accounts).
    pub async fn season(
        &self,
        season: Season,
        now: DateTime<Utc>,
    ) -> Result<Vec<AccountOwed>, CompensationError> {
        let (start, end) = self.season_bounds(season);
        let outages = self.outages(season).await?;
        let mut accounts = self
            .store
            .measured_accounts(midnight(start), midnight(end))
            .await?;
        let mut districts: Vec<&str> = outages.iter().map(|i| i.scope.district.as_str()).collect();
        districts.sort_unstable();
        districts.dedup();
        for d in districts {
            for (no, estate, address) in self.store.accounts_in(d).await? {
                if outages.iter().any(|i| i.scope.covers(d, &estate, &address)) {
                    accounts.push(no);
                }
            }
        }
        accounts.sort();
        accounts.dedup();
        let mut out = Vec::new();
        for no in accounts {
            let Ok(no) = AccountNo::parse(no) else {
                continue;
            };
            let owed = self.owed_with(&no, season, now, &outages).await?;
            if owed.owed.total > Fen(0) {
                out.push(owed);
            }
        }
        Ok(out)
    }

    fn season_bounds(&self, season: Season) -> (NaiveDate, NaiveDate) {
        (season.start(&self.rules), season.end(&self.rules))
    }

    /// The interruptions the utility caused that touch the season.
    async fn outages(
        &self,
        season: Season,
    ) -> Result<Vec<crate::incident::Interruption>, CompensationError> {
        let (start, end) = self.season_bounds(season);
        let (lo, hi) = (midnight(start), midnight(end));
        // A city has a few hundred interruptions a season at most: reading the recent ones
        // and filtering here keeps the incident store's interface as it is.
        let all = self
            .incidents
            .recent(10_000)
            .await
            .map_err(|e| CompensationError::Incident(e.to_string()))?;
        Ok(all
            .into_iter()
            .filter(|i| matches!(i.kind, Kind::Fault | Kind::Planned))
            .filter(|i| i.starts_at < hi && i.restored_at.is_none_or(|r| r > lo))
            .collect())
    }

    async fn owed_with(
        &self,
        no: &AccountNo,
        season: Season,
        now: DateTime<Utc>,
        outages: &[crate::incident::Interruption],
    ) -> Result<AccountOwed, CompensationError> {
        let account = self.service.account(no).await?;
        let bills = self.service.bills(no).await?;
        let season_fee = crate::service::rules::season_fee(&account, &bills, season, &self.rules);
        let (start, end) = self.season_bounds(season);
        let readings: Vec<calc::Reading> = self
            .store
            .for_account(no.as_str(), now)
            .await?
            .into_iter()
            .map(|m| calc::Reading {
                at: m.measured_at,
                lowest_celsius: m.lowest_celsius,
            })
            .collect();
        let covering: Vec<calc::Outage> = outages
            .iter()
            .filter(|i| {
                i.scope
                    .covers(&account.district, &account.estate, &account.address)
            })
            .map(|i| calc::Outage {
                id: i.id,
                from: i.starts_at,
                to: i.restored_at,
            })
            .collect();
        let policy = self.settings.policy(&self.rules);
        let owed = calc::owed(&calc::Input {
            policy: &policy,
            season_fee,
            season_start: start,
            season_end: end,
            as_of: now,
            readings: &readings,
            outages: &covering,
        });
        Ok(AccountOwed {
            account: no.as_str().to_owned(),
            address: account.address,
            district: account.district,
            owed,
        })
    }
}

/// Whether the bytes start as the type they claim: a renamed file is refused.
fn looks_like(p: &Photo) -> bool {
    let b = &p.bytes;
    match p.content_type.as_str() {
        "image/jpeg" => b.starts_with(&[0xFF, 0xD8, 0xFF]),
        "image/png" => b.starts_with(b"\x89PNG\r\n\x1a\n"),
        "image/webp" => b.len() > 12 && &b[0..4] == b"RIFF" && &b[8..12] == b"WEBP",
        _ => false,
    }
}

/// Local midnight of a day, in UTC.
fn midnight(day: NaiveDate) -> DateTime<Utc> {
    use chrono::TimeZone;
    crate::entities::UTILITY_TZ
        .from_local_datetime(&day.and_time(chrono::NaiveTime::MIN))
        .earliest()
        .map_or_else(
            || day.and_time(chrono::NaiveTime::MIN).and_utc(),
            |t| t.with_timezone(&Utc),
        )
}

/// The CSV billing reads: one line per account and reason, amounts in yuan.
pub fn csv(season: Season, rows: &[AccountOwed]) -> String {
    let mut out = String::from("season,account,district,address,reason,detail,from,days,percent,amount_yuan,account_total_yuan\n");
    for r in rows {
        for l in &r.owed.lines {
            let (reason, detail) = match &l.reason {
                Reason::BelowStandard { celsius } => ("below_standard", format!("{celsius}")),
                Reason::Interruption { hours, incidents } => (
                    "interruption",
                    format!(
                        "{hours}h #{}",
                        incidents
                            .iter()
                            .map(i64::to_string)
                            .collect::<Vec<_>>()
                            .join(" #")
                    ),
                ),
            };
            let fields = [
                season.label(),
                r.account.clone(),
                r.district.clone(),
                r.address.clone(),
                reason.to_owned(),
                detail,
                l.from.to_string(),
                l.days.to_string(),
                format!("{}", l.percent),
                l.amount.yuan(),
                r.owed.total.yuan(),
            ];
            let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
            out.push_str(&line.join(","));
            out.push('\n');
        }
    }
    out
}

/// A CSV field, quoted when needed; a leading `=`, `+`, `-` or `@` is prefixed with `'` so
/// a spreadsheet does not run it as a formula.
fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '@']) || (s.starts_with('-') && s.parse::<f64>().is_err()) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_settings_are_valid() {
        assert_eq!(CompensationSettings::default().problems(), vec![]);
    }

    #[test]
    fn overlapping_bands_and_bad_percentages_are_refused() {
        let band = |from: Option<f64>, to: f64, percent: f64| Band {
            from_celsius: from,
            to_celsius: to,
            percent,
        };
        // (bands, interruption percent, the keys refused)
        let table: Vec<(Vec<Band>, f64, Vec<&str>)> = vec![
            (vec![band(Some(16.0), 18.0, 30.0)], 100.0, vec![]),
            (
                vec![band(Some(15.0), 18.0, 30.0), band(None, 16.0, 50.0)],
                100.0,
                vec!["compensation.bands"],
            ),
            (
                vec![band(Some(16.0), 18.0, 30.0), band(Some(14.0), 16.0, 50.0)],
                100.0,
                vec![],
            ),
            (
                vec![band(None, 18.0, 101.0)],
                100.0,
                vec!["compensation.bands"],
            ),
            (
                vec![band(None, 18.0, -1.0)],
                100.0,
                vec!["compensation.bands"],
            ),
            (
                vec![band(Some(18.0), 16.0, 10.0)],
                100.0,
                vec!["compensation.bands"],
            ),
            (vec![], 100.5, vec!["compensation.interruption_percent"]),
        ];
        for (bands, ip, want) in table {
            let s = CompensationSettings {
                bands: bands.clone(),
                interruption_threshold_hours: 24,
                interruption_percent: ip,
            };
            let got: Vec<&str> = s.problems().into_iter().map(|(k, _)| k).collect();
            assert_eq!(got, want, "{bands:?} / {ip}");
        }
    }

    #[test]
    fn temperatures_as_typed() {
        let table = [
            ("17.5", Some(17.5)),
            (" 18 ", Some(18.0)),
            ("17,5", Some(17.5)),
            ("warm", None),
            ("", None),
            ("NaN", None),
            ("1e9", None),
        ];
        for (typed, want) in table {
            assert_eq!(celsius(typed), want, "{typed:?}");
        }
    }

    #[test]
    fn csv_fields_are_quoted_and_defused() {
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("=cmd"), "'=cmd");
        assert_eq!(csv_field("-1.5"), "-1.5");
    }
}
