//! Turn locks of one instance on PostgreSQL, taken and released in batches on one
//! connection of its own (`heatdesk_turns`: `migrations/postgres/0021_turns_in_batches.sql`,
//! its reads as of `0022_cheaper_plans.sql`). A lock and an
//! unlock statement per turn, each on a connection of the turn's, were two of the five
//! round trips a message cost, and kept a second pool of backends busy switching.
//!
//! The connection holds every lock this instance's turns hold, so a lock taken twice on it
//! would be taken at once (advisory locks stack per session): the store takes the
//! resident's lock in memory first, and only then here. A lock another instance holds is
//! not waited for in the batch; the store then waits for it on a connection of the turn's
//! own, as before. Should the connection fail, PostgreSQL releases all its locks; the
//! turns holding them go on (a turn's save checks the conversation's version, so nothing
//! is overwritten), the next batch connects again, and releases meant for the old
//! connection are dropped.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use sqlx::postgres::{PgConnectOptions, PgConnection, PgRow};
use sqlx::{Connection, Row};
use tokio::sync::{mpsc, oneshot};

use super::lock::TurnStart;

/// Turns per statement at most.
const BATCH: usize = 512;

/// A lock taken here: the start the turn reads, and the connection it was taken on.
type Taken = (TurnStart, u64);

enum Op {
    Take(String, oneshot::Sender<Result<Option<Taken>, String>>),
    /// The key, and the connection (its number) that took it.
    Give(String, u64),
}

/// Cheap to clone; clones share the connection.
#[derive(Debug, Clone)]
pub(super) struct SharedTurns {
    options: PgConnectOptions,
    class: i32,
    queue: Arc<OnceLock<mpsc::UnboundedSender<Op>>>,
}

/// Releases one lock taken by `SharedTurns::take`; sent when the turn ends, however.
#[derive(Debug)]
pub(super) struct Give {
    queue: mpsc::UnboundedSender<Op>,
    key: String,
    connection: u64,
}

impl Give {
    pub(super) fn send(self) {
        // The runner gone means the server is stopping: its connection, and the lock, go.
        let _ = self.queue.send(Op::Give(self.key, self.connection));
    }
}

impl SharedTurns {
    pub(super) fn new(options: PgConnectOptions, class: i32) -> Self {
        Self {
            options,
            class,
            queue: Arc::new(OnceLock::new()),
        }
    }

    fn queue(&self) -> &mpsc::UnboundedSender<Op> {
        self.queue.get_or_init(|| {
            let (tx, rx) = mpsc::unbounded_channel();
            tokio::spawn(runner(rx, self.options.clone(), self.class));
            tx
        })
    }

    /// The resident's lock and what the turn reads first; `None` when another instance
    /// holds the lock.
    pub(super) async fn take(&self, key: &str) -> Result<Option<(TurnStart, Give)>, String> {
        let queue = self.queue();
        let (tx, rx) = oneshot::channel();
        queue
            .send(Op::Take(key.to_owned(), tx))
            .map_err(|_| "turn lock runner gone".to_owned())?;
        let taken = rx.await.map_err(|_| "turn lock runner gone".to_owned())??;
        Ok(taken.map(|(start, connection)| {
            let give = Give {
                queue: queue.clone(),
                key: key.to_owned(),
                connection,
            };
            (start, give)
        }))
    }
}

type Waiter = oneshot::Sender<Result<Option<Taken>, String>>;

async fn runner(mut rx: mpsc::UnboundedReceiver<Op>, options: PgConnectOptions, class: i32) {
    let mut conn: Option<PgConnection> = None;
    // Which connection this is: releases for an earlier one are moot.
    let mut number = 0_u64;
    let mut ops = Vec::new();
    while rx.recv_many(&mut ops, BATCH).await > 0 {
        let mut done = Vec::new();
        let mut wanted = Vec::new();
        let mut waiters: Vec<Waiter> = Vec::new();
        for op in ops.drain(..) {
            match op {
                Op::Give(key, n) if n == number && conn.is_some() => done.push(key),
                Op::Give(..) => {}
                Op::Take(key, w) => {
                    wanted.push(key);
                    waiters.push(w);
                }
            }
        }
        if conn.is_none() {
            if wanted.is_empty() {
                continue;
            }
            match PgConnection::connect_with(&options).await {
                Ok(c) => {
                    conn = Some(c);
                    number += 1;
                }
                Err(e) => {
                    fail(waiters, &e.to_string());
                    continue;
                }
            }
        }
        let Some(c) = conn.as_mut() else { continue };
        match batch(c, class, &done, &wanted).await {
            Ok(mut starts) => {
                let mut orphans = Vec::new();
                for (key, w) in wanted.iter().zip(waiters) {
                    let taken = starts.remove(key).flatten();
                    let held = taken.is_some();
                    if w.send(Ok(taken.map(|s| (s, number)))).is_err() && held {
                        orphans.push(key.clone());
                    }
                }
                // Taken for a turn that is gone (its request cancelled while it waited):
                // nobody else would release it, and other instances would wait for ever.
                if !orphans.is_empty() {
                    if let Err(e) = batch(c, class, &orphans, &[]).await {
                        tracing::warn!(error = %e, "turn locks: release failed; reconnecting");
                        conn = None;
                    }
                }
            }
            Err(e) => {
                // Which locks it holds is unknown now: closing it releases them all.
                tracing::warn!(error = %e, "turn locks: batch failed; reconnecting");
                conn = None;
                fail(waiters, &e.to_string());
            }
        }
    }
}

fn fail(waiters: Vec<Waiter>, why: &str) {
    for w in waiters {
        let _ = w.send(Err(why.to_owned()));
    }
}

/// Per wanted key: `Some(start)` when taken.
async fn batch(
    c: &mut PgConnection,
    class: i32,
    done: &[String],
    wanted: &[String],
) -> Result<HashMap<String, Option<TurnStart>>, sqlx::Error> {
    let rows = sqlx::query("SELECT * FROM heatdesk_turns($1, $2, $3)")
        .bind(class)
        .bind(done)
        .bind(wanted)
        .fetch_all(&mut *c)
        .await?;
    rows.iter()
        .map(|r| {
            let key: String = r.try_get("resident")?;
            let taken: bool = r.try_get("taken")?;
            Ok((key, if taken { Some(start_of(r)?) } else { None }))
        })
        .collect()
}

/// A turn's start from a row of `heatdesk_turn_start` or `heatdesk_turns`.
pub(super) fn start_of(row: &PgRow) -> Result<TurnStart, sqlx::Error> {
    let found: bool = row.try_get("found")?;
    let conversation = if found {
        Some(super::store::StoredConversation {
            state: row.try_get("state")?,
            version: row.try_get("version")?,
            updated_at: row.try_get("updated_at")?,
            last_message: row.try_get("last_message")?,
            last_outcome: row.try_get("last_outcome")?,
        })
    } else {
        None
    };
    let handoff: Option<i64> = row.try_get("handoff_id")?;
    let claimed: Option<bool> = row.try_get("handoff_claimed")?;
    Ok(TurnStart {
        conversation,
        open_handoff: handoff.map(|id| (id, claimed.unwrap_or(false))),
        notices_held: row.try_get("notices_held")?,
        outbox_settled: row.try_get("outbox_settled")?,
    })
}
