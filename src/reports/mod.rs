//! The figures the office and management run the service by, over a period of local days
//! (Asia/Shanghai, whatever the server's zone): messages per day and channel, the intents
//! asked most, how often the bot did not understand or had to ask back, the office's inbox
//! and each phrasebook version's accuracy (`messages`); how many residents were served
//! without a person, handoffs by reason, the wait before an agent took over, per agent the
//! first answer, handling time and ratings (`agents`); transactions done in the chat and
//! where forms were abandoned (`transactions`); complaints against their deadlines
//! (`cases`); the stations' jobs against the committed standards (`stations`). Every figure
//! is an SQL query over the capabilities' tables, written once for both backends
//! (`query`: only a few expressions differ). A district narrows every figure whose data
//! leads to an account; the classification log names no resident.

mod agents;
mod cases;
mod messages;
mod query;
mod stations;
mod transactions;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};

use crate::entities::UTILITY_TZ;
use crate::storage::Database;

pub use agents::{AgentFigures, ReasonRatings, SelfService, Wait};
pub use cases::ComplaintFigures;
pub use messages::{DayCount, InboxDay, Understanding, VersionAccuracy, VERSIONS};
pub use stations::{CommitmentSettings, OverdueRequest, StationFigures};
pub use transactions::{AbandonedAt, FormFigures, OnlineFigures, TRANSACTIONS};

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("{0}")]
    Invalid(String),
}

/// Longest period one report covers.
pub const MAX_DAYS: i64 = 366;

/// Local days `from` to `to` (both included), perhaps narrowed to one district.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub district: Option<String>,
}

impl Period {
    pub fn new(
        from: NaiveDate,
        to: NaiveDate,
        district: Option<String>,
    ) -> Result<Self, ReportError> {
        if to < from {
            return Err(ReportError::Invalid(format!("{to} is before {from}")));
        }
        if (to - from).num_days() >= MAX_DAYS {
            return Err(ReportError::Invalid(format!("more than {MAX_DAYS} days")));
        }
        let district = district
            .map(|d| d.trim().to_owned())
            .filter(|d| !d.is_empty());
        Ok(Self { from, to, district })
    }

    /// The last `days` local days up to and including the day of `now`.
    pub fn last_days(now: DateTime<Utc>, days: i64) -> Self {
        let to = now.with_timezone(&UTILITY_TZ).date_naive();
        Self {
            from: to - Duration::days(days.max(1) - 1),
            to,
            district: None,
        }
    }

    /// The first instant of the period.
    pub fn start(&self) -> DateTime<Utc> {
        local_midnight(self.from)
    }

    /// The first instant after the period.
    pub fn end(&self) -> DateTime<Utc> {
        local_midnight(self.to + Duration::days(1))
    }

    /// Every day of the period, in order.
    pub fn days(&self) -> Vec<NaiveDate> {
        self.from
            .iter_days()
            .take_while(|d| *d <= self.to)
            .collect()
    }
}

fn local_midnight(day: NaiveDate) -> DateTime<Utc> {
    let midnight = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    UTILITY_TZ
        .from_local_datetime(&midnight)
        .earliest()
        .map_or_else(|| midnight.and_utc(), |t| t.with_timezone(&Utc))
}

/// Every figure of the reports page.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Figures {
    pub volume: Vec<DayCount>,
    /// Messages per local hour of the day (0-23) over the period: when agents are needed.
    pub by_hour: Vec<(u32, i64)>,
    pub top_intents: Vec<(String, i64)>,
    /// Intents asked more in the period's last seven days than in the seven before: the
    /// intent, then and before.
    pub rising: Vec<(String, i64, i64)>,
    pub understanding: Vec<Understanding>,
    pub inbox: Vec<InboxDay>,
    pub versions: Vec<VersionAccuracy>,
    pub self_service: SelfService,
    /// Transactions started in the chat, per kind, and where the abandoned ones stopped.
    pub forms: Vec<FormFigures>,
    pub abandoned: Vec<AbandonedAt>,
    /// Requests per kind, made in the chat and completed.
    pub online: Vec<OnlineFigures>,
    pub handoff_reasons: Vec<(String, i64)>,
    pub wait: Wait,
    pub agents: Vec<AgentFigures>,
    pub ratings: Vec<ReasonRatings>,
    /// Handoffs closed in the period per resolution code, most frequent first.
    pub resolutions: Vec<(String, i64)>,
    pub complaints: ComplaintFigures,
    /// Station jobs against the committed standards, per district and kind.
    pub stations: Vec<StationFigures>,
    /// Station jobs past their standard and not done, the oldest first.
    pub overdue_requests: Vec<OverdueRequest>,
}

