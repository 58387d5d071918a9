//! The stations' work against the utility's committed standards (`[commitments]`): for
//! each district and kind of station job, how many requests were made in the period, how
//! many were done within the standard, done late, and still open past it (the overdue
//! list). Read from the built-in service's tables (`requests`, `request_events`,
//! `accounts`); with a remote service API these figures stay empty.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::query::{Arg, Col, Db};
use super::{Period, ReportError};
use crate::service::{RequestKind, RequestStatus};

/// The committed standard per kind of station job, in hours from the request to the step
/// that does it (`[commitments]`, `HEATDESK_COMMITMENTS_*`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct CommitmentSettings {
    /// Resumption: request to valve opened.
    pub valve_open_hours: i64,
    /// Suspension: request to valve closed.
    pub valve_close_hours: i64,
    /// Repair: request to completed.
    pub repair_hours: i64,
    /// Inspection (room temperature): request to completed.
    pub inspection_hours: i64,
    /// Leak: request to completed.
    pub leak_hours: i64,
    /// A room measured below `rules.indoor_min_celsius`: calendar days from the
    /// measurement to the rectification the resident is promised (heating faults do not
    /// wait for weekends, so not working days).
    pub rectification_days: i64,
}

impl Default for CommitmentSettings {
    fn default() -> Self {
        Self {
            valve_open_hours: 24,
            valve_close_hours: 24,
            repair_hours: 48,
            inspection_hours: 72,
            leak_hours: 4,
            rectification_days: 3,
        }
    }
}

impl CommitmentSettings {
    /// Each station kind, the step that does it and the hours it is committed to.
    pub fn standards(&self) -> [(RequestKind, RequestStatus, i64); 5] {
        use RequestKind::*;
        use RequestStatus::*;
        [
            (Resumption, ValveOpened, self.valve_open_hours),
            (Suspension, ValveClosed, self.valve_close_hours),
            (Repair, Completed, self.repair_hours),
            (Inspection, Completed, self.inspection_hours),
            (Leak, Completed, self.leak_hours),
        ]
    }

    /// What `config check` refuses.
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        [
            ("commitments.valve_open_hours", self.valve_open_hours),
            ("commitments.valve_close_hours", self.valve_close_hours),
            ("commitments.repair_hours", self.repair_hours),
            ("commitments.inspection_hours", self.inspection_hours),
            ("commitments.leak_hours", self.leak_hours),
            ("commitments.rectification_days", self.rectification_days),
        ]
        .into_iter()
        .filter(|(_, v)| *v < 1)
        .map(|(k, v)| {
            let unit = if k.ends_with("_days") {
                "days"
            } else {
                "hours"
            };
            (k, format!("{v} is not a positive number of {unit}"))
        })
        .collect()
    }
}

/// One district's requests of one kind in the period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StationFigures {
    pub district: String,
    pub kind: RequestKind,
    /// The committed standard, in hours.
    pub standard_hours: i64,
    pub requests: i64,
    pub done_in_time: i64,
    pub done_late: i64,
    /// Not done, and past the standard.
    pub overdue: i64,
}

/// A request past its standard and not done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverdueRequest {
    pub id: String,
    pub kind: RequestKind,
    pub district: String,
    pub created_at: DateTime<Utc>,
}

/// `$1`/`$2` the period, `$3` kind, `$4` the step that does it, `$5` its standard in
/// seconds, `$6` the latest request time already past the standard, `$7` the district
/// ('' for all). `{done}` is when the request reached the step (one index look-up each).
const STATIONS: &str = "SELECT d, COUNT(*), \
     CAST(COALESCE(SUM(CASE WHEN done IS NOT NULL AND {secs:created:done} <= $5 \
         THEN 1 ELSE 0 END), 0) AS BIGINT), \
     CAST(COALESCE(SUM(CASE WHEN done IS NOT NULL AND {secs:created:done} > $5 \
         THEN 1 ELSE 0 END), 0) AS BIGINT), \
     CAST(COALESCE(SUM(CASE WHEN done IS NULL AND status NOT IN ('rejected', 'cancelled') \
         AND created < $6 THEN 1 ELSE 0 END), 0) AS BIGINT) \
     FROM (SELECT a.district AS d, r.created_at AS created, r.status AS status, {done} AS done \
         FROM requests r JOIN accounts a ON a.no = r.account_no \
         WHERE r.created_at >= $1 AND r.created_at < $2 AND r.kind = $3 \
         AND ($7 = '' OR a.district = $7)) t \
     GROUP BY d ORDER BY d";
const STATIONS_OVERDUE: &str = "SELECT r.id, a.district, r.created_at \
     FROM requests r JOIN accounts a ON a.no = r.account_no \
     WHERE r.created_at >= $1 AND r.created_at < $2 AND r.kind = $3 \
         AND r.status NOT IN ('rejected', 'cancelled') AND r.created_at < $6 \
         AND {done} IS NULL AND ($7 = '' OR a.district = $7) AND $5 >= 0 \
     ORDER BY r.created_at, r.id";
// (`$5 >= 0` only makes both statements take the same parameters.)
const DONE: &str =
    "(SELECT MIN(x.at) FROM request_events x WHERE x.request_id = r.id AND x.status = $4)";

/// Every station kind's figures per district, and the overdue list (oldest first), judged
/// at `judged`.
pub(super) async fn figures(
    db: Db<'_>,
    p: &Period,
    judged: DateTime<Utc>,
    commitments: &CommitmentSettings,
) -> Result<(Vec<StationFigures>, Vec<OverdueRequest>), ReportError> {
    let (mut figures, mut overdue) = (Vec::new(), Vec::new());
    let (stations, late) = (
        STATIONS.replace("{done}", DONE),
        STATIONS_OVERDUE.replace("{done}", DONE),
    );
    for (kind, step, hours) in commitments.standards() {
        let args: [Arg; 7] = [
            p.start().into(),
            p.end().into(),
            crate::domain::snake_name(&kind).into(),
            crate::domain::snake_name(&step).into(),
            (hours * 3600).into(),
            due_before(judged, hours).into(),
            p.district.clone().unwrap_or_default().into(),
        ];
        let cols = [Col::Text, Col::Int, Col::Int, Col::Int, Col::Int];
        for r in db.rows(&stations, &args, &cols).await? {
            figures.push(StationFigures {
                district: r.text(0),
                kind,
                standard_hours: hours,
                requests: r.int(1),
                done_in_time: r.int(2),
                done_late: r.int(3),
                overdue: r.int(4),
            });
        }
        for r in db
            .rows(&late, &args, &[Col::Text, Col::Text, Col::Time])
            .await?
        {
            overdue.push(OverdueRequest {
                id: r.text(0),
                kind,
                district: r.text(1),
                created_at: r.time(2)?,
            });
        }
    }
    // Districts in one order on both backends (collations differ).
    let order = |k: RequestKind| {
        commitments
            .standards()
            .iter()
            .position(|(kind, _, _)| *kind == k)
    };
    figures.sort_by(|a, b| (&a.district, order(a.kind)).cmp(&(&b.district, order(b.kind))));
    overdue.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
    Ok((figures, overdue))
}

/// The latest request time that is past `hours` at `now`.
fn due_before(now: DateTime<Utc>, hours: i64) -> DateTime<Utc> {
    now - Duration::hours(hours)
}
