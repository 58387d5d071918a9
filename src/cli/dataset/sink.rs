//! Rows written in batches: one multi-row `INSERT` per batch, many batches per transaction,
//! so a million rows take a minute rather than an hour. The statements are the same on both
//! backends; only JSON columns need a cast on PostgreSQL.

use chrono::{DateTime, Utc};

use crate::storage::Database;

/// Binds every cell of `rows`, in order, to `query` (a macro: the two backends' queries
/// are different types).
macro_rules! bind_all {
    ($query:expr, $rows:expr) => {{
        let mut q = $query;
        for v in $rows.iter().flatten() {
            q = match v {
                Value::Text(s) | Value::Json(s) => q.bind(s.as_str()),
                Value::OptText(s) => q.bind(s.as_deref()),
                Value::Int(n) => q.bind(*n),
                Value::OptInt(n) => q.bind(*n),
                Value::Real(x) => q.bind(*x),
                Value::OptReal(x) => q.bind(*x),
                Value::Bool(b) => q.bind(*b),
                Value::Time(t) => q.bind(*t),
                Value::OptTime(t) => q.bind(*t),
            };
        }
        q
    }};
}

/// One cell of a generated row.
#[derive(Debug, Clone)]
pub enum Value {
    Text(String),
    OptText(Option<String>),
    Int(i64),
    OptInt(Option<i64>),
    Real(f64),
    OptReal(Option<f64>),
    Bool(bool),
    Time(DateTime<Utc>),
    OptTime(Option<DateTime<Utc>>),
    /// JSON text (a `JSONB` column on PostgreSQL).
    Json(String),
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Self::Text(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Self::Text(s)
    }
}

impl From<i64> for Value {
    fn from(n: i64) -> Self {
        Self::Int(n)
    }
}

impl From<DateTime<Utc>> for Value {
    fn from(t: DateTime<Utc>) -> Self {
        Self::Time(t)
    }
}

impl From<Option<DateTime<Utc>>> for Value {
    fn from(t: Option<DateTime<Utc>>) -> Self {
        Self::OptTime(t)
    }
}

impl From<Option<String>> for Value {
    fn from(s: Option<String>) -> Self {
        Self::OptText(s)
    }
}

/// Bound parameters per statement: well under SQLite's limit (32,766) and PostgreSQL's
/// (65,535); statements much longer than this take longer to prepare than they save.
const PARAMETERS: usize = 2_000;
/// Rows per transaction.
const PER_TRANSACTION: usize = 50_000;

/// Rows for one table, flushed as they accumulate.
pub struct Table<'a> {
    db: &'a Database,
    table: &'static str,
    columns: &'static [&'static str],
    rows: Vec<Vec<Value>>,
    pub written: u64,
}

impl<'a> Table<'a> {
    pub fn new(db: &'a Database, table: &'static str, columns: &'static [&'static str]) -> Self {
        Self {
            db,
            table,
            columns,
            rows: Vec::new(),
            written: 0,
        }
    }

    pub async fn push(&mut self, row: Vec<Value>) -> Result<(), sqlx::Error> {
        self.hold(row);
        if self.full() {
            self.flush().await?;
        }
        Ok(())
    }

    /// Keeps the row until `flush`: for rows that refer to rows of another table still
    /// held (flush that one first).
    pub fn hold(&mut self, row: Vec<Value>) {
        debug_assert_eq!(row.len(), self.columns.len(), "{}", self.table);
        self.rows.push(row);
    }

    /// Enough rows held for one transaction.
    pub fn full(&self) -> bool {
        self.rows.len() >= PER_TRANSACTION
    }

    pub async fn flush(&mut self) -> Result<(), sqlx::Error> {
        if self.rows.is_empty() {
            return Ok(());
        }
        let rows = std::mem::take(&mut self.rows);
        self.written += rows.len() as u64;
        let per_statement = (PARAMETERS / self.columns.len()).max(1);
        match self.db {
            Database::Sqlite(pool) => {
                let mut tx = pool.begin().await?;
                for chunk in rows.chunks(per_statement) {
                    let sql = self.statement(chunk, false);
                    bind_all!(sqlx::query(sqlx::AssertSqlSafe(sql.as_str())), chunk)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await
            }
            Database::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                for chunk in rows.chunks(per_statement) {
                    let sql = self.statement(chunk, true);
                    bind_all!(sqlx::query(sqlx::AssertSqlSafe(sql.as_str())), chunk)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await
            }
        }
    }

    fn statement(&self, rows: &[Vec<Value>], postgres: bool) -> String {
        let width = self.columns.len();
        let mut sql = format!(
            "INSERT INTO {} ({}) VALUES ",
            self.table,
            self.columns.join(", ")
        );
        for (r, row) in rows.iter().enumerate() {
            sql.push_str(if r == 0 { "(" } else { ", (" });
            for (c, v) in row.iter().enumerate() {
                if c > 0 {
                    sql.push_str(", ");
                }
                sql.push_str(&format!("${}", r * width + c + 1));
                if postgres && matches!(v, Value::Json(_)) {
                    sql.push_str("::jsonb");
                }
            }
            sql.push(')');
        }
        sql
    }
}
