//! Sessions looked up a moment ago, kept in memory: every desk request (a queue screen
//! refreshes on each event) checked its cookie with a database read, the largest part of
//! a page's cost once the page itself is kept.
//!
//! What this instance changes (a sign-out, a new password, a disabled user) is honoured
//! at once: those calls drop what is kept. A change made elsewhere (another instance, the
//! `heatdesk user` command) is honoured here within `KEPT_FOR`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{NewUser, Session, User, UserError, UserStore};

/// How long a looked-up session is trusted without reading it again.
pub const KEPT_FOR: Duration = Duration::from_secs(1);

/// Sessions kept at most; beyond it the stale ones go, or all of them (cookies that do
/// not exist are never kept, so only real sign-ins count).
const MAX_KEPT: usize = 4096;

#[derive(Debug)]
pub struct KeptSessions {
    inner: Arc<dyn UserStore>,
    kept_for: Duration,
    kept: Mutex<HashMap<String, (Instant, Session)>>,
    /// Counts what this instance dropped: a lookup that began before a drop keeps nothing
    /// (it may have read the session just before it ended).
    drops: AtomicU64,
}

impl KeptSessions {
    pub fn kept_for(inner: Arc<dyn UserStore>, kept_for: Duration) -> Self {
        Self {
            inner,
            kept_for,
            kept: Mutex::new(HashMap::new()),
            drops: AtomicU64::new(0),
        }
    }

    fn kept(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Instant, Session)>> {
        self.kept.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn forget_all(&self) {
        let mut kept = self.kept();
        self.drops.fetch_add(1, Ordering::SeqCst);
        kept.clear();
    }

    fn forget(&self, token_hash: &str) {
        let mut kept = self.kept();
        self.drops.fetch_add(1, Ordering::SeqCst);
        kept.remove(token_hash);
    }
}

#[async_trait]
impl UserStore for KeptSessions {
    async fn create(&self, new: &NewUser, password_hash: &str) -> Result<User, UserError> {
        self.inner.create(new, password_hash).await
    }

    async fn by_name(&self, name: &str) -> Result<Option<(User, String)>, UserError> {
        self.inner.by_name(name).await
    }

    async fn get(&self, id: i64) -> Result<Option<User>, UserError> {
        self.inner.get(id).await
    }

    async fn list(&self) -> Result<Vec<User>, UserError> {
        self.inner.list().await
    }

    async fn set_password(&self, id: i64, password_hash: &str) -> Result<bool, UserError> {
        let done = self.inner.set_password(id, password_hash).await;
        self.forget_all();
        done
    }

    async fn set_disabled(&self, id: i64, disabled: bool) -> Result<bool, UserError> {
        let done = self.inner.set_disabled(id, disabled).await;
        self.forget_all();
        done
    }

    async fn create_session(
        &self,
        token_hash: &str,
        user: i64,
        csrf: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<(), UserError> {
        self.inner
            .create_session(token_hash, user, csrf, now, expires_at)
            .await
    }

    async fn session(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Session>, UserError> {
        if let Some((at, s)) = self.kept().get(token_hash) {
            if at.elapsed() < self.kept_for && s.expires_at > now {
                return Ok(Some(s.clone()));
            }
        }
        let read = Instant::now();
        let drops = self.drops.load(Ordering::SeqCst);
        let found = self.inner.session(token_hash, now).await?;
        let mut kept = self.kept();
        match &found {
            Some(_) if self.drops.load(Ordering::SeqCst) != drops => {}
            Some(s) => {
                if kept.len() >= MAX_KEPT {
                    let kept_for = self.kept_for;
                    kept.retain(|_, (at, _)| at.elapsed() < kept_for);
                    if kept.len() >= MAX_KEPT {
                        kept.clear();
                    }
                }
                kept.insert(token_hash.to_owned(), (read, s.clone()));
            }
            None => {
                kept.remove(token_hash);
            }
        }
        Ok(found)
    }

    async fn end_session(&self, token_hash: &str) -> Result<(), UserError> {
        let done = self.inner.end_session(token_hash).await;
        self.forget(token_hash);
        done
    }

    async fn purge_sessions(&self, now: DateTime<Utc>) -> Result<u64, UserError> {
        // Expired sessions are not served from memory either (`session` checks the time).
        self.inner.purge_sessions(now).await
    }

    async fn locked_until(
        &self,
        id: i64,
        now: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>, UserError> {
        self.inner.locked_until(id, now).await
    }

    async fn login_failed(
        &self,
        id: i64,
        limit: i64,
        lock_until: DateTime<Utc>,
    ) -> Result<bool, UserError> {
        self.inner.login_failed(id, limit, lock_until).await
    }

    async fn login_succeeded(&self, id: i64) -> Result<(), UserError> {
        self.inner.login_succeeded(id).await
    }
}
