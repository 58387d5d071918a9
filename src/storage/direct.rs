//! The reply path's statements on SQLite, without a thread switch per statement.
//!
//! sqlx gives every SQLite connection a thread of its own and hands each statement to it
//! and its rows back, and every statement outside a transaction is a commit of its own
//! that appends its pages to the log. A WeChat message cost about ten statements: on two
//! cores the thread switches and the log's writes, not SQL, were most of the time a message
//! took. The statements a turn always runs take two other ways here, on connections of
//! their own to the same file:
//!
//! - **Reads** run on the calling thread (`read`). In WAL mode a read takes no lock, so it
//!   does not wait; should it fail (a reader busy while the log is being recovered, say),
//!   `None` sends the caller to the pool as before.
//! - **Writes** go to one writer thread (`write`), which runs every write queued at that
//!   moment in one transaction and answers each caller after the commit: many turns'
//!   writes, one commit (group commit). A failing write takes only itself back: the batch
//!   is then run again with each write in a savepoint of its own (a savepoint for every
//!   write copied each page it touched, about a tenth of the writer's time, for failures
//!   that almost never happen). What a caller is answered is committed, as on the pool; it
//!   is durable once the barrier (`sync`) has run, which flushes these commits with the
//!   rest.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc, Mutex, OnceLock, Weak};
use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};
use rusqlite::types::ToSql;
use rusqlite::{Connection, OpenFlags, Statement};
use tokio::sync::oneshot;

/// Idle reading connections kept per file: one per runtime thread is the most in use.
const KEEP: usize = 4;

/// Statements prepared once and kept per connection.
const STATEMENT_CACHE: usize = 64;

/// The row a flushing commit changes, so that it has a page to write (and flush) even when
/// nothing else in it does.
pub(super) const FLUSHED_ROW: &str = "UPDATE durability SET n = n + 1 WHERE id = 1";

/// Writes committed together at most; more wait for the next commit.
const BATCH: usize = 256;

/// How long the writer waits for the write lock held by a pool connection.
const WRITER_BUSY: Duration = Duration::from_secs(5);

/// Connections to one SQLite file for the reply path.
#[derive(Clone)]
pub struct Direct(Arc<Inner>);

struct Inner {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    /// To the writer thread; it ends when this is dropped.
    jobs: Mutex<Option<mpsc::Sender<Msg>>>,
}

/// What the writer thread is sent.
enum Msg {
    Write(Job),
    /// Stop between two batches until the pool's writer is done (`pause`).
    Pause(Pause),
}

struct Pause {
    /// Told once the writer holds no lock.
    held: oneshot::Sender<()>,
    /// Disconnected when the caller's guard is dropped.
    release: mpsc::Receiver<()>,
}

/// The writer waits at most this long for a pause's guard: a leaked one must not stop it.
const PAUSE_LIMIT: Duration = Duration::from_secs(5);

impl Pause {
    fn hold(self) {
        if self.held.send(()).is_err() {
            return;
        }
        if let Err(mpsc::RecvTimeoutError::Timeout) = self.release.recv_timeout(PAUSE_LIMIT) {
            tracing::warn!("a write through the pool held the writer too long; going on");
        }
    }
}

/// Holds the writer between two batches until dropped (`Direct::pause`).
pub struct Paused {
    _release: mpsc::Sender<()>,
}

/// A write in a batch.
struct Job {
    work: Box<dyn Work>,
    /// The batch's commit must reach the disk (`synchronous = FULL`) before it is answered.
    flush: bool,
}

/// What a write does, as often as its batch is run (a batch in which one write fails is
/// taken back and run again), and how its caller is answered.
trait Work: Send {
    /// Runs the write in the open transaction and keeps its result; `false` if it failed.
    fn run(&mut self, conn: &Connection) -> bool;
    /// Forgets the kept result (its transaction was taken back).
    fn forget(&mut self);
    /// Answers the caller with the kept result once the batch is committed (`true`), or
    /// with the failure (`false`: the whole batch was taken back).
    fn answer(self: Box<Self>, committed: bool);
}

