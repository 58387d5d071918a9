//! The desk: server-rendered pages for agents (queue, conversations, hotline assist),
//! station staff (work orders), curators and admins, behind a login. Pages work without a
//! build step; `static/desk.js` (ours, no library) adds live updates over server-sent
//! events and one-click insertion of suggested replies.

mod admin;
pub mod auth;
pub mod demo;
mod hotline;
mod login;
mod office;
mod orders;
pub mod page;
mod queue;
pub mod users;

use axum::routing::get;
use axum::Router;
use serde::{Deserialize, Serialize};

use crate::app::AppState;

/// Largest form body the desk reads.
pub const FORM_LIMIT: usize = 64 * 1024;

/// Settings of the desk (`[desk]`, `HEATDESK_DESK_*`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct DeskSettings {
    /// Hours a login lasts.
    pub session_hours: i64,
    /// Mark cookies `Secure` (behind HTTPS).
    pub secure_cookies: bool,
}

impl Default for DeskSettings {
    fn default() -> Self {
        Self {
            session_hours: 12,
            secure_cookies: false,
        }
    }
}

/// Every desk page and desk API, behind the CSRF guard and the error pages.
pub fn router(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/desk/static/desk.css", get(page::css))
        .route("/desk/static/desk.js", get(page::js))
        .merge(login::router())
        .merge(queue::router())
        .merge(hotline::router())
        .merge(orders::router())
        .merge(office::router())
        .merge(admin::router())
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::csrf_guard,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            page::errors,
        ))
}
