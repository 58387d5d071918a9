//! What the desk's open screens hear about: the queue changed, a conversation has a new
//! line, a work order moved. Screens refetch what changed; a lagging screen refetches all.

use serde::Serialize;
use tokio::sync::{broadcast, watch};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "id")]
pub enum DeskEvent {
    /// A handoff was opened, claimed, released, transferred or closed.
    Queue,
    /// A line was added to the conversation of this handoff (or its delivery changed).
    Conversation(i64),
    /// A work order moved on.
    Orders,
}

impl DeskEvent {
    /// The SSE event name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Queue => "queue",
            Self::Conversation(_) => "conversation",
            Self::Orders => "orders",
        }
    }

    pub fn id(self) -> i64 {
        match self {
            Self::Conversation(id) => id,
            Self::Queue | Self::Orders => 0,
        }
    }
}

/// One channel per process; every open desk screen subscribes.
#[derive(Debug, Clone)]
pub struct Events {
    tx: broadcast::Sender<DeskEvent>,
    closed: watch::Sender<bool>,
}

impl Default for Events {
    fn default() -> Self {
        let (tx, _) = broadcast::channel(256);
        let (closed, _) = watch::channel(false);
        Self { tx, closed }
    }
}

impl Events {
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

    pub fn publish(&self, e: DeskEvent) {
        // No screen open is not an error.
        let _ = self.tx.send(e);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<DeskEvent> {
        self.tx.subscribe()
    }
}
