//! Access tokens: fetched once, shared, refreshed ahead of expiry.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::error::{ErrCode, RequestError};
use crate::config::Secret;
use crate::dedup::StoreError;

/// An access token and the moment it stops working.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessToken {
    /// The token, at most 512 characters.
    pub value: String,
    /// When WeChat stops accepting it.
    pub expires_at: SystemTime,
}

/// Where tokens live between calls. Share one store between instances (a
/// database row, a cache key) so they use one token instead of fetching
/// their own.
#[async_trait]
pub trait TokenStore: Send + Sync + 'static {
    /// The stored token of `appid`, if any.
    async fn load(&self, appid: &str) -> Result<Option<AccessToken>, StoreError>;
    /// Stores a freshly fetched token.
    async fn save(&self, appid: &str, token: &AccessToken) -> Result<(), StoreError>;
    /// Drops the stored token if it is still `rejected`; a newer token saved
    /// by another instance must survive.
    async fn discard(&self, appid: &str, rejected: &str) -> Result<(), StoreError>;

    /// Holds every other process sharing the store off fetching a token for `appid`
    /// until the returned lock is released, so that several instances fetch once per
    /// expiry (the one that waited finds the new token in the store). A store only one
    /// process uses needs none: the manager's own single flight covers it.
    async fn lock_refresh(&self, _appid: &str) -> Result<Option<Box<dyn RefreshLock>>, StoreError> {
        Ok(None)
    }
}

/// A refresh lock from [`TokenStore::lock_refresh`]. A process that dies while
/// holding it must lose it (a database session lock does).
#[async_trait]
pub trait RefreshLock: Send {
    /// Lets the next process refresh.
    async fn release(self: Box<Self>);
}

/// Process-local token store.
#[derive(Debug, Default)]
pub struct InMemoryTokenStore {
    tokens: Mutex<HashMap<String, AccessToken>>,
}

impl InMemoryTokenStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn tokens(&self) -> std::sync::MutexGuard<'_, HashMap<String, AccessToken>> {
        self.tokens
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[async_trait]
impl TokenStore for InMemoryTokenStore {
    async fn load(&self, appid: &str) -> Result<Option<AccessToken>, StoreError> {
        Ok(self.tokens().get(appid).cloned())
    }

    async fn save(&self, appid: &str, token: &AccessToken) -> Result<(), StoreError> {
        self.tokens().insert(appid.to_owned(), token.clone());
        Ok(())
    }

    async fn discard(&self, appid: &str, rejected: &str) -> Result<(), StoreError> {
        let mut tokens = self.tokens();
        if tokens.get(appid).is_some_and(|t| t.value == rejected) {
            tokens.remove(appid);
        }
        Ok(())
    }
}

/// Which endpoint issues tokens.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TokenSource {
    /// `POST /cgi-bin/stable_token` in normal mode: calls from several
    /// instances return the same token instead of invalidating each other.
    #[default]
    Stable,
    /// `GET /cgi-bin/token`: every call invalidates the previous token after
    /// five minutes, so only one process may use it.
    Classic,
}

#[derive(Deserialize)]
struct TokenResponse {
    #[serde(default)]
    access_token: Option<String>,
    #[serde(default)]
    expires_in: Option<u64>,
    #[serde(default)]
    errcode: Option<i64>,
    #[serde(default)]
    errmsg: Option<String>,
}

/// Single-flight token cache in front of a [`TokenStore`].
pub(crate) struct TokenManager {
    appid: String,
    secret: Secret,
    source: TokenSource,
    store: Arc<dyn TokenStore>,
    margin: Duration,
    cache: RwLock<Option<AccessToken>>,
    refresh: tokio::sync::Mutex<()>,
    next_early_refresh: Mutex<Instant>,
}

impl std::fmt::Debug for TokenManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenManager")
            .field("appid", &self.appid)
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

/// After an early refresh returned the same token, wait this long before trying again.
const EARLY_REFRESH_BACKOFF: Duration = Duration::from_secs(30);

impl TokenManager {
    pub(crate) fn new(
        appid: String,
        secret: Secret,
        source: TokenSource,
        store: Arc<dyn TokenStore>,
        margin: Duration,
    ) -> Self {
        Self {
            appid,
            secret,
            source,
            store,
            margin,
            cache: RwLock::new(None),
            refresh: tokio::sync::Mutex::new(()),
            next_early_refresh: Mutex::new(Instant::now()),
        }
    }

