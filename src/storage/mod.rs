//! Persistence behind one trait, with SQLite (embedded default) and PostgreSQL backends.
//! Each backend owns its SQL and its migrations (`migrations/<backend>/`).

mod backup;
mod barrier;
pub mod batch;
pub mod direct;
mod kept;
mod postgres;
mod schema;
mod sqlite;

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;

pub use backup::{
    backup_sqlite, restore_sqlite, sqlite_in_use, sqlite_path, verify_sqlite_backup, Restored,
};
pub use kept::{KeptConns, KeptFor, KeptOf};
pub use postgres::sync as sync_postgres;
pub use postgres::{LogRiders, PgStorage};
pub use schema::{Migration, SchemaStatus};
pub use sqlite::{sync as sync_sqlite, SqliteStorage};

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("cannot create the data directory {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    #[error("unsupported database URL (expected sqlite:// or postgres://)")]
    UnsupportedUrl,
    #[error("{path}: {source}")]
    File {
        path: String,
        source: std::io::Error,
    },
    /// A file offered as a backup that is damaged or is not heatdesk's database.
    #[error("{path} is not a usable heatdesk backup: {why}")]
    NotABackup { path: String, why: String },
    /// A process has the database open (a running `heatdesk serve`).
    #[error("{path} is in use by another process")]
    InUse { path: String },
    /// Rows point at rows that are not there after migrating (table, rows).
    #[error("foreign keys broken after migrating: {0}")]
    ForeignKeys(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Publication {
    pub version: String,
    pub entries: i64,
    pub published_at: DateTime<Utc>,
}

/// One classified message, as kept for the office's review. The text is stored masked.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClassificationLog {
    pub at: DateTime<Utc>,
    pub channel: String,
    pub text_masked: String,
    pub intent: String,
    pub entry: Option<String>,
    pub confidence: f32,
    pub decision: String,
    pub latency_us: i64,
    pub catalog_version: String,
}

#[async_trait]
pub trait Storage: Send + Sync + std::fmt::Debug + 'static {
    fn backend(&self) -> Backend;

    /// Is the database reachable?
    async fn ping(&self) -> Result<(), StorageError>;

    /// Records that `version` is the published phrasebook; `false` if it already was.
    async fn record_publication(&self, p: &Publication) -> Result<bool, StorageError>;

    async fn latest_publication(&self) -> Result<Option<Publication>, StorageError>;

    async fn log_classification(&self, c: &ClassificationLog) -> Result<(), StorageError>;

    /// As `log_classification`, but may return before the row is committed: the reply
    /// path's way (a WeChat turn's own write, queued after it, commits it before the answer
    /// leaves).
    async fn queue_classification(&self, c: &ClassificationLog) -> Result<(), StorageError> {
        self.log_classification(c).await
    }

    /// Newest first.
    async fn recent_classifications(
        &self,
        limit: i64,
    ) -> Result<Vec<ClassificationLog>, StorageError>;

    /// Messages the bot could not answer outright (clarified or out of scope), newest first.
    async fn unanswered(&self, limit: i64) -> Result<Vec<ClassificationLog>, StorageError>;
}

/// A connection pool to one of the two backends, migrated to the current schema. Each
/// capability builds its own store on it (`phrasebook_store`, and the stores of other
/// modules), so SQL stays with the capability that owns it.
#[derive(Debug, Clone)]
pub enum Database {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

impl Database {
    /// Opens the database named by `url`, creating it (SQLite) and migrating it as needed.
    pub async fn open(url: &str) -> Result<Self, StorageError> {
        let db = Self::connect(url).await?;
        db.migrate().await?;
        Ok(db)
    }

    /// Opens the database named by `url` without touching its schema (`serve --no-migrate`
    /// checks it with `schema` instead).
    pub async fn connect(url: &str) -> Result<Self, StorageError> {
        if url.starts_with("sqlite:") {
            Ok(Self::Sqlite(sqlite::connect(url).await?))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres(postgres::connect(url).await?))
        } else {
            Err(StorageError::UnsupportedUrl)
        }
    }

    /// Makes every commit made so far durable. Commits do not wait for the disk (SQLite
    /// `synchronous = NORMAL`, PostgreSQL `synchronous_commit = off`), so whoever is about to
    /// tell someone that something was done calls this first; concurrent callers share one
    /// flush (`barrier.rs`).
    pub async fn sync(&self) -> Result<(), StorageError> {
        match self {
            Self::Sqlite(pool) => sqlite::sync(pool).await,
            Self::Postgres(pool) => postgres::sync(pool).await,
        }
    }

    /// SQLite's connections for the reply path (`direct`); `None` on PostgreSQL.
    pub fn direct(&self) -> Option<direct::Direct> {
        match self {
            Self::Sqlite(pool) => Some(direct::of(pool)),
            Self::Postgres(_) => None,
        }
    }

    pub fn backend(&self) -> Backend {
        match self {
            Self::Sqlite(_) => Backend::Sqlite,
            Self::Postgres(_) => Backend::Postgres,
        }
    }

    /// Connections the pool holds, and how many of them are idle.
    pub fn pool_use(&self) -> (u32, usize) {
        match self {
            Self::Sqlite(p) => (p.size(), p.num_idle()),
            Self::Postgres(p) => (p.size(), p.num_idle()),
        }
    }

    /// Waits until no other instance does its first-start work on this database (loading
    /// demo data, recording the phrasebook), and holds that until `StartLock::release`.
    /// Instances started at once then take turns instead of inserting the same rows. On
    /// SQLite, one process owns the file: nothing to wait for.
    pub async fn start_lock(&self) -> Result<StartLock, StorageError> {
        match self {
            Self::Sqlite(_) => Ok(StartLock(None)),
            Self::Postgres(pool) => {
                let mut conn = pool.acquire().await?;
                sqlx::query("SELECT pg_advisory_lock($1)")
                    .bind(START_LOCK)
                    .execute(&mut *conn)
                    .await?;
                Ok(StartLock(Some(conn)))
            }
        }
    }

    /// The phrasebook's store (publications, classification log).
    pub fn phrasebook_store(&self) -> Arc<dyn Storage> {
        match self {
            Self::Sqlite(pool) => Arc::new(SqliteStorage::new(pool.clone())),
            Self::Postgres(pool) => Arc::new(PgStorage::new(pool.clone())),
        }
    }
}

/// The advisory lock of first-start work.
const START_LOCK: i64 = 0x0068_6473_7461_7274; // "hdstart"

/// Held by the instance doing its first-start work; see `Database::start_lock`.
#[derive(Debug)]
pub struct StartLock(Option<sqlx::pool::PoolConnection<sqlx::Postgres>>);

impl StartLock {
    pub async fn release(mut self) {
        if let Some(mut conn) = self.0.take() {
            let unlocked = sqlx::query("SELECT pg_advisory_unlock($1)")
                .bind(START_LOCK)
                .execute(&mut *conn)
                .await;
            if unlocked.is_err() {
                drop(conn.detach());
            }
        }
    }
}

impl Drop for StartLock {
    fn drop(&mut self) {
        // Not released (start-up failed): close the connection, which ends the lock.
        if let Some(conn) = self.0.take() {
            drop(conn.detach());
        }
    }
}

/// Opens the database and returns the phrasebook's store.
pub async fn open(url: &str) -> Result<Arc<dyn Storage>, StorageError> {
    Ok(Database::open(url).await?.phrasebook_store())
}
