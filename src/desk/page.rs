//! The frame of every desk page: head, navigation by role, language switch, sign-out, and
//! the helpers pages use to write localised text.

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use fluent_bundle::FluentValue;
use maud::{html, Markup, PreEscaped, DOCTYPE};

use super::auth::{Desk, DeskErrorCode, CSRF_FIELD};
use super::users::Role;
use super::DeskState;

/// Text of one desk page in one language.
pub struct Tr<'a> {
    pub state: &'a DeskState,
    pub locale: &'a str,
}

impl Tr<'_> {
    pub fn t(&self, id: &str) -> String {
        self.state.locales.text(self.locale, id, &[])
    }

    pub fn ta(&self, id: &str, args: &[(&str, String)]) -> String {
        let args: Vec<(&str, FluentValue<'_>)> = args
            .iter()
            .map(|(k, v)| (*k, FluentValue::from(v.as_str())))
            .collect();
        self.state.locales.text(self.locale, id, &args)
    }
}

/// The hidden field every form carries.
pub fn csrf(desk: &Desk) -> Markup {
    html! { input type="hidden" name=(CSRF_FIELD) value=(desk.csrf); }
}

fn nav(tr: &Tr<'_>, desk: &Desk, current: &str) -> Markup {
    let links: [(&[Role], &str, &str); 9] = [
        (&[Role::Agent], "/desk/queue", "desk-nav-queue"),
        (&[Role::Agent], "/desk/hotline", "desk-nav-hotline"),
        (
            &[Role::Agent, Role::Curator, Role::Manager],
            "/desk/complaints",
            "desk-nav-complaints",
        ),
        (&[Role::Station], "/desk/orders", "desk-nav-orders"),
        (
            &[Role::Station, Role::Manager, Role::Curator],
            "/desk/interruptions",
            "desk-nav-interruptions",
        ),
        (&[Role::Curator], "/desk/office", "desk-nav-office"),
        (
            &[Role::Curator, Role::Manager],
            "/desk/reports",
            "desk-nav-reports",
        ),
        (
            &[Role::Agent],
            "/desk/compensation",
            "desk-nav-compensation",
        ),
        (&[Role::Admin], "/desk/users", "desk-nav-users"),
    ];
    html! {
        nav {
            @for (roles, href, label) in links {
                @if desk.user.can_any(roles) {
                    a href=(href) class=[(current == href).then_some("current")] { (tr.t(label)) }
                }
            }
        }
    }
}

/// A whole page for a signed-in user.
pub fn layout(state: &DeskState, desk: &Desk, current: &str, title: &str, body: Markup) -> Markup {
    let tr = Tr {
        state,
        locale: &desk.locale,
    };
    let other = if desk.locale == "en" { "zh-CN" } else { "en" };
    html! {
        (DOCTYPE)
        html lang=(desk.locale) {
            (head(&tr, title, Some(&desk.csrf)))
            body {
                header.top {
                    a.brand href="/desk" { (tr.t("desk-brand")) }
                    (nav(&tr, desk, current))
                    div.me {
                        span.user data-role=(desk.user.role.as_str()) { (desk.user.display_name) }
                        a.lang href={ "/desk/lang/" (other) } { (tr.t("desk-switch-language")) }
                        form method="post" action="/desk/logout" {
                            (csrf(desk))
                            button.link type="submit" { (tr.t("desk-logout")) }
                        }
                    }
                }
                main { h1 { (title) } (body) }
            }
        }
    }
}

pub fn head(tr: &Tr<'_>, title: &str, csrf: Option<&str>) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            @if let Some(token) = csrf { meta name="csrf-token" content=(token); }
            title { (title) " · " (tr.t("desk-brand")) }
            link rel="stylesheet" href=(concat!("/desk/static/desk.css?v=", env!("CARGO_PKG_VERSION")));
            script src=(concat!("/desk/static/desk.js?v=", env!("CARGO_PKG_VERSION"))) defer {}
        }
    }
}

pub async fn css() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("static/desk.css"),
    )
}

pub async fn js() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("static/desk.js"),
    )
}

/// Writes a localised page for desk errors (403, 404, CSRF…); JSON callers get JSON.
pub async fn errors(State(state): State<DeskState>, req: Request, next: Next) -> Response {
    let locale = super::auth::locale_of(&state, req.headers());
    let api = req.uri().path().starts_with("/api/");
    let res = next.run(req).await;
    let Some(DeskErrorCode(code)) = res.extensions().get::<DeskErrorCode>().copied() else {
        return res;
    };
    let tr = Tr {
        state: &state,
        locale: &locale,
    };
    let message = tr.t(code);
    let status = res.status();
    if api {
        let body = serde_json::json!({ "error": { "code": code, "message": message } });
        return (status, axum::Json(body)).into_response();
    }
    let page = html! {
        (DOCTYPE)
        html lang=(locale) {
            (head(&tr, &message, None))
            body {
                main.error {
                    h1 { (message) }
                    p { a href="/desk" { (tr.t("desk-back")) } }
                }
            }
        }
    };
    (status, page).into_response()
}

/// Marks text that is already safe HTML (our own static snippets only).
pub fn raw(s: &'static str) -> PreEscaped<&'static str> {
    PreEscaped(s)
}

/// An intent's title in the page's language (its id when the intent is gone).
pub fn intent_title(state: &DeskState, locale: &str, id: &crate::domain::IntentId) -> String {
    state
        .engine
        .current()
        .catalog()
        .intent(id)
        .map_or_else(|| id.to_string(), |i| i.title(locale).to_owned())
}
