//! The WeChat official account: the callback at `/wechat`, wired to the dialogue through
//! the `wechat-mp` adapter (verification, decryption, retries, the 5-second rule).

mod respond;
mod store;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use wechat_mp::{Bot, Config, Dispatcher, Mode, UpdateHandler};

pub use store::DbStores;

use crate::app::AppState;
use crate::config::WeChatSettings;
use crate::dialogue::Dialogue;

#[derive(Debug, thiserror::Error)]
pub enum WeChatSetupError {
    #[error("WeChat settings: {0}")]
    Config(#[from] wechat_mp::ConfigError),
    #[error("dialogue: {0}")]
    Dialogue(#[from] crate::dialogue::DialogueError),
}

/// The adapter's configuration, or `None` when no callback token is set (the webhook is
/// then not mounted). Without an AES key only plaintext pushes are accepted.
pub fn config(s: &WeChatSettings) -> Option<Config> {
    if s.token.is_empty() {
        return None;
    }
    let base = Config::new(s.appid.clone(), s.app_secret.expose(), s.token.expose());
    let mut config = Config {
        replay_window: Duration::from_secs(s.replay_window_secs),
        handler_deadline: Duration::from_millis(s.handler_deadline_ms),
        ..base
    };
    if !s.api_base.is_empty() {
        config.api_base = s.api_base.clone();
    }
    if !s.aes_key.is_empty() {
        config.mode = Mode::Safe;
        config.encoding_aes_key = Some(s.aes_key.expose().into());
    }
    Some(config)
}

/// The bot heatdesk sends customer-service messages with, its token kept in the database.
pub fn bot(config: &Config, stores: &DbStores) -> Bot {
    Bot::builder(config.appid.clone(), config.app_secret.clone())
        .api_base(config.api_base.clone())
        .token_store(Arc::new(stores.clone()))
        .build()
}

fn handler() -> UpdateHandler {
    wechat_mp::dptree::entry().endpoint(
        |update: wechat_mp::Update, state: AppState, dialogue: Arc<Dialogue>| async move {
            respond::reply(&state, &dialogue, &update).await
        },
    )
}

/// The callback router, or `None` when WeChat is not configured.
pub fn router(state: &AppState) -> Result<Option<Router>, WeChatSetupError> {
    let Some(config) = config(&state.settings.wechat) else {
        return Ok(None);
    };
    config.validate()?;
    let dialogue = Arc::new(Dialogue::new(state)?);
    let stores = DbStores::new(state.db.clone());
    let bot = state.bot.clone().unwrap_or_else(|| bot(&config, &stores));
    let dispatcher = Dispatcher::builder(bot, handler())
        .dependencies(wechat_mp::dptree::deps![state.clone(), dialogue])
        .dedup_store(Arc::new(stores))
        .build();
    Ok(Some(wechat_mp::axum::router(config, dispatcher)?))
}
