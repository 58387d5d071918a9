//! The API client: one method per call, typed errors, shared access tokens.

mod custom;
mod error;
mod kf;
mod media;
mod menu;
mod template;
mod token;
mod user;

pub use custom::{
    CustomBody, CustomMessage, KfAccountRef, MediaBody, MiniProgramPage, MusicBody, NewsArticle,
    NewsBody, SendCustom, TextBody, VideoBody,
};
pub use error::{ErrCode, RequestError};
pub use kf::{KfAccountInfo, KfSession, OnlineKf};
pub use media::{MediaType, UploadedMedia};
pub use menu::{Button, Menu, MenuInfo};
pub use template::{
    value_limit, TemplateMessage, TemplateMiniProgram, TemplateSent, TemplateValue,
};
pub use token::{AccessToken, InMemoryTokenStore, RefreshLock, TokenSource, TokenStore};
pub use user::UserInfo;

use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::config::{Config, Secret, DEFAULT_API_BASE};
use token::TokenManager;

/// An API call: its path, its HTTP method and the shape of its answer.
///
/// Implement it for endpoints this crate does not cover and send them with
/// [`Bot::execute`]; token handling and error mapping come for free.
pub trait Payload: Serialize + Send + Sync {
    /// The success body.
    type Output: DeserializeOwned;
    /// Path below the API base, e.g. `/cgi-bin/message/custom/send`.
    const PATH: &'static str;
    /// `GET` sends the payload as query parameters, `POST` as JSON.
    const METHOD: http::Method;
}

/// A body with nothing but `errcode: 0`.
#[derive(Clone, Copy, Debug, Default, serde::Deserialize)]
pub struct Ack {}

/// Client for `api.weixin.qq.com`. Cheap to clone: clones share the HTTP
/// connection pool and the token.
#[derive(Clone, Debug)]
pub struct Bot {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    http: reqwest::Client,
    api_base: String,
    appid: String,
    tokens: TokenManager,
}

/// Configures a [`Bot`].
#[derive(Debug)]
pub struct BotBuilder {
    appid: String,
    secret: Secret,
    api_base: String,
    source: TokenSource,
    store: Option<Arc<dyn TokenStore>>,
    http: Option<reqwest::Client>,
    refresh_margin: Duration,
}

impl std::fmt::Debug for dyn TokenStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenStore")
    }
}

impl BotBuilder {
    /// Points the client somewhere else (a proxy, or a fake in tests).
    pub fn api_base(mut self, url: impl Into<String>) -> Self {
        self.api_base = url.into();
        self
    }

    /// Shares tokens through `store` instead of process memory.
    pub fn token_store(mut self, store: Arc<dyn TokenStore>) -> Self {
        self.store = Some(store);
        self
    }

    /// Chooses the token endpoint.
    pub fn token_source(mut self, source: TokenSource) -> Self {
        self.source = source;
        self
    }

    /// Uses a preconfigured HTTP client (timeouts, proxy).
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// How long before expiry a token is replaced (default five minutes, the
    /// window in which WeChat already issues the next stable token).
    pub fn refresh_margin(mut self, margin: Duration) -> Self {
        self.refresh_margin = margin;
        self
    }

    /// Builds the client.
    pub fn build(self) -> Bot {
        let http = self.http.unwrap_or_else(|| {
            reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .unwrap_or_default()
        });
        let store = self
            .store
            .unwrap_or_else(|| Arc::new(InMemoryTokenStore::new()));
        let tokens = TokenManager::new(
            self.appid.clone(),
            self.secret,
            self.source,
            store,
            self.refresh_margin,
        );
        Bot {
            inner: Arc::new(Inner {
                http,
                api_base: self.api_base.trim_end_matches('/').to_owned(),
                appid: self.appid,
                tokens,
            }),
        }
    }
}

