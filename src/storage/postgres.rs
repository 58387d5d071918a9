use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::postgres::{PgPool, PgPoolOptions, PgRow};
use sqlx::Row;

use std::str::FromStr;

use sqlx::postgres::PgConnectOptions;

use super::barrier::{barrier_for, Registry};
use super::batch::Batcher;
use super::kept::KeptConns;
use super::{Backend, ClassificationLog, Publication, Storage, StorageError};

/// Binds `LogColumns` in `insert_sql`'s order, on a query of either kind.
macro_rules! bind_columns {
    ($q:expr, $c:expr) => {{
        let c = $c;
        $q.bind(c.at)
            .bind(c.channel)
            .bind(c.text_masked)
            .bind(c.intent)
            .bind(c.entry)
            .bind(c.confidence)
            .bind(c.decision)
            .bind(c.latency_us)
            .bind(c.catalog_version)
    }};
}

#[derive(Debug, Clone)]
pub struct PgStorage {
    pool: PgPool,
    /// Every classified message logs a row: those logged at once go in one statement.
    log: Arc<Batcher<ClassificationLog, ()>>,
    /// A resident's turn queues its row here, for the statement that saves the turn.
    riders: Arc<LogRiders>,
}

/// How long a queued classification row waits for a turn's save before it goes alone.
const RIDE: Duration = Duration::from_millis(50);

/// Classification log rows of residents' turns, waiting for the statement that saves the
/// turns ending at that moment (`transcript::store_sql`), so that the log costs no
/// statement, commit and round trip of its own. A turn queues its row before it saves, so
/// the row is committed with that save or an earlier one, before the answer leaves. A row
/// no save has taken within `RIDE` (its turn ended without saving, or the save failed and
/// gave it back) is written on its own.
#[derive(Debug)]
pub struct LogRiders {
    rows: std::sync::Mutex<Vec<(std::time::Instant, ClassificationLog)>>,
    pool: PgPool,
    /// Started on first use, inside the caller's runtime; it ends with the riders.
    flusher: std::sync::OnceLock<()>,
}

impl LogRiders {
    /// The riders of `pool`'s database, shared by every store on it in this process.
    pub fn of(pool: &PgPool) -> Arc<Self> {
        static ALL: PerDatabase<LogRiders> = std::sync::OnceLock::new();
        shared(&ALL, pool, || Self {
            rows: std::sync::Mutex::new(Vec::new()),
            pool: pool.clone(),
            flusher: std::sync::OnceLock::new(),
        })
    }

    fn rows(&self) -> std::sync::MutexGuard<'_, Vec<(std::time::Instant, ClassificationLog)>> {
        self.rows
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn push(self: &Arc<Self>, row: ClassificationLog) {
        self.flusher.get_or_init(|| {
            tokio::spawn(flush_riders(Arc::downgrade(self)));
        });
        self.rows().push((std::time::Instant::now(), row));
    }

    /// Every row waiting, oldest first, for the statement about to be sent.
    pub fn take(&self) -> Vec<(std::time::Instant, ClassificationLog)> {
        std::mem::take(&mut *self.rows())
    }

    /// Rows a failed statement took: they wait again, ahead of the rows queued since.
    pub fn put_back(&self, mut taken: Vec<(std::time::Instant, ClassificationLog)>) {
        let mut rows = self.rows();
        taken.append(&mut rows);
        *rows = taken;
    }

    /// A `WITH` that inserts the rows bound from parameter `$first` on (with `bind`), to
    /// put before a statement.
    pub fn insert_before(first: usize) -> String {
        format!("WITH logged AS ({}) ", insert_sql(first))
    }

    /// Binds the rows' columns for `insert_before`.
    pub fn bind<'q, O>(
        q: sqlx::query::QueryScalar<'q, sqlx::Postgres, O, sqlx::postgres::PgArguments>,
        rows: &[(std::time::Instant, ClassificationLog)],
    ) -> sqlx::query::QueryScalar<'q, sqlx::Postgres, O, sqlx::postgres::PgArguments> {
        bind_columns!(q, LogColumns::of(rows.iter().map(|(_, r)| r)))
    }
}

/// Writes the rows that waited longer than `RIDE`, until the riders are gone.
async fn flush_riders(riders: std::sync::Weak<LogRiders>) {
    loop {
        tokio::time::sleep(RIDE).await;
        let Some(riders) = riders.upgrade() else {
            return;
        };
        let stale: Vec<ClassificationLog> = {
            let mut rows = riders.rows();
            let fresh = rows
                .iter()
                .position(|(at, _)| at.elapsed() < RIDE)
                .unwrap_or(rows.len());
            rows.drain(..fresh).map(|(_, r)| r).collect()
        };
        if !stale.is_empty() {
            if let Err(e) = insert_logs(&riders.pool, &stale).await {
                tracing::error!(error = %e, rows = stale.len(), "cannot log classifications");
            }
        }
    }
}

