//! Recognising WeChat's retries.
//!
//! WeChat retries a push up to three times, about five seconds apart, when it
//! does not get an answer in time. The handler must run once per push, and a
//! retry must get the answer of the first attempt.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;

use crate::update::{Update, UpdateKind};

/// Identifies one push across its retries.
///
/// Messages are keyed by sender, `MsgId` and `CreateTime` (`MsgId` alone has
/// collided across users); events by sender, `CreateTime` and the event with
/// its key, since an account receives many events per second.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DedupKey(String);

impl DedupKey {
    /// The key of `update`.
    pub fn of(update: &Update) -> Self {
        let from = update.from.as_str();
        let time = update.create_time;
        let key = match &update.kind {
            UpdateKind::Message(m) => match &m.id {
                Some(id) => format!("msg:{from}:{id}:{time}"),
                None => format!("msg:{from}:-:{time}"),
            },
            UpdateKind::Event(e) => format!("evt:{from}:{time}:{}", e.dedup_discriminator()),
            UpdateKind::Unknown { msg_type } => format!("raw:{from}:{time}:{msg_type}"),
        };
        Self(key)
    }

    /// The key as text, for storage.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What the first attempt answered, as stored for its retries.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Outcome {
    /// The plaintext reply document (encrypted per request when sent).
    Reply(String),
    /// `success`: nothing to show.
    Empty,
    /// The deadline passed; the reply goes out through the customer-service API.
    Deferred,
}

/// State of a key in the store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Claim {
    /// The caller is the first to see this push and must handle it.
    Fresh,
    /// Another attempt is handling it.
    Pending,
    /// Handled; here is the answer.
    Done(Outcome),
}

/// An error from a store backend; the dispatcher logs it and handles the push
/// anyway, preferring a rare double answer to a lost message.
pub type StoreError = Box<dyn std::error::Error + Send + Sync>;

/// Where retries are recognised. Back it with a shared database or cache when
/// several instances serve the callback URL, so a retry that lands on another
/// instance is still recognised.
#[async_trait]
pub trait DedupStore: Send + Sync + 'static {
    /// Atomically inserts `key` as pending if it is absent (returning
    /// [`Claim::Fresh`]) or returns its current state. Entries expire after `ttl`.
    async fn claim(&self, key: &DedupKey, ttl: Duration) -> Result<Claim, StoreError>;

    /// Records the answer for `key`, keeping it for `ttl`.
    async fn complete(
        &self,
        key: &DedupKey,
        outcome: &Outcome,
        ttl: Duration,
    ) -> Result<(), StoreError>;

    /// As [`claim`](Self::claim), and a fresh claim holds a lease of `lease` that the
    /// handling attempt renews ([`renew`](Self::renew)) while it works. A store shared by
    /// several instances keeps the lease so that a retry can tell an attempt in progress
    /// from one whose instance died ([`take_over`](Self::take_over)). The default ignores
    /// the lease: right for a store inside one process, which dies with its attempts.
    async fn claim_leased(
        &self,
        key: &DedupKey,
        ttl: Duration,
        lease: Duration,
    ) -> Result<Claim, StoreError> {
        let _ = lease;
        self.claim(key, ttl).await
    }

    /// Extends the lease of a pending `key` the caller is handling.
    async fn renew(&self, key: &DedupKey, lease: Duration) -> Result<(), StoreError> {
        let _ = (key, lease);
        Ok(())
    }

    /// Takes a pending `key` over, with a new lease, when its lease ran out: the attempt
    /// that claimed it stopped renewing (its instance died). `true` when the caller now
    /// handles the push; `false` while the first attempt lives or after it answered.
    async fn take_over(&self, key: &DedupKey, lease: Duration) -> Result<bool, StoreError> {
        let _ = (key, lease);
        Ok(false)
    }
}

/// In-process store with expiry; enough for a single instance.
#[derive(Debug, Default)]
pub struct InMemoryDedupStore {
    entries: Mutex<HashMap<DedupKey, (Instant, Option<Outcome>)>>,
}

impl InMemoryDedupStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn with_entries<R>(
        &self,
        f: impl FnOnce(&mut HashMap<DedupKey, (Instant, Option<Outcome>)>) -> R,
    ) -> R {
        let mut guard = match self.entries.lock() {
            Ok(guard) => guard,
            // A panic while holding the lock cannot leave the map inconsistent.
            Err(poisoned) => poisoned.into_inner(),
        };
        let now = Instant::now();
        guard.retain(|_, (expires, _)| *expires > now);
        f(&mut guard)
    }
}

#[async_trait]
impl DedupStore for InMemoryDedupStore {
    async fn claim(&self, key: &DedupKey, ttl: Duration) -> Result<Claim, StoreError> {
        Ok(self.with_entries(|entries| match entries.get(key) {
            Some((_, Some(outcome))) => Claim::Done(outcome.clone()),
            Some((_, None)) => Claim::Pending,
            None => {
                entries.insert(key.clone(), (Instant::now() + ttl, None));
                Claim::Fresh
            }
        }))
    }

    async fn complete(
        &self,
        key: &DedupKey,
        outcome: &Outcome,
        ttl: Duration,
    ) -> Result<(), StoreError> {
        self.with_entries(|entries| {
            entries.insert(key.clone(), (Instant::now() + ttl, Some(outcome.clone())));
        });
        Ok(())
    }
}