/// Who is told how a write went.
enum Reply<T> {
    /// A caller waiting for the result (`write`).
    Caller(oneshot::Sender<Result<T, WriteError>>),
    /// Nobody: a failure is logged (`submit`).
    Log(&'static str),
}

struct Call<F, T> {
    f: F,
    done: Option<rusqlite::Result<T>>,
    reply: Reply<T>,
}

impl<F, T> Work for Call<F, T>
where
    F: FnMut(&Connection) -> rusqlite::Result<T> + Send,
    T: Send,
{
    fn run(&mut self, conn: &Connection) -> bool {
        let done = (self.f)(conn);
        let ok = done.is_ok();
        self.done = Some(done);
        ok
    }

    fn forget(&mut self) {
        self.done = None;
    }

    fn answer(self: Box<Self>, committed: bool) {
        let out = match (self.done, committed) {
            (Some(Ok(v)), true) => Ok(v),
            (Some(Ok(_)) | None, _) => Err(WriteError::NotCommitted),
            (Some(Err(e)), _) => Err(WriteError::Sqlite(e)),
        };
        match (self.reply, out) {
            (Reply::Caller(tx), out) => {
                let _ = tx.send(out);
            }
            (Reply::Log(_), Ok(_)) => {}
            (Reply::Log(what), Err(WriteError::Sqlite(e))) => {
                tracing::warn!(what, error = %e, "a queued write failed");
            }
            (Reply::Log(what), Err(_)) => tracing::warn!(what, "a queued write was not committed"),
        }
    }
}

impl std::fmt::Debug for Direct {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Direct").field(&self.0.path).finish()
    }
}

/// The shared `Direct` of the file behind `pool`, for as long as anyone holds it.
pub fn of(pool: &sqlx::SqlitePool) -> Direct {
    static FILES: OnceLock<Mutex<HashMap<PathBuf, Weak<Inner>>>> = OnceLock::new();
    let path = pool.connect_options().get_filename().to_path_buf();
    let mut files = FILES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    files.retain(|_, d| d.strong_count() > 0);
    if let Some(d) = files.get(&path).and_then(Weak::upgrade) {
        return Direct(d);
    }
    let direct = Direct::new(path.clone());
    files.insert(path, Arc::downgrade(&direct.0));
    direct
}

/// The writer of a pool's file, which its writing transactions pause (`Direct::pause`);
/// PostgreSQL has none.
pub trait WriterOf {
    fn writer(&self) -> Option<Direct>;
}

impl WriterOf for sqlx::SqlitePool {
    fn writer(&self) -> Option<Direct> {
        Some(of(self))
    }
}

impl WriterOf for sqlx::PgPool {
    fn writer(&self) -> Option<Direct> {
        None
    }
}

/// `Direct::pause` when there is a writer; `None` (and the pool waits for the lock as
/// before) when there is none or it is gone.
pub async fn pause(writer: Option<&Direct>) -> Option<Paused> {
    writer?.pause().await.ok()
}

/// Why a write did not happen; the caller then uses the pool.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("{0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("the batch it was in was not committed")]
    NotCommitted,
    #[error("the writer is gone")]
    Gone,
}

impl Direct {
    fn new(path: PathBuf) -> Self {
        Self(Arc::new(Inner {
            path,
            idle: Mutex::new(Vec::new()),
            jobs: Mutex::new(None),
        }))
    }

    /// The file these connections open.
    pub fn path(&self) -> &Path {
        &self.0.path
    }

    /// Runs `f` on a reading connection of this file, on the calling thread; `None` when it
    /// could not: the caller then uses the pool.
    pub fn read<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Option<T> {
        let conn = self.take()?;
        match f(&conn) {
            Ok(v) => {
                self.put(conn);
                Some(v)
            }
            Err(e) => {
                tracing::debug!(error = %e, "direct read failed; using the pool");
                if conn.is_autocommit() {
                    self.put(conn);
                }
                None
            }
        }
    }

