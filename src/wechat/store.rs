//! The dispatcher's retry memory and the access token, in heatdesk's database, so every
//! instance behind the callback URL recognises a retry and shares one token.
//!
//! Both backends run the same statements (`$N` placeholders, `ON CONFLICT`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock, Weak};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use sqlx::Row;
use wechat_mp::bot::{AccessToken, RefreshLock, TokenStore};
use wechat_mp::dedup::{Claim, DedupKey, DedupStore, Outcome, StoreError};

use std::sync::Arc;

use crate::storage::batch::Batcher;
use crate::storage::{direct, Database};

fn millis(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn now_ms() -> i64 {
    millis(SystemTime::now())
}

fn ttl_ms(ttl: Duration) -> i64 {
    i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX)
}

#[derive(Debug, Clone)]
pub struct DbStores {
    db: Database,
    /// On SQLite, a push's record is written (once, with its outcome) and read for retries
    /// without the pool.
    direct: Option<direct::Direct>,
    /// On SQLite, the pushes this process is handling (see `InFlight`).
    in_flight: Option<Arc<InFlight>>,
    /// On PostgreSQL, the claims and completions made at once go in one statement each.
    batches: Option<Arc<Batches>>,
}

#[derive(Debug)]
struct Batches {
    /// (key, expires, lease) → inserted.
    claim: Batcher<(String, i64, i64), bool>,
    /// (key, outcome, expires).
    complete: Batcher<(String, String, i64), ()>,
}

impl Batches {
    fn new(pool: &sqlx::PgPool) -> Self {
        let claim = Batcher::on_kept(pool.clone(), BATCH, |c, claims| {
            Box::pin(claim_all(c, claims))
        });
        let complete = Batcher::on_kept(pool.clone(), BATCH, |c, done| {
            Box::pin(complete_all(c, done))
        });
        Self { claim, complete }
    }
}

/// Writes the outcomes in one statement.
async fn complete_all(
    conn: &mut sqlx::PgConnection,
    done: Vec<(String, String, i64)>,
) -> Result<Vec<()>, sqlx::Error> {
    let n = done.len();
    // One row per key (a key is completed once; should two come, the last stands):
    // `DO UPDATE` may not touch a row twice in one statement.
    let mut last = std::collections::HashMap::new();
    for (k, o, e) in done {
        last.insert(k, (o, e));
    }
    let (keys, rest): (Vec<String>, Vec<(String, i64)>) = last.into_iter().unzip();
    let (outcomes, expires): (Vec<String>, Vec<i64>) = rest.into_iter().unzip();
    // An upsert, not `UPDATE … FROM unnest`: its plan is the key's index whatever the
    // table's size (a join's plan, made while the table was small, scanned all of it).
    sqlx::query(
        "INSERT INTO wechat_dedup (key, outcome, expires_at) \
         SELECT k, o, e FROM unnest($1::text[], $2::text[], $3::bigint[]) AS v(k, o, e) \
         ON CONFLICT (key) DO UPDATE SET outcome = EXCLUDED.outcome, \
         expires_at = EXCLUDED.expires_at",
    )
    .bind(keys)
    .bind(outcomes)
    .bind(expires)
    .execute(conn)
    .await?;
    Ok(vec![(); n])
}

/// Pushes per statement.
const BATCH: usize = 256;

/// Inserts the claims in one statement; each is `true` when its row was new. Of two
/// claims of one key in the batch (a retry racing its original) only the first is tried.
async fn claim_all(
    conn: &mut sqlx::PgConnection,
    claims: Vec<(String, i64, i64)>,
) -> Result<Vec<bool>, sqlx::Error> {
    let mut seen = std::collections::HashSet::new();
    let first: Vec<bool> = claims.iter().map(|c| seen.insert(c.0.clone())).collect();
    let (mut keys, mut expires, mut leases) = (Vec::new(), Vec::new(), Vec::new());
    for ((k, e, l), _) in claims.iter().zip(&first).filter(|(_, f)| **f) {
        keys.push(k.clone());
        expires.push(*e);
        leases.push(*l);
    }
    let inserted: std::collections::HashSet<String> = sqlx::query_scalar(
        "INSERT INTO wechat_dedup (key, outcome, expires_at, lease_until) \
         SELECT k, NULL, e, l FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS v(k, e, l) \
         ON CONFLICT (key) DO NOTHING RETURNING key",
    )
    .bind(keys)
    .bind(expires)
    .bind(leases)
    .fetch_all(conn)
    .await?
    .into_iter()
    .collect();
    Ok(claims
        .iter()
        .zip(first)
        .map(|(c, f)| f && inserted.contains(&c.0))
        .collect())
}

