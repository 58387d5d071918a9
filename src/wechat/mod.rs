//! The WeChat official account: the callback at `/wechat`, wired to the dialogue through
//! the `wechat-mp` adapter (verification, decryption, retries, the 5-second rule).

mod respond;
mod settings;
mod store;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use wechat_mp::{Bot, Config, Dispatcher, Mode, UpdateHandler};

pub use settings::WeChatSettings;
pub use store::DbStores;

use crate::dialogue::Dialogue;
use crate::i18n::Locales;
use crate::nlu::EngineHandle;

#[derive(Debug, thiserror::Error)]
pub enum WeChatSetupError {
    #[error("WeChat settings: {0}")]
    Config(#[from] wechat_mp::ConfigError),
}

/// What the callback needs: the dialogue it hands turns to, the words for a failed turn,
/// the WeChat client and the database-backed retry memory.
pub struct WeChatDeps {
    pub settings: WeChatSettings,
    pub dialogue: Arc<Dialogue>,
    pub locales: Arc<Locales>,
    pub engine: Arc<EngineHandle>,
    pub bot: Option<Bot>,
    pub stores: DbStores,
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
        |update: wechat_mp::Update,
         locales: Arc<Locales>,
         engine: Arc<EngineHandle>,
         dialogue: Arc<Dialogue>| async move {
            respond::reply(&locales, &engine, &dialogue, &update).await
        },
    )
}

/// The callback router, or `None` when WeChat is not configured.
pub fn router(deps: WeChatDeps) -> Result<Option<Router>, WeChatSetupError> {
    let Some(config) = config(&deps.settings) else {
        return Ok(None);
    };
    config.validate()?;
    let stores = deps.stores;
    let bot = deps.bot.unwrap_or_else(|| bot(&config, &stores));
    let dispatcher = Dispatcher::builder(bot, handler())
        .dependencies(wechat_mp::dptree::deps![
            deps.locales,
            deps.engine,
            deps.dialogue
        ])
        .dedup_store(Arc::new(stores))
        .build();
    Ok(Some(wechat_mp::axum::router(config, dispatcher)?))
}
