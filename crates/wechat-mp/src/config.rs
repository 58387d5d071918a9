//! Account configuration shared by the callback endpoint and the API client.

use std::fmt;
use std::time::Duration;

use crate::crypto::{AesKey, KeyError};

/// Default base URL of the WeChat API.
pub const DEFAULT_API_BASE: &str = "https://api.weixin.qq.com";

/// A string that must never end up in logs or `Debug` output.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The wrapped value; call sites that use it are easy to audit.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self::new(value)
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

/// How message bodies are protected, as chosen in the account's server settings.
///
/// The mode is configuration and is never inferred from a request: an attacker
/// who strips `encrypt_type` from the query must not downgrade a safe-mode
/// endpoint to plaintext.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Mode {
    /// Plaintext bodies, checked with `signature` only.
    #[default]
    Plain,
    /// Bodies carry both plaintext and an `Encrypt` element; plaintext
    /// requests are still accepted while the account is being migrated.
    Compatible,
    /// Encrypted bodies only; plaintext requests are rejected.
    Safe,
}

/// Everything the callback endpoint and the API client need to know about one account.
///
/// Build it with [`Config::new`] and override fields with struct update syntax:
///
/// ```
/// use std::time::Duration;
/// use wechat_mp::{Config, Mode};
///
/// let config = Config {
///     mode: Mode::Safe,
///     encoding_aes_key: Some("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG".into()),
///     handler_deadline: Duration::from_millis(4500),
///     ..Config::new("wx0123456789abcdef", "app-secret", "callback-token")
/// };
/// assert!(config.validate().is_ok());
/// ```
#[derive(Clone, Debug)]
pub struct Config {
    /// The token entered in the server settings, used for all signatures.
    pub token: Secret,
    /// The account's AppID; checked after every decryption.
    pub appid: String,
    /// The AppSecret used to obtain access tokens.
    pub app_secret: Secret,
    /// The 43-character EncodingAESKey; required in compatible and safe mode.
    pub encoding_aes_key: Option<Secret>,
    /// The key in use before the last rotation; tried when the current one fails.
    pub previous_encoding_aes_key: Option<Secret>,
    /// Message protection mode.
    pub mode: Mode,
    /// Maximum distance between a request's `timestamp` and the local clock.
    pub replay_window: Duration,
    /// Time a handler gets before the callback answers `success` and the reply
    /// goes out through the customer-service API instead.
    pub handler_deadline: Duration,
    /// Largest accepted callback body in bytes.
    pub body_limit: usize,
    /// Base URL of the API, overridable for tests and proxies.
    pub api_base: String,
}

impl Config {
    /// A plaintext-mode configuration with the documented defaults.
    pub fn new(
        appid: impl Into<String>,
        app_secret: impl Into<Secret>,
        token: impl Into<Secret>,
    ) -> Self {
        Self {
            token: token.into(),
            appid: appid.into(),
            app_secret: app_secret.into(),
            encoding_aes_key: None,
            previous_encoding_aes_key: None,
            mode: Mode::Plain,
            replay_window: Duration::from_secs(300),
            handler_deadline: Duration::from_secs(4),
            body_limit: 1024 * 1024,
            api_base: DEFAULT_API_BASE.to_owned(),
        }
    }

    /// Checks that the configuration can serve callbacks.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.token.expose().is_empty() {
            return Err(ConfigError::MissingToken);
        }
        // Plaintext pushes need no AppID; decryption (and the API) do.
        if self.appid.is_empty() && self.mode != Mode::Plain {
            return Err(ConfigError::MissingAppId);
        }
        self.aes_keys().map(|_| ())
    }

    /// The parsed current and previous keys, current first.
    pub(crate) fn aes_keys(&self) -> Result<Vec<AesKey>, ConfigError> {
        let mut keys = Vec::new();
        if let Some(key) = &self.encoding_aes_key {
            keys.push(AesKey::parse(key.expose()).map_err(ConfigError::InvalidAesKey)?);
        }
        if let Some(key) = &self.previous_encoding_aes_key {
            keys.push(AesKey::parse(key.expose()).map_err(ConfigError::InvalidAesKey)?);
        }
        if keys.is_empty() && self.mode != Mode::Plain {
            return Err(ConfigError::MissingAesKey(self.mode));
        }
        Ok(keys)
    }
}

/// A configuration that cannot serve callbacks.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The callback token is empty.
    #[error("the callback token is empty")]
    MissingToken,
    /// The AppID is empty.
    #[error("the AppID is empty")]
    MissingAppId,
    /// Compatible or safe mode without an EncodingAESKey.
    #[error("{0:?} mode needs an EncodingAESKey")]
    MissingAesKey(Mode),
    /// The EncodingAESKey is malformed.
    #[error("invalid EncodingAESKey: {0}")]
    InvalidAesKey(#[from] KeyError),
}