    /// Runs `f` on the writer thread in the next batch and returns its result once that
    /// batch is committed. An error means nothing of `f` was kept. `f` may be run more than
    /// once (its batch is run again when another write in it fails): it must only write
    /// through the connection it is given.
    pub async fn write<T: Send + 'static>(
        &self,
        f: impl FnMut(&Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> Result<T, WriteError> {
        self.write_job(f, false).await
    }

    /// Holds the writer between two batches until the guard is dropped, for a transaction
    /// that writes through the pool: it then takes the write lock at once instead of
    /// polling for it behind the writer (SQLite's busy wait sleeps in steps of up to 100
    /// ms, and under steady load the writer takes the lock back between two polls). Never
    /// wait for a direct write while holding the guard.
    pub async fn pause(&self) -> Result<Paused, WriteError> {
        let (held, is_held) = oneshot::channel();
        let (release_tx, release) = mpsc::channel();
        self.sender()?
            .send(Msg::Pause(Pause { held, release }))
            .map_err(|_| WriteError::Gone)?;
        is_held.await.map_err(|_| WriteError::Gone)?;
        Ok(Paused {
            _release: release_tx,
        })
    }

    /// Makes every commit made so far on this file durable, whichever connection made it:
    /// the writer's next batch commits with a flush of the log (`synchronous = FULL`), which
    /// takes every frame appended before with it. Callers at once share the flush.
    pub async fn flush(&self) -> Result<(), WriteError> {
        self.write_job(|c| execute(c, FLUSHED_ROW, &[]).map(drop), true)
            .await
    }

    async fn write_job<T: Send + 'static>(
        &self,
        f: impl FnMut(&Connection) -> rusqlite::Result<T> + Send + 'static,
        flush: bool,
    ) -> Result<T, WriteError> {
        let (tx, rx) = oneshot::channel::<Result<T, WriteError>>();
        let work = Box::new(Call {
            f,
            done: None,
            reply: Reply::Caller(tx),
        });
        let job = Job { work, flush };
        self.sender()?
            .send(Msg::Write(job))
            .map_err(|_| WriteError::Gone)?;
        rx.await.map_err(|_| WriteError::Gone)?
    }

    /// Queues `f` for the next batch and returns at once: for records whose loss in a
    /// crash takes nothing from what anyone was told (the classification log). Writes
    /// queued after it by the same caller commit with it or after it, so a caller that
    /// waits for a later write finds this one committed too. A failure is logged. `f` may
    /// be run more than once, as `write`'s.
    pub fn submit(
        &self,
        what: &'static str,
        f: impl FnMut(&Connection) -> rusqlite::Result<()> + Send + 'static,
    ) -> Result<(), WriteError> {
        let work = Box::new(Call {
            f,
            done: None,
            reply: Reply::Log(what),
        });
        let job = Job { work, flush: false };
        self.sender()?
            .send(Msg::Write(job))
            .map_err(|_| WriteError::Gone)
    }