/// Retry records on a SQLite file, kept by the one process that serves it: a push is
/// claimed in memory and its record written once, with its outcome.
///
/// Only one process serves a SQLite file, so a retry meets its first attempt in this
/// process while it runs (`running`), or finds its outcome in the file; or the push is new.
/// The record a claim wrote on PostgreSQL tells a retry on another instance that an attempt
/// is alive (its lease); here there is no other instance, and after a crash such a record
/// only made the retry wait for the lease before handling the push again, as it now does at
/// once: a turn the dialogue saved is answered from the conversation's stored answer
/// (`last_message`), and service writes carry idempotency keys. So a claim writes nothing
/// and waits for nothing, and finding a retry's outcome needs no read of the file for a push
/// this process has not completed (`completed`, which may err only towards reading), once
/// the records an earlier process wrote have expired (`earlier_until`).
#[derive(Debug)]
struct InFlight {
    /// Keys being handled, each until its handler completes it or its lease ends.
    running: Mutex<HashMap<String, Instant>>,
    completed: Mutex<Completed>,
    /// When the last record in the file before this process's first claim expires (Unix
    /// ms); read at that claim.
    earlier_until: OnceLock<i64>,
}

/// Keys in flight beyond which a claim first forgets those whose time has passed.
const IN_FLIGHT_PRUNE: usize = 4096;

impl InFlight {
    /// The one set of the file at `path`, for as long as anyone holds it.
    fn of(path: &Path) -> Arc<Self> {
        static FILES: OnceLock<Mutex<HashMap<PathBuf, Weak<InFlight>>>> = OnceLock::new();
        let mut files = FILES
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        files.retain(|_, s| s.strong_count() > 0);
        if let Some(s) = files.get(path).and_then(Weak::upgrade) {
            return s;
        }
        let set = Arc::new(Self {
            running: Mutex::default(),
            completed: Mutex::new(Completed::new()),
            earlier_until: OnceLock::new(),
        });
        files.insert(path.to_path_buf(), Arc::downgrade(&set));
        set
    }

    fn running(&self) -> std::sync::MutexGuard<'_, HashMap<String, Instant>> {
        self.running.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn completed(&self) -> std::sync::MutexGuard<'_, Completed> {
        self.completed.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `true` when `key` was not in flight and now is, until `until` at the latest.
    fn enter(&self, key: &str, until: Instant) -> bool {
        let now = Instant::now();
        let mut keys = self.running();
        if keys.len() >= IN_FLIGHT_PRUNE {
            keys.retain(|_, t| *t > now);
        }
        match keys.get(key) {
            Some(t) if *t > now => false,
            _ => {
                keys.insert(key.to_owned(), until);
                true
            }
        }
    }

    /// `false` when `key` is not running here (its claim was taken over in the file).
    fn extend(&self, key: &str, until: Instant) -> bool {
        match self.running().get_mut(key) {
            Some(t) => {
                *t = until;
                true
            }
            None => false,
        }
    }

    fn leave(&self, key: &str) {
        self.running().remove(key);
    }

    /// Whether the file may hold a record of `key` still in its time at `now`, given when
    /// the earlier records expire.
    fn may_have_record(&self, key: &str, now: i64, earlier_until: i64) -> bool {
        now <= earlier_until || self.completed().may_contain(key)
    }
}

