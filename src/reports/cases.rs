//! Complaints against their deadlines: opened in the period, closed in time or late, open
//! (and overdue) when the period ends or now, followed up and how satisfied.

use chrono::{DateTime, Utc};

use super::query::{Col, Db};
use super::{Period, ReportError};

/// Complaints against their deadlines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ComplaintFigures {
    /// Opened in the period.
    pub opened: i64,
    /// Closed in the period, the resident contacted and answered in time.
    pub closed_in_time: i64,
    /// Closed in the period, a deadline missed.
    pub closed_late: i64,
    /// Open at the period's end (or now, if sooner).
    pub open: i64,
    /// Of those, past a deadline.
    pub overdue: i64,
    /// Follow-up calls in the period, and the sum of their satisfaction (1-5).
    pub followed_up: i64,
    pub satisfaction_sum: i64,
}

/// `$3` is the district ('' for all), `$4` the moment open cases are judged at.
const COMPLAINTS: &str = "SELECT \
     CAST(COALESCE(SUM(CASE WHEN opened_at >= $1 AND opened_at < $2 THEN 1 ELSE 0 END), 0) AS BIGINT), \
     CAST(COALESCE(SUM(CASE WHEN status = 'closed' AND closed_at >= $1 AND closed_at < $2 \
         AND closed_at <= resolve_by AND contacted_at <= contact_by THEN 1 ELSE 0 END), 0) AS BIGINT), \
     CAST(COALESCE(SUM(CASE WHEN status = 'closed' AND closed_at >= $1 AND closed_at < $2 \
         AND (closed_at > resolve_by OR contacted_at > contact_by) THEN 1 ELSE 0 END), 0) AS BIGINT), \
     CAST(COALESCE(SUM(CASE WHEN opened_at < $4 AND (status = 'open' OR closed_at >= $4) \
         THEN 1 ELSE 0 END), 0) AS BIGINT), \
     CAST(COALESCE(SUM(CASE WHEN opened_at < $4 AND (status = 'open' OR closed_at >= $4) \
         AND (resolve_by < $4 OR (contact_by < $4 AND (contacted_at IS NULL OR contacted_at > $4))) \
         THEN 1 ELSE 0 END), 0) AS BIGINT), \
     CAST(COALESCE(SUM(CASE WHEN followed_up_at >= $1 AND followed_up_at < $2 THEN 1 ELSE 0 END), 0) AS BIGINT), \
     CAST(COALESCE(SUM(CASE WHEN followed_up_at >= $1 AND followed_up_at < $2 THEN satisfaction ELSE 0 END), 0) AS BIGINT) \
     FROM complaints WHERE ($3 = '' OR district = $3)";

pub(super) async fn figures(
    db: Db<'_>,
    p: &Period,
    judged: DateTime<Utc>,
) -> Result<ComplaintFigures, ReportError> {
    let args = [
        p.start().into(),
        p.end().into(),
        p.district.clone().unwrap_or_default().into(),
        judged.into(),
    ];
    let rows = db.rows(COMPLAINTS, &args, &[Col::Int; 7]).await?;
    let Some(r) = rows.first() else {
        return Ok(ComplaintFigures::default());
    };
    Ok(ComplaintFigures {
        opened: r.int(0),
        closed_in_time: r.int(1),
        closed_late: r.int(2),
        open: r.int(3),
        overdue: r.int(4),
        followed_up: r.int(5),
        satisfaction_sum: r.int(6),
    })
}