    fn sender(&self) -> Result<mpsc::Sender<Msg>, WriteError> {
        let mut jobs = self.0.jobs.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(tx) = jobs.as_ref() {
            return Ok(tx.clone());
        }
        let conn = open(&self.0.path, WRITER_BUSY)?;
        // Copying the log back into the database ends in a flush, and writes queued
        // meanwhile wait for it: the writer does it only when the log has grown large, and
        // then finds most of it copied already by a thread beside it (`checkpointer`), so
        // the flush is rare and short. The log restarts after each complete copy.
        conn.pragma_update(None, "wal_autocheckpoint", WRITER_CHECKPOINT_PAGES)?;
        let checkpoints = open(&self.0.path, WRITER_BUSY)?;
        checkpoints.pragma_update(None, "wal_autocheckpoint", 0)?;
        let alive = Arc::downgrade(&self.0);
        std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || checkpointer(checkpoints, alive))
            .map_err(|_| WriteError::Gone)?;
        let (tx, rx) = mpsc::channel::<Msg>();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || writer(conn, rx))
            .map_err(|_| WriteError::Gone)?;
        *jobs = Some(tx.clone());
        Ok(tx)
    }

    fn take(&self) -> Option<Connection> {
        if let Some(c) = self.0.idle.lock().unwrap_or_else(|e| e.into_inner()).pop() {
            return Some(c);
        }
        // Never waits for a lock on the calling thread.
        match open(&self.0.path, Duration::ZERO) {
            Ok(c) => Some(c),
            Err(e) => {
                tracing::warn!(error = %e, "cannot open a direct connection");
                None
            }
        }
    }

    fn put(&self, conn: Connection) {
        let mut idle = self.0.idle.lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() < KEEP {
            idle.push(conn);
        }
    }
}

/// `work` inside a savepoint: kept if it succeeds, taken back if it fails.
fn in_savepoint(conn: &Connection, work: &mut dyn Work) {
    let run = |sql: &str| plain(conn, sql);
    if let Err(e) = run("SAVEPOINT job") {
        tracing::warn!(error = %e, "the writer cannot open a savepoint");
        return;
    }
    let ok = work.run(conn);
    if !ok {
        let _ = run("ROLLBACK TO job");
    }
    if let Err(e) = run("RELEASE job") {
        tracing::warn!(error = %e, "the writer cannot release a savepoint");
    }
}

/// The writer thread: waits for a write, takes every write queued behind it, runs them in
/// one transaction and answers them after the commit. Ends when every sender is gone.
fn writer(conn: Connection, messages: mpsc::Receiver<Msg>) {
    while let Ok(first) = messages.recv() {
        let mut batch = match first {
            Msg::Write(job) => vec![job],
            Msg::Pause(p) => {
                p.hold();
                continue;
            }
        };
        let mut pause = None;
        while batch.len() < BATCH {
            match messages.try_recv() {
                Ok(Msg::Write(job)) => batch.push(job),
                Ok(Msg::Pause(p)) => {
                    pause = Some(p);
                    break;
                }
                Err(_) => break,
            }
        }
        commit(&conn, batch);
        if let Some(p) = pause {
            p.hold();
        }
    }
}

/// Runs a statement without values, prepared once per connection: the writer runs its
/// transaction's statements for every batch.
fn plain(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.raw_execute().map(drop)
}

/// Runs a batch in one transaction and answers each of its writes.
fn commit(conn: &Connection, mut batch: Vec<Job>) {
    // The level can be changed only outside a transaction.
    let flush = batch.iter().any(|j| j.flush);
    if flush {
        if let Err(e) = conn.pragma_update(None, "synchronous", "FULL") {
            tracing::warn!(error = %e, "the writer cannot flush; its writes go to the pool");
            drop(batch);
            return;
        }
    }
    if let Err(e) = plain(conn, "BEGIN IMMEDIATE") {
        tracing::warn!(error = %e, "the writer cannot begin; its writes go to the pool");
        // Not run: a dropped job drops its answer, so each caller uses the pool.
        drop(batch);
        if flush {
            let _ = conn.pragma_update(None, "synchronous", "NORMAL");
        }
        return;
    }
    let all_ran = batch.iter_mut().all(|job| job.work.run(conn));
    let mut committed = true;
    if !all_ran {
        // Rare: the writes before the failed one, and part of it, are in the transaction.
        // Taken back, and run again each alone, so that only the failing ones are lost.
        let again = plain(conn, "ROLLBACK").and_then(|()| plain(conn, "BEGIN IMMEDIATE"));
        // A write not run again is answered as not committed, never with the taken-back
        // result.
        for job in &mut batch {
            job.work.forget();
        }
        match again {
            Ok(()) => {
                for job in &mut batch {
                    in_savepoint(conn, job.work.as_mut());
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "the writer cannot run a batch again");
                let _ = plain(conn, "ROLLBACK");
                committed = false;
            }
        }
    }
    let committed = committed
        && match plain(conn, "COMMIT") {
            Ok(()) => true,
            Err(e) => {
                tracing::warn!(error = %e, "the writer's commit failed; its writes go to the pool");
                let _ = plain(conn, "ROLLBACK");
                false
            }
        };
    if flush {
        if let Err(e) = conn.pragma_update(None, "synchronous", "NORMAL") {
            tracing::warn!(error = %e, "the writer stays at synchronous = FULL");
        }
    }
    for job in batch {
        job.work.answer(committed);
    }
}

