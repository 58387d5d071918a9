//! What residents asked and how the bot understood it: messages per day and channel, per
//! hour, the intents asked most and those rising, the unanswered and clarified per day; the
//! office's inbox per day and each published phrasebook version's accuracy. Read from the
//! running counts the log's trigger keeps (`report_*`, migration 0015), so a year costs a
//! few thousand rows. The log names no resident: these figures are not narrowed to a
//! district.

use chrono::{DateTime, Duration, NaiveDate, Utc};

use super::query::{Arg, Col, Db};
use super::{Period, ReportError, TOP_INTENTS};

/// Messages of one local day on one channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayCount {
    pub day: NaiveDate,
    pub key: String,
    pub n: i64,
}

/// How the bot fared on one local day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Understanding {
    pub day: NaiveDate,
    pub total: i64,
    /// Not understood (out of scope).
    pub unanswered: i64,
    /// Asked the resident to choose.
    pub clarified: i64,
}

/// The office's inbox on one local day: questions that went to it (not answered outright,
/// or reported as answered badly) and questions the office settled (labelled, dismissed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxDay {
    pub day: NaiveDate,
    pub arrived: i64,
    pub settled: i64,
}

/// A published phrasebook version and how it did on the gate's questions (the held-out set
/// and the office's labels) when it was published; `None` for a version published without
/// the gate (the first, from the files).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionAccuracy {
    pub number: i64,
    pub published_at: DateTime<Utc>,
    /// Questions asked, and answered right.
    pub gate: Option<(i64, i64)>,
}

impl VersionAccuracy {
    pub fn percent(&self) -> Option<f64> {
        self.gate
            .filter(|(total, _)| *total > 0)
            .map(|(total, right)| 100.0 * right as f64 / total as f64)
    }
}

/// Versions the chart shows, the newest.
pub const VERSIONS: i64 = 12;

const VOLUME: &str = "SELECT day, channel, CAST(SUM(n) AS BIGINT) FROM report_days \
     WHERE day >= $1 AND day <= $2 GROUP BY day, channel ORDER BY day, channel";
const BY_HOUR: &str = "SELECT CAST(hour AS BIGINT), CAST(SUM(n) AS BIGINT) FROM report_hours \
     WHERE day >= $1 AND day <= $2 GROUP BY hour ORDER BY hour";
const TOP: &str = "SELECT intent, CAST(SUM(n) AS BIGINT) FROM report_intents \
     WHERE day >= $1 AND day <= $2 GROUP BY intent ORDER BY 2 DESC, 1 LIMIT $3";
/// Answered intents asked more in the period's last seven days (`$2` on) than in the seven
/// before (`$1` to `$2`).
const RISING: &str = "SELECT intent, \
     CAST(SUM(CASE WHEN day >= $2 THEN n ELSE 0 END) AS BIGINT), \
     CAST(SUM(CASE WHEN day < $2 THEN n ELSE 0 END) AS BIGINT) \
     FROM report_intents WHERE day >= $1 AND day <= $3 GROUP BY intent \
     HAVING SUM(CASE WHEN day >= $2 THEN n ELSE 0 END) > SUM(CASE WHEN day < $2 THEN n ELSE 0 END) \
     ORDER BY SUM(CASE WHEN day >= $2 THEN n ELSE -n END) DESC, intent LIMIT $4";
const UNDERSTANDING: &str = "SELECT day, CAST(SUM(n) AS BIGINT), \
     CAST(SUM(CASE WHEN decision = 'out_of_scope' THEN n ELSE 0 END) AS BIGINT), \
     CAST(SUM(CASE WHEN decision = 'clarify' THEN n ELSE 0 END) AS BIGINT) \
     FROM report_days WHERE day >= $1 AND day <= $2 GROUP BY day ORDER BY day";
/// `$1`/`$2` the days, `$3`/`$4` the instants.
const INBOX: &str = "SELECT d, CAST(SUM(arrived) AS BIGINT), CAST(SUM(settled) AS BIGINT) FROM ( \
     SELECT day AS d, n AS arrived, 0 AS settled FROM report_days \
         WHERE decision <> 'answer' AND day >= $1 AND day <= $2 \
     UNION ALL SELECT {day:at}, 1, 0 FROM office_feedback WHERE at >= $3 AND at < $4 \
     UNION ALL SELECT {day:at}, 0, 1 FROM office_labels WHERE at >= $3 AND at < $4 \
     UNION ALL SELECT {day:at}, 0, 1 FROM office_dismissed WHERE at >= $3 AND at < $4 \
     ) t GROUP BY d ORDER BY d";
