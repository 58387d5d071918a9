//! Who is at the desk: login, the session cookie, roles, and the CSRF token every form and
//! every state-changing API call must carry.

use axum::body::Body;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Duration, Utc};
use sha2::{Digest, Sha256};

use super::users::{self, Role, User};
use super::DeskState;

pub const SESSION_COOKIE: &str = "heatdesk_session";
/// The login form's CSRF token lives in this cookie until there is a session.
pub const LOGIN_CSRF_COOKIE: &str = "heatdesk_login_csrf";
pub const LANG_COOKIE: &str = "heatdesk_lang";
pub const CSRF_HEADER: &str = "x-csrf-token";
pub const CSRF_FIELD: &str = "_csrf";

/// Why a desk request was refused. Pages get a localised page (see `pages::errors`), the
/// JSON API a JSON error.
#[derive(Debug, thiserror::Error)]
pub enum DeskError {
    #[error("not signed in")]
    Unauthenticated { api: bool, next: String },
    #[error("forbidden")]
    Forbidden,
    #[error("missing or wrong CSRF token")]
    Csrf,
    #[error("not found")]
    NotFound,
    #[error("bad request: {0}")]
    BadRequest(String),
    /// Someone else got there first (a claimed handoff).
    #[error("conflict")]
    Conflict,
    #[error("internal error: {0}")]
    Internal(String),
}

/// The Fluent id of a desk error, carried to the layer that writes the page.
#[derive(Debug, Clone, Copy)]
pub struct DeskErrorCode(pub &'static str);

impl DeskError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthenticated { .. } => "desk-error-unauthenticated",
            Self::Forbidden => "desk-error-forbidden",
            Self::Csrf => "desk-error-csrf",
            Self::NotFound => "desk-error-not-found",
            Self::BadRequest(_) => "desk-error-bad-request",
            Self::Conflict => "desk-error-conflict",
            Self::Internal(_) => "desk-error-internal",
        }
    }

    fn status(&self) -> StatusCode {
        match self {
            Self::Unauthenticated { .. } => StatusCode::UNAUTHORIZED,
            Self::Forbidden | Self::Csrf => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Conflict => StatusCode::CONFLICT,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn internal(e: impl std::fmt::Display) -> Self {
        Self::Internal(e.to_string())
    }
}

impl IntoResponse for DeskError {
    fn into_response(self) -> Response {
        match &self {
            Self::Unauthenticated { api: false, next } => {
                let to = format!("/desk/login?next={}", urlencode(next));
                return Redirect::to(&to).into_response();
            }
            Self::Internal(detail) => tracing::error!(%detail, "desk request failed"),
            _ => {}
        }
        let mut res = (self.status(), self.code()).into_response();
        res.extensions_mut().insert(DeskErrorCode(self.code()));
        res
    }
}

pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub use crate::domain::random_token;

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

pub fn set_cookie(state: &DeskState, name: &str, value: &str, max_age_secs: i64) -> String {
    let secure = if state.settings.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}")
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The language of desk pages: the user's choice (cookie), else the browser's.
pub fn locale_of(state: &DeskState, headers: &HeaderMap) -> String {
    let chosen = cookie(headers, LANG_COOKIE);
    if let Some(c) = chosen.filter(|c| state.locales.locales().any(|l| l == c)) {
        return c;
    }
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    state.locales.negotiate(accept).to_owned()
}

/// A signed-in desk user, with the session's CSRF token and the page language.
#[derive(Debug, Clone)]
pub struct Desk {
    pub user: User,
    pub csrf: String,
    pub locale: String,
}

impl Desk {
    /// Refuses users without `role` (admins pass).
    pub fn require(&self, role: Role) -> Result<(), DeskError> {
        if self.user.can(role) {
            Ok(())
        } else {
            tracing::info!(
                user = self.user.id,
                needed = role.as_str(),
                "desk access refused"
            );
            Err(DeskError::Forbidden)
        }
    }

    /// Refuses users with none of `roles` (admins pass).
    pub fn require_any(&self, roles: &[Role]) -> Result<(), DeskError> {
        if self.user.can_any(roles) {
            Ok(())
        } else {
            tracing::info!(user = self.user.id, "desk access refused");
            Err(DeskError::Forbidden)
        }
    }
}

async fn session_of(state: &DeskState, headers: &HeaderMap) -> Option<users::Session> {
    let token = cookie(headers, SESSION_COOKIE)?;
    match state.users.session(&token_hash(&token), Utc::now()).await {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "cannot read the session");
            None
        }
    }
}

impl FromRequestParts<DeskState> for Desk {
    type Rejection = DeskError;

    async fn from_request_parts(parts: &mut Parts, state: &DeskState) -> Result<Self, DeskError> {
        // The CSRF guard has read it already for every state-changing request.
        let session = match parts.extensions.get::<users::Session>() {
            Some(s) => Some(s.clone()),
            None => session_of(state, &parts.headers).await,
        };
        match session {
            Some(s) => Ok(Desk {
                user: s.user,
                csrf: s.csrf,
                locale: locale_of(state, &parts.headers),
            }),
            None => Err(DeskError::Unauthenticated {
                api: parts.uri.path().starts_with("/api/"),
                next: parts
                    .uri
                    .path_and_query()
                    .map_or("/desk".to_owned(), |p| p.as_str().to_owned()),
            }),
        }
    }
}