/// The keys this process completed within their time to live, as two generations of a
/// Bloom filter (a false "maybe" costs a read; a key is never missed). A generation is
/// retired once it is older than the longest time to live seen, so a key stays findable
/// until its record has expired.
#[derive(Debug)]
struct Completed {
    current: Vec<u64>,
    previous: Vec<u64>,
    since: Instant,
    ttl: Duration,
}

/// Bits per generation: 2^23 (1 MiB). At 5,000 pushes a second and two minutes to live
/// (600,000 keys in each generation), fewer than one new key in a hundred is read for.
const COMPLETED_WORDS: usize = 1 << 17;
const COMPLETED_PROBES: u64 = 4;

impl Completed {
    fn new() -> Self {
        Self {
            current: vec![0; COMPLETED_WORDS],
            previous: vec![0; COMPLETED_WORDS],
            since: Instant::now(),
            ttl: Duration::ZERO,
        }
    }

    fn bits(key: &str) -> impl Iterator<Item = usize> {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        key.hash(&mut h);
        let h = h.finish();
        let (a, b) = (h, h.rotate_left(32) | 1);
        let n = (COMPLETED_WORDS * 64) as u64;
        (0..COMPLETED_PROBES).map(move |i| (a.wrapping_add(i.wrapping_mul(b)) % n) as usize)
    }

    fn insert(&mut self, key: &str, ttl: Duration) {
        self.ttl = self.ttl.max(ttl);
        if self.since.elapsed() >= self.ttl {
            std::mem::swap(&mut self.current, &mut self.previous);
            self.current.fill(0);
            self.since = Instant::now();
        }
        for bit in Self::bits(key) {
            self.current[bit / 64] |= 1 << (bit % 64);
        }
    }

    fn may_contain(&self, key: &str) -> bool {
        let has = |set: &[u64]| Self::bits(key).all(|bit| set[bit / 64] & (1 << (bit % 64)) != 0);
        has(&self.current) || has(&self.previous)
    }
}

impl DbStores {
    pub fn new(db: Database) -> Self {
        let batches = match &db {
            Database::Postgres(pool) => Some(Arc::new(Batches::new(pool))),
            Database::Sqlite(_) => None,
        };
        let direct = db.direct();
        Self {
            in_flight: direct.as_ref().map(|d| InFlight::of(d.path())),
            direct,
            db,
            batches,
        }
    }