/// Intents the top list shows.
pub const TOP_INTENTS: i64 = 10;

/// The reports over one database.
#[derive(Debug, Clone)]
pub struct Reports {
    db: Database,
    commitments: CommitmentSettings,
    /// Minutes of silence after which the dialogue gives up a form (`dialogue.timeout_minutes`):
    /// a form still running that long after its last turn counts as abandoned.
    form_timeout_minutes: i64,
}

impl Reports {
    pub fn new(db: Database, commitments: CommitmentSettings) -> Self {
        Self {
            db,
            commitments,
            form_timeout_minutes: 30,
        }
    }

    pub fn with_form_timeout(mut self, minutes: i64) -> Self {
        self.form_timeout_minutes = minutes.max(1);
        self
    }

    /// Every figure of `period`; `now` decides what is open, overdue and abandoned.
    pub async fn figures(
        &self,
        period: &Period,
        now: DateTime<Utc>,
    ) -> Result<Figures, ReportError> {
        let db = query::Db(&self.db);
        let p = period;
        let judged = now.min(p.end());
        let stalled = now - Duration::minutes(self.form_timeout_minutes);
        // Independent queries, each on its own pooled connection: the page costs about its
        // slowest figure rather than their sum (measured: a year's page on SQLite).
        let (
            (volume, by_hour, top_intents, rising, understanding, inbox, versions),
            (self_service, forms, abandoned, online),
            (handoff_reasons, wait, agents, ratings, resolutions),
            (complaints, (stations, overdue_requests)),
        ) = tokio::try_join!(
            async {
                tokio::try_join!(
                    messages::volume(db, p),
                    messages::by_hour(db, p),
                    messages::top(db, p),
                    messages::rising(db, p),
                    messages::understanding(db, p),
                    messages::inbox(db, p),
                    messages::versions(db, p),
                )
            },
            async {
                tokio::try_join!(
                    agents::self_service(db, p),
                    transactions::forms(db, p, stalled),
                    transactions::abandoned(db, p, stalled),
                    transactions::online(db, p),
                )
            },
            async {
                tokio::try_join!(
                    agents::reasons(db, p),
                    agents::wait(db, p),
                    agents::agents(db, p),
                    agents::ratings(db, p),
                    agents::resolutions(db, p),
                )
            },
            async {
                tokio::try_join!(
                    cases::figures(db, p, judged),
                    stations::figures(db, p, judged, &self.commitments),
                )
            },
        )?;
        Ok(Figures {
            volume,
            by_hour,
            top_intents,
            rising,
            understanding,
            inbox,
            versions,
            self_service,
            forms,
            abandoned,
            online,
            handoff_reasons,
            wait,
            agents,
            ratings,
            resolutions,
            complaints,
            stations,
            overdue_requests,
        })
    }
}

/// The 0-based row of the nearest-rank `p`-th percentile of `n` sorted values.
fn rank(n: i64, p: i64) -> i64 {
    ((n * p + 99) / 100 - 1).max(0)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_local_day_starts_at_16_utc_the_day_before() {
        let p = Period::new(
            NaiveDate::from_ymd_opt(2026, 12, 3).unwrap(),
            NaiveDate::from_ymd_opt(2026, 12, 4).unwrap(),
            None,
        )
        .unwrap();
        assert_eq!(p.start().to_rfc3339(), "2026-12-02T16:00:00+00:00");
        assert_eq!(p.end().to_rfc3339(), "2026-12-04T16:00:00+00:00");
        assert_eq!(p.days().len(), 2);
    }

    #[test]
    fn nearest_rank() {
        assert_eq!(rank(10, 50), 4);
        assert_eq!(rank(10, 90), 8);
        assert_eq!(rank(1, 90), 0);
        assert_eq!(rank(3, 50), 1);
    }
}
