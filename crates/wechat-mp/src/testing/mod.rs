//! Test doubles: a fake WeChat API server and a client that sends signed
//! (and encrypted) pushes to a callback router.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! use wechat_mp::testing::FakeWeChat;
//! use wechat_mp::OpenId;
//!
//! let fake = FakeWeChat::start().await;
//! let bot = fake.bot();
//! let user = OpenId::parse("o-user").unwrap();
//!
//! // Outside the 48-hour window: refused with 45015.
//! assert!(bot.send_text(&user, "hi").await.unwrap_err().is_outside_window());
//!
//! fake.touch_user("o-user");
//! bot.send_text(&user, "hi").await.unwrap();
//! assert_eq!(fake.texts_to("o-user"), vec!["hi"]);
//! # }
//! ```

mod client;
mod server;
mod state;
mod templates;

pub use client::CallbackClient;
pub use state::{RecordedCall, SentMessage};
pub use templates::SentTemplate;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::bot::Bot;
use state::FakeState;

/// AppID the fake expects.
pub const FAKE_APPID: &str = "wx0000000000fake0";
/// AppSecret the fake expects.
pub const FAKE_SECRET: &str = "fake-app-secret";

/// A fake `api.weixin.qq.com` on `127.0.0.1` and a free port; it stops when dropped.
///
/// It issues tokens from `stable_token` and `token`, records every call,
/// enforces the customer-service window (a user can be messaged for 48 hours
/// after [`FakeWeChat::touch_user`], five messages per window, answering
/// 45015 and 45047 otherwise), answers 42001 for tokens expired with
/// [`FakeWeChat::expire_tokens`], and can be made slow or failing.
///
/// Template messages are checked as WeChat checks them: the template must be one
/// added with [`FakeWeChat::add_template`] (40037), the user must follow the account
/// (43004, see [`FakeWeChat::unfollow`]) and accept it (43101), and every key the
/// template declares must have a value within its kind's limit (47003).
#[derive(Debug)]
pub struct FakeWeChat {
    addr: SocketAddr,
    state: Arc<FakeState>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for FakeWeChat {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl FakeWeChat {
    /// Starts the server.
    ///
    /// # Panics
    ///
    /// When no loopback port can be bound.
    pub async fn start() -> Self {
        let state = Arc::new(FakeState::default());
        let listener = match tokio::net::TcpListener::bind("127.0.0.1:0").await {
            Ok(listener) => listener,
            Err(error) => panic!("FakeWeChat cannot bind a loopback port: {error}"),
        };
        let addr = match listener.local_addr() {
            Ok(addr) => addr,
            Err(error) => panic!("FakeWeChat has no local address: {error}"),
        };
        let app = server::router(state.clone());
        let server = tokio::spawn(async move {
            if let Err(error) = ::axum::serve(listener, app).await {
                tracing::error!(%error, "FakeWeChat stopped");
            }
        });
        Self {
            addr,
            state,
            server,
        }
    }

    /// `http://127.0.0.1:<port>`, to pass as the API base.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A [`Bot`] for [`FAKE_APPID`] pointed at this server.
    pub fn bot(&self) -> Bot {
        Bot::builder(FAKE_APPID, FAKE_SECRET)
            .api_base(self.base_url())
            .build()
    }

    /// Records that `openid` wrote just now, opening a fresh window and quota.
    pub fn touch_user(&self, openid: &str) {
        self.touch_user_at(openid, SystemTime::now());
    }

    /// Records that `openid` wrote at `at`.
    pub fn touch_user_at(&self, openid: &str, at: SystemTime) {
        self.state.with(|s| {
            s.interactions.insert(openid.to_owned(), (at, 0));
        });
    }

    /// Changes the window length (default 48 hours).
    pub fn set_window(&self, window: Duration) {
        self.state.with(|s| s.window = window);
    }

    /// Changes the messages allowed per window (default 5).
    pub fn set_quota(&self, quota: u32) {
        self.state.with(|s| s.quota = quota);
    }

    /// Expires every issued token: calls with them get 42001, and the next
    /// token request gets a new one.
    pub fn expire_tokens(&self) {
        self.state.with(|s| {
            s.expired.append(&mut s.issued);
            s.current = None;
        });
    }

    /// Delays every answer by `latency`.
    pub fn set_latency(&self, latency: Duration) {
        self.state.with(|s| s.latency = latency);
    }

    /// Makes the next API call (not token requests) fail with `errcode`.
    pub fn fail_next(&self, errcode: i64) {
        self.state.with(|s| s.fail_next.push_back(errcode));
    }

    /// Makes every API call fail with `errcode`, or restores service with `None`.
    pub fn fail_all(&self, errcode: Option<i64>) {
        self.state.with(|s| s.fail_all = errcode);
    }

    /// Customer-service messages accepted so far.
    pub fn sent_messages(&self) -> Vec<SentMessage> {
        self.state.with(|s| s.sent.clone())
    }

    /// Texts accepted for `openid`, in order.
    pub fn texts_to(&self, openid: &str) -> Vec<String> {
        self.sent_messages()
            .into_iter()
            .filter(|m| m.touser == openid)
            .filter_map(|m| m.text().map(str::to_owned))
            .collect()
    }

    /// Waits until at least `count` messages were accepted, or `timeout` passes.
    pub async fn wait_for_messages(&self, count: usize, timeout: Duration) -> Vec<SentMessage> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.state.changed.notified();
            let sent = self.sent_messages();
            if sent.len() >= count {
                return sent;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return self.sent_messages();
            }
        }
    }

