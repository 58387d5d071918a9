//! How each "not warm" case ended before a visit was booked (triage): an interruption told,
//! the season not started, the heating suspended or the valve still closed, arrears, the
//! self-check that helped, or a visit after all. No resident is named: a case is its outcome,
//! the intent asked, the district when the account was known, and when.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::Row;

use super::IncidentError;
use crate::storage::Database;

/// How a case ended (or stands, for a self-check not answered yet).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// An interruption covering the address was told.
    Interruption,
    /// The resident asked for the visit although an interruption was told.
    Insisted,
    /// Outside the heating season.
    SeasonNotStarted,
    /// The account's heating is suspended for the season.
    Suspended,
    /// A resumption is under way: the valve is not opened yet.
    ValveClosed,
    /// Arrears keep the valve closed.
    Arrears,
    /// The self-check was asked and not answered (yet).
    SelfCheckAsked,
    /// The self-check helped: warm again.
    SelfCheckResolved,
    /// Still cold after the self-check: a visit is being booked.
    Visit,
}

impl Outcome {
    pub const ALL: [Self; 9] = [
        Self::Interruption,
        Self::Insisted,
        Self::SeasonNotStarted,
        Self::Suspended,
        Self::ValveClosed,
        Self::Arrears,
        Self::SelfCheckAsked,
        Self::SelfCheckResolved,
        Self::Visit,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Interruption => "interruption",
            Self::Insisted => "insisted",
            Self::SeasonNotStarted => "season_not_started",
            Self::Suspended => "suspended",
            Self::ValveClosed => "valve_closed",
            Self::Arrears => "arrears",
            Self::SelfCheckAsked => "self_check_asked",
            Self::SelfCheckResolved => "self_check_resolved",
            Self::Visit => "visit",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.as_str() == s)
    }

    /// The case ended without a visit.
    pub fn avoided_a_visit(self) -> bool {
        !matches!(self, Self::Insisted | Self::SelfCheckAsked | Self::Visit)
    }
}

/// Cases by outcome over a period.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TriageFigures {
    pub by_outcome: BTreeMap<Outcome, i64>,
}

impl TriageFigures {
    pub fn count(&self, o: Outcome) -> i64 {
        self.by_outcome.get(&o).copied().unwrap_or(0)
    }

    /// Visits triage saved.
    pub fn avoided(&self) -> i64 {
        self.by_outcome
            .iter()
            .filter(|(o, _)| o.avoided_a_visit())
            .map(|(_, n)| n)
            .sum()
    }

    pub fn total(&self) -> i64 {
        self.by_outcome.values().sum()
    }
}

#[async_trait]
pub trait TriageLog: Send + Sync + std::fmt::Debug + 'static {
    /// A new case with its outcome so far; its id lets a later answer amend it.
    async fn record(
        &self,
        outcome: Outcome,
        intent: &str,
        district: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<i64, IncidentError>;

    /// The case's outcome changed (the resident answered the self-check, or insisted).
    async fn amend(
        &self,
        case: i64,
        outcome: Outcome,
        at: DateTime<Utc>,
    ) -> Result<(), IncidentError>;

    /// Cases opened since `since`, in one district or all.
    async fn figures(
        &self,
        since: DateTime<Utc>,
        district: Option<&str>,
    ) -> Result<TriageFigures, IncidentError>;
}

pub fn log_for(db: &Database) -> Arc<dyn TriageLog> {
    match db {
        Database::Sqlite(pool) => Arc::new(SqliteTriage {
            pool: pool.clone(),
            direct: db.direct(),
        }),
        Database::Postgres(pool) => Arc::new(PgTriage {
            pool: pool.clone(),
            direct: None,
        }),
    }
}

const RECORD: &str = "INSERT INTO triage_cases (outcome, intent, district, opened_at, \
     changed_at) VALUES ($1, $2, $3, $4, $4) RETURNING id";
const AMEND: &str = "UPDATE triage_cases SET outcome = $2, changed_at = $3 WHERE id = $1";
const FIGURES: &str = "SELECT outcome, COUNT(*) AS n FROM triage_cases \
     WHERE opened_at >= $1 AND ($2 IS NULL OR district = $2) GROUP BY outcome";

macro_rules! impl_triage {
    ($name:ident, $pool:ty) => {
        #[derive(Debug, Clone)]
        pub struct $name {
            pool: $pool,
            /// SQLite: a case is opened on the reply path, through the writer thread.
            direct: Option<crate::storage::direct::Direct>,
        }

        #[async_trait]
        impl TriageLog for $name {
            async fn record(
                &self,
                outcome: Outcome,
                intent: &str,
                district: Option<&str>,
                at: DateTime<Utc>,
            ) -> Result<i64, IncidentError> {
                if let Some(d) = &self.direct {
                    let values = (
                        outcome.as_str(),
                        intent.to_owned(),
                        district.map(str::to_owned),
                        crate::storage::direct::time(at),
                    );
                    let written = d
                        .write(move |c| {
                            let (outcome, intent, district, at) = &values;
                            let mut stmt = crate::storage::direct::prepare(
                                c,
                                RECORD,
                                &[outcome, intent, district, at],
                            )?;
                            let mut rows = stmt.raw_query();
                            match rows.next()? {
                                Some(r) => r.get::<_, i64>(0),
                                None => Err(rusqlite::Error::QueryReturnedNoRows),
                            }
                        })
                        .await;
                    match written {
                        Ok(id) => return Ok(id),
                        Err(e) => tracing::debug!(error = %e, "triage case through the pool"),
                    }
                }
                let row = sqlx::query(RECORD)
                    .bind(outcome.as_str())
                    .bind(intent)
                    .bind(district)
                    .bind(at)
                    .fetch_one(&self.pool)
                    .await?;
                Ok(row.try_get("id")?)
            }

            async fn amend(
                &self,
                case: i64,
                outcome: Outcome,
                at: DateTime<Utc>,
            ) -> Result<(), IncidentError> {
                if let Some(d) = &self.direct {
                    let values = (case, outcome.as_str(), crate::storage::direct::time(at));
                    let written = d
                        .write(move |c| {
                            let (case, outcome, at) = &values;
                            crate::storage::direct::execute(c, AMEND, &[case, outcome, at])
                        })
                        .await;
                    match written {
                        Ok(_) => return Ok(()),
                        Err(e) => tracing::debug!(error = %e, "triage case through the pool"),
                    }
                }
                sqlx::query(AMEND)
                    .bind(case)
                    .bind(outcome.as_str())
                    .bind(at)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn figures(
                &self,
                since: DateTime<Utc>,
                district: Option<&str>,
            ) -> Result<TriageFigures, IncidentError> {
                let rows = sqlx::query(FIGURES)
                    .bind(since)
                    .bind(district)
                    .fetch_all(&self.pool)
                    .await?;
                let mut out = TriageFigures::default();
                for r in rows {
                    let name: String = r.try_get("outcome")?;
                    let o = Outcome::parse(&name)
                        .ok_or_else(|| IncidentError::Decode(format!("outcome `{name}`")))?;
                    out.by_outcome.insert(o, r.try_get("n")?);
                }
                Ok(out)
            }
        }
    };
}

impl_triage!(SqliteTriage, sqlx::SqlitePool);
impl_triage!(PgTriage, sqlx::PgPool);
