//! The desk: handoffs from the dialogue to agents and back, the pages behind a login, and
//! who may open what. Pages are driven over HTTP here; `browser_test` drives them in
//! Chromium.
#![allow(clippy::unwrap_used)]

mod auth_test;
pub(crate) mod browser_test;
mod handoff_test;
mod hotline_test;
mod office_browser_test;
mod office_test;
mod orders_test;
mod pages_test;
mod user_cli_test;

use std::path::Path;

use chrono::{DateTime, Utc};
use heatdesk::app::AppState;
use heatdesk::config::{Secret, Settings};
use heatdesk::dialogue::{Dialogue, Inbound, Outcome, Turn};
use reqwest::header;
use wechat_mp::testing::{FakeWeChat, FAKE_APPID, FAKE_SECRET};

use crate::helpers::{spawn_app_with, TestApp};

/// The sample users' password (`demo/users.toml`).
pub const DEMO_PASSWORD: &str = "heatdesk-demo";

/// A desk open around the clock, so tests do not depend on the hour they run at.
pub fn always_open(s: &mut Settings) {
    s.handoff.hours.open = "00:00".into();
    s.handoff.hours.close = "00:00".into();
}

pub fn with_wechat(s: &mut Settings, fake: &FakeWeChat) {
    s.wechat.token = Secret::new("desk-token");
    s.wechat.appid = FAKE_APPID.into();
    s.wechat.app_secret = Secret::new(FAKE_SECRET);
    s.wechat.api_base = fake.base_url();
}

/// heatdesk with WeChat pointed at a fake server, the desk always open.
pub async fn desk_app() -> (TestApp, FakeWeChat) {
    desk_app_with(|_| {}).await
}

pub async fn desk_app_with(adjust: impl FnOnce(&mut Settings)) -> (TestApp, FakeWeChat) {
    let fake = FakeWeChat::start().await;
    let app = spawn_app_with(|s| {
        always_open(s);
        with_wechat(s, &fake);
        adjust(s);
    })
    .await;
    (app, fake)
}

/// A resident writing on WeChat (through the dialogue, as the callback does).
pub struct Resident {
    pub user: String,
    dialogue: Dialogue,
}

impl Resident {
    pub fn new(state: &AppState, user: &str) -> Self {
        Self {
            user: user.to_owned(),
            dialogue: state.dialogue().unwrap(),
        }
    }

    pub async fn says(&self, text: &str) -> Outcome {
        self.says_at(text, Utc::now()).await
    }

    pub async fn says_at(&self, text: &str, at: DateTime<Utc>) -> Outcome {
        self.dialogue
            .handle(Turn {
                user: self.user.clone(),
                inbound: Inbound::Text(text.to_owned()),
                at,
                locale: "zh-CN".to_owned(),
                message: None,
            })
            .await
            .unwrap()
    }
}

/// A browser-less desk user: the session cookie and the CSRF token, kept by hand.
pub struct DeskClient {
    pub base: String,
    pub client: reqwest::Client,
    pub cookie: String,
    pub csrf: String,
}

pub fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn cookie_value(res: &reqwest::Response, name: &str) -> Option<String> {
    res.headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// The value of `<meta name="csrf-token" content="…">` or of the `_csrf` field.
/// The text after `marker` up to the next `"`: an attribute's value in a page.
pub fn attribute(html: &str, marker: &str) -> Option<String> {
    let start = html.find(marker)? + marker.len();
    let len = html[start..].find('"')?;
    Some(html[start..start + len].to_owned())
}

pub fn csrf_in(html: &str) -> Option<String> {
    for marker in ["name=\"csrf-token\" content=\"", "name=\"_csrf\" value=\""] {
        if let Some(i) = html.find(marker) {
            let rest = &html[i + marker.len()..];
            return rest.split('"').next().map(str::to_owned);
        }
    }
    None
}

impl DeskClient {
    /// Signs in through the login form, as a browser would.
    pub async fn login(app: &TestApp, name: &str, password: &str) -> Self {
        Self::try_login(app, name, password)
            .await
            .unwrap_or_else(|| panic!("{name} could not sign in"))
    }

    pub async fn try_login(app: &TestApp, name: &str, password: &str) -> Option<Self> {
        Self::try_login_at(&format!("http://{}", app.addr), name, password).await
    }

    /// Signs in at the server at `base` (a `heatdesk serve` process, say).
    pub async fn try_login_at(base: &str, name: &str, password: &str) -> Option<Self> {
        let client = no_redirects();
        let page = client
            .get(format!("{base}/desk/login"))
            .send()
            .await
            .unwrap();
        let login_cookie = cookie_value(&page, "heatdesk_login_csrf").unwrap();
        let html = page.text().await.unwrap();
        let token = csrf_in(&html).unwrap();
        let res = client
            .post(format!("{base}/desk/login"))
            .header(
                header::COOKIE,
                format!("heatdesk_login_csrf={login_cookie}"),
            )
            .form(&[
                ("_csrf", token.as_str()),
                ("name", name),
                ("password", password),
                ("next", "/desk"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303, "a login answers with a redirect");
        let session = cookie_value(&res, "heatdesk_session")?;
        let mut me = Self {
            base: base.to_owned(),
            client,
            cookie: format!("heatdesk_session={session}"),
            csrf: String::new(),
        };
        let who: serde_json::Value = me.get("/desk/me").await.json().await.unwrap();
        assert_eq!(who["name"], name);
        me.csrf = who["csrf"].as_str().unwrap().to_owned();
        Some(me)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.base))
            .header(header::COOKIE, &self.cookie)
            .header(header::ACCEPT_LANGUAGE, "zh-CN")
            .send()
            .await
            .unwrap()
    }

    pub async fn page(&self, path: &str) -> String {
        let res = self.get(path).await;
        assert_eq!(res.status(), 200, "GET {path}");
        res.text().await.unwrap()
    }

    /// Posts a form with the session's CSRF token.
    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        let mut fields: Vec<(&str, &str)> = vec![("_csrf", self.csrf.as_str())];
        fields.extend_from_slice(form);
        self.post_raw(path, &fields).await
    }

    /// Posts JSON with the session's CSRF token in the header, as the desk's scripts do.
    pub async fn post_json(&self, path: &str, body: &serde_json::Value) -> reqwest::Response {
        self.client
            .post(format!("{}{path}", self.base))
            .header(header::COOKIE, &self.cookie)
            .header("x-csrf-token", &self.csrf)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn post_raw(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(format!("{}{path}", self.base))
            .header(header::COOKIE, &self.cookie)
            .form(form)
            .send()
            .await
            .unwrap()
    }
}

/// A second application on the same database file: a restart.
pub async fn restart(dir: &Path, adjust: impl FnOnce(&mut Settings)) -> AppState {
    let mut s = crate::helpers::settings(dir);
    adjust(&mut s);
    AppState::build(s).await.unwrap()
}