/// Connections kept for single statements per database (`storage::kept`): about one per
/// runtime thread is the most in use at once; a few more cover a moment's overlap.
const KEPT: usize = 4;

/// The kept connections of `pool`'s database, shared by every store on it in this process.
pub(super) fn kept(pool: &PgPool) -> Arc<KeptConns<sqlx::Postgres>> {
    static ALL: PerDatabase<KeptConns<sqlx::Postgres>> = std::sync::OnceLock::new();
    shared(&ALL, pool, || {
        KeptConns::new(pool.clone(), KEPT, IDLE_BEFORE_PING)
    })
}

/// What a process shares per database, while anything holds it.
type PerDatabase<T> =
    std::sync::OnceLock<std::sync::Mutex<std::collections::HashMap<String, std::sync::Weak<T>>>>;

/// `registry`'s entry for `pool`'s database, made by `make` if there is none alive.
fn shared<T>(registry: &'static PerDatabase<T>, pool: &PgPool, make: impl FnOnce() -> T) -> Arc<T> {
    let mut all = registry
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    all.retain(|_, r| r.strong_count() > 0);
    let key = database_key(pool);
    if let Some(r) = all.get(&key).and_then(std::sync::Weak::upgrade) {
        return r;
    }
    let made = Arc::new(make());
    all.insert(key, Arc::downgrade(&made));
    made
}

/// What names one database, for what is shared per database in a process.
fn database_key(pool: &PgPool) -> String {
    let o = pool.connect_options();
    format!(
        "{}:{}/{}",
        o.get_host(),
        o.get_port(),
        o.get_database().unwrap_or("")
    )
}

/// heatdesk's schema on PostgreSQL.
pub(super) static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

/// How long a pooled connection may sit unused before it is tested on its next use.
pub(super) const IDLE_BEFORE_PING: Duration = Duration::from_secs(10);

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
    barrier_for(&BARRIERS, database_key(pool))
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
        let log = Batcher::on_kept(
            pool.clone(),
            LOG_BATCH,
            |c, rows: Vec<ClassificationLog>| {
                Box::pin(async move {
                    insert_logs(c, &rows).await?;
                    Ok(vec![(); rows.len()])
                })
            },
        );
        Self {
            riders: LogRiders::of(&pool),
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
    let q = sqlx::query(sqlx::AssertSqlSafe(insert_sql(1)));
    bind_columns!(q, LogColumns::of(rows.iter()))
        .execute(db)
        .await?;
    Ok(())
}

/// The insert of log rows given as one array per column, from parameter `$first` on, in
/// the arrays' order.
fn insert_sql(first: usize) -> String {
    let p: Vec<String> = (first..first + 9).map(|k| format!("${k}")).collect();
    format!(
        "INSERT INTO classifications ({LOG_COLUMNS}) \
         SELECT {LOG_COLUMNS} FROM unnest({}::timestamptz[], {}::text[], {}::text[], \
           {}::text[], {}::text[], {}::real[], {}::text[], {}::bigint[], {}::text[]) \
           WITH ORDINALITY AS v({LOG_COLUMNS}, n) ORDER BY n",
        p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8]
    )
}

/// Log rows as the columns `insert_sql` takes.
struct LogColumns {
    at: Vec<chrono::DateTime<chrono::Utc>>,
    channel: Vec<String>,
    text_masked: Vec<String>,
    intent: Vec<String>,
    entry: Vec<Option<String>>,
    confidence: Vec<f32>,
    decision: Vec<String>,
    latency_us: Vec<i64>,
    catalog_version: Vec<String>,
}

impl LogColumns {
    fn of<'a>(rows: impl Iterator<Item = &'a ClassificationLog>) -> Self {
        let mut c = Self {
            at: Vec::new(),
            channel: Vec::new(),
            text_masked: Vec::new(),
            intent: Vec::new(),
            entry: Vec::new(),
            confidence: Vec::new(),
            decision: Vec::new(),
            latency_us: Vec::new(),
            catalog_version: Vec::new(),
        };
        for r in rows {
            c.at.push(r.at);
            c.channel.push(r.channel.clone());
            c.text_masked.push(r.text_masked.clone());
            c.intent.push(r.intent.clone());
            c.entry.push(r.entry.clone());
            c.confidence.push(r.confidence);
            c.decision.push(r.decision.clone());
            c.latency_us.push(r.latency_us);
            c.catalog_version.push(r.catalog_version.clone());
        }
        c
    }
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

    async fn queue_classification(&self, c: &ClassificationLog) -> Result<(), StorageError> {
        self.riders.push(c.clone());
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
