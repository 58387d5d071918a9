use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::postgres::{PgPool, PgPoolOptions, PgRow};
use sqlx::Row;

use std::str::FromStr;

use sqlx::postgres::PgConnectOptions;

use super::barrier::{barrier_for, Registry};
use super::batch::{Batcher, Kept};
use super::{Backend, ClassificationLog, Publication, Storage, StorageError};

#[derive(Debug, Clone)]
pub struct PgStorage {
    pool: PgPool,
    /// Every classified message logs a row: those logged at once go in one statement.
    log: Arc<Batcher<ClassificationLog, ()>>,
}

/// heatdesk's schema on PostgreSQL.
pub(super) static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

/// How long a pooled connection may sit unused before it is tested on its next use.
const IDLE_BEFORE_PING: Duration = Duration::from_secs(10);

/// Connects; the schema is left as it is.
pub(super) async fn connect(url: &str) -> Result<PgPool, StorageError> {
    // A commit returns before its log is on disk; what must survive a crash waits for
    // `sync`, whose commit waits for the flush of everything before it.
    let options = PgConnectOptions::from_str(url)?.options([("synchronous_commit", "off")]);
    let pool = PgPoolOptions::new()
        .max_connections(16)
        .acquire_timeout(Duration::from_secs(5))
        // A round trip before every statement would double the statement's cost; a
        // connection used moments ago is alive, one idle for a while is asked first.
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for > IDLE_BEFORE_PING {
                    sqlx::Connection::ping(conn).await?;
                }
                Ok(true)
            })
        })
        .connect_with(options)
        .await?;
    Ok(pool)
}

/// Makes every commit made so far on this database durable: a transaction with an id,
/// committed with `synchronous_commit = on`, returns once the log up to its commit record
/// is flushed, and with it every commit before. Callers waiting at once share it.
pub async fn sync(pool: &PgPool) -> Result<(), StorageError> {
    static BARRIERS: Registry<()> = Registry::new();
    let o = pool.connect_options();
    let key = format!(
        "{}:{}/{}",
        o.get_host(),
        o.get_port(),
        o.get_database().unwrap_or("")
    );
    barrier_for(&BARRIERS, key)
        .sync(|_| {
            let pool = pool.clone();
            Box::pin(async move {
                let mut tx = pool.begin().await?;
                sqlx::query("SET LOCAL synchronous_commit = on")
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("SELECT txid_current()")
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(())
            })
        })
        .await
}

impl PgStorage {
    pub fn new(pool: PgPool) -> Self {
        let kept = Arc::new(Kept::new(pool.clone()));
        let log = Batcher::new(LOG_BATCH, move |rows: Vec<ClassificationLog>| {
            let kept = kept.clone();
            async move {
                let n = rows.len();
                kept.run(|c| Box::pin(async move { insert_logs(c, &rows).await }))
                    .await
                    .map(|()| vec![(); n])
            }
        });
        Self {
            pool,
            log: Arc::new(log),
        }
    }
}

/// Rows per statement: a busy instance logs a few dozen at once.
const LOG_BATCH: usize = 256;

/// The rows in one statement, in the order given.
async fn insert_logs(
    db: impl sqlx::PgExecutor<'_>,
    rows: &[ClassificationLog],
) -> Result<(), sqlx::Error> {
    fn col<T: Clone>(rows: &[ClassificationLog], f: impl Fn(&ClassificationLog) -> T) -> Vec<T> {
        rows.iter().map(f).collect()
    }
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO classifications ({LOG_COLUMNS}) \
         SELECT {LOG_COLUMNS} FROM unnest($1::timestamptz[], $2::text[], $3::text[], \
           $4::text[], $5::text[], $6::real[], $7::text[], $8::bigint[], $9::text[]) \
           WITH ORDINALITY AS v({LOG_COLUMNS}, n) ORDER BY n"
    )))
    .bind(col(rows, |c| c.at))
    .bind(col(rows, |c| c.channel.clone()))
    .bind(col(rows, |c| c.text_masked.clone()))
    .bind(col(rows, |c| c.intent.clone()))
    .bind(col(rows, |c| c.entry.clone()))
    .bind(col(rows, |c| c.confidence))
    .bind(col(rows, |c| c.decision.clone()))
    .bind(col(rows, |c| c.latency_us))
    .bind(col(rows, |c| c.catalog_version.clone()))
    .execute(db)
    .await?;
    Ok(())
}

const LOG_COLUMNS: &str =
    "at, channel, text_masked, intent, entry, confidence, decision, latency_us, catalog_version";

fn log_from(row: &PgRow) -> Result<ClassificationLog, sqlx::Error> {
    Ok(ClassificationLog {
        at: row.try_get("at")?,
        channel: row.try_get("channel")?,
        text_masked: row.try_get("text_masked")?,
        intent: row.try_get("intent")?,
        entry: row.try_get("entry")?,
        confidence: row.try_get("confidence")?,
        decision: row.try_get("decision")?,
        latency_us: row.try_get("latency_us")?,
        catalog_version: row.try_get("catalog_version")?,
    })
}

#[async_trait]
impl Storage for PgStorage {
    fn backend(&self) -> Backend {
        Backend::Postgres
    }

    async fn ping(&self) -> Result<(), StorageError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn record_publication(&self, p: &Publication) -> Result<bool, StorageError> {
        let done = sqlx::query(
            "INSERT INTO publications (version, entries, published_at) VALUES ($1, $2, $3) \
             ON CONFLICT (version) DO NOTHING",
        )
        .bind(&p.version)
        .bind(p.entries as i32)
        .bind(p.published_at)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn latest_publication(&self) -> Result<Option<Publication>, StorageError> {
        let row = sqlx::query(
            "SELECT version, entries, published_at FROM publications ORDER BY published_at DESC LIMIT 1",
        )
        .fetch_optional(&self.pool)
        .await?;
        Ok(row
            .map(|r| -> Result<_, sqlx::Error> {
                Ok(Publication {
                    version: r.try_get("version")?,
                    entries: i64::from(r.try_get::<i32, _>("entries")?),
                    published_at: r.try_get("published_at")?,
                })
            })
            .transpose()?)
    }

    async fn log_classification(&self, c: &ClassificationLog) -> Result<(), StorageError> {
        if self.log.call(c.clone()).await.is_ok() {
            return Ok(());
        }
        // The batch failed (a row it shared, the connection): this row alone.
        insert_logs(&self.pool, std::slice::from_ref(c)).await?;
        Ok(())
    }

    async fn recent_classifications(
        &self,
        limit: i64,
    ) -> Result<Vec<ClassificationLog>, StorageError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {LOG_COLUMNS} FROM classifications ORDER BY id DESC LIMIT $1"
        )))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(log_from).collect::<Result<_, _>>()?)
    }

    async fn unanswered(&self, limit: i64) -> Result<Vec<ClassificationLog>, StorageError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {LOG_COLUMNS} FROM classifications WHERE decision <> 'answer' ORDER BY id DESC LIMIT $1"
        )))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(log_from).collect::<Result<_, _>>()?)
    }
}
