use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use serde_json::Value;

/// A customer-service message the fake accepted.
#[derive(Clone, Debug, PartialEq)]
pub struct SentMessage {
    /// Recipient OpenID.
    pub touser: String,
    /// `msgtype`.
    pub msgtype: String,
    /// The whole JSON body.
    pub body: Value,
}

impl SentMessage {
    /// The text of a text message.
    pub fn text(&self) -> Option<&str> {
        self.body.pointer("/text/content").and_then(Value::as_str)
    }
}

/// An API request the fake received.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordedCall {
    /// HTTP method.
    pub method: String,
    /// Path, e.g. `/cgi-bin/menu/create`.
    pub path: String,
    /// Query parameters other than `access_token`.
    pub query: HashMap<String, String>,
    /// JSON body, `Null` when there was none or it was not JSON.
    pub body: Value,
}

#[derive(Debug)]
pub(super) struct Inner {
    pub(super) issued: Vec<String>,
    pub(super) expired: Vec<String>,
    pub(super) current: Option<String>,
    pub(super) next_token: u64,
    pub(super) token_requests: usize,
    pub(super) calls: Vec<RecordedCall>,
    pub(super) sent: Vec<SentMessage>,
    pub(super) interactions: HashMap<String, (SystemTime, u32)>,
    pub(super) window: Duration,
    pub(super) quota: u32,
    pub(super) latency: Duration,
    pub(super) fail_next: VecDeque<i64>,
    pub(super) fail_all: Option<i64>,
    pub(super) kf_sessions: HashMap<String, String>,
    pub(super) menu: Option<Value>,
    pub(super) next_id: u64,
    pub(super) templates: super::templates::Templates,
}

impl Default for Inner {
    fn default() -> Self {
        Self {
            issued: Vec::new(),
            expired: Vec::new(),
            current: None,
            next_token: 1,
            token_requests: 0,
            calls: Vec::new(),
            sent: Vec::new(),
            interactions: HashMap::new(),
            window: Duration::from_secs(48 * 3600),
            quota: 5,
            latency: Duration::ZERO,
            fail_next: VecDeque::new(),
            fail_all: None,
            kf_sessions: HashMap::new(),
            menu: None,
            next_id: 1000,
            templates: super::templates::Templates::default(),
        }
    }
}

#[derive(Debug, Default)]
pub(super) struct FakeState {
    inner: Mutex<Inner>,
    pub(super) changed: tokio::sync::Notify,
}

impl FakeState {
    pub(super) fn with<R>(&self, f: impl FnOnce(&mut Inner) -> R) -> R {
        let mut guard = self
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut guard)
    }
}

impl Inner {
    pub(super) fn issue_token(&mut self) -> String {
        let token = format!("fake-token-{}", self.next_token);
        self.next_token += 1;
        self.issued.push(token.clone());
        self.current = Some(token.clone());
        token
    }

    /// 0 when `token` may be used, otherwise the errcode WeChat would send.
    pub(super) fn check_token(&self, token: Option<&str>) -> i64 {
        match token {
            Some(t) if self.issued.iter().any(|i| i == t) => 0,
            Some(t) if self.expired.iter().any(|e| e == t) => 42001,
            Some(_) => 40001,
            None => 41001,
        }
    }

    /// Applies the window and quota rules to a message for `touser`.
    pub(super) fn admit(&mut self, touser: &str) -> i64 {
        let window = self.window;
        let quota = self.quota;
        let Some((last, used)) = self.interactions.get_mut(touser) else {
            return 45015;
        };
        let age = SystemTime::now().duration_since(*last).unwrap_or_default();
        if age > window {
            return 45015;
        }
        if *used >= quota {
            return 45047;
        }
        *used += 1;
        0
    }
}