/// Refuses a state-changing request whose CSRF token (the `x-csrf-token` header, or the
/// `_csrf` field of a form) does not match the session's, or for the login form, the
/// login cookie's. Runs before any handler, so no form can forget it.
pub async fn csrf_guard(State(state): State<DeskState>, mut req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    let expected = match session_of(&state, req.headers()).await {
        Some(s) => {
            let csrf = s.csrf.clone();
            req.extensions_mut().insert(s);
            Some(csrf)
        }
        None => cookie(req.headers(), LOGIN_CSRF_COOKIE),
    };
    let header_token = req
        .headers()
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let (req, given) = match header_token {
        Some(t) => (req, Some(t)),
        None => match form_token(req).await {
            Ok(found) => found,
            Err(res) => return res,
        },
    };
    match (expected, given) {
        (Some(e), Some(g)) if constant_time_eq(e.as_bytes(), g.as_bytes()) => next.run(req).await,
        _ => {
            tracing::info!(path = %req.uri().path(), "request without a valid CSRF token refused");
            DeskError::Csrf.into_response()
        }
    }
}

/// Reads `_csrf` from a url-encoded or multipart form body and puts the body back.
async fn form_token(req: Request) -> Result<(Request, Option<String>), Response> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let multipart = content_type.starts_with("multipart/form-data");
    if !multipart && !content_type.starts_with("application/x-www-form-urlencoded") {
        return Ok((req, None));
    }
    let limit = if multipart {
        super::UPLOAD_LIMIT
    } else {
        super::FORM_LIMIT
    };
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| StatusCode::PAYLOAD_TOO_LARGE.into_response())?;
    let token = if multipart {
        multipart_field(&bytes, CSRF_FIELD)
    } else {
        form_urlencoded_get(&bytes, CSRF_FIELD)
    };
    Ok((Request::from_parts(parts, Body::from(bytes)), token))
}

/// A short text field of a multipart body: the value after the part's header naming it,
/// up to the next boundary line. Forms with a file put `_csrf` first, so this is cheap.
fn multipart_field(body: &[u8], name: &str) -> Option<String> {
    let needle = format!("name=\"{name}\"");
    let at = body
        .windows(needle.len())
        .position(|w| w == needle.as_bytes())?;
    let rest = &body[at..];
    let start = rest.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let value = &rest[start..];
    let end = value.windows(4).position(|w| w == b"\r\n--")?;
    let v = std::str::from_utf8(&value[..end]).ok()?;
    (v.len() <= 128).then(|| v.to_owned())
}

fn form_urlencoded_get(body: &[u8], key: &str) -> Option<String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
}

/// Starts a session for `user`; returns the Set-Cookie value.
pub async fn start_session(state: &DeskState, user: &User) -> Result<String, DeskError> {
    let token = random_token();
    let hours = state.settings.session_hours.max(1);
    let now = Utc::now();
    state
        .users
        .create_session(
            &token_hash(&token),
            user.id,
            &random_token(),
            now,
            now + Duration::hours(hours),
        )
        .await
        .map_err(DeskError::internal)?;
    tracing::info!(user = user.id, role = user.role.as_str(), "desk login");
    Ok(set_cookie(state, SESSION_COOKIE, &token, hours * 3600))
}

pub async fn end_session(state: &DeskState, headers: &HeaderMap) -> String {
    if let Some(token) = cookie(headers, SESSION_COOKIE) {
        if let Err(e) = state.users.end_session(&token_hash(&token)).await {
            tracing::error!(error = %e, "cannot end the session");
        }
    }
    set_cookie(state, SESSION_COOKIE, "", 0)
}

/// Wrong passwords in a row that lock a desk user, and for how long.
pub const MAX_FAILED_LOGINS: i64 = 5;
pub const LOCK_MINUTES: i64 = 15;

/// Checks a name and password; the same work is done for unknown and locked names, so
/// timing does not tell which names exist. Five wrong passwords in a row lock the user for
/// 15 minutes (the answer stays the same, so the lock does not tell either).
pub async fn check_login(state: &DeskState, name: &str, password: &str) -> Option<User> {
    let store = &state.users;
    let found = store.by_name(name).await.unwrap_or_else(|e| {
        tracing::error!(error = %e, "cannot read desk users");
        None
    });
    let password = password.to_owned();
    let (user, hash) = match found {
        Some((u, h)) => (Some(u), h),
        None => (None, DUMMY_HASH.to_owned()),
    };
    let ok = tokio::task::spawn_blocking(move || users::verify_password(&password, &hash))
        .await
        .unwrap_or(false);
    let user = user?;
    let now = Utc::now();
    let locked = match store.locked_until(user.id, now).await {
        Ok(l) => l.is_some(),
        Err(e) => {
            tracing::error!(error = %e, "cannot read the login lock");
            true
        }
    };
    if locked {
        tracing::warn!(
            user = user.id,
            "sign-in refused: locked after wrong passwords"
        );
        return None;
    }
    if !ok {
        match store
            .login_failed(
                user.id,
                MAX_FAILED_LOGINS,
                now + Duration::minutes(LOCK_MINUTES),
            )
            .await
        {
            Ok(true) => tracing::warn!(user = user.id, "desk user locked after wrong passwords"),
            Ok(false) => {}
            Err(e) => tracing::error!(error = %e, "cannot count the failed sign-in"),
        }
        return None;
    }
    if let Err(e) = store.login_succeeded(user.id).await {
        tracing::error!(error = %e, "cannot reset failed sign-ins");
    }
    Some(user).filter(|u| !u.disabled)
}

/// An Argon2id hash of a random password, verified against when the name is unknown.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$1QI3Ym7zrb9hMZbLbyOmQkMbnBrJ/n0VQMjLgQ7IW9o";