/// How often the log is copied back into the database beside the writer while it grows,
/// and while it does not.
const CHECKPOINT_BUSY: Duration = Duration::from_millis(10);
const CHECKPOINT_IDLE: Duration = Duration::from_millis(250);
/// How long the log must stay as it is for the copying to slow down.
const CHECKPOINT_QUIET: Duration = Duration::from_secs(1);

/// Pages in the log after which the writer completes the copy itself (and the log restarts).
const WRITER_CHECKPOINT_PAGES: i64 = 8000;

/// Copies the log back into the database without holding up the writer (a passive
/// checkpoint takes no lock that writers wait for), every `CHECKPOINT_BUSY` while the log
/// grows, for as long as the file's `Direct` lives.
fn checkpointer(conn: Connection, alive: Weak<Inner>) {
    // Only to flush what was copied: fsync flushes the file, whichever descriptor asks.
    let db = alive
        .upgrade()
        .and_then(|d| std::fs::File::open(&d.path).ok());
    let mut seen = (0, 0);
    let mut moved = std::time::Instant::now();
    loop {
        // While the log grows, copy often, so that the writer's own complete copy finds
        // little left (under load it otherwise held every queued write for tens of ms).
        let busy = moved.elapsed() < CHECKPOINT_QUIET;
        std::thread::sleep(if busy {
            CHECKPOINT_BUSY
        } else {
            CHECKPOINT_IDLE
        });
        if alive.strong_count() == 0 {
            return;
        }
        let done = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
            Ok((r.get::<_, i64>(1)?, r.get::<_, i64>(2)?))
        });
        match done {
            // -1: the writer was copying it.
            Ok(now) if now != seen || now.0 < 0 => {
                // Pages copied wait in the OS's cache; flushed here, off the writer, they
                // leave its own complete copy (which ends in a flush) little to write.
                if now.1 > 0 && now.1 != seen.1 {
                    if let Some(Err(e)) = db.as_ref().map(std::fs::File::sync_data) {
                        tracing::debug!(error = %e, "cannot flush the database file");
                    }
                }
                seen = now;
                moved = std::time::Instant::now();
            }
            Ok(_) => {}
            Err(e) => tracing::debug!(error = %e, "checkpoint failed; trying again later"),
        }
    }
}

fn open(path: &Path, busy: Duration) -> rusqlite::Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    // As the pool's connections (`sqlite::connect`).
    conn.busy_timeout(busy)?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(conn)
}

/// A time as sqlx writes it to SQLite, so rows written either way compare and sort alike.
pub fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, false)
}

/// A time as sqlx reads it back (RFC 3339, or SQLite's own `YYYY-MM-DD HH:MM:SS`).
pub fn parse_time(s: &str) -> rusqlite::Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%F %T%.f").map(|t| t.and_utc()))
        .map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
        })
}

/// Prepares `sql` (cached) and binds `params[k - 1]` to every `$k` it names: the
/// statements are shared with PostgreSQL, whose placeholders are numbered.
pub fn prepare<'c>(
    conn: &'c Connection,
    sql: &str,
    params: &[&dyn ToSql],
) -> rusqlite::Result<rusqlite::CachedStatement<'c>> {
    let mut stmt = conn.prepare_cached(sql)?;
    bind(&mut stmt, params)?;
    Ok(stmt)
}

