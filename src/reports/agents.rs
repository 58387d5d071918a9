//! The people's share: residents served by the bot alone and those handed over, why they
//! were handed over, the wait before an agent took over, and per agent the handoffs closed,
//! the first answer and the handling time (medians), the ratings; ratings per reason and
//! how handoffs were closed. Narrowed to a district through the resident's bound accounts.

use super::query::{Arg, Col, Db, Row};
use super::{Period, ReportError};

/// Residents who wrote in the period, and how many of them went to a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SelfService {
    pub residents: i64,
    pub handed_over: i64,
}

impl SelfService {
    /// Served by the bot alone, in percent; `None` when nobody wrote.
    pub fn share(&self) -> Option<f64> {
        (self.residents > 0).then(|| {
            100.0 * (self.residents - self.handed_over.min(self.residents)) as f64
                / self.residents as f64
        })
    }
}

/// The wait before an agent took over, in seconds (nearest rank).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Wait {
    pub claimed: i64,
    pub p50: Option<i64>,
    pub p90: Option<i64>,
}

/// Handoffs an agent closed in the period: how many, the residents' ratings, and the
/// medians (seconds) of the first answer after taking over and of the whole handling.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AgentFigures {
    pub agent: String,
    pub closed: i64,
    pub rated: i64,
    pub rating_sum: i64,
    pub first_response_p50: Option<i64>,
    pub handling_p50: Option<i64>,
}

impl AgentFigures {
    pub fn average(&self) -> Option<f64> {
        (self.rated > 0).then(|| self.rating_sum as f64 / self.rated as f64)
    }
}

/// Ratings of the handoffs closed in the period, per reason they were opened for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReasonRatings {
    pub reason: String,
    pub rated: i64,
    pub rating_sum: i64,
}

impl ReasonRatings {
    pub fn average(&self) -> Option<f64> {
        (self.rated > 0).then(|| self.rating_sum as f64 / self.rated as f64)
    }
}

/// A resident counts on the first day in the period they wrote (see `report_residents`):
/// `$1`/`$2` the first and last local day, `$3` the district ('' for all).
const RESIDENTS: &str = "SELECT COUNT(*) FROM report_residents r \
     WHERE r.day >= $1 AND r.day <= $2 AND (r.prev_day IS NULL OR r.prev_day < $1) \
     AND {district:r.user_id:$3}";
/// The others: `$1`/`$2` the period's instants, `$3` the district ('' for all).
const HANDED_OVER: &str = "SELECT COUNT(DISTINCT h.user_id) FROM handoffs h \
     WHERE h.created_at >= $1 AND h.created_at < $2 AND {district:h.user_id:$3}";
const REASONS: &str = "SELECT h.reason, COUNT(*) FROM handoffs h \
     WHERE h.created_at >= $1 AND h.created_at < $2 AND {district:h.user_id:$3} \
     GROUP BY h.reason ORDER BY 2 DESC, 1";
/// The waits at the 50th and 90th percentile (nearest rank), with how many there are.
const WAIT: &str = "SELECT w, n, rn FROM (SELECT w, ROW_NUMBER() OVER (ORDER BY w) AS rn, \
     COUNT(*) OVER () AS n FROM (SELECT {secs:h.created_at:h.claimed_at} AS w FROM handoffs h \
     WHERE h.claimed_at IS NOT NULL AND h.created_at >= $1 AND h.created_at < $2 \
     AND {district:h.user_id:$3}) t) x WHERE rn = {rank:50} OR rn = {rank:90} ORDER BY rn";
const CLOSED: &str = "FROM handoffs h JOIN desk_users u ON u.id = h.closed_by \
     WHERE h.status = 'closed' AND h.closed_at >= $1 AND h.closed_at < $2 \
     AND {district:h.user_id:$3}";
/// The first line an agent sent the resident after taking the handoff over.
const FIRST_ANSWER: &str = "(SELECT MIN(l.at) FROM transcript_lines l \
     WHERE l.user_id = h.user_id AND l.direction = 'out' AND l.author IS NOT NULL \
     AND (l.delivery IS NULL OR l.delivery <> 'note') \
     AND l.at >= h.claimed_at AND l.at <= h.closed_at)";

fn agents_sql() -> String {
    format!(
        "SELECT u.display_name, COUNT(*), COUNT(h.rating), \
         CAST(COALESCE(SUM(h.rating), 0) AS BIGINT) {CLOSED} \
         GROUP BY u.display_name ORDER BY u.display_name"
    )
}