    async fn execute(&self, sql: &str, binds: &[Bind<'_>]) -> Result<u64, sqlx::Error> {
        if let Some(d) = &self.direct {
            let (sql, owned) = (sql.to_owned(), owned(binds));
            let written = d
                .write(move |conn| direct::execute(conn, &sql, &direct_params(&owned)))
                .await;
            match written {
                Ok(n) => return Ok(n as u64),
                Err(e) => tracing::debug!(error = %e, "retry record through the pool"),
            }
        }
        Ok(match &self.db {
            Database::Sqlite(pool) => bind_all(sqlx::query(sqlx::AssertSqlSafe(sql)), binds)
                .execute(pool)
                .await?
                .rows_affected(),
            Database::Postgres(pool) => bind_all_pg(sqlx::query(sqlx::AssertSqlSafe(sql)), binds)
                .execute(pool)
                .await?
                .rows_affected(),
        })
    }

    /// One row as (text, integer) columns.
    async fn fetch_pair(
        &self,
        sql: &str,
        binds: &[Bind<'_>],
    ) -> Result<Option<(Option<String>, i64)>, sqlx::Error> {
        if let Some(row) = self.direct.as_ref().and_then(|d| {
            d.read(|conn| {
                let owned = owned(binds);
                let mut stmt = direct::prepare(conn, sql, &direct_params(&owned))?;
                let mut rows = stmt.raw_query();
                rows.next()?.map(|r| Ok((r.get(0)?, r.get(1)?))).transpose()
            })
        }) {
            return Ok(row);
        }
        Ok(match &self.db {
            Database::Sqlite(pool) => bind_all(sqlx::query(sqlx::AssertSqlSafe(sql)), binds)
                .fetch_optional(pool)
                .await?
                .map(|r| Ok::<_, sqlx::Error>((r.try_get(0)?, r.try_get(1)?)))
                .transpose()?,
            Database::Postgres(pool) => bind_all_pg(sqlx::query(sqlx::AssertSqlSafe(sql)), binds)
                .fetch_optional(pool)
                .await?
                .map(|r| Ok::<_, sqlx::Error>((r.try_get(0)?, r.try_get(1)?)))
                .transpose()?,
        })
    }
}

enum Bind<'a> {
    Text(&'a str),
    Int(i64),
}

/// A statement's values, owned, for the writer thread.
enum Owned {
    Text(String),
    Int(i64),
}

fn owned(binds: &[Bind<'_>]) -> Vec<Owned> {
    binds
        .iter()
        .map(|b| match b {
            Bind::Text(s) => Owned::Text((*s).to_owned()),
            Bind::Int(i) => Owned::Int(*i),
        })
        .collect()
}

fn direct_params(values: &[Owned]) -> Vec<&dyn rusqlite::ToSql> {
    values
        .iter()
        .map(|v| match v {
            Owned::Text(s) => s as &dyn rusqlite::ToSql,
            Owned::Int(i) => i as &dyn rusqlite::ToSql,
        })
        .collect()
}

fn bind_all<'q>(
    mut q: sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments>,
    binds: &'q [Bind<'q>],
) -> sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments> {
    for b in binds {
        q = match b {
            Bind::Text(s) => q.bind(*s),
            Bind::Int(i) => q.bind(*i),
        };
    }
    q
}

fn bind_all_pg<'q>(
    mut q: sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>,
    binds: &'q [Bind<'q>],
) -> sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments> {
    for b in binds {
        q = match b {
            Bind::Text(s) => q.bind(*s),
            Bind::Int(i) => q.bind(*i),
        };
    }
    q
}

impl DbStores {
    /// A claim whose lease (when given) is written with it, in one statement.
    async fn claim_with(
        &self,
        key: &DedupKey,
        ttl: Duration,
        lease: Option<Duration>,
    ) -> Result<Claim, StoreError> {
        let (now, k) = (now_ms(), key.as_str());
        let expires = now.saturating_add(ttl_ms(ttl));
        let until = Instant::now() + lease.unwrap_or(ttl);
        let lease = now.saturating_add(lease.map_or(0, ttl_ms));
        if let Some(claim) = self.claim_here(k, now, until).await? {
            return Ok(claim);
        }
        let batched = match &self.batches {
            Some(b) => b.claim.call((k.to_owned(), expires, lease)).await.ok(),
            None => None,
        };
        let inserted = match batched {
            Some(inserted) => inserted,
            None => {
                let sql = "INSERT INTO wechat_dedup (key, outcome, expires_at, lease_until) VALUES ($1, NULL, $2, $3) ON CONFLICT (key) DO NOTHING";
                self.execute(sql, &[Bind::Text(k), Bind::Int(expires), Bind::Int(lease)])
                    .await?
                    == 1
            }
        };
        if inserted {
            return Ok(Claim::Fresh);
        }
        // An expired entry is a new push that happens to share the key: take it over.
        let sql = "UPDATE wechat_dedup SET outcome = NULL, expires_at = $1, lease_until = $2 WHERE key = $3 AND expires_at < $4";
        if self
            .execute(
                sql,
                &[
                    Bind::Int(expires),
                    Bind::Int(lease),
                    Bind::Text(k),
                    Bind::Int(now),
                ],
            )
            .await?
            == 1
        {
            return Ok(Claim::Fresh);
        }
        let row = self
            .fetch_pair(
                "SELECT outcome, expires_at FROM wechat_dedup WHERE key = $1",
                &[Bind::Text(k)],
            )
            .await?;
        Ok(match row {
            Some((Some(outcome), _)) => Claim::Done(serde_json::from_str::<Outcome>(&outcome)?),
            _ => Claim::Pending,
        })
    }
}

