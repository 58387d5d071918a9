//! A few connections kept out of sqlx's pool for the single statements of the reply path.
//!
//! sqlx's pool tests every connection given back to it with a round trip of its own (a
//! `ping` on release, always, whatever the pool's options say), so on PostgreSQL each
//! statement run on the pool wakes the server twice. The single statements of the stores
//! a turn reads from (a resident's bindings, the built-in service's accounts) run here
//! instead, on a connection taken from a small set and put back without that test. A connection is put
//! back only after its statement has been answered in full; after an error, or when the
//! caller's future is dropped mid-statement, it goes back to the pool, which tests it (and
//! drops it if it is broken). One idle longer than the pool trusts an idle connection goes
//! back to the pool to be tested before it is used. Each group statement's runner keeps a
//! set of one (`batch::Batcher::on_kept`).

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use futures_util::future::BoxFuture;
use futures_util::stream::BoxStream;
use futures_util::{FutureExt, StreamExt, TryFutureExt, TryStreamExt};
use sqlx::pool::PoolConnection;
use sqlx::{Database, Describe, Either, Execute, Executor, Pool, SqlStr};

/// Connections kept for single statements; at most `keep` wait idle, the rest of the
/// moment's statements take theirs from the pool as before.
pub struct KeptConns<DB: Database> {
    pool: Pool<DB>,
    idle: Mutex<Vec<(PoolConnection<DB>, Instant)>>,
    keep: usize,
    /// Idle longer than this, a connection is tested (by the pool) before it is used.
    fresh: Duration,
}

impl<DB: Database> fmt::Debug for KeptConns<DB> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeptConns")
            .field("keep", &self.keep)
            .field("idle", &self.idle().len())
            .finish()
    }
}

impl<DB: Database> KeptConns<DB> {
    /// `keep` 0: every statement runs on the pool.
    pub fn new(pool: Pool<DB>, keep: usize, fresh: Duration) -> Self {
        Self {
            pool,
            idle: Mutex::new(Vec::new()),
            keep,
            fresh,
        }
    }

    fn idle(&self) -> std::sync::MutexGuard<'_, Vec<(PoolConnection<DB>, Instant)>> {
        self.idle.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Connections waiting idle in the set.
    pub fn idle_count(&self) -> usize {
        self.idle().len()
    }

    async fn take(&self) -> Result<PoolConnection<DB>, sqlx::Error> {
        let newest = self.idle().pop();
        match newest {
            Some((conn, at)) if at.elapsed() < self.fresh => Ok(conn),
            Some(stale) => {
                // The newest is stale, so all are: back to the pool, which tests them.
                let rest = std::mem::take(&mut *self.idle());
                drop((stale, rest));
                self.pool.acquire().await
            }
            None => self.pool.acquire().await,
        }
    }

    fn give(&self, conn: PoolConnection<DB>) {
        let mut idle = self.idle();
        if idle.len() < self.keep {
            idle.push((conn, Instant::now()));
        }
        // Otherwise dropped, after the lock: back to the pool.
    }

    /// Runs `f` on a kept connection, which `f` hands back with its result; it is kept
    /// again only if `f` succeeded. Should the future be dropped mid-statement, the
    /// connection goes with it, back to the pool.
    pub(super) fn on<'e, T, F>(&'e self, f: F) -> BoxFuture<'e, Result<T, sqlx::Error>>
    where
        T: Send + 'e,
        F: FnOnce(
                PoolConnection<DB>,
            ) -> BoxFuture<'e, (PoolConnection<DB>, Result<T, sqlx::Error>)>
            + Send
            + 'e,
    {
        Box::pin(async move {
            let (conn, result) = f(self.take().await?).await;
            if result.is_ok() {
                self.give(conn);
            }
            result
        })
    }
}

impl<'k, DB: Database> Executor<'k> for &'k KeptConns<DB>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
{
    type Database = DB;

    fn fetch_many<'e, 'q: 'e, E>(
        self,
        query: E,
    ) -> BoxStream<'e, Result<Either<DB::QueryResult, DB::Row>, sqlx::Error>>
    where
        'k: 'e,
        E: 'q + Execute<'q, DB>,
    {
        // The answer is read in full before the connection is kept again, so a caller
        // that stops reading midway cannot leave rows on a kept connection.
        self.on(move |mut c| {
            async move {
                let items = (&mut *c).fetch_many(query).try_collect::<Vec<_>>().await;
                (c, items)
            }
            .boxed()
        })
        .map_ok(|items| futures_util::stream::iter(items.into_iter().map(Ok)))
        .try_flatten_stream()
        .boxed()
    }

    fn fetch_optional<'e, 'q: 'e, E>(
        self,
        query: E,
    ) -> BoxFuture<'e, Result<Option<DB::Row>, sqlx::Error>>
    where
        'k: 'e,
        E: 'q + Execute<'q, DB>,
    {
        self.on(move |mut c| {
            async move {
                let r = (&mut *c).fetch_optional(query).await;
                (c, r)
            }
            .boxed()
        })
    }

    fn prepare_with<'e>(
        self,
        sql: SqlStr,
        parameters: &'e [DB::TypeInfo],
    ) -> BoxFuture<'e, Result<DB::Statement, sqlx::Error>>
    where
        'k: 'e,
    {
        self.on(move |mut c| {
            async move {
                let r = (&mut *c).prepare_with(sql, parameters).await;
                (c, r)
            }
            .boxed()
        })
    }

    fn describe<'e>(self, sql: SqlStr) -> BoxFuture<'e, Result<Describe<DB>, sqlx::Error>>
    where
        'k: 'e,
    {
        self.on(move |mut c| {
            async move {
                let r = (&mut *c).describe(sql).await;
                (c, r)
            }
            .boxed()
        })
    }
}

/// The kept connections of a pool's database, shared by the stores on it in this process.
pub trait KeptOf {
    type Db: Database;
    fn kept(&self) -> Arc<KeptConns<Self::Db>>;
}

impl KeptOf for sqlx::PgPool {
    type Db = sqlx::Postgres;
    fn kept(&self) -> Arc<KeptConns<sqlx::Postgres>> {
        super::postgres::kept(self)
    }
}

impl KeptOf for sqlx::SqlitePool {
    type Db = sqlx::Sqlite;
    /// None kept: the reply path's statements on SQLite skip the pool already
    /// (`storage::direct`), and what remains is rare.
    fn kept(&self) -> Arc<KeptConns<sqlx::Sqlite>> {
        Arc::new(KeptConns::new(self.clone(), 0, Duration::ZERO))
    }
}

/// The field type of a store generic over the pool type `P`.
pub type KeptFor<P> = Arc<KeptConns<<P as KeptOf>::Db>>;
