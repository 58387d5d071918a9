//! Group commit for durability: commits are made without waiting for the disk (SQLite
//! `synchronous = NORMAL`, PostgreSQL `synchronous_commit = off`), and whoever is about to
//! say that something was done waits for one flushing commit that covers every commit
//! made before it. Callers waiting at the same time share one flush.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use super::StorageError;

/// The barrier of one database (per file or server database, in this process). `S` is
/// what the flushing commit keeps between flushes (a connection of its own, or nothing).
pub(super) struct Barrier<S> {
    tickets: AtomicU64,
    /// The last ticket a flush covered, and the flusher's state.
    flushed: tokio::sync::Mutex<(u64, S)>,
}

impl<S: Default> Default for Barrier<S> {
    fn default() -> Self {
        Self {
            tickets: AtomicU64::new(0),
            flushed: tokio::sync::Mutex::new((0, S::default())),
        }
    }
}

impl<S> Barrier<S> {
    /// Returns once a flush that started after this call has completed. A caller's commit
    /// is done before it calls, so that flush covers it.
    pub(super) async fn sync<F>(&self, flush: F) -> Result<(), StorageError>
    where
        F: for<'s> FnOnce(&'s mut S) -> FlushFuture<'s>,
    {
        let ticket = self.tickets.fetch_add(1, Ordering::SeqCst) + 1;
        let mut flushed = self.flushed.lock().await;
        if flushed.0 >= ticket {
            return Ok(());
        }
        let upto = self.tickets.load(Ordering::SeqCst);
        flush(&mut flushed.1).await?;
        flushed.0 = upto;
        Ok(())
    }
}

pub(super) type FlushFuture<'s> =
    std::pin::Pin<Box<dyn Future<Output = Result<(), StorageError>> + Send + 's>>;

/// The barriers of one backend in this process, by database.
pub(super) type Registry<S> = OnceLock<Mutex<HashMap<String, Arc<Barrier<S>>>>>;

/// The barrier for `key` (a database file or server database), made on first use.
pub(super) fn barrier_for<S: Default + Send + 'static>(
    registry: &'static Registry<S>,
    key: String,
) -> Arc<Barrier<S>> {
    let mut all = registry
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    all.entry(key).or_default().clone()
}