    /// A token good for at least the refresh margin when possible. While a
    /// refresh is in flight, callers holding a still-valid token keep using it
    /// and callers without one wait for that single request.
    pub(crate) async fn get(
        &self,
        http: &reqwest::Client,
        base: &str,
    ) -> Result<String, RequestError> {
        let now = SystemTime::now();
        if let Some(token) = self.cached() {
            if now + self.margin < token.expires_at {
                return Ok(token.value);
            }
            if now < token.expires_at {
                if !self.early_refresh_due() {
                    return Ok(token.value);
                }
                let Ok(_guard) = self.refresh.try_lock() else {
                    return Ok(token.value);
                };
                self.push_back_early_refresh();
                return self.refresh_locked(http, base).await;
            }
        }
        let _guard = self.refresh.lock().await;
        self.refresh_locked(http, base).await
    }

    /// Forgets `rejected` here and in the store, so the next call fetches anew.
    pub(crate) async fn invalidate(&self, rejected: &str) -> Result<(), RequestError> {
        {
            let mut cache = self
                .cache
                .write()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if cache.as_ref().is_some_and(|t| t.value == rejected) {
                *cache = None;
            }
        }
        self.store
            .discard(&self.appid, rejected)
            .await
            .map_err(RequestError::TokenStore)
    }

    fn cached(&self) -> Option<AccessToken> {
        self.cache
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    fn early_refresh_due(&self) -> bool {
        let next = self
            .next_early_refresh
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        Instant::now() >= *next
    }

    fn push_back_early_refresh(&self) {
        let mut next = self
            .next_early_refresh
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *next = Instant::now() + EARLY_REFRESH_BACKOFF;
    }

    async fn refresh_locked(
        &self,
        http: &reqwest::Client,
        base: &str,
    ) -> Result<String, RequestError> {
        let now = SystemTime::now();
        // Someone may have refreshed while this caller waited for the lock.
        if let Some(token) = self.cached() {
            if now + self.margin < token.expires_at {
                return Ok(token.value);
            }
        }
        let stored = self
            .store
            .load(&self.appid)
            .await
            .map_err(RequestError::TokenStore)?;
        if let Some(token) = stored.filter(|t| now + self.margin < t.expires_at) {
            return Ok(self.remember(token));
        }
        let lock = self
            .store
            .lock_refresh(&self.appid)
            .await
            .map_err(RequestError::TokenStore)?;
        let result = if lock.is_some() {
            // Another instance may have fetched while this one waited for the lock.
            match self.store.load(&self.appid).await {
                Ok(Some(t)) if SystemTime::now() + self.margin < t.expires_at => {
                    Ok(self.remember(t))
                }
                Ok(_) => self.fetch_and_save(http, base).await,
                Err(e) => Err(RequestError::TokenStore(e)),
            }
        } else {
            self.fetch_and_save(http, base).await
        };
        if let Some(lock) = lock {
            lock.release().await;
        }
        result
    }

    async fn fetch_and_save(
        &self,
        http: &reqwest::Client,
        base: &str,
    ) -> Result<String, RequestError> {
        let token = self.fetch(http, base).await?;
        self.store
            .save(&self.appid, &token)
            .await
            .map_err(RequestError::TokenStore)?;
        Ok(self.remember(token))
    }

    fn remember(&self, token: AccessToken) -> String {
        let value = token.value.clone();
        *self
            .cache
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(token);
        value
    }

    async fn fetch(&self, http: &reqwest::Client, base: &str) -> Result<AccessToken, RequestError> {
        tracing::debug!(appid = %self.appid, source = ?self.source, "fetching access token");
        metrics::counter!("wechat_access_token_refreshes_total").increment(1);
        let request = match self.source {
            TokenSource::Stable => {
                http.post(format!("{base}/cgi-bin/stable_token"))
                    .json(&serde_json::json!({
                        "grant_type": "client_credential",
                        "appid": self.appid,
                        "secret": self.secret.expose(),
                        "force_refresh": false,
                    }))
            }
            TokenSource::Classic => http.get(format!("{base}/cgi-bin/token")).query(&[
                ("grant_type", "client_credential"),
                ("appid", self.appid.as_str()),
                ("secret", self.secret.expose()),
            ]),
        };
        let response = request.send().await?;
        if !response.status().is_success() {
            return Err(RequestError::Status(response.status()));
        }
        let body: TokenResponse = response
            .json()
            .await
            .map_err(|e| RequestError::InvalidResponse(e.to_string()))?;
        match (body.access_token, body.errcode) {
            (Some(value), None | Some(0)) => {
                let lifetime = Duration::from_secs(body.expires_in.unwrap_or(7200));
                Ok(AccessToken {
                    value,
                    expires_at: SystemTime::now() + lifetime,
                })
            }
            (_, code) => Err(RequestError::Api {
                code: ErrCode::from_code(code.unwrap_or(-1)),
                message: body.errmsg.unwrap_or_default(),
            }),
        }
    }
}
