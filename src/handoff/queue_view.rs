//! The queue as the desk reads it. Every agent's queue screen refetches its list on every
//! change anywhere in the queue, and in a cold snap hundreds of handoffs are open: the
//! view is kept per filter and length and read again only after a desk event that can move
//! a card (a handoff opened, claimed, released, answered or closed, a line added to a
//! conversation: the events every change of a card already publishes, other instances'
//! included; not a work order's or a complaint's) or after `FRESH`, for changes that
//! publish none (a resident binding an account while queued). However many events come, a
//! caller waits for at most the read under way and the next one, which it shares with
//! every caller that came meanwhile.
//!
//! A change of a handoff's state made at the desk is in every view read after it: an agent
//! who claimed a card never sees it claimable (`Seen::strict`). What residents' messages
//! do (a line: the card's last words and unread count; a handoff opened) may be shown up
//! to `WORDS_LAG` late: in a cold snap queued residents write hundreds of lines a second and
//! open dozens of handoffs, and a read for each would make every screen wait on the
//! database. Screens refetch a little more than `WORDS_LAG` after such events stop
//! (desk.js), so what they end with includes them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::Mutex as AsyncMutex;

use super::store::{HandoffError, HandoffStore, QueueFilter, QueueView};
use super::{Events, Seen};

/// How long a view read without an event since is shown.
const FRESH: Duration = Duration::from_secs(1);
/// How late what residents' messages do (their words, a handoff opened) may reach a card.
pub const WORDS_LAG: Duration = Duration::from_millis(250);
/// Views kept at most (filters × agents × lengths); past it, the old ones go.
const KEPT: usize = 256;

type Key = (QueueFilter, i64);

#[derive(Debug)]
struct Read {
    /// `Events::seen` when the read began: the view includes every event up to it.
    seen: Seen,
    /// When the read began.
    at: Instant,
    view: Arc<QueueView>,
}

type Slot = Arc<AsyncMutex<Option<Read>>>;

/// The views last read. Cheap to clone; clones share them.
#[derive(Debug, Clone)]
pub struct QueueViews {
    slots: Arc<Mutex<HashMap<Key, Slot>>>,
    fresh: Duration,
    lag: Duration,
}

impl Default for QueueViews {
    fn default() -> Self {
        Self::kept_for(FRESH, WORDS_LAG)
    }
}

impl QueueViews {
    /// Views shown for up to `fresh` while no event comes, and for up to `lag` after
    /// events that are not strict.
    pub fn kept_for(fresh: Duration, lag: Duration) -> Self {
        Self {
            slots: Arc::default(),
            fresh,
            lag,
        }
    }

    /// The first `limit` open handoffs `filter` keeps, with the queue's counts.
    pub async fn read(
        &self,
        store: &dyn HandoffStore,
        events: &Events,
        filter: QueueFilter,
        limit: i64,
    ) -> Result<Arc<QueueView>, HandoffError> {
        // What the answer must include: every event before this call. A view whose read
        // began after them does, even if more came since; so callers that waited while a
        // read ran are answered by the next one, shared, rather than one read each.
        let wanted = events.seen();
        let slot = self.slot((filter, limit));
        let mut held = slot.lock().await;
        if let Some(r) = held.as_ref() {
            let age = r.at.elapsed();
            let current = r.seen.covers(wanted) || (r.seen.covers_strict(wanted) && age < self.lag);
            if current && age < self.fresh {
                return Ok(r.view.clone());
            }
        }
        // Counted before the database is read: an event during the read leaves it old.
        let seen = events.seen();
        let at = Instant::now();
        let view = Arc::new(store.queue_view(filter, limit).await?);
        *held = Some(Read {
            seen,
            at,
            view: view.clone(),
        });
        Ok(view)
    }

    fn slot(&self, key: Key) -> Slot {
        let mut slots = self
            .slots
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if slots.len() >= KEPT && !slots.contains_key(&key) {
            slots.clear();
        }
        slots.entry(key).or_default().clone()
    }
}
