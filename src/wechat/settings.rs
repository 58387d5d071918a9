//! Settings of the official account (`[wechat]`, `HEATDESK_WECHAT_*`).

use serde::{Deserialize, Serialize};

use crate::domain::Secret;

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct WeChatSettings {
    pub token: Secret,
    pub appid: String,
    pub app_secret: Secret,
    /// Absent: plaintext mode only.
    pub aes_key: Secret,
    /// Empty: the real API.
    pub api_base: String,
    /// Time a handler has before the callback answers `success` and the reply goes out
    /// as a customer-service message (WeChat waits 5 s).
    pub handler_deadline_ms: u64,
    /// Pushes with an older `timestamp` are refused as replays.
    pub replay_window_secs: u64,
    /// Seconds between two purges of expired retry records (0: never).
    pub purge_interval_secs: u64,
}

impl Default for WeChatSettings {
    fn default() -> Self {
        Self {
            token: Secret::default(),
            appid: String::new(),
            app_secret: Secret::default(),
            aes_key: Secret::default(),
            api_base: String::new(),
            handler_deadline_ms: 4000,
            replay_window_secs: 300,
            purge_interval_secs: 30,
        }
    }
}