impl DbStores {
    /// The claim on SQLite (see `InFlight`); `None` on PostgreSQL.
    async fn claim_here(
        &self,
        k: &str,
        now: i64,
        until: Instant,
    ) -> Result<Option<Claim>, StoreError> {
        let Some(in_flight) = &self.in_flight else {
            return Ok(None);
        };
        if !in_flight.enter(k, until) {
            return Ok(Some(Claim::Pending));
        }
        let earlier_until = match in_flight.earlier_until.get() {
            Some(t) => *t,
            None => {
                let last = self
                    .fetch_pair(
                        "SELECT NULL, COALESCE(MAX(expires_at), 0) FROM wechat_dedup",
                        &[],
                    )
                    .await;
                // Unknown: every claim reads the file, as if the records never expired.
                let t = last.ok().flatten().map_or(i64::MAX, |(_, t)| t);
                *in_flight.earlier_until.get_or_init(|| t)
            }
        };
        if !in_flight.may_have_record(k, now, earlier_until) {
            return Ok(Some(Claim::Fresh));
        }
        let row = self
            .fetch_pair(
                "SELECT outcome, expires_at FROM wechat_dedup WHERE key = $1",
                &[Bind::Text(k)],
            )
            .await;
        let found = match row {
            Ok(Some((outcome, at))) if at >= now => Some(match outcome {
                Some(outcome) => serde_json::from_str::<Outcome>(&outcome)
                    .map(Claim::Done)
                    .map_err(StoreError::from),
                // An earlier process's claim (or an older heatdesk's): its lease tells the
                // retry when to take it over.
                None => Ok(Claim::Pending),
            }),
            // None, or expired: a new push that happens to share the key.
            Ok(_) => None,
            Err(e) => Some(Err(e.into())),
        };
        match found {
            Some(found) => {
                in_flight.leave(k);
                Ok(Some(found?))
            }
            None => Ok(Some(Claim::Fresh)),
        }
    }
}

#[async_trait]
impl DedupStore for DbStores {
    async fn claim(&self, key: &DedupKey, ttl: Duration) -> Result<Claim, StoreError> {
        self.claim_with(key, ttl, None).await
    }

    async fn complete(
        &self,
        key: &DedupKey,
        outcome: &Outcome,
        ttl: Duration,
    ) -> Result<(), StoreError> {
        let json = serde_json::to_string(outcome)?;
        let expires = now_ms().saturating_add(ttl_ms(ttl));
        if let Some(b) = &self.batches {
            let done = (key.as_str().to_owned(), json.clone(), expires);
            if b.complete.call(done).await.is_ok() {
                return Ok(());
            }
        }
        // An upsert: on SQLite the claim wrote no row.
        let sql = "INSERT INTO wechat_dedup (key, outcome, expires_at) VALUES ($1, $2, $3) \
                   ON CONFLICT (key) DO UPDATE SET outcome = excluded.outcome, \
                   expires_at = excluded.expires_at";
        if let Some(in_flight) = &self.in_flight {
            // Before the record is written: a retry that finds the key no longer running
            // reads the file.
            in_flight.completed().insert(key.as_str(), ttl);
        }
        let done = self
            .execute(
                sql,
                &[
                    Bind::Text(key.as_str()),
                    Bind::Text(&json),
                    Bind::Int(expires),
                ],
            )
            .await;
        if let Some(in_flight) = &self.in_flight {
            in_flight.leave(key.as_str());
        }
        done?;
        Ok(())
    }

    async fn claim_leased(
        &self,
        key: &DedupKey,
        ttl: Duration,
        lease: Duration,
    ) -> Result<Claim, StoreError> {
        self.claim_with(key, ttl, Some(lease)).await
    }

    async fn renew(&self, key: &DedupKey, lease: Duration) -> Result<(), StoreError> {
        if let Some(in_flight) = &self.in_flight {
            // A claim made here has no row to renew.
            if in_flight.extend(key.as_str(), Instant::now() + lease) {
                return Ok(());
            }
        }
        let until = now_ms().saturating_add(ttl_ms(lease));
        let sql = "UPDATE wechat_dedup SET lease_until = $1 WHERE key = $2 AND outcome IS NULL";
        self.execute(sql, &[Bind::Int(until), Bind::Text(key.as_str())])
            .await?;
        Ok(())
    }

