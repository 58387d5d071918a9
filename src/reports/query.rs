//! One way to run the reports' SQL on either backend: a statement with `{…}` placeholders
//! for the expressions that differ, its parameters, and the columns it returns read into
//! backend-neutral cells. The figures are then written once, not once per backend.

use chrono::{DateTime, NaiveDate, Offset, Utc};
use sqlx::Row as _;

use super::ReportError;
use crate::entities::UTILITY_TZ;
use crate::storage::Database;

/// A statement's parameter.
#[derive(Debug, Clone)]
pub(super) enum Arg {
    Text(String),
    Int(i64),
    Time(DateTime<Utc>),
}

impl From<&str> for Arg {
    fn from(s: &str) -> Self {
        Self::Text(s.to_owned())
    }
}

impl From<String> for Arg {
    fn from(s: String) -> Self {
        Self::Text(s)
    }
}

impl From<i64> for Arg {
    fn from(n: i64) -> Self {
        Self::Int(n)
    }
}

impl From<DateTime<Utc>> for Arg {
    fn from(t: DateTime<Utc>) -> Self {
        Self::Time(t)
    }
}

/// A local day as the running counts store it (`YYYY-MM-DD`).
impl From<NaiveDate> for Arg {
    fn from(d: NaiveDate) -> Self {
        Self::Text(d.format("%Y-%m-%d").to_string())
    }
}

/// What a column holds.
#[derive(Debug, Clone, Copy)]
pub(super) enum Col {
    Text,
    Int,
    /// An integer or NULL.
    OptInt,
    Time,
}

#[derive(Debug, Clone)]
pub(super) enum Cell {
    Text(String),
    Int(Option<i64>),
    Time(DateTime<Utc>),
}

/// One row read back, its cells in the statement's column order.
#[derive(Debug, Clone)]
pub(super) struct Row(Vec<Cell>);

impl Row {
    pub fn text(&self, i: usize) -> String {
        match self.0.get(i) {
            Some(Cell::Text(s)) => s.clone(),
            _ => String::new(),
        }
    }

    pub fn int(&self, i: usize) -> i64 {
        self.opt(i).unwrap_or_default()
    }

    pub fn opt(&self, i: usize) -> Option<i64> {
        match self.0.get(i) {
            Some(Cell::Int(n)) => *n,
            _ => None,
        }
    }

    pub fn time(&self, i: usize) -> Result<DateTime<Utc>, ReportError> {
        match self.0.get(i) {
            Some(Cell::Time(t)) => Ok(*t),
            _ => Err(ReportError::Invalid(format!("column {i} is not a time"))),
        }
    }

    /// A local day written `YYYY-MM-DD`.
    pub fn day(&self, i: usize) -> Result<NaiveDate, ReportError> {
        let s = self.text(i);
        NaiveDate::parse_from_str(&s, "%Y-%m-%d")
            .map_err(|e| ReportError::Invalid(format!("day `{s}`: {e}")))
    }
}

/// The database the figures are read from.
#[derive(Debug, Clone, Copy)]
pub(super) struct Db<'a>(pub &'a Database);

macro_rules! fetch {
    ($pool:expr, $sql:expr, $args:expr, $cols:expr) => {{
        let mut q = sqlx::query(sqlx::AssertSqlSafe($sql));
        for a in $args {
            q = match a {
                Arg::Text(s) => q.bind(s.as_str()),
                Arg::Int(n) => q.bind(*n),
                Arg::Time(t) => q.bind(*t),
            };
        }
        let mut out = Vec::new();
        for r in q.fetch_all($pool).await? {
            let mut cells = Vec::with_capacity($cols.len());
            for (i, c) in $cols.iter().enumerate() {
                cells.push(match c {
                    Col::Text => Cell::Text(r.try_get::<String, _>(i)?),
                    Col::Int => Cell::Int(Some(r.try_get::<i64, _>(i)?)),
                    Col::OptInt => Cell::Int(r.try_get::<Option<i64>, _>(i)?),
                    Col::Time => Cell::Time(r.try_get::<DateTime<Utc>, _>(i)?),
                });
            }
            out.push(Row(cells));
        }
        out
    }};
}

