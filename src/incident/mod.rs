//! Interruptions of the heat supply (a fault being repaired, planned works, a season not
//! started yet) for a district, estates and optionally buildings: opened, given a new
//! expected restoration, restored. Every instance holds the interruptions in effect in
//! memory (a resident's question costs no query) and follows changes made elsewhere (a
//! PostgreSQL notification, and a poll of the version as a safety net). Residents who asked
//! to be told hear of each change once (`notices`).

pub mod http;
mod live;
mod notices;
mod store;
mod store_sql;
pub mod triage;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use fluent_bundle::FluentValue;
use serde::{Deserialize, Serialize};

use crate::catalog::{Catalog, EntryStatus};
use crate::domain::{Channel, EntryId, Secret};
use crate::entities::{Lexicon, UTILITY_TZ};
use crate::i18n::Locales;
use crate::nlu::EngineHandle;

pub use live::Incidents;
pub use notices::NoticeRun;
pub use store::{store_for, IncidentStore, Subscriber};

/// Settings of interruptions (`[incident]`, `HEATDESK_INCIDENT_*`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct IncidentSettings {
    /// Bearer token of the dispatch / SCADA system on `/api/v1/interruptions` (empty: the
    /// API refuses every call).
    pub token: Secret,
    /// Seconds between two checks of the version (changes made by another instance or the
    /// command line, when no notification came).
    pub sync_interval_secs: u64,
    /// Seconds after which a notice claimed by an instance that did not finish it (it died)
    /// is held for the resident's next message instead.
    pub claim_lease_secs: u64,
}

impl Default for IncidentSettings {
    fn default() -> Self {
        Self {
            token: Secret::new(""),
            sync_interval_secs: 5,
            claim_lease_secs: 60,
        }
    }
}

/// What kind of interruption residents are told of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// An unplanned fault under repair.
    Fault,
    /// Planned works.
    Planned,
    /// The heating season has not started for the scope yet.
    SeasonNotStarted,
}

impl Kind {
    pub const ALL: [Self; 3] = [Self::Fault, Self::Planned, Self::SeasonNotStarted];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Fault => "fault",
            Self::Planned => "planned",
            Self::SeasonNotStarted => "season_not_started",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// Where the heat is off: a district, its estates (none: the whole district) and, within
/// them, buildings (none: every building).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scope {
    pub district: String,
    #[serde(default)]
    pub estates: Vec<String>,
    #[serde(default)]
    pub buildings: Vec<String>,
}

impl Scope {
    /// Whether an account at this district, estate and address lies in the scope. A building
    /// is named as the account's address writes it (a building number), so it is looked for in the
    /// address.
    pub fn covers(&self, district: &str, estate: &str, address: &str) -> bool {
        self.district == district
            && (self.estates.is_empty() || self.estates.iter().any(|e| e == estate))
            && (self.buildings.is_empty() || self.buildings.iter().any(|b| address.contains(b)))
    }

    /// Whether the scope reaches into an estate (a resident who named only the estate).
    pub fn touches_estate(&self, district: &str, estate: &str) -> bool {
        self.district == district
            && (self.estates.is_empty() || self.estates.iter().any(|e| e == estate))
    }

    /// The scope as residents read it: the estates (with buildings), or the district.
    pub fn label(&self) -> String {
        let place = if self.estates.is_empty() {
            self.district.clone()
        } else {
            self.estates.join(", ")
        };
        if self.buildings.is_empty() {
            place
        } else {
            format!("{place} {}", self.buildings.join(", "))
        }
    }
}

/// One interruption as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Interruption {
    pub id: i64,
    pub kind: Kind,
    pub scope: Scope,
    /// The cause as a resident should read it.
    pub cause: String,
    pub starts_at: DateTime<Utc>,
    /// The expected restoration in force.
    pub eta: DateTime<Utc>,
    pub restored_at: Option<DateTime<Utc>>,
    pub opened_by: String,
    pub updated_by: String,
    pub opened_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Interruption {
    /// In effect now: started and not restored.
    pub fn is_current(&self, now: DateTime<Utc>) -> bool {
        self.restored_at.is_none() && self.starts_at <= now
    }
}

/// What changed, in order. The expected restoration's history is its `opened` and `eta`
/// events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Opened,
    Eta,
    Restored,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Opened => "opened",
            Self::Eta => "eta",
            Self::Restored => "restored",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Opened, Self::Eta, Self::Restored]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub id: i64,
    pub interruption: i64,
    pub kind: EventKind,
    /// The expected restoration this event set (opened, eta).
    pub eta: Option<DateTime<Utc>>,
    pub at: DateTime<Utc>,
    pub by: String,
}

