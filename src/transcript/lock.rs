//! One turn per resident at a time: in memory for one process, with a PostgreSQL advisory
//! lock for instances that share the database.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use sqlx::pool::PoolConnection;
use sqlx::Postgres;
use tokio::sync::{Mutex as AsyncMutex, OwnedMutexGuard};

use super::store::StoredConversation;
use super::turns_pg::Give;

/// What a turn needs at its start, read as its lock was taken (PostgreSQL, one round
/// trip; SQLite, one read once the lock in memory is held) and so already fresh: the
/// conversation, and whether anything waits to be told.
#[derive(Debug, Clone)]
pub struct TurnStart {
    pub conversation: Option<StoredConversation>,
    /// The resident's open handoff (its id, and whether an agent took it); read here,
    /// beside the conversation, because every turn asks first. Taken when the dialogue's
    /// `Escalate` port keeps its handoffs in that table (`kept_in_handoffs_table`).
    pub open_handoff: Option<(i64, bool)>,
    /// Notices held for the resident (`take_notices` would find some).
    pub notices_held: bool,
    /// Outbox items settled and not yet told (`take_finished` would find some).
    pub outbox_settled: bool,
}

type Slots = Arc<Mutex<HashMap<String, Arc<AsyncMutex<()>>>>>;

/// A lock per key; entries go when nobody holds or awaits them.
#[derive(Debug, Clone, Default)]
pub struct KeyedLocks {
    slots: Slots,
}

impl KeyedLocks {
    pub async fn lock(&self, key: &str) -> TurnLock {
        let lock = {
            let mut slots = self
                .slots
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            slots.entry(key.to_owned()).or_default().clone()
        };
        let guard = lock.lock_owned().await;
        TurnLock(
            Held::Local {
                guard: Some(guard),
                slots: self.slots.clone(),
                key: key.to_owned(),
            },
            None,
            None,
        )
    }
}

/// Held while one turn of a resident runs. Release it with `release`; dropped instead (a
/// panic, a cancelled turn), a PostgreSQL lock goes with its connection, or is released
/// with the next batch.
#[derive(Debug)]
pub struct TurnLock(Held, Option<TurnStart>, Option<Box<TurnLock>>);

#[derive(Debug)]
enum Held {
    Local {
        guard: Option<OwnedMutexGuard<()>>,
        slots: Slots,
        key: String,
    },
    Postgres {
        conn: Option<PoolConnection<Postgres>>,
        class: i32,
        key: String,
    },
    /// On the instance's connection for turn locks (`turns_pg`).
    Shared(Option<Give>),
}

impl TurnLock {
    pub(super) fn postgres(
        conn: PoolConnection<Postgres>,
        class: i32,
        key: &str,
        start: Option<TurnStart>,
    ) -> Self {
        Self(
            Held::Postgres {
                conn: Some(conn),
                class,
                key: key.to_owned(),
            },
            start,
            None,
        )
    }

    /// A lock taken in a batch, held beside `local` (the resident's lock in this process).
    pub(super) fn shared(local: TurnLock, give: Give, start: TurnStart) -> Self {
        Self(Held::Shared(Some(give)), Some(start), Some(Box::new(local)))
    }

    /// With what the store read once the lock was held (SQLite: one process per file, so
    /// the lock in memory makes it fresh).
    pub(super) fn with_start(mut self, start: TurnStart) -> Self {
        self.1 = Some(start);
        self
    }

    /// Also holds `local` until this lock goes.
    pub(super) fn beside(mut self, local: TurnLock) -> Self {
        self.2 = Some(Box::new(local));
        self
    }

    /// What the store read as it took the lock, once.
    pub fn take_start(&mut self) -> Option<TurnStart> {
        self.1.take()
    }

    pub async fn release(mut self) {
        if let Held::Shared(give) = &mut self.0 {
            if let Some(g) = give.take() {
                g.send();
            }
        }
        if let Held::Postgres { conn, class, key } = &mut self.0 {
            if let Some(mut c) = conn.take() {
                let unlocked = sqlx::query("SELECT pg_advisory_unlock($1, hashtext($2))")
                    .bind(*class)
                    .bind(key.as_str())
                    .execute(&mut *c)
                    .await;
                if let Err(e) = unlocked {
                    tracing::warn!(error = %e, "cannot release a turn lock; closing its connection");
                    drop(c.detach());
                }
            }
        }
    }
}

impl Drop for TurnLock {
    fn drop(&mut self) {
        match &mut self.0 {
            Held::Local { guard, slots, key } => {
                guard.take();
                let mut slots = slots
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                // Only the map's own reference left: nobody holds or waits for it.
                if slots.get(key).is_some_and(|l| Arc::strong_count(l) == 1) {
                    slots.remove(key);
                }
            }
            Held::Postgres { conn, .. } => {
                // Not released: the lock must not go back to the pool with its connection.
                if let Some(c) = conn.take() {
                    drop(c.detach());
                }
            }
            // Before the lock in memory (dropped after this): the next turn of the
            // resident here queues its lock behind this release.
            Held::Shared(give) => {
                if let Some(g) = give.take() {
                    g.send();
                }
            }
        }
    }
}