impl Db<'_> {
    /// Runs `sql` (placeholders filled for the backend) with `args`, reading `cols`.
    pub async fn rows(
        &self,
        sql: &str,
        args: &[Arg],
        cols: &[Col],
    ) -> Result<Vec<Row>, ReportError> {
        Ok(match self.0 {
            Database::Sqlite(pool) => {
                let sql = sqlite(sql);
                fetch!(pool, sql.as_str(), args, cols)
            }
            Database::Postgres(pool) => {
                let sql = postgres(sql);
                fetch!(pool, sql.as_str(), args, cols)
            }
        })
    }

    /// The first column of the first row, an integer (0 without rows).
    pub async fn count(&self, sql: &str, args: &[Arg]) -> Result<i64, ReportError> {
        let rows = self.rows(sql, args, &[Col::Int]).await?;
        Ok(rows.first().map_or(0, |r| r.int(0)))
    }
}

/// The utility's offset from UTC in minutes (Asia/Shanghai keeps one all year).
fn offset_minutes() -> i32 {
    Utc::now()
        .with_timezone(&UTILITY_TZ)
        .offset()
        .fix()
        .local_minus_utc()
        / 60
}

/// `{day:COL}` the local day of a time as `YYYY-MM-DD` text; `{secs:FROM:TO}` the whole
/// seconds between two times; `{int:COL:FIELD}` an integer field of a JSON text column;
/// `{district:USER:PARAM}` whether the resident has an account in the district named by
/// the parameter (always, when it is empty); `{rank:P}` the row of the P-th percentile
/// (nearest rank) among `n` rows numbered `rn` from 1.
fn sqlite(sql: &str) -> String {
    let minutes = offset_minutes();
    dialect(sql, &|parts| match parts {
        ["day", col] => Some(format!("date({col}, '{minutes:+} minutes')")),
        ["secs", from, to] => Some(format!(
            "CAST(ROUND((julianday({to}) - julianday({from})) * 86400) AS INTEGER)"
        )),
        ["int", col, field] => Some(format!("CAST(json_extract({col}, '$.{field}') AS INTEGER)")),
        _ => common(parts),
    })
}

fn postgres(sql: &str) -> String {
    let zone = UTILITY_TZ.name();
    dialect(sql, &|parts| match parts {
        ["day", col] => Some(format!(
            "to_char({col} AT TIME ZONE '{zone}', 'YYYY-MM-DD')"
        )),
        ["secs", from, to] => Some(format!(
            "CAST(ROUND(EXTRACT(EPOCH FROM ({to} - {from}))) AS BIGINT)"
        )),
        ["int", col, field] => Some(format!("CAST(CAST({col} AS json) ->> '{field}' AS BIGINT)")),
        _ => common(parts),
    })
}

/// Placeholders spelled the same on both backends.
fn common(parts: &[&str]) -> Option<String> {
    match parts {
        // The district's residents are listed once per statement (a few index ranges),
        // not looked up row by row: over a year's rows that is the difference.
        ["district", user, param] => Some(format!(
            "({param} = '' OR {user} IN (SELECT b.user_id FROM accounts a JOIN bindings b \
             ON b.account_no = a.no WHERE a.district = {param}))"
        )),
        // The 1-based row of the nearest-rank percentile among `n` sorted rows.
        ["rank", p] => Some(format!("((n * {p} + 99) / 100)")),
        _ => None,
    }
}

/// Replaces each `{a:b:…}` that `fill` knows; leaves other braces as they are.
fn dialect(sql: &str, fill: &dyn Fn(&[&str]) -> Option<String>) -> String {
    let mut out = String::with_capacity(sql.len() + 64);
    let mut rest = sql;
    while let Some(i) = rest.find('{') {
        out.push_str(&rest[..i]);
        let Some(j) = rest[i..].find('}') else {
            break;
        };
        let parts: Vec<&str> = rest[i + 1..i + j].split(':').collect();
        match fill(&parts) {
            Some(expr) => out.push_str(&expr),
            None => out.push_str(&rest[i..=i + j]),
        }
        rest = &rest[i + j + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_become_the_backends_expressions() {
        let s = dialect("SELECT {day:at}, {secs:a:b}, {x} FROM t", &|p| match p {
            ["day", c] => Some(format!("D({c})")),
            ["secs", a, b] => Some(format!("S({a},{b})")),
            _ => None,
        });
        assert_eq!(s, "SELECT D(at), S(a,b), {x} FROM t");
        assert!(sqlite("{district:h.user_id:$3}").contains("h.user_id IN (SELECT b.user_id"));
        assert!(postgres("{day:at}").contains("Asia/Shanghai"));
    }
}
