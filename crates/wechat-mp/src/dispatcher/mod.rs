//! Runs a dptree handler chain for every push, within WeChat's deadline.
//!
//! Per push: recognise retries ([`crate::dedup`]), wait for the user's
//! earlier pushes, run the handler, and answer within the deadline. A reply
//! that is not ready by then is delivered later through the
//! customer-service API while the callback answers `success`.

mod deliver;
mod run;
mod serial;

pub use deliver::{DeferredDelivery, KfDelivery};

use std::sync::Arc;
use std::time::Duration;

use dptree::di::DependencyMap;

use crate::bot::Bot;
use crate::dedup::{DedupStore, InMemoryDedupStore};
use crate::reply::Reply;
use crate::update::Update;
use serial::UserLocks;

/// Error a handler may return; it is logged and the user gets no reply.
pub type HandlerError = Box<dyn std::error::Error + Send + Sync>;

/// What every handler chain produces.
pub type HandlerResult = Result<Reply, HandlerError>;

/// A handler chain: `dptree::entry().branch(...)` ending in endpoints that
/// return [`HandlerResult`]. The [`Update`] and the [`Bot`] are injected, as
/// is everything passed to [`DispatcherBuilder::dependencies`].
pub type UpdateHandler = dptree::Handler<'static, HandlerResult>;

/// Dispatches pushes to a handler chain. Cheap to clone.
#[derive(Clone)]
pub struct Dispatcher {
    inner: Arc<Inner>,
}

struct Inner {
    handler: UpdateHandler,
    deps: DependencyMap,
    dedup: Arc<dyn DedupStore>,
    dedup_ttl: Duration,
    delivery: Arc<dyn DeferredDelivery>,
    locks: UserLocks,
    poll_interval: Duration,
    lease: Duration,
}

impl std::fmt::Debug for Dispatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dispatcher")
            .field("dedup_ttl", &self.inner.dedup_ttl)
            .finish_non_exhaustive()
    }
}

/// Configures a [`Dispatcher`].
pub struct DispatcherBuilder {
    bot: Bot,
    handler: UpdateHandler,
    deps: DependencyMap,
    dedup: Option<Arc<dyn DedupStore>>,
    dedup_ttl: Duration,
    delivery: Option<Arc<dyn DeferredDelivery>>,
    poll_interval: Duration,
    lease: Duration,
}

impl DispatcherBuilder {
    /// Values handlers can ask for by type (database pools, services, …).
    pub fn dependencies(mut self, deps: DependencyMap) -> Self {
        self.deps = deps;
        self
    }

    /// Where retries are recognised; share it between instances.
    pub fn dedup_store(mut self, store: Arc<dyn DedupStore>) -> Self {
        self.dedup = Some(store);
        self
    }

    /// How long a push is remembered (default two minutes; WeChat's retries
    /// span about fifteen seconds).
    pub fn dedup_ttl(mut self, ttl: Duration) -> Self {
        self.dedup_ttl = ttl;
        self
    }

    /// How late replies are delivered (default: customer-service messages
    /// through the dispatcher's [`Bot`]).
    pub fn deferred_delivery(mut self, delivery: Arc<dyn DeferredDelivery>) -> Self {
        self.delivery = Some(delivery);
        self
    }

    /// How often a retry checks whether the first attempt has finished, when
    /// the attempts run on different instances (default 100 ms).
    pub fn retry_poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval;
        self
    }

    /// How long a claim on a push lasts without renewal (default 2 s). The attempt
    /// handling a push renews it three times per lease; a retry that finds the lease run
    /// out (the instance died) handles the push itself. Shorter means a dead instance's
    /// pushes are taken over sooner, at the cost of more writes to the dedup store.
    pub fn lease(mut self, lease: Duration) -> Self {
        self.lease = lease.max(Duration::from_millis(30));
        self
    }

    /// Builds the dispatcher.
    ///
    /// # Panics
    ///
    /// When the handler asks for a dependency that was not provided, naming
    /// the type and the place it is asked for, so the mistake shows at start-up
    /// rather than on the first message.
    pub fn build(self) -> Dispatcher {
        let mut deps = self.deps;
        deps.insert(self.bot.clone());
        dptree::type_check(self.handler.sig(), &deps, &[dptree::Type::of::<Update>()]);
        let delivery = self
            .delivery
            .unwrap_or_else(|| Arc::new(KfDelivery::new(self.bot.clone())));
        Dispatcher {
            inner: Arc::new(Inner {
                handler: self.handler,
                deps,
                dedup: self
                    .dedup
                    .unwrap_or_else(|| Arc::new(InMemoryDedupStore::new())),
                dedup_ttl: self.dedup_ttl,
                delivery,
                locks: UserLocks::default(),
                poll_interval: self.poll_interval,
                lease: self.lease,
            }),
        }
    }
}

impl Dispatcher {
    /// Starts configuring a dispatcher for `handler`; `bot` is injected into
    /// handlers and delivers late replies.
    pub fn builder(bot: Bot, handler: UpdateHandler) -> DispatcherBuilder {
        DispatcherBuilder {
            bot,
            handler,
            deps: DependencyMap::new(),
            dedup: None,
            dedup_ttl: Duration::from_secs(120),
            delivery: None,
            poll_interval: Duration::from_millis(100),
            lease: Duration::from_secs(2),
        }
    }
}