    async fn take_over(&self, key: &DedupKey, lease: Duration) -> Result<bool, StoreError> {
        let now = now_ms();
        let until = now.saturating_add(ttl_ms(lease));
        // One statement: of several retries that find the lease run out, one wins.
        let sql = "UPDATE wechat_dedup SET lease_until = $1 WHERE key = $2 AND outcome IS NULL \
                   AND (lease_until IS NULL OR lease_until < $3)";
        let taken = self
            .execute(
                sql,
                &[Bind::Int(until), Bind::Text(key.as_str()), Bind::Int(now)],
            )
            .await?;
        Ok(taken == 1)
    }
}

impl DbStores {
    /// Forgets up to `batch` expired retry records; returns how many. Run in the
    /// background (never on a push's path); on PostgreSQL one instance at a time.
    pub async fn purge_expired(&self, batch: i64) -> Result<u64, sqlx::Error> {
        let now = now_ms();
        match &self.db {
            Database::Sqlite(pool) => Ok(sqlx::query(
                "DELETE FROM wechat_dedup WHERE rowid IN \
                 (SELECT rowid FROM wechat_dedup WHERE expires_at < $1 LIMIT $2)",
            )
            .bind(now)
            .bind(batch)
            .execute(pool)
            .await?
            .rows_affected()),
            Database::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                let ours: bool = sqlx::query_scalar("SELECT pg_try_advisory_xact_lock($1)")
                    .bind(PURGE_LOCK)
                    .fetch_one(&mut *tx)
                    .await?;
                if !ours {
                    return Ok(0);
                }
                let n = sqlx::query(
                    "DELETE FROM wechat_dedup WHERE key IN \
                     (SELECT key FROM wechat_dedup WHERE expires_at < $1 LIMIT $2)",
                )
                .bind(now)
                .bind(batch)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                tx.commit().await?;
                Ok(n)
            }
        }
    }

    /// Purges expired retry records every `every`, in batches, for as long as the process
    /// runs.
    pub fn spawn_purger(&self, every: Duration) -> tokio::task::JoinHandle<()> {
        const BATCH: i64 = 1000;
        let stores = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                loop {
                    match stores.purge_expired(BATCH).await {
                        Ok(n) if n >= BATCH as u64 => tokio::task::yield_now().await,
                        Ok(_) => break,
                        Err(e) => {
                            tracing::warn!(error = %e, "cannot purge expired retry records");
                            break;
                        }
                    }
                }
            }
        })
    }

    /// Retry records kept, expired or not (for tests and the operator).
    pub async fn retry_records(&self) -> Result<i64, sqlx::Error> {
        let sql = "SELECT COUNT(*) FROM wechat_dedup";
        Ok(match &self.db {
            Database::Sqlite(pool) => sqlx::query_scalar(sql).fetch_one(pool).await?,
            Database::Postgres(pool) => sqlx::query_scalar(sql).fetch_one(pool).await?,
        })
    }
}

/// The advisory lock that lets one instance at a time purge retry records.
const PURGE_LOCK: i64 = 0x6865_6174_6465_736b; // "heatdesk"

#[async_trait]
impl TokenStore for DbStores {
    async fn load(&self, appid: &str) -> Result<Option<AccessToken>, StoreError> {
        let row = self
            .fetch_pair(
                "SELECT value, expires_at FROM wechat_tokens WHERE appid = $1",
                &[Bind::Text(appid)],
            )
            .await?;
        Ok(row.and_then(|(value, at)| {
            let expires_at = UNIX_EPOCH + Duration::from_millis(u64::try_from(at).unwrap_or(0));
            value.map(|value| AccessToken { value, expires_at })
        }))
    }

