use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteRow, SqliteSynchronous,
};
use sqlx::{ConnectOptions, Row};

use super::barrier::{barrier_for, Registry};
use super::{Backend, ClassificationLog, Publication, Storage, StorageError};

#[derive(Debug, Clone)]
pub struct SqliteStorage {
    pool: SqlitePool,
    /// Every message is logged: through the writer thread (`direct`).
    direct: super::direct::Direct,
}

/// heatdesk's schema on SQLite.
pub(super) static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");

/// Applies the pending migrations on a connection of their own with foreign keys off, as
/// SQLite wants for rebuilding a table (the only way to change a CHECK): dropping a table
/// that others point at would otherwise count every pointing row as broken. Whether every
/// row still points somewhere is checked afterwards.
pub(super) async fn migrate(pool: &SqlitePool) -> Result<(), StorageError> {
    let mut conn = pool
        .connect_options()
        .as_ref()
        .clone()
        .foreign_keys(false)
        .connect()
        .await?;
    MIGRATOR.run(&mut conn).await?;
    let broken = sqlx::query("PRAGMA foreign_key_check")
        .fetch_all(&mut conn)
        .await?;
    sqlx::Connection::close(conn).await?;
    if let Some(first) = broken.first() {
        let table: String = first.try_get(0)?;
        return Err(StorageError::ForeignKeys(format!(
            "{} rows, the first in {table}",
            broken.len()
        )));
    }
    Ok(())
}

/// Creates the file and its directory when missing; the schema is left as it is.
pub(super) async fn connect(url: &str) -> Result<SqlitePool, StorageError> {
    let options = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        // A commit is not flushed: what must survive a power cut waits for `sync`.
        .synchronous(SqliteSynchronous::Normal)
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
        // A file cannot hang up: testing a connection before each use would only double
        // the hand-offs to the connection's thread that every statement already costs.
        .test_before_acquire(false)
        .connect_with(options)
        .await?;
    Ok(pool)
}

/// Makes every commit made so far on `pool`'s file durable (flushed to disk). Callers
/// waiting at once share one flush: group commit.
pub async fn sync(pool: &SqlitePool) -> Result<(), StorageError> {
    // On the writer thread: no wait for the write lock it holds most of the time.
    match super::direct::of(pool).flush().await {
        Ok(()) => return Ok(()),
        Err(e) => tracing::debug!(error = %e, "flushing through the pool"),
    }
    static BARRIERS: Registry<Flusher> = Registry::new();
    let file = pool
        .connect_options()
        .get_filename()
        .to_string_lossy()
        .into_owned();
    barrier_for(&BARRIERS, file)
        .sync(|flusher| {
            let pool = pool.clone();
            Box::pin(async move { flusher.flush(&pool).await })
        })
        .await
}

/// In WAL mode a commit with `synchronous = FULL` flushes the log, and with it every
/// frame appended before, whichever connection wrote it: one row updated on a connection
/// of its own that runs with FULL.
#[derive(Default)]
struct Flusher(Option<SqliteConnection>);

impl Flusher {
    async fn flush(&mut self, pool: &SqlitePool) -> Result<(), StorageError> {
        if self.0.is_none() {
            let options = pool
                .connect_options()
                .as_ref()
                .clone()
                .synchronous(SqliteSynchronous::Full);
            self.0 = Some(options.connect().await?);
        }
        let Some(conn) = self.0.as_mut() else {
            return Ok(());
        };
        let done = sqlx::query(super::direct::FLUSHED_ROW)
            .execute(&mut *conn)
            .await;
        if done.is_err() {
            // Broken or busy past the timeout: the next flush connects afresh.
            self.0 = None;
        }
        done?;
        Ok(())
    }
}

impl SqliteStorage {
    pub fn new(pool: SqlitePool) -> Self {
        Self {
            direct: super::direct::of(&pool),
            pool,
        }
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

/// One row of the classification log, on the pool and on the writer thread alike.
static INSERT_LOG: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "INSERT INTO classifications ({LOG_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
    )
});

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
        let row = c.clone();
        match self.direct.write(move |conn| insert_log(conn, &row)).await {
            Ok(()) => return Ok(()),
            Err(e) => tracing::debug!(error = %e, "classification logged through the pool"),
        }
        sqlx::query(sqlx::AssertSqlSafe(INSERT_LOG.as_str()))
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

    async fn queue_classification(&self, c: &ClassificationLog) -> Result<(), StorageError> {
        let row = c.clone();
        match self
            .direct
            .submit("classification log", move |conn| insert_log(conn, &row))
        {
            Ok(()) => Ok(()),
            Err(_) => self.log_classification(c).await,
        }
    }

    async fn recent_classifications(
        &self,
        limit: i64,
    ) -> Result<Vec<ClassificationLog>, StorageError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {LOG_COLUMNS} FROM classifications ORDER BY id DESC LIMIT ?"
        )))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(log_from).collect::<Result<_, _>>()?)
    }

    async fn unanswered(&self, limit: i64) -> Result<Vec<ClassificationLog>, StorageError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {LOG_COLUMNS} FROM classifications WHERE decision <> 'answer' ORDER BY id DESC LIMIT ?"
        )))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(log_from).collect::<Result<_, _>>()?)
    }
}

/// One classification log row on the writer's connection.
fn insert_log(conn: &rusqlite::Connection, row: &ClassificationLog) -> rusqlite::Result<()> {
    super::direct::execute(
        conn,
        &INSERT_LOG,
        &[
            &super::direct::time(row.at),
            &row.channel,
            &row.text_masked,
            &row.intent,
            &row.entry,
            &f64::from(row.confidence),
            &row.decision,
            &row.latency_us,
            &row.catalog_version,
        ],
    )
    .map(drop)
}