/// Each agent's median of `secs` over the handoffs they closed.
fn median_sql(secs: &str) -> String {
    format!(
        "SELECT k, w FROM (SELECT k, w, ROW_NUMBER() OVER (PARTITION BY k ORDER BY w) AS rn, \
         COUNT(*) OVER (PARTITION BY k) AS n FROM (SELECT u.display_name AS k, {secs} AS w \
         {CLOSED} AND h.claimed_at IS NOT NULL) t WHERE w IS NOT NULL) x WHERE rn = {{rank:50}}"
    )
}

fn ratings_sql() -> String {
    format!(
        "SELECT h.reason, COUNT(*), CAST(SUM(h.rating) AS BIGINT) {CLOSED} \
         AND h.rating IS NOT NULL GROUP BY h.reason ORDER BY h.reason"
    )
}

fn resolutions_sql() -> String {
    format!(
        "SELECT h.resolution, COUNT(*) {CLOSED} AND h.resolution IS NOT NULL \
         GROUP BY h.resolution ORDER BY 2 DESC, 1"
    )
}

fn args(p: &Period) -> Vec<Arg> {
    vec![
        p.start().into(),
        p.end().into(),
        p.district.clone().unwrap_or_default().into(),
    ]
}

pub(super) async fn self_service(db: Db<'_>, p: &Period) -> Result<SelfService, ReportError> {
    let residents = [
        p.from.into(),
        p.to.into(),
        p.district.clone().unwrap_or_default().into(),
    ];
    Ok(SelfService {
        residents: db.count(RESIDENTS, &residents).await?,
        handed_over: db.count(HANDED_OVER, &args(p)).await?,
    })
}

pub(super) async fn reasons(db: Db<'_>, p: &Period) -> Result<Vec<(String, i64)>, ReportError> {
    let rows = db.rows(REASONS, &args(p), &[Col::Text, Col::Int]).await?;
    Ok(pairs(&rows))
}

pub(super) async fn wait(db: Db<'_>, p: &Period) -> Result<Wait, ReportError> {
    let rows = db
        .rows(WAIT, &args(p), &[Col::Int, Col::Int, Col::Int])
        .await?;
    let Some(first) = rows.first() else {
        return Ok(Wait::default());
    };
    let claimed = first.int(1);
    let at = |p: i64| {
        let rn = super::rank(claimed, p) + 1;
        rows.iter().find(|r| r.int(2) == rn).map(|r| r.int(0))
    };
    Ok(Wait {
        claimed,
        p50: at(50),
        p90: at(90),
    })
}

pub(super) async fn agents(db: Db<'_>, p: &Period) -> Result<Vec<AgentFigures>, ReportError> {
    let cols = [Col::Text, Col::Int, Col::Int, Col::Int];
    let mut out: Vec<AgentFigures> = db
        .rows(&agents_sql(), &args(p), &cols)
        .await?
        .iter()
        .map(|r| AgentFigures {
            agent: r.text(0),
            closed: r.int(1),
            rated: r.int(2),
            rating_sum: r.int(3),
            ..AgentFigures::default()
        })
        .collect();
    let medians = |secs: String| {
        let sql = median_sql(&secs);
        async move { db.rows(&sql, &args(p), &[Col::Text, Col::Int]).await }
    };
    for r in medians(format!("{{secs:h.claimed_at:{FIRST_ANSWER}}}")).await? {
        if let Some(a) = out.iter_mut().find(|a| a.agent == r.text(0)) {
            a.first_response_p50 = Some(r.int(1));
        }
    }
    for r in medians("{secs:h.claimed_at:h.closed_at}".to_owned()).await? {
        if let Some(a) = out.iter_mut().find(|a| a.agent == r.text(0)) {
            a.handling_p50 = Some(r.int(1));
        }
    }
    Ok(out)
}

pub(super) async fn ratings(db: Db<'_>, p: &Period) -> Result<Vec<ReasonRatings>, ReportError> {
    let rows = db
        .rows(&ratings_sql(), &args(p), &[Col::Text, Col::Int, Col::Int])
        .await?;
    Ok(rows
        .iter()
        .map(|r| ReasonRatings {
            reason: r.text(0),
            rated: r.int(1),
            rating_sum: r.int(2),
        })
        .collect())
}

pub(super) async fn resolutions(db: Db<'_>, p: &Period) -> Result<Vec<(String, i64)>, ReportError> {
    let rows = db
        .rows(&resolutions_sql(), &args(p), &[Col::Text, Col::Int])
        .await?;
    Ok(pairs(&rows))
}

fn pairs(rows: &[Row]) -> Vec<(String, i64)> {
    rows.iter().map(|r| (r.text(0), r.int(1))).collect()
}
