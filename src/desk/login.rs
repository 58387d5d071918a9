//! Signing in and out, the language switch, and the landing page of each role.

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use maud::{html, DOCTYPE};
use serde::Deserialize;

use super::auth::{self, Desk, DeskError, CSRF_FIELD, LANG_COOKIE, LOGIN_CSRF_COOKIE};
use super::page::{head, Tr};
use super::users::Role;
use super::DeskState;

pub fn router() -> Router<DeskState> {
    Router::new()
        .route("/desk", get(home))
        .route("/desk/", get(home))
        .route("/desk/login", get(login_page).post(login))
        .route("/desk/logout", post(logout))
        .route("/desk/lang/{lang}", get(lang))
        .route("/desk/me", get(me))
}

/// Who is signed in, and the token scripts send as `x-csrf-token`.
async fn me(desk: Desk) -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({
        "name": desk.user.name,
        "display_name": desk.user.display_name,
        "role": desk.user.role.as_str(),
        "area": desk.user.area,
        "csrf": desk.csrf,
        "locale": desk.locale,
    }))
}

async fn home(desk: Desk) -> Redirect {
    Redirect::to(match desk.user.role {
        Role::Agent => "/desk/queue",
        Role::Station => "/desk/orders",
        Role::Curator => "/desk/office",
        Role::Admin => "/desk/users",
        Role::Manager => "/desk/reports",
    })
}

#[derive(Deserialize)]
struct LoginQuery {
    next: Option<String>,
    failed: Option<u8>,
}

/// Only paths on this site: a `next` elsewhere would make the login an open redirect.
fn safe_next(next: Option<&str>) -> String {
    next.filter(|n| n.starts_with("/desk") && !n.starts_with("//") && !n.contains('\\'))
        .unwrap_or("/desk")
        .to_owned()
}

async fn login_page(
    State(state): State<DeskState>,
    headers: HeaderMap,
    Query(q): Query<LoginQuery>,
) -> Response {
    let locale = auth::locale_of(&state, &headers);
    let tr = Tr {
        state: &state,
        locale: &locale,
    };
    let token = auth::cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or_else(auth::random_token);
    let title = tr.t("desk-login-title");
    let page = html! {
        (DOCTYPE)
        html lang=(locale) {
            (head(&tr, &title, None))
            body.login {
                main {
                    h1 { (tr.t("desk-brand")) }
                    // Said to everyone alike, so it tells a locked user what to do without
                    // telling a stranger which names exist.
                    @if q.failed.is_some() { p.error role="alert" { (tr.ta("desk-login-failed", &[
                        ("attempts", super::auth::MAX_FAILED_LOGINS.to_string()),
                        ("minutes", super::auth::LOCK_MINUTES.to_string()),
                    ])) } }
                    form method="post" action="/desk/login" {
                        input type="hidden" name=(CSRF_FIELD) value=(token);
                        input type="hidden" name="next" value=(safe_next(q.next.as_deref()));
                        label { (tr.t("desk-login-name")) input #name name="name" autocomplete="username" required; }
                        label { (tr.t("desk-login-password")) input #password name="password" type="password" autocomplete="current-password" required; }
                        button #login type="submit" { (tr.t("desk-login-submit")) }
                    }
                    @if state.demo {
                        p.hint { (tr.t("desk-login-demo-hint")) }
                    }
                }
            }
        }
    };
    (
        [(
            header::SET_COOKIE,
            auth::set_cookie(&state, LOGIN_CSRF_COOKIE, &token, 3600),
        )],
        page,
    )
        .into_response()
}

#[derive(Deserialize)]
struct LoginForm {
    name: String,
    password: String,
    next: Option<String>,
}

async fn login(State(state): State<DeskState>, Form(f): Form<LoginForm>) -> Response {
    let next = safe_next(f.next.as_deref());
    let Some(user) = auth::check_login(&state, f.name.trim(), &f.password).await else {
        tracing::info!("desk login refused");
        let to = format!("/desk/login?failed=1&next={}", auth::urlencode(&next));
        return Redirect::to(&to).into_response();
    };
    match auth::start_session(&state, &user).await {
        Ok(cookie) => ([(header::SET_COOKIE, cookie)], Redirect::to(&next)).into_response(),
        Err(e) => e.into_response(),
    }
}

async fn logout(State(state): State<DeskState>, headers: HeaderMap) -> Response {
    let cookie = auth::end_session(&state, &headers).await;
    ([(header::SET_COOKIE, cookie)], Redirect::to("/desk/login")).into_response()
}

async fn lang(
    State(state): State<DeskState>,
    headers: HeaderMap,
    Path(lang): Path<String>,
) -> Result<Response, DeskError> {
    if !state.locales.locales().any(|l| l == lang) {
        return Err(DeskError::NotFound);
    }
    let back = headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| r.find("/desk").map(|i| r[i..].to_owned()));
    Ok((
        [(
            header::SET_COOKIE,
            auth::set_cookie(&state, LANG_COOKIE, &lang, 365 * 24 * 3600),
        )],
        Redirect::to(&safe_next(back.as_deref())),
    )
        .into_response())
}