impl Bot {
    /// A client with default settings.
    pub fn new(appid: impl Into<String>, app_secret: impl Into<Secret>) -> Self {
        Self::builder(appid, app_secret).build()
    }

    /// A client for the account and API base of `config`.
    pub fn from_config(config: &Config) -> Self {
        Self::builder(config.appid.clone(), config.app_secret.clone())
            .api_base(config.api_base.clone())
            .build()
    }

    /// Starts configuring a client.
    pub fn builder(appid: impl Into<String>, app_secret: impl Into<Secret>) -> BotBuilder {
        BotBuilder {
            appid: appid.into(),
            secret: app_secret.into(),
            api_base: DEFAULT_API_BASE.to_owned(),
            source: TokenSource::default(),
            store: None,
            http: None,
            refresh_margin: Duration::from_secs(300),
        }
    }

    /// The AppID this client acts for.
    pub fn appid(&self) -> &str {
        &self.inner.appid
    }

    /// The API base URL.
    pub fn api_base(&self) -> &str {
        &self.inner.api_base
    }

    /// A valid access token, for calls made outside this client.
    pub async fn access_token(&self) -> Result<String, RequestError> {
        self.inner
            .tokens
            .get(&self.inner.http, &self.inner.api_base)
            .await
    }

    /// Sends any [`Payload`]. A token rejected with 40001, 40014 or 42001 is
    /// replaced and the call retried once.
    pub async fn execute<P: Payload>(&self, payload: &P) -> Result<P::Output, RequestError> {
        let url = format!("{}{}", self.inner.api_base, P::PATH);
        self.with_token_retry(|token| {
            let request = self
                .inner
                .http
                .request(P::METHOD, &url)
                .query(&[("access_token", token)]);
            if P::METHOD == http::Method::GET {
                request.query(payload)
            } else {
                request.json(payload)
            }
        })
        .await
    }

    async fn with_token_retry<T, F>(&self, build: F) -> Result<T, RequestError>
    where
        T: DeserializeOwned,
        F: Fn(&str) -> reqwest::RequestBuilder,
    {
        let token = self.access_token().await?;
        match send_and_decode(build(&token)).await {
            Err(RequestError::Api { code, message }) if code.is_token_error() => {
                tracing::info!(%code, %message, "access token rejected, refreshing once");
                self.inner.tokens.invalidate(&token).await?;
                let token = self.access_token().await?;
                send_and_decode(build(&token)).await
            }
            other => other,
        }
    }
}

async fn send_and_decode<T: DeserializeOwned>(
    request: reqwest::RequestBuilder,
) -> Result<T, RequestError> {
    let (client, request) = request.build_split();
    let request = request?;
    let path = request.url().path().to_owned();
    metrics::counter!("wechat_api_calls_total", "path" => path.clone()).increment(1);
    let result = decode(client.execute(request).await).await;
    if let Err(e) = &result {
        metrics::counter!("wechat_api_errors_total", "path" => path, "errcode" => e.code().map_or_else(|| "none".to_owned(), |c| c.code().to_string())).increment(1);
    }
    result
}

async fn decode<T: DeserializeOwned>(
    response: Result<reqwest::Response, reqwest::Error>,
) -> Result<T, RequestError> {
    let response = response?;
    if !response.status().is_success() {
        return Err(RequestError::Status(response.status()));
    }
    let body = response.bytes().await?;
    let value: serde_json::Value =
        serde_json::from_slice(&body).map_err(|e| RequestError::InvalidResponse(e.to_string()))?;
    let code = value
        .get("errcode")
        .and_then(serde_json::Value::as_i64)
        .unwrap_or(0);
    if code != 0 {
        let message = value
            .get("errmsg")
            .and_then(serde_json::Value::as_str)
            .unwrap_or_default()
            .to_owned();
        return Err(RequestError::Api {
            code: ErrCode::from_code(code),
            message,
        });
    }
    serde_json::from_value(value).map_err(|e| RequestError::InvalidResponse(e.to_string()))
}
