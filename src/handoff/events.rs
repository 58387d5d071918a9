//! What the desk's open screens hear about: the queue changed, a conversation has a new
//! line, a work order moved. Screens refetch what changed; a lagging screen refetches all.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, mpsc, watch};

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

    /// Whether a queue card can change with it: a handoff's state, or its conversation
    /// (the card shows the last words and the unread count). Work orders and complaint
    /// cases are on screens of their own.
    pub fn moves_queue(self) -> bool {
        match self {
            Self::Queue | Self::Conversation(_) => true,
            Self::Orders | Self::Complaints | Self::ComplaintOverdue(_) => false,
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
    /// On PostgreSQL: where this instance's events queue for the other instances.
    remote: Arc<OnceLock<mpsc::UnboundedSender<DeskEvent>>>,
    /// Events this process sent to its screens that can move a queue card: what a kept
    /// queue view compares.
    seen: Arc<AtomicU64>,
    /// Of those, the ones every view read after them must show (`Seen::strict`).
    seen_strict: Arc<AtomicU64>,
}

/// How many events that can move a queue card a process had sent to its screens at some
/// moment: all of them, and the strict ones among them: a handoff's state changed by
/// someone at the desk (claimed, released, transferred, answered, closed), and every
/// change of state another instance relays. The rest (a resident's line, a handoff a
/// resident's message opened) may reach a screen a moment late (`QueueViews`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Seen {
    pub all: u64,
    pub strict: u64,
}

impl Seen {
    /// Whether a view read after `self` was counted includes every event of `before`.
    pub fn covers(self, before: Seen) -> bool {
        self.all >= before.all
    }

    /// Whether it includes every strict event of `before`.
    pub fn covers_strict(self, before: Seen) -> bool {
        self.strict >= before.strict
    }
}

/// A notification's payload: the events an instance published since its last one.
#[derive(Serialize, Deserialize)]
struct Relayed {
    from: String,
    /// One event: what instances of earlier versions send.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    event: Option<DeskEvent>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    events: Vec<DeskEvent>,
}

impl Relayed {
    fn events(self) -> impl Iterator<Item = DeskEvent> {
        self.event.into_iter().chain(self.events)
    }
}

/// Events per notification at most: a payload stays far below PostgreSQL's 8,000 bytes.
const PER_NOTIFICATION: usize = 100;

/// Sends the events queued at each moment as one notification, each event once: in a
/// cold snap every resident's message in the queue publishes two, and one statement per
/// event was a tenth of the server's statements.
async fn notify(mut rx: mpsc::UnboundedReceiver<DeskEvent>, pool: sqlx::PgPool, from: String) {
    let mut queued = Vec::new();
    while rx.recv_many(&mut queued, PER_NOTIFICATION * 10).await > 0 {
        let mut events: Vec<DeskEvent> = Vec::with_capacity(queued.len());
        for e in queued.drain(..) {
            if !events.contains(&e) {
                events.push(e);
            }
        }
        for chunk in events.chunks(PER_NOTIFICATION) {
            let payload = serde_json::to_string(&Relayed {
                from: from.clone(),
                event: None,
                events: chunk.to_vec(),
            })
            .unwrap_or_default();
            let sent = sqlx::query("SELECT pg_notify($1, $2)")
                .bind(CHANNEL)
                .bind(payload)
                .execute(&pool)
                .await;
            if let Err(e) = sent {
                tracing::warn!(error = %e, "desk events not passed to other instances");
            }
        }
    }
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
            seen_strict: Arc::new(AtomicU64::new(0)),
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
        let (tx, rx) = mpsc::unbounded_channel();
        if self.remote.set(tx).is_err() {
            return Ok(());
        }
        tokio::spawn(notify(rx, pool.clone(), self.instance.to_string()));
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
                            me.send(DeskEvent::Queue, true);
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
                    // Whoever caused them, they are strict here: the payload does not say.
                    for e in r.events() {
                        self.send(e, true);
                    }
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
    /// `strict`: a change of a handoff's state that every later view must show.
    fn send(&self, e: DeskEvent, strict: bool) {
        if e.moves_queue() {
            if strict && e == DeskEvent::Queue {
                self.seen_strict.fetch_add(1, Ordering::SeqCst);
            }
            self.seen.fetch_add(1, Ordering::SeqCst);
        }
        // No screen open is not an error.
        let _ = self.tx.send(e);
    }

    /// How many events that can move a queue card this process has sent to its screens,
    /// its own and other instances'. Each is counted after what it tells of was committed,
    /// so a read that begins after this call sees all of them.
    pub fn seen(&self) -> Seen {
        Seen {
            all: self.seen.load(Ordering::SeqCst),
            strict: self.seen_strict.load(Ordering::SeqCst),
        }
    }

    /// A change made at the desk, or by the service itself.
    pub fn publish(&self, e: DeskEvent) {
        self.publish_as(e, true);
    }

    /// A change a resident's message made (a line, a handoff opened): this instance's
    /// queue screens may show it up to `WORDS_LAG` late. Other instances take it as any
    /// event of its kind.
    pub fn publish_from_resident(&self, e: DeskEvent) {
        self.publish_as(e, false);
    }

    fn publish_as(&self, e: DeskEvent, strict: bool) {
        self.send(e, strict);
        if let Some(remote) = self.remote.get() {
            // The notifying task ends only with the process.
            let _ = remote.send(e);
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<DeskEvent> {
        self.tx.subscribe()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_notification_of_several_events_and_one_of_an_earlier_version_are_both_read() {
        let many = Relayed {
            from: "a".into(),
            event: None,
            events: vec![DeskEvent::Queue, DeskEvent::Conversation(7)],
        };
        let payload = serde_json::to_string(&many).unwrap();
        assert!(!payload.contains("\"event\""), "{payload}");
        let read: Relayed = serde_json::from_str(&payload).unwrap();
        assert_eq!(
            read.events().collect::<Vec<_>>(),
            [DeskEvent::Queue, DeskEvent::Conversation(7)]
        );
        // What instances before this one send, one event per notification.
        let old = r#"{"from":"b","event":{"kind":"conversation","id":3}}"#;
        let read: Relayed = serde_json::from_str(old).unwrap();
        assert_eq!(read.from, "b");
        assert_eq!(
            read.events().collect::<Vec<_>>(),
            [DeskEvent::Conversation(3)]
        );
    }
}
