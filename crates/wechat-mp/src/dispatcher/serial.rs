//! One user's pushes are handled one at a time, in arrival order.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::{Mutex as AsyncMutex, OwnedMutexGuard};

type Slots = Arc<Mutex<HashMap<String, Arc<AsyncMutex<()>>>>>;

/// A lock per OpenID; entries disappear when nobody holds or awaits them.
#[derive(Clone, Debug, Default)]
pub(crate) struct UserLocks {
    slots: Slots,
}

/// Held while a user's push is being handled.
pub(crate) struct UserTurn {
    guard: Option<OwnedMutexGuard<()>>,
    slots: Slots,
    user: String,
}

impl UserLocks {
    /// Waits for `user`'s earlier pushes; tokio's mutex is fair, so turns are
    /// granted in the order they were requested.
    pub(crate) async fn turn(&self, user: &str) -> UserTurn {
        let lock = {
            let mut slots = self
                .slots
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            slots.entry(user.to_owned()).or_default().clone()
        };
        let guard = lock.lock_owned().await;
        UserTurn {
            guard: Some(guard),
            slots: self.slots.clone(),
            user: user.to_owned(),
        }
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.slots.lock().map(|s| s.len()).unwrap_or_default()
    }
}

impl Drop for UserTurn {
    fn drop(&mut self) {
        self.guard.take();
        let mut slots = self
            .slots
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // Only the map's own reference left: nobody holds or waits for it.
        if slots
            .get(&self.user)
            .is_some_and(|lock| Arc::strong_count(lock) == 1)
        {
            slots.remove(&self.user);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn turns_are_serial_per_user_and_entries_are_cleaned_up() {
        let locks = UserLocks::default();
        let first = locks.turn("a").await;
        let other_user = locks.turn("b").await;
        let waiting = {
            let locks = locks.clone();
            tokio::spawn(async move {
                let _turn = locks.turn("a").await;
            })
        };
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished());
        drop(first);
        assert!(waiting.await.is_ok());
        drop(other_user);
        assert_eq!(locks.len(), 0);
    }
}
