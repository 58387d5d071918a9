use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
};
use sqlx::Row;

use super::{Backend, ClassificationLog, Publication, Storage, StorageError};

#[derive(Debug, Clone)]
pub struct SqliteStorage {
    pool: SqlitePool,
}

/// Creates the file and its directory when missing, and migrates.
pub(super) async fn connect(url: &str) -> Result<SqlitePool, StorageError> {
    let options = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .busy_timeout(Duration::from_secs(5))
        .foreign_keys(true);
    if let Some(dir) = Path::new(options.get_filename())
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
    {
        std::fs::create_dir_all(dir).map_err(|source| StorageError::DataDir {
            path: dir.display().to_string(),
            source,
        })?;
    }
    let pool = SqlitePoolOptions::new()
        .max_connections(8)
        .connect_with(options)
        .await?;
    sqlx::migrate!("migrations/sqlite").run(&pool).await?;
    Ok(pool)
}

impl SqliteStorage {
    pub fn new(pool: SqlitePool) -> Self {
        Self { pool }
    }
}

fn log_from(row: &SqliteRow) -> Result<ClassificationLog, sqlx::Error> {
    Ok(ClassificationLog {
        at: row.try_get("at")?,
        channel: row.try_get("channel")?,
        text_masked: row.try_get("text_masked")?,
        intent: row.try_get("intent")?,
        entry: row.try_get("entry")?,
        confidence: row.try_get::<f64, _>("confidence")? as f32,
        decision: row.try_get("decision")?,
        latency_us: row.try_get("latency_us")?,
        catalog_version: row.try_get("catalog_version")?,
    })
}

const LOG_COLUMNS: &str =
    "at, channel, text_masked, intent, entry, confidence, decision, latency_us, catalog_version";

#[async_trait]
impl Storage for SqliteStorage {
    fn backend(&self) -> Backend {
        Backend::Sqlite
    }

    async fn ping(&self) -> Result<(), StorageError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn record_publication(&self, p: &Publication) -> Result<bool, StorageError> {
        let done = sqlx::query(
            "INSERT INTO publications (version, entries, published_at) VALUES (?, ?, ?) \
             ON CONFLICT (version) DO NOTHING",
        )
        .bind(&p.version)
        .bind(p.entries)
        .bind(p.published_at)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn latest_publication(&self) -> Result<Option<Publication>, StorageError> {
        let row = sqlx::query(
            "SELECT version, entries, published_at FROM publications \
             ORDER BY published_at DESC, rowid DESC LIMIT 1",
        )
        .fetch_optional(&self.pool)
        .await?;
        Ok(row
            .map(|r| -> Result<_, sqlx::Error> {
                Ok(Publication {
                    version: r.try_get("version")?,
                    entries: r.try_get("entries")?,
                    published_at: r.try_get("published_at")?,
                })
            })
            .transpose()?)
    }

    async fn log_classification(&self, c: &ClassificationLog) -> Result<(), StorageError> {
        sqlx::query(&format!(
            "INSERT INTO classifications ({LOG_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
        ))
        .bind(c.at)
        .bind(&c.channel)
        .bind(&c.text_masked)
        .bind(&c.intent)
        .bind(&c.entry)
        .bind(f64::from(c.confidence))
        .bind(&c.decision)
        .bind(c.latency_us)
        .bind(&c.catalog_version)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn recent_classifications(
        &self,
        limit: i64,
    ) -> Result<Vec<ClassificationLog>, StorageError> {
        let rows = sqlx::query(&format!(
            "SELECT {LOG_COLUMNS} FROM classifications ORDER BY id DESC LIMIT ?"
        ))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(log_from).collect::<Result<_, _>>()?)
    }

    async fn unanswered(&self, limit: i64) -> Result<Vec<ClassificationLog>, StorageError> {
        let rows = sqlx::query(&format!(
            "SELECT {LOG_COLUMNS} FROM classifications WHERE decision <> 'answer' ORDER BY id DESC LIMIT ?"
        ))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(log_from).collect::<Result<_, _>>()?)
    }
}
