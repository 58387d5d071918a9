//! The desk: server-rendered pages for agents (queue, conversations, hotline assist),
//! station staff (work orders), curators and admins, behind a login. Pages work without a
//! build step; `static/desk.js` (ours, no library) adds live updates over server-sent
//! events and one-click insertion of suggested replies.

mod admin;
pub mod auth;
mod compensation;
mod complaints;
pub mod demo;
mod hotline;
mod incidents;
mod login;
mod office;
mod orders;
pub mod page;
mod queue;
mod reports;
pub mod users;

pub use queue::RenderedLists;

use std::sync::Arc;

use axum::routing::get;
use axum::Router;
use serde::{Deserialize, Serialize};

use crate::handoff::{Events, Handoffs};
use crate::i18n::Locales;
use crate::nlu::{Classifier, EngineHandle};
use crate::notify::Notifier;
use crate::service::ServiceApi;
use crate::storage::Storage;
use crate::transcript::ConversationStore;
use users::UserStore;

/// Largest form body the desk reads.
pub const FORM_LIMIT: usize = 64 * 1024;
/// Largest form with a file (a measurement and its photo): the photo's limit and room for
/// the fields, so an oversized photo reaches the check that names it.
pub const UPLOAD_LIMIT: usize = crate::compensation::PHOTO_MAX_BYTES + 256 * 1024;

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

/// What the desk's pages work with, each handle built once by the application. Every
/// request's extractors clone it: one reference count, not one per handle.
#[derive(Clone)]
pub struct DeskState(Arc<DeskParts>);

impl DeskState {
    pub fn new(parts: DeskParts) -> Self {
        Self(Arc::new(parts))
    }
}

impl std::ops::Deref for DeskState {
    type Target = DeskParts;

    fn deref(&self) -> &DeskParts {
        &self.0
    }
}

/// The handles a `DeskState` shares.
pub struct DeskParts {
    pub users: Arc<dyn UserStore>,
    pub handoffs: Handoffs,
    pub conversations: Arc<dyn ConversationStore>,
    /// Classifies and logs what hotline agents type, as every channel's message is.
    pub classifier: Classifier,
    pub engine: Arc<EngineHandle>,
    /// The classification log and the publications, for the office.
    pub storage: Arc<dyn Storage>,
    pub locales: Arc<Locales>,
    pub events: Events,
    pub service: Arc<dyn ServiceApi>,
    pub notifier: Notifier,
    pub settings: DeskSettings,
    /// The office's work on the phrasebook.
    pub office: crate::office::Office,
    /// Complaint cases.
    pub complaints: crate::complaints::Complaints,
    /// The service figures of /desk/reports.
    pub reports: crate::reports::Reports,
    /// Demo mode: the login page names the sample users.
    pub demo: bool,
    /// Interruptions in effect (station heads change them; the queue and hotline show them).
    pub incidents: crate::incident::Incidents,
    /// Measurements on inspection work orders, and what accounts are owed.
    pub compensation: crate::compensation::Compensation,
    /// The standard reply shown after an interruption's data (what residents are told).
    pub meanwhile: crate::incident::Meanwhile,
    /// Queue lists as last rendered, per agent's screen.
    pub queue_lists: RenderedLists,
}

/// Every desk page and desk API, behind the CSRF guard and the error pages.
pub fn router(state: DeskState) -> Router {
    Router::new()
        .route("/desk/static/desk.css", get(page::css))
        .route("/desk/static/desk.js", get(page::js))
        .merge(login::router())
        .merge(queue::router())
        .merge(hotline::router())
        .merge(orders::router())
        .merge(complaints::router())
        .merge(reports::router())
        .merge(incidents::router())
        .merge(compensation::router())
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
        .with_state(state)
}