    /// Every request except token requests, in arrival order.
    pub fn calls(&self) -> Vec<RecordedCall> {
        self.state.with(|s| s.calls.clone())
    }

    /// How many token requests arrived.
    pub fn token_requests(&self) -> usize {
        self.state.with(|s| s.token_requests)
    }

    /// Adds a template to the account: its id and the keys its content declares
    /// (`thing1`, `time2`… without `.DATA`).
    pub fn add_template(&self, id: &str, keys: &[&str]) {
        let keys = keys.iter().map(|k| (*k).to_owned()).collect();
        self.state
            .with(|s| s.templates.declared.insert(id.to_owned(), keys));
    }

    /// `openid` no longer follows the account: template messages get 43004.
    pub fn unfollow(&self, openid: &str) {
        self.state
            .with(|s| s.templates.unfollowed.insert(openid.to_owned()));
    }

    /// `openid` refused the account's template messages: they get 43101.
    pub fn refuse_templates(&self, openid: &str) {
        self.state
            .with(|s| s.templates.refusing.insert(openid.to_owned()));
    }

    /// Template messages accepted so far (a repeated `client_msg_id` counts once).
    pub fn templates_sent(&self) -> Vec<SentTemplate> {
        self.state.with(|s| s.templates.sent.clone())
    }

    /// Template messages accepted for `openid`, in order.
    pub fn templates_to(&self, openid: &str) -> Vec<SentTemplate> {
        self.templates_sent()
            .into_iter()
            .filter(|t| t.touser == openid)
            .collect()
    }

    /// Waits until at least `count` API calls to `path` arrived, or `timeout` passes;
    /// returns how many did.
    pub async fn wait_for_calls(&self, path: &str, count: usize, timeout: Duration) -> usize {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.state.changed.notified();
            let n = self.calls().iter().filter(|c| c.path == path).count();
            if n >= count || tokio::time::timeout_at(deadline, notified).await.is_err() {
                return self.calls().iter().filter(|c| c.path == path).count();
            }
        }
    }

    /// The agent `openid` is in session with, if any.
    pub fn kf_session(&self, openid: &str) -> Option<String> {
        self.state.with(|s| s.kf_sessions.get(openid).cloned())
    }
}
