//! WeChat official account adapter in the style of teloxide: a
//! [`Bot`] API client, a [`Dispatcher`] of dptree handler chains, typed
//! [`Update`]s and an axum callback endpoint.
//!
//! # What it handles for you
//!
//! * **Callback security** in plaintext, compatible and safe (AES) mode, as
//!   configured, never as the request claims: signatures compared in
//!   constant time, a replay window on `timestamp`, the AppID checked after
//!   decryption, a previous EncodingAESKey accepted during rotation.
//! * **Typed updates** for every documented message and event; anything else
//!   is kept as `Unknown` with its raw fields.
//! * **Passive replies** rendered with correct CDATA escaping and encrypted
//!   when the request was.
//! * **Retries**: WeChat retries a push it got no answer for. Retries are
//!   recognised ([`dedup`]), the handler runs once, and a retry gets the
//!   first attempt's answer.
//! * **The five-second rule**: handlers get a deadline (4 s by default).
//!   A reply that is not ready in time is sent later as a customer-service
//!   message while the callback answers `success`.
//! * **Ordering**: one user's pushes are handled one at a time, in order;
//!   different users concurrently.
//! * **Access tokens** from `stable_token`, refreshed ahead of expiry by a
//!   single request however many callers wait, shareable between instances
//!   through a [`TokenStore`](bot::TokenStore).
//!
//! # Echo bot
//!
//! ```no_run
//! use wechat_mp::{Bot, Config, Dispatcher, HandlerResult, Mode, Reply, Update, UpdateHandler};
//! use wechat_mp::update::Text;
//!
//! fn handler() -> UpdateHandler {
//!     dptree::entry()
//!         .branch(Update::filter_text().endpoint(|text: Text| async move {
//!             HandlerResult::Ok(Reply::text(text.content))
//!         }))
//!         .branch(Update::filter_subscribe().endpoint(|| async {
//!             HandlerResult::Ok(Reply::text("Welcome!"))
//!         }))
//! }
//!
//! #[tokio::main]
//! async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let config = Config {
//!         mode: Mode::Safe,
//!         encoding_aes_key: Some("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG".into()),
//!         ..Config::new("wx0123456789abcdef", "app-secret", "callback-token")
//!     };
//!     let bot = Bot::from_config(&config);
//!     let dispatcher = Dispatcher::builder(bot, handler()).build();
//!     let app = axum::Router::new().nest("/wechat", wechat_mp::axum::router(config, dispatcher)?);
//!     let listener = tokio::net::TcpListener::bind("0.0.0.0:8080").await?;
//!     axum::serve(listener, app).await?;
//!     Ok(())
//! }
//! ```
//!
//! # Wiring into an application
//!
//! 1. Build a [`Config`] (token, AppID, AppSecret, EncodingAESKey, mode,
//!    replay window, handler deadline, body limit, API base).
//! 2. Write the handler chain with `dptree`. Endpoints return
//!    [`HandlerResult`]; they can ask for the [`Update`], the [`Bot`], the
//!    parts injected by the `Update::filter_*` helpers, and any value passed
//!    with [`DispatcherBuilder::dependencies`] (`dptree::deps![pool, service]`).
//! 3. Plug shared stores when running several instances:
//!    [`DispatcherBuilder::dedup_store`] with a [`DedupStore`](dedup::DedupStore)
//!    and [`bot::BotBuilder::token_store`] with a [`TokenStore`](bot::TokenStore).
//! 4. Mount [`axum::router`] under any path.
//! 5. Send messages outside the request/response cycle (agent answers,
//!    notifications) with the [`Bot`]: `bot.send_text(&openid, "…").await`.
//!    Customer-service messages reach a user only within 48 hours of their
//!    last message, and only a few per window; the errors say which
//!    ([`RequestError::is_outside_window`], [`RequestError::is_quota_exceeded`]).
//!    Outside the window, a template message reaches followers:
//!    `bot.send_template(&TemplateMessage::new(openid, id).value("thing1", "…"))`;
//!    its errors say whether the template was wrong
//!    ([`RequestError::is_template_rejected`]: 40037, 47003) or the user cannot be
//!    reached ([`RequestError::is_recipient_refused`]: 43004, 43101).
//!
//! # Testing
//!
//! With the `testing` feature, [`testing::FakeWeChat`] serves a fake API on a
//! loopback port: point the [`Bot`] at [`testing::FakeWeChat::base_url`] and
//! assert on the messages it recorded. [`testing::CallbackClient`] signs and
//! encrypts pushes like WeChat does, for driving the router.

/// The callback protocol without HTTP.
pub mod callback;
/// Account configuration.
pub mod config;
/// WXBizMsgCrypt encryption.
pub mod crypto;
/// Retry recognition.
pub mod dedup;
/// SHA-1 callback signatures.
pub mod signature;
/// XML reading and writing.
pub mod xml;

pub mod axum;
pub mod bot;
pub mod dispatcher;
pub mod filter;
pub mod reply;
pub mod update;

#[cfg(feature = "testing")]
pub mod testing;

pub use bot::{Bot, ErrCode, RequestError};
pub use config::{Config, ConfigError, Mode, Secret};
pub use dispatcher::{Dispatcher, DispatcherBuilder, HandlerError, HandlerResult, UpdateHandler};
pub use reply::{Article, Reply};
pub use update::{Event, Message, MessageKind, OpenId, Update, UpdateKind};

/// Re-exported so hosts use the same version of the handler-tree crate.
pub use dptree;
