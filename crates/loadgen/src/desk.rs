//! A desk page read beside the WeChat load: a signed-in desk user's page (the queue, say)
//! fetched over connections of its own for as long as the residents write, so that the
//! report tells what the desk gets while WeChat traffic runs.

use std::collections::BTreeMap;
use std::time::Duration;

use hdrhistogram::Histogram;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use reqwest::{Client, StatusCode, Url};

/// heatdesk's session cookie, set by a successful sign-in.
const SESSION_COOKIE: &str = "heatdesk_session";
/// The sign-in form's anti-forgery cookie; the form's hidden field carries the same token.
const LOGIN_CSRF_COOKIE: &str = "heatdesk_login_csrf";
const CSRF_FIELD: &str = "_csrf";

/// The page to read and who reads it.
#[derive(Clone, Debug)]
pub struct DeskPlan {
    /// The page, e.g. `http://127.0.0.1:8080/desk/queue`.
    pub page: Url,
    /// `heatdesk_session=…`, from `sign_in`.
    pub cookie: String,
    /// Requests in flight at most (and keep-alive connections), apart from the residents'.
    pub connections: usize,
    /// The client, pooled apart from the residents'.
    pub client: Client,
}

/// Counters of the page's requests in the measured period.
#[derive(Clone, Debug)]
pub struct DeskStats {
    /// Requests answered 200, latency in microseconds.
    pub latency: Histogram<u64>,
    /// Requests sent.
    pub sent: u64,
    /// Requests answered 200.
    pub ok: u64,
    /// Failures by kind (`status 303` when the session was lost).
    pub errors: BTreeMap<String, u64>,
}

impl Default for DeskStats {
    fn default() -> Self {
        Self {
            latency: crate::report::latency_histogram(),
            sent: 0,
            ok: 0,
            errors: BTreeMap::new(),
        }
    }
}

impl DeskStats {
    /// Counts one request: answered 200 (`None`) or failed with `error`.
    pub fn count(&mut self, error: Option<String>, latency: Duration) {
        self.sent += 1;
        match error {
            None => {
                self.ok += 1;
                crate::report::record_micros(&mut self.latency, latency);
            }
            Some(kind) => *self.errors.entry(kind).or_default() += 1,
        }
    }
}

/// The value of cookie `name` among a response's `Set-Cookie` headers.
fn set_cookie(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| cookie_value(v, name))
}

/// `value` of `name=value; Path=/; …`, when the header sets `name` to something.
pub fn cookie_value(header: &str, name: &str) -> Option<String> {
    let pair = header.split(';').next()?.trim();
    let (n, v) = pair.split_once('=')?;
    (n.trim() == name && !v.trim().is_empty()).then(|| v.trim().to_owned())
}

/// A client for the desk: no redirects followed (a lost session shows as `303`), no proxy.
pub fn client(connections: usize, timeout: Duration) -> reqwest::Result<Client> {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(connections)
        .connect_timeout(timeout)
        .timeout(timeout)
        .tcp_nodelay(true)
        .no_proxy()
        .build()
}

/// Signs in as `user` through the desk's own form (its anti-forgery token included) and
/// returns the session cookie to send, `heatdesk_session=…`.
pub async fn sign_in(
    client: &Client,
    page: &Url,
    user: &str,
    password: &str,
) -> Result<String, String> {
    let login = page
        .join("/desk/login")
        .map_err(|e| format!("--desk-page {page}: {e}"))?;
    let form = client
        .get(login.clone())
        .send()
        .await
        .map_err(|e| format!("cannot reach {login}: {e}"))?;
    if form.status() != StatusCode::OK {
        return Err(format!(
            "{login} answered {} (is it a heatdesk?)",
            form.status()
        ));
    }
    let token = set_cookie(&form, LOGIN_CSRF_COOKIE)
        .ok_or_else(|| format!("{login} set no {LOGIN_CSRF_COOKIE} cookie"))?;
    let fields = [
        ("name", user),
        ("password", password),
        (CSRF_FIELD, token.as_str()),
        ("next", page.path()),
    ];
    let signed = client
        .post(login.clone())
        .header(COOKIE, format!("{LOGIN_CSRF_COOKIE}={token}"))
        .form(&fields)
        .send()
        .await
        .map_err(|e| format!("cannot sign in at {login}: {e}"))?;
    match set_cookie(&signed, SESSION_COOKIE) {
        Some(session) if signed.status().is_redirection() => {
            Ok(format!("{SESSION_COOKIE}={session}"))
        }
        _ => Err(format!(
            "signing in as {user} at {login} failed ({}{}): check --desk-user and --desk-password",
            signed.status(),
            signed
                .headers()
                .get(LOCATION)
                .and_then(|l| l.to_str().ok())
                .map(|l| format!(", sent to {l}"))
                .unwrap_or_default()
        )),
    }
}

/// One request for the page: `None` when it was answered 200 with its whole body.
pub async fn fetch(plan: &DeskPlan) -> Option<String> {
    let sent = plan
        .client
        .get(plan.page.clone())
        .header(COOKIE, &plan.cookie)
        .send()
        .await;
    match sent {
        Ok(r) if r.status() == StatusCode::OK => match r.bytes().await {
            Ok(_) => None,
            Err(_) => Some("body".to_owned()),
        },
        Ok(r) => Some(format!("status {}", r.status().as_u16())),
        Err(e) if e.is_timeout() => Some("timeout".to_owned()),
        Err(e) if e.is_connect() => Some("connect".to_owned()),
        Err(_) => Some("transport".to_owned()),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_cookie_value_is_read_from_its_own_set_cookie_header_only() {
        let h = "heatdesk_session=abc123; Path=/; HttpOnly; SameSite=Lax";
        assert_eq!(
            cookie_value(h, "heatdesk_session").as_deref(),
            Some("abc123")
        );
        assert_eq!(cookie_value(h, "heatdesk_login_csrf"), None);
        // Clearing a cookie (an empty value) is not a session.
        assert_eq!(
            cookie_value("heatdesk_session=; Max-Age=0", "heatdesk_session"),
            None
        );
        assert_eq!(cookie_value("garbage", "heatdesk_session"), None);
    }

    #[test]
    fn only_answered_requests_count_in_the_latency() {
        let mut s = DeskStats::default();
        s.count(None, Duration::from_millis(2));
        s.count(Some("status 303".to_owned()), Duration::from_millis(500));
        s.count(None, Duration::from_millis(4));
        assert_eq!((s.sent, s.ok), (3, 2));
        assert_eq!(s.errors.get("status 303"), Some(&1));
        assert_eq!(s.latency.len(), 2);
        assert!(
            s.latency.max() < 5_000,
            "the failed request's 500 ms is not a latency"
        );
    }
}