/// An interruption to open, as given (names not yet checked).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewInterruption {
    pub kind: Kind,
    #[serde(default)]
    pub district: Option<String>,
    #[serde(default)]
    pub estates: Vec<String>,
    #[serde(default)]
    pub buildings: Vec<String>,
    pub cause: String,
    /// Default: now.
    #[serde(default)]
    pub starts_at: Option<DateTime<Utc>>,
    pub eta: DateTime<Utc>,
}

/// A new interruption whose names and times were checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    pub kind: Kind,
    pub scope: Scope,
    pub cause: String,
    pub starts_at: DateTime<Utc>,
    pub eta: DateTime<Utc>,
}

/// Why an interruption was not opened or changed. Each is a Fluent id for the API's body.
#[derive(Debug, thiserror::Error)]
pub enum IncidentError {
    #[error("unknown estate `{0}`")]
    UnknownEstate(String),
    #[error("unknown district `{0}`")]
    UnknownDistrict(String),
    #[error("estate `{estate}` is not in district `{district}`")]
    EstateOutsideDistrict { estate: String, district: String },
    #[error("neither a district nor an estate")]
    NoScope,
    #[error("no cause")]
    NoCause,
    #[error("the expected restoration is before the start")]
    EndBeforeStart,
    #[error("the expected restoration is in the past")]
    EtaInPast,
    #[error("no such interruption")]
    NotFound,
    #[error("the interruption is already restored")]
    AlreadyRestored,
    #[error("database: {0}")]
    Store(#[from] sqlx::Error),
    #[error("stored interruption unreadable: {0}")]
    Decode(String),
}

impl IncidentError {
    /// The stable code (a Fluent id) of a refusal.
    pub fn code(&self) -> &'static str {
        match self {
            Self::UnknownEstate(_) => "incident-unknown-estate",
            Self::UnknownDistrict(_) => "incident-unknown-district",
            Self::EstateOutsideDistrict { .. } => "incident-estate-outside-district",
            Self::NoScope => "incident-no-scope",
            Self::NoCause => "incident-no-cause",
            Self::EndBeforeStart => "incident-end-before-start",
            Self::EtaInPast => "incident-eta-in-past",
            Self::NotFound => "error-not-found",
            Self::AlreadyRestored => "incident-already-restored",
            Self::Store(_) | Self::Decode(_) => "error-internal",
        }
    }
}

/// The places an interruption may name: the lexicon's districts and estates (the names the
/// service API gives an account), aliases resolved.
#[derive(Debug, Clone)]
pub struct Places {
    lexicon: Arc<Lexicon>,
}

impl Places {
    pub fn new(lexicon: Arc<Lexicon>) -> Self {
        Self { lexicon }
    }

    /// The canonical estate a name or alias means.
    pub fn estate(&self, name: &str) -> Option<String> {
        let found = self.extract(name).estates;
        (found.len() == 1).then(|| found[0].clone())
    }

    pub fn district(&self, name: &str) -> Option<String> {
        let found = self.extract(name).districts;
        (found.len() == 1).then(|| found[0].clone())
    }

    pub fn district_of(&self, estate: &str) -> Option<String> {
        self.lexicon.district_of_estate(estate).map(str::to_owned)
    }

    fn extract(&self, name: &str) -> crate::entities::Entities {
        self.lexicon
            .extract(name.trim(), Utc::now().with_timezone(&UTILITY_TZ))
    }

    /// Checks names and times of a new interruption at `now`.
    pub fn check(
        &self,
        new: &NewInterruption,
        now: DateTime<Utc>,
    ) -> Result<Checked, IncidentError> {
        let cause = new.cause.trim();
        if cause.is_empty() {
            return Err(IncidentError::NoCause);
        }
        let mut estates = Vec::new();
        for name in new.estates.iter().filter(|n| !n.trim().is_empty()) {
            let estate = self
                .estate(name)
                .ok_or_else(|| IncidentError::UnknownEstate(name.trim().to_owned()))?;
            if !estates.contains(&estate) {
                estates.push(estate);
            }
        }
        let district = match new
            .district
            .as_deref()
            .map(str::trim)
            .filter(|d| !d.is_empty())
        {
            Some(d) => self
                .district(d)
                .ok_or_else(|| IncidentError::UnknownDistrict(d.to_owned()))?,
            None => {
                let first = estates.first().ok_or(IncidentError::NoScope)?;
                self.district_of(first)
                    .ok_or_else(|| IncidentError::UnknownEstate(first.clone()))?
            }
        };
        for estate in &estates {
            if self.district_of(estate).as_deref() != Some(district.as_str()) {
                return Err(IncidentError::EstateOutsideDistrict {
                    estate: estate.clone(),
                    district,
                });
            }
        }
        let buildings: Vec<String> = new
            .buildings
            .iter()
            .map(|b| b.trim().to_owned())
            .filter(|b| !b.is_empty())
            .collect();
        let starts_at = new.starts_at.unwrap_or(now);
        check_eta(starts_at, new.eta, now)?;
        Ok(Checked {
            kind: new.kind,
            scope: Scope {
                district,
                estates,
                buildings,
            },
            cause: cause.to_owned(),
            starts_at,
            eta: new.eta,
        })
    }
}

