//! One transaction on either backend, with the few statement shapes privacy work needs:
//! its statements run over many capabilities' tables, named at run time.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{Postgres, Sqlite, Transaction};

use super::PrivacyError;
use crate::storage::Database;

pub(super) enum Bind<'a> {
    Text(&'a str),
    Time(DateTime<Utc>),
    Int(i64),
}

pub(super) enum Tx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

macro_rules! bound {
    ($sql:expr, $binds:expr) => {{
        let mut q = sqlx::query(sqlx::AssertSqlSafe($sql));
        for b in $binds {
            q = match b {
                Bind::Text(s) => q.bind(*s),
                Bind::Time(t) => q.bind(*t),
                Bind::Int(i) => q.bind(*i),
            };
        }
        q
    }};
}

impl Tx {
    pub(super) async fn begin(db: &Database) -> Result<Self, PrivacyError> {
        Ok(match db {
            Database::Sqlite(pool) => Self::Sqlite(pool.begin().await?),
            Database::Postgres(pool) => Self::Postgres(pool.begin().await?),
        })
    }

    pub(super) async fn commit(self) -> Result<(), PrivacyError> {
        match self {
            Self::Sqlite(tx) => tx.commit().await?,
            Self::Postgres(tx) => tx.commit().await?,
        }
        Ok(())
    }

    pub(super) fn is_postgres(&self) -> bool {
        matches!(self, Self::Postgres(_))
    }

    /// The column that names a row on this backend, for batched statements.
    pub(super) fn row_key(&self) -> &'static str {
        if self.is_postgres() {
            "ctid"
        } else {
            "rowid"
        }
    }

    /// `column` contains `$n` (the text function differs per backend).
    pub(super) fn contains(&self, column: &str, n: usize) -> String {
        if self.is_postgres() {
            format!("strpos(CAST({column} AS TEXT), ${n}) > 0")
        } else {
            format!("instr(CAST({column} AS TEXT), ${n}) > 0")
        }
    }

    pub(super) async fn execute(
        &mut self,
        sql: &str,
        binds: &[Bind<'_>],
    ) -> Result<u64, PrivacyError> {
        Ok(match self {
            Self::Sqlite(tx) => bound!(sql, binds).execute(&mut **tx).await?.rows_affected(),
            Self::Postgres(tx) => bound!(sql, binds).execute(&mut **tx).await?.rows_affected(),
        })
    }

    pub(super) async fn count(
        &mut self,
        sql: &str,
        binds: &[Bind<'_>],
    ) -> Result<i64, PrivacyError> {
        use sqlx::Row;
        Ok(match self {
            Self::Sqlite(tx) => bound!(sql, binds).fetch_one(&mut **tx).await?.try_get(0)?,
            Self::Postgres(tx) => bound!(sql, binds).fetch_one(&mut **tx).await?.try_get(0)?,
        })
    }

    /// One text column of every row `sql` selects.
    pub(super) async fn texts(
        &mut self,
        sql: &str,
        binds: &[Bind<'_>],
    ) -> Result<Vec<String>, PrivacyError> {
        use sqlx::Row;
        let mut out = Vec::new();
        match self {
            Self::Sqlite(tx) => {
                for r in bound!(sql, binds).fetch_all(&mut **tx).await? {
                    out.push(r.try_get(0)?);
                }
            }
            Self::Postgres(tx) => {
                for r in bound!(sql, binds).fetch_all(&mut **tx).await? {
                    out.push(r.try_get(0)?);
                }
            }
        }
        Ok(out)
    }

    /// The rows of `table` matching `filter`, each as a JSON object of all its columns, in
    /// insertion order: whatever columns a table has now, an export shows them all.
    pub(super) async fn rows(
        &mut self,
        table: &str,
        filter: &str,
        binds: &[Bind<'_>],
    ) -> Result<Vec<Value>, PrivacyError> {
        let sql = if self.is_postgres() {
            format!(
                "SELECT CAST(row_to_json(t) AS TEXT) FROM {table} t WHERE {filter} ORDER BY t.ctid"
            )
        } else {
            let columns = self
                .texts(
                    "SELECT name FROM pragma_table_info($1) ORDER BY cid",
                    &[Bind::Text(table)],
                )
                .await?;
            let pairs: Vec<String> = columns.iter().map(|c| format!("'{c}', {c}")).collect();
            format!(
                "SELECT json_object({}) FROM {table} WHERE {filter} ORDER BY rowid",
                pairs.join(", ")
            )
        };
        self.texts(&sql, binds)
            .await?
            .iter()
            .map(|row| serde_json::from_str(row).map_err(|e| PrivacyError::Decode(e.to_string())))
            .collect()
    }

    /// Every (table, column) of the schema that can hold text, heatdesk's migrations'
    /// bookkeeping left out.
    pub(super) async fn text_columns(&mut self) -> Result<Vec<(String, String)>, PrivacyError> {
        let sql = if self.is_postgres() {
            "SELECT table_name || '.' || column_name FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name NOT LIKE '\\_sqlx%' \
             AND data_type IN ('text', 'character varying', 'character') \
             ORDER BY table_name, ordinal_position"
        } else {
            "SELECT m.name || '.' || p.name FROM sqlite_master m, pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' \
             AND m.name NOT LIKE '\\_sqlx%' ESCAPE '\\' ORDER BY m.name, p.cid"
        };
        Ok(self
            .texts(sql, &[])
            .await?
            .into_iter()
            .filter_map(|tc| {
                tc.split_once('.')
                    .map(|(t, c)| (t.to_owned(), c.to_owned()))
            })
            .collect())
    }
}
