//! Transactions done in the chat: the forms residents started, carried out or left (and at
//! which step), from `form_runs` (the dialogue records each form it runs); and per kind of
//! request, how many were made in the chat rather than at a hall or on the hotline, and
//! completed — the "zero errands" rate. Narrowed to a district through the resident's bound
//! accounts and the request's account.

use chrono::{DateTime, Utc};

use super::query::{Arg, Col, Db};
use super::{Period, ReportError};
use crate::catalog::Action;

/// The forms that make a request (the others look something up).
pub const TRANSACTIONS: [Action; 7] = [
    Action::Suspension,
    Action::Resumption,
    Action::Inspection,
    Action::Repair,
    Action::Leak,
    Action::Invoice,
    Action::AreaChange,
];

/// The forms of one transaction started in the period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormFigures {
    /// The transaction (`catalog::Action`, snake case): also its request kind.
    pub action: String,
    pub started: i64,
    /// Carried out (or ended by a rule, such as arrears, before the resident confirmed).
    pub finished: i64,
    /// Cancelled, left for something else, or silent past the dialogue's timeout.
    pub abandoned: i64,
}

impl FormFigures {
    pub fn running(&self) -> i64 {
        (self.started - self.finished - self.abandoned).max(0)
    }
}

/// Where forms of one transaction were abandoned: the slot asked for, `offer`,
/// `verification`, `account` (choosing one) or `confirm`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AbandonedAt {
    pub action: String,
    pub step: String,
    pub n: i64,
}

/// Requests of one kind made in the period, those made in the chat, and of those the
/// completed ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnlineFigures {
    pub kind: String,
    pub requests: i64,
    pub online: i64,
    pub online_completed: i64,
}

/// `$1`/`$2` the period, `$3` the moment before which a running form counts as abandoned,
/// `$4` the district ('' for all).
const FORMS: &str = "SELECT f.action, COUNT(*), \
     CAST(SUM(CASE WHEN f.outcome = 'finished' THEN 1 ELSE 0 END) AS BIGINT), \
     CAST(SUM(CASE WHEN {left} THEN 1 ELSE 0 END) AS BIGINT) \
     FROM form_runs f WHERE f.started_at >= $1 AND f.started_at < $2 AND f.action IN ({actions}) \
     AND {district:f.user_id:$4} GROUP BY f.action ORDER BY f.action";
const ABANDONED: &str = "SELECT f.action, f.step, COUNT(*) FROM form_runs f \
     WHERE f.started_at >= $1 AND f.started_at < $2 AND f.action IN ({actions}) AND {left} \
     AND {district:f.user_id:$4} GROUP BY f.action, f.step ORDER BY f.action, 3 DESC, f.step";
const LEFT: &str = "(f.outcome = 'abandoned' OR (f.outcome IS NULL AND f.updated_at < $3))";
/// The dialogue's requests carry its idempotency keys (`service::CHAT_REQUEST_KEY_PREFIX`).
const ONLINE: &str = "SELECT r.kind, COUNT(*), \
     CAST(SUM(CASE WHEN r.idem_key LIKE '{prefix}%' THEN 1 ELSE 0 END) AS BIGINT), \
     CAST(SUM(CASE WHEN r.idem_key LIKE '{prefix}%' AND r.status = 'completed' \
         THEN 1 ELSE 0 END) AS BIGINT) \
     FROM requests r JOIN accounts a ON a.no = r.account_no \
     WHERE r.created_at >= $1 AND r.created_at < $2 AND ($3 = '' OR a.district = $3) \
     GROUP BY r.kind ORDER BY r.kind";

fn forms_sql(sql: &str) -> String {
    let actions: Vec<String> = TRANSACTIONS
        .iter()
        .map(|a| format!("'{}'", crate::domain::snake_name(a)))
        .collect();
    sql.replace("{left}", LEFT)
        .replace("{actions}", &actions.join(", "))
}

fn args(p: &Period, stalled: DateTime<Utc>) -> [Arg; 4] {
    [
        p.start().into(),
        p.end().into(),
        stalled.into(),
        p.district.clone().unwrap_or_default().into(),
    ]
}

pub(super) async fn forms(
    db: Db<'_>,
    p: &Period,
    stalled: DateTime<Utc>,
) -> Result<Vec<FormFigures>, ReportError> {
    let cols = [Col::Text, Col::Int, Col::Int, Col::Int];
    let rows = db.rows(&forms_sql(FORMS), &args(p, stalled), &cols).await?;
    Ok(rows
        .iter()
        .map(|r| FormFigures {
            action: r.text(0),
            started: r.int(1),
            finished: r.int(2),
            abandoned: r.int(3),
        })
        .collect())
}

pub(super) async fn abandoned(
    db: Db<'_>,
    p: &Period,
    stalled: DateTime<Utc>,
) -> Result<Vec<AbandonedAt>, ReportError> {
    let cols = [Col::Text, Col::Text, Col::Int];
    let rows = db
        .rows(&forms_sql(ABANDONED), &args(p, stalled), &cols)
        .await?;
    Ok(rows
        .iter()
        .map(|r| AbandonedAt {
            action: r.text(0),
            step: r.text(1),
            n: r.int(2),
        })
        .collect())
}

pub(super) async fn online(db: Db<'_>, p: &Period) -> Result<Vec<OnlineFigures>, ReportError> {
    let sql = ONLINE.replace("{prefix}", crate::service::CHAT_REQUEST_KEY_PREFIX);
    let args = [
        p.start().into(),
        p.end().into(),
        p.district.clone().unwrap_or_default().into(),
    ];
    let cols = [Col::Text, Col::Int, Col::Int, Col::Int];
    let rows = db.rows(&sql, &args, &cols).await?;
    Ok(rows
        .iter()
        .map(|r| OnlineFigures {
            kind: r.text(0),
            requests: r.int(1),
            online: r.int(2),
            online_completed: r.int(3),
        })
        .collect())
}