/// An expected restoration must lie ahead of now and after the start.
pub fn check_eta(
    starts_at: DateTime<Utc>,
    eta: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), IncidentError> {
    if eta <= now {
        return Err(IncidentError::EtaInPast);
    }
    if eta <= starts_at {
        return Err(IncidentError::EndBeforeStart);
    }
    Ok(())
}

/// A moment as residents read it, in the utility's zone.
pub fn local_time(at: DateTime<Utc>) -> String {
    at.with_timezone(&UTILITY_TZ)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// Fluent arguments from text; numbers stay as written.
fn fluent<'a>(args: &'a [(&'a str, String)]) -> Vec<(&'a str, FluentValue<'a>)> {
    args.iter()
        .map(|(k, v)| (*k, FluentValue::from(v.as_str())))
        .collect()
}

/// What residents are told to do until heat is back: a standard reply of the phrasebook (the
/// entry `[interruptions] meanwhile` of the dialogue data names), read from the published
/// catalogue at every use, so a version the office publishes is told without a restart.
#[derive(Clone)]
pub struct Meanwhile {
    engine: Arc<EngineHandle>,
    entry: Option<EntryId>,
    /// Set once the entry was found missing from the published catalogue (logged once, until
    /// it is back).
    missing: Arc<AtomicBool>,
}

impl std::fmt::Debug for Meanwhile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Meanwhile")
            .field("entry", &self.entry)
            .finish_non_exhaustive()
    }
}

impl Meanwhile {
    /// `entry`: none, the interruption's data alone.
    pub fn new(engine: Arc<EngineHandle>, entry: Option<EntryId>) -> Self {
        Self {
            engine,
            entry,
            missing: Arc::default(),
        }
    }

    pub fn entry(&self) -> Option<&EntryId> {
        self.entry.as_ref()
    }

    /// The rendered reply for `channel` in the catalogue in service now.
    pub fn text(&self, channel: Channel) -> Option<String> {
        self.text_in(self.engine.current().catalog(), channel)
    }

    /// The rendered reply for `channel` in `catalog` (the hotline: its answer, without the
    /// greeting and closing of a call). `None` when the entry is not published there (retired
    /// by the office): the data is told alone, and a warning logged once.
    pub fn text_in(&self, catalog: &Catalog, channel: Channel) -> Option<String> {
        let id = self.entry.as_ref()?;
        let Some(entry) = catalog
            .entry(id)
            .filter(|e| e.status == EntryStatus::Published)
        else {
            if !self.missing.swap(true, Ordering::Relaxed) {
                tracing::warn!(
                    entry = %id,
                    version = %catalog.version,
                    "the advice told with interruptions is not published: told without it"
                );
            }
            return None;
        };
        self.missing.store(false, Ordering::Relaxed);
        let replies = catalog.rendered_reply(entry);
        let text = match channel {
            Channel::Hotline => replies.hotline.answer,
            other => replies.for_channel(other),
        };
        Some(text).filter(|t| !t.trim().is_empty())
    }
}

/// What residents are told of an interruption, by the bot and on the public page alike:
/// its kind, where, the cause, the start and the expected restoration (`interruption-told`),
/// then `meanwhile`, the standard reply on what to do until heat is back (`Meanwhile`).
pub fn describe(
    locales: &Locales,
    locale: &str,
    i: &Interruption,
    meanwhile: Option<&str>,
) -> String {
    let kind = locales.text(
        locale,
        &format!("interruption-kind-{}", i.kind.as_str().replace('_', "-")),
        &[],
    );
    let args = [
        ("kind", kind),
        ("scope", i.scope.label()),
        ("cause", i.cause.clone()),
        ("start", local_time(i.starts_at)),
        ("eta", local_time(i.eta)),
    ];
    let data = locales.text(locale, "interruption-told", &fluent(&args));
    match meanwhile {
        Some(advice) => format!("{data}\n{advice}"),
        None => data,
    }
}

/// RFC 3339, or a time in the utility's zone as people type it (`YYYY-MM-DD HH:MM`, or
/// `YYYY-MM-DDTHH:MM` from a browser's date-time field).
pub fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    let local = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M"))
        .ok()?;
    UTILITY_TZ
        .from_local_datetime(&local)
        .single()
        .map(|t| t.with_timezone(&Utc))
}