    async fn save(&self, appid: &str, token: &AccessToken) -> Result<(), StoreError> {
        let sql = "INSERT INTO wechat_tokens (appid, value, expires_at) VALUES ($1, $2, $3) \
                   ON CONFLICT (appid) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at";
        let at = millis(token.expires_at);
        self.execute(
            sql,
            &[Bind::Text(appid), Bind::Text(&token.value), Bind::Int(at)],
        )
        .await?;
        Ok(())
    }

    async fn discard(&self, appid: &str, rejected: &str) -> Result<(), StoreError> {
        let sql = "DELETE FROM wechat_tokens WHERE appid = $1 AND value = $2";
        self.execute(sql, &[Bind::Text(appid), Bind::Text(rejected)])
            .await?;
        Ok(())
    }

    /// On PostgreSQL, a session advisory lock on a connection of its own: instances that
    /// find the token expired at the same moment fetch it once. SQLite has one process.
    async fn lock_refresh(&self, appid: &str) -> Result<Option<Box<dyn RefreshLock>>, StoreError> {
        let Database::Postgres(pool) = &self.db else {
            return Ok(None);
        };
        let mut conn = pool.acquire().await?;
        sqlx::query("SELECT pg_advisory_lock($1, hashtext($2))")
            .bind(TOKEN_LOCK_CLASS)
            .bind(appid)
            .execute(&mut *conn)
            .await?;
        Ok(Some(Box::new(PgRefreshLock {
            conn,
            appid: appid.to_owned(),
        })))
    }
}

/// Advisory locks of token refreshes are `(TOKEN_LOCK_CLASS, hashtext(appid))`.
const TOKEN_LOCK_CLASS: i32 = 0x746b; // "tk"

struct PgRefreshLock {
    conn: sqlx::pool::PoolConnection<sqlx::Postgres>,
    appid: String,
}

#[async_trait]
impl RefreshLock for PgRefreshLock {
    async fn release(self: Box<Self>) {
        let mut conn = self.conn;
        let unlocked = sqlx::query("SELECT pg_advisory_unlock($1, hashtext($2))")
            .bind(TOKEN_LOCK_CLASS)
            .bind(&self.appid)
            .execute(&mut *conn)
            .await;
        if let Err(e) = unlocked {
            // A connection that may still hold the lock must not go back to the pool:
            // closing it releases the lock on the server.
            tracing::warn!(error = %e, "cannot release the token refresh lock; closing its connection");
            drop(conn.detach());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A completed key is found for at least its time to live and forgotten within two.
    #[test]
    fn a_completed_key_is_kept_while_its_record_lives() {
        let ttl = Duration::from_millis(80);
        let mut done = Completed::new();
        assert!(!done.may_contain("msg:a:1:1"));
        done.insert("msg:a:1:1", ttl);
        assert!(done.may_contain("msg:a:1:1"));
        assert!(!done.may_contain("msg:a:2:1"));
        std::thread::sleep(ttl + Duration::from_millis(10));
        // The generation it was put in retires: it is still found.
        done.insert("msg:a:2:1", ttl);
        assert!(done.may_contain("msg:a:1:1"));
        assert!(done.may_contain("msg:a:2:1"));
        std::thread::sleep(ttl + Duration::from_millis(10));
        done.insert("msg:a:3:1", ttl);
        assert!(!done.may_contain("msg:a:1:1"), "two lives on, forgotten");
        assert!(done.may_contain("msg:a:2:1"));
    }

    /// Thousands of keys in: none is missed, and few keys never put in are taken for one.
    #[test]
    fn no_completed_key_is_missed() {
        let mut done = Completed::new();
        let ttl = Duration::from_secs(600);
        for n in 0..50_000 {
            done.insert(&format!("msg:o-{n}:{n}:1700000000"), ttl);
        }
        assert!((0..50_000).all(|n| done.may_contain(&format!("msg:o-{n}:{n}:1700000000"))));
        let mistaken = (0..50_000)
            .filter(|n| done.may_contain(&format!("msg:x-{n}:{n}:1700000000")))
            .count();
        assert!(
            mistaken < 50,
            "{mistaken} of 50,000 unknown keys taken for completed"
        );
    }
}