const VERSIONS_SQL: &str = "SELECT CAST(number AS BIGINT), published_at, {int:gate:total}, \
     {int:gate:after_correct} FROM phrasebook_versions WHERE published_at < $1 \
     ORDER BY number DESC LIMIT $2";

pub(super) async fn volume(db: Db<'_>, p: &Period) -> Result<Vec<DayCount>, ReportError> {
    let rows = db
        .rows(VOLUME, &days(p), &[Col::Text, Col::Text, Col::Int])
        .await?;
    rows.iter()
        .map(|r| {
            Ok(DayCount {
                day: r.day(0)?,
                key: r.text(1),
                n: r.int(2),
            })
        })
        .collect()
}

pub(super) async fn by_hour(db: Db<'_>, p: &Period) -> Result<Vec<(u32, i64)>, ReportError> {
    let rows = db.rows(BY_HOUR, &days(p), &[Col::Int, Col::Int]).await?;
    Ok(rows
        .iter()
        .map(|r| (u32::try_from(r.int(0)).unwrap_or_default(), r.int(1)))
        .collect())
}

pub(super) async fn top(db: Db<'_>, p: &Period) -> Result<Vec<(String, i64)>, ReportError> {
    let mut args = days(p);
    args.push(TOP_INTENTS.into());
    let rows = db.rows(TOP, &args, &[Col::Text, Col::Int]).await?;
    Ok(rows.iter().map(|r| (r.text(0), r.int(1))).collect())
}

/// The last seven local days of the period against the seven before.
pub(super) async fn rising(db: Db<'_>, p: &Period) -> Result<Vec<(String, i64, i64)>, ReportError> {
    let args = [
        (p.to - Duration::days(13)).into(),
        (p.to - Duration::days(6)).into(),
        p.to.into(),
        TOP_INTENTS.into(),
    ];
    let rows = db
        .rows(RISING, &args, &[Col::Text, Col::Int, Col::Int])
        .await?;
    Ok(rows
        .iter()
        .map(|r| (r.text(0), r.int(1), r.int(2)))
        .collect())
}

pub(super) async fn understanding(
    db: Db<'_>,
    p: &Period,
) -> Result<Vec<Understanding>, ReportError> {
    let cols = [Col::Text, Col::Int, Col::Int, Col::Int];
    let rows = db.rows(UNDERSTANDING, &days(p), &cols).await?;
    rows.iter()
        .map(|r| {
            Ok(Understanding {
                day: r.day(0)?,
                total: r.int(1),
                unanswered: r.int(2),
                clarified: r.int(3),
            })
        })
        .collect()
}

pub(super) async fn inbox(db: Db<'_>, p: &Period) -> Result<Vec<InboxDay>, ReportError> {
    let mut args = days(p);
    args.extend([p.start().into(), p.end().into()]);
    let rows = db
        .rows(INBOX, &args, &[Col::Text, Col::Int, Col::Int])
        .await?;
    rows.iter()
        .map(|r| {
            Ok(InboxDay {
                day: r.day(0)?,
                arrived: r.int(1),
                settled: r.int(2),
            })
        })
        .collect()
}

/// The versions published before the period's end, the newest `VERSIONS`, oldest first.
pub(super) async fn versions(db: Db<'_>, p: &Period) -> Result<Vec<VersionAccuracy>, ReportError> {
    let cols = [Col::Int, Col::Time, Col::OptInt, Col::OptInt];
    let rows = db
        .rows(VERSIONS_SQL, &[p.end().into(), VERSIONS.into()], &cols)
        .await?;
    let mut out = rows
        .iter()
        .map(|r| {
            Ok(VersionAccuracy {
                number: r.int(0),
                published_at: r.time(1)?,
                gate: r.opt(2).zip(r.opt(3)),
            })
        })
        .collect::<Result<Vec<_>, ReportError>>()?;
    out.reverse();
    Ok(out)
}

/// The period's first and last local day.
fn days(p: &Period) -> Vec<Arg> {
    vec![p.from.into(), p.to.into()]
}
