//! What the desk's open screens hear about: the queue changed, a conversation has a new
//! line, a work order moved. Screens refetch what changed; a lagging screen refetches all.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, watch};

use crate::storage::Database;

/// The PostgreSQL channel instances tell each other's desks on.
const CHANNEL: &str = "heatdesk_desk_events";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "id")]
pub enum DeskEvent {
    /// A handoff was opened, claimed, released, transferred or closed.
    Queue,
    /// A line was added to the conversation of this handoff (or its delivery changed).
    Conversation(i64),
    /// A work order moved on.
    Orders,
    /// A complaint case was opened or changed.
    Complaints,
    /// A complaint case passed a deadline while open (told once per case).
    ComplaintOverdue(i64),
}

impl DeskEvent {
    /// The SSE event name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Queue => "queue",
            Self::Conversation(_) => "conversation",
            Self::Orders => "orders",
            Self::Complaints => "complaints",
            Self::ComplaintOverdue(_) => "complaint_overdue",
        }
    }

    pub fn id(self) -> i64 {
        match self {
            Self::Conversation(id) | Self::ComplaintOverdue(id) => id,
            Self::Queue | Self::Orders | Self::Complaints => 0,
        }
    }
}

async fn listen(pool: &sqlx::PgPool) -> Result<sqlx::postgres::PgListener, sqlx::Error> {
    let mut listener = sqlx::postgres::PgListener::connect_with(pool).await?;
    listener.listen(CHANNEL).await?;
    Ok(listener)
}

/// One channel per process; every open desk screen subscribes. With PostgreSQL, instances
/// sharing the database also pass events to each other (`share`), so an agent connected to
/// one instance sees what a resident's message did on another.
#[derive(Debug, Clone)]
pub struct Events {
    tx: broadcast::Sender<DeskEvent>,
    closed: watch::Sender<bool>,
    /// Tells other instances' events apart from ours.
    instance: Arc<str>,
    remote: Arc<OnceLock<sqlx::PgPool>>,
    /// Events this process sent to its screens: what a kept view compares.
    seen: Arc<AtomicU64>,
}

#[derive(Serialize, Deserialize)]
struct Relayed {
    from: String,
    event: DeskEvent,
}

impl Default for Events {
    fn default() -> Self {
        let (tx, _) = broadcast::channel(256);
        let (closed, _) = watch::channel(false);
        Self {
            tx,
            closed,
            instance: crate::domain::random_token().into(),
            remote: Arc::new(OnceLock::new()),
            seen: Arc::new(AtomicU64::new(0)),
        }
    }
}

impl Events {
    /// On PostgreSQL: sends this instance's events to the others and relays theirs here,
    /// until `close`. Returns once it listens. Nothing to do on SQLite (one process).
    pub async fn share(&self, db: &Database) -> Result<(), sqlx::Error> {
        let Database::Postgres(pool) = db else {
            return Ok(());
        };
        if self.remote.set(pool.clone()).is_err() {
            return Ok(());
        }
        let mut listener = listen(pool).await?;
        let me = self.clone();
        let pool = pool.clone();
        tokio::spawn(async move {
            let closed = me.closed();
            tokio::pin!(closed);
            loop {
                tokio::select! {
                    () = &mut closed => return,
                    e = me.relay(&mut listener) => {
                        tracing::warn!(error = %e, "desk event relay interrupted; reconnecting");
                    }
                }
                loop {
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    match listen(&pool).await {
                        Ok(l) => {
                            listener = l;
                            // Missed events while away: every screen refetches.
                            me.send(DeskEvent::Queue);
                            break;
                        }
                        Err(e) => tracing::warn!(error = %e, "desk event relay still down"),
                    }
                }
            }
        });
        Ok(())
    }

    async fn relay(&self, listener: &mut sqlx::postgres::PgListener) -> sqlx::Error {
        loop {
            let n = match listener.recv().await {
                Ok(n) => n,
                Err(e) => return e,
            };
            match serde_json::from_str::<Relayed>(n.payload()) {
                Ok(r) if *r.from != *self.instance => {
                    self.send(r.event);
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "unreadable desk event from another instance"),
            }
        }
    }

    /// The server is shutting down: streams end.
    pub fn close(&self) {
        self.closed.send_replace(true);
    }

    /// Resolves when `close` has been called.
    pub fn closed(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let mut rx = self.closed.subscribe();
        async move {
            let _ = rx.wait_for(|closed| *closed).await;
        }
    }

    /// To this process's screens, counted first so that a view read after it is new.
    fn send(&self, e: DeskEvent) {
        self.seen.fetch_add(1, Ordering::SeqCst);
        // No screen open is not an error.
        let _ = self.tx.send(e);
    }

    /// How many events this process has sent to its screens, its own and other instances'.
    pub fn seen(&self) -> u64 {
        self.seen.load(Ordering::SeqCst)
    }

    pub fn publish(&self, e: DeskEvent) {
        self.send(e);
        if let Some(pool) = self.remote.get() {
            let payload = serde_json::to_string(&Relayed {
                from: self.instance.to_string(),
                event: e,
            })
            .unwrap_or_default();
            let pool = pool.clone();
            tokio::spawn(async move {
                let sent = sqlx::query("SELECT pg_notify($1, $2)")
                    .bind(CHANNEL)
                    .bind(payload)
                    .execute(&pool)
                    .await;
                if let Err(e) = sent {
                    tracing::warn!(error = %e, "desk event not passed to other instances");
                }
            });
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<DeskEvent> {
        self.tx.subscribe()
    }
}