fn bind(stmt: &mut Statement<'_>, params: &[&dyn ToSql]) -> rusqlite::Result<()> {
    // By the statement's own names: no name to format and look up per value.
    for i in 1..=stmt.parameter_count() {
        let k = stmt
            .parameter_name(i)
            .and_then(|name| name.strip_prefix('$'))
            .and_then(|k| k.parse::<usize>().ok());
        if let Some(value) = k.and_then(|k| params.get(k.checked_sub(1)?)) {
            stmt.raw_bind_parameter(i, value)?;
        }
    }
    Ok(())
}

/// Runs a statement that returns no rows; how many rows it changed.
pub fn execute(conn: &Connection, sql: &str, params: &[&dyn ToSql]) -> rusqlite::Result<usize> {
    prepare(conn, sql, params)?.raw_execute()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn times_read_back_as_written_and_as_sqlite_writes_them() {
        let t = DateTime::parse_from_rfc3339("2026-12-04T20:07:46.313314+00:00")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(time(t), "2026-12-04T20:07:46.313314+00:00");
        assert_eq!(parse_time(&time(t)).unwrap(), t);
        assert_eq!(
            parse_time("2026-12-04 20:07:46.313314").unwrap(),
            t,
            "SQLite's own format"
        );
        assert!(parse_time("yesterday").is_err());
    }

    #[test]
    fn numbered_placeholders_bind_by_number_in_any_order_and_repeated() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t (a TEXT, b INTEGER, c INTEGER)")
            .unwrap();
        let n = execute(
            &conn,
            "INSERT INTO t (b, a, c) VALUES ($2, $1, $2 + $3)",
            &[&"x", &5_i64, &1_i64],
        )
        .unwrap();
        assert_eq!(n, 1);
        let row: (String, i64, i64) = conn
            .query_row("SELECT a, b, c FROM t", [], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .unwrap();
        assert_eq!(row, ("x".to_owned(), 5, 6));
        // A value the statement does not name is left out, as on the pool.
        let n = execute(&conn, "DELETE FROM t WHERE a = $1", &[&"x", &9_i64]).unwrap();
        assert_eq!(n, 1);
    }

    fn file() -> (tempfile::TempDir, Direct) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("direct.db");
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; CREATE TABLE t (k TEXT PRIMARY KEY, n INTEGER NOT NULL); \
             INSERT INTO t VALUES ('taken', -1)",
        )
        .unwrap();
        (dir, Direct::new(path))
    }

    #[tokio::test]
    async fn a_queued_write_is_committed_before_a_later_write_returns_and_a_flush_commits() {
        let (_dir, d) = file();
        d.read(|c| c.execute_batch("SELECT 1")).unwrap();
        let setup = d
            .write(|c| {
                c.execute_batch(
                    "CREATE TABLE durability (id INTEGER PRIMARY KEY, n INTEGER NOT NULL); \
                     INSERT INTO durability VALUES (1, 0)",
                )
            })
            .await;
        setup.unwrap();
        for i in 0..50_i64 {
            let k = format!("q{i}");
            d.submit("test", move |c| {
                execute(c, "INSERT INTO t VALUES ($1, $2)", &[&k, &i]).map(drop)
            })
            .unwrap();
        }
        // Not waited for: a failing one is logged and takes only itself back.
        d.submit("test", |c| {
            execute(c, "INSERT INTO t VALUES ('taken', 0)", &[]).map(drop)
        })
        .unwrap();
        d.write(|c| execute(c, "INSERT INTO t VALUES ('last', 0)", &[]))
            .await
            .unwrap();
        let n: i64 = d
            .read(|c| c.query_row("SELECT COUNT(*) FROM t", [], |r| r.get(0)))
            .unwrap();
        assert_eq!(
            n,
            1 + 50 + 1,
            "every queued write before the awaited one is in"
        );
        d.flush().await.unwrap();
        d.flush().await.unwrap();
        let flushes: i64 = d
            .read(|c| c.query_row("SELECT n FROM durability", [], |r| r.get(0)))
            .unwrap();
        assert_eq!(flushes, 2);
        // The writer went back to its usual level after the flushed batch.
        let level: i64 = d
            .write(|c| c.query_row("PRAGMA synchronous", [], |r| r.get(0)))
            .await
            .unwrap();
        assert_eq!(level, 1, "NORMAL");
    }

    #[tokio::test]
    async fn the_log_is_copied_back_into_the_database_beside_the_writer() {
        let (dir, d) = file();
        for i in 0..20_i64 {
            let k = format!("k{i}");
            d.write(move |c| execute(c, "INSERT INTO t VALUES ($1, $2)", &[&k, &i]))
                .await
                .unwrap();
        }
        // Reads the database file alone, not the log: rows appear there once copied back.
        let uri = format!(
            "file:{}?immutable=1",
            dir.path().join("direct.db").display()
        );
        let in_file = || -> i64 {
            let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_URI;
            let c = Connection::open_with_flags(&uri, flags).unwrap();
            c.query_row("SELECT COUNT(*) FROM t", [], |r| r.get(0))
                .unwrap()
        };
        let mut copied = in_file();
        for _ in 0..100 {
            if copied == 21 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
            copied = in_file();
        }
        assert_eq!(copied, 21, "nobody else checkpoints this file");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_pause_holds_writes_until_released_and_lets_another_connection_write() {
        let (dir, d) = file();
        d.write(|c| execute(c, "INSERT INTO t VALUES ('a', 1)", &[]))
            .await
            .unwrap();
        let paused = d.pause().await.unwrap();
        let queued = tokio::spawn({
            let d = d.clone();
            async move {
                d.write(|c| execute(c, "INSERT INTO t VALUES ('b', 2)", &[]))
                    .await
            }
        });
        // Without a busy timeout: the lock must be free, though a write is queued.
        let other = Connection::open(dir.path().join("direct.db")).unwrap();
        other
            .execute_batch("BEGIN IMMEDIATE; INSERT INTO t VALUES ('c', 3); COMMIT")
            .unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(!queued.is_finished(), "the writer waits while paused");
        drop(paused);
        assert_eq!(queued.await.unwrap().unwrap(), 1);
        let n: i64 = d
            .read(|c| c.query_row("SELECT COUNT(*) FROM t", [], |r| r.get(0)))
            .unwrap();
        assert_eq!(n, 4);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn writes_at_once_share_commits_and_a_failing_one_takes_only_itself_back() {
        let (_dir, d) = file();
        let writes = (0..200).map(|i| {
            let d = d.clone();
            tokio::spawn(async move {
                d.write(move |c| {
                    // Every tenth write breaks the primary key after writing a row: that
                    // row must go with it, and the others must stay.
                    execute(
                        c,
                        "INSERT INTO t (k, n) VALUES ($1, $2)",
                        &[&format!("k{i}"), &i],
                    )?;
                    if i % 10 == 0 {
                        execute(c, "INSERT INTO t (k, n) VALUES ('taken', 0)", &[])?;
                    }
                    Ok(i)
                })
                .await
            })
        });
        let mut failed = 0;
        for (i, w) in writes.enumerate() {
            match w.await.unwrap() {
                Ok(n) => assert_eq!(n, i as i64),
                Err(WriteError::Sqlite(_)) => failed += 1,
                Err(e) => panic!("write {i}: {e}"),
            }
        }
        assert_eq!(failed, 20);
        let kept: Vec<i64> = d
            .read(|c| {
                let mut s = c.prepare("SELECT n FROM t ORDER BY n")?;
                let rows = s.query_map([], |r| r.get(0))?;
                rows.collect()
            })
            .unwrap();
        let expected: Vec<i64> = std::iter::once(-1)
            .chain((0..200).filter(|i| i % 10 != 0))
            .collect();
        assert_eq!(
            kept, expected,
            "each failed write and only it was taken back"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_batch_with_a_failing_write_is_run_again_without_it_in_the_same_order() {
        let (_dir, d) = file();
        // Held, so that the writes below are queued behind the pause and taken as one batch.
        let paused = d.pause().await.unwrap();
        let count =
            |c: &Connection| c.query_row("SELECT COUNT(*) FROM t", [], |r| r.get::<_, i64>(0));
        let first = d.write(move |c| {
            execute(c, "INSERT INTO t VALUES ('a', 1)", &[])?;
            count(c)
        });
        let failing = d.write(move |c| {
            execute(c, "INSERT INTO t VALUES ('b', 2)", &[])?;
            execute(c, "INSERT INTO t VALUES ('taken', 0)", &[])?;
            count(c)
        });
        let last = d.write(move |c| {
            execute(c, "INSERT INTO t VALUES ('c', 3)", &[])?;
            count(c)
        });
        // `join!` polls in order: each write is queued when first polled, and the queued
        // one and the release come after the three.
        let (first, failing, last, ()) = tokio::join!(first, failing, last, async {
            d.submit("test", move |c| {
                execute(c, "INSERT INTO t VALUES ('d', 4)", &[]).map(drop)
            })
            .unwrap();
            drop(paused);
        });
        // Each answer is the result of the run that was committed: the rows it saw are the
        // ones kept before it ('taken', then 'a', then 'c'), never the failed write's 'b'.
        assert_eq!(first.unwrap(), 2);
        assert!(matches!(failing, Err(WriteError::Sqlite(_))));
        assert_eq!(last.unwrap(), 3);
        let rows: Vec<String> = d
            .write(|c| {
                let mut s = c.prepare("SELECT k FROM t ORDER BY rowid")?;
                let rows = s.query_map([], |r| r.get(0))?;
                rows.collect()
            })
            .await
            .unwrap();
        assert_eq!(rows, ["taken", "a", "c", "d"]);
    }

    #[tokio::test]
    async fn a_write_is_readable_by_the_next_reader_when_it_returns() {
        let (_dir, d) = file();
        for i in 0..50_i64 {
            d.write(move |c| {
                execute(
                    c,
                    "INSERT INTO t (k, n) VALUES ($1, $2)",
                    &[&i.to_string(), &i],
                )
            })
            .await
            .unwrap();
            let n: i64 = d
                .read(|c| c.query_row("SELECT COUNT(*) FROM t", [], |r| r.get(0)))
                .unwrap();
            assert_eq!(n, i + 2);
        }
    }

    #[tokio::test]
    async fn a_reader_does_not_wait_for_a_lock_and_a_writer_does() {
        let (dir, d) = file();
        // Another connection holds the write lock, as a pool connection in a transaction.
        let other = Connection::open(dir.path().join("direct.db")).unwrap();
        other
            .execute_batch("BEGIN IMMEDIATE; INSERT INTO t VALUES ('x', 1)")
            .unwrap();
        // Reading in WAL mode takes no lock: it answers at once, without the open write.
        let n: i64 = d
            .read(|c| c.query_row("SELECT COUNT(*) FROM t", [], |r| r.get(0)))
            .unwrap();
        assert_eq!(n, 1);
        let write = tokio::spawn({
            let d = d.clone();
            async move {
                d.write(|c| execute(c, "INSERT INTO t VALUES ('y', 2)", &[]))
                    .await
            }
        });
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(!write.is_finished(), "the writer waits for the lock");
        other.execute_batch("COMMIT").unwrap();
        assert_eq!(write.await.unwrap().unwrap(), 1);
    }
}
