//! The standardization office's pages (`/desk/office/…`, curators and admins): the inbox,
//! entries and their editor, intents, facts, change sets with review and the gate,
//! versions, the audit log and the printable handbook. The work itself is `crate::office`.

mod audit;
mod changes;
mod editor;
mod entries;
mod facts;
mod handbook;
mod inbox;
mod intents;
mod overview;
mod versions;

use axum::Router;
use maud::{html, Markup};

use super::auth::{Desk, DeskError};
use super::page::{layout, Tr};
use super::users::Role;
use super::DeskState;
use crate::office::OfficeError;

pub fn router() -> Router<DeskState> {
    Router::new()
        .merge(overview::router())
        .merge(inbox::router())
        .merge(entries::router())
        .merge(editor::router())
        .merge(intents::router())
        .merge(facts::router())
        .merge(changes::router())
        .merge(versions::router())
        .merge(audit::router())
        .merge(handbook::router())
}

const SECTIONS: [(&str, &str, Role); 9] = [
    ("/desk/office", "desk-office-nav-overview", Role::Curator),
    ("/desk/office/inbox", "desk-office-nav-inbox", Role::Curator),
    (
        "/desk/office/entries",
        "desk-office-nav-entries",
        Role::Curator,
    ),
    (
        "/desk/office/intents",
        "desk-office-nav-intents",
        Role::Curator,
    ),
    ("/desk/office/facts", "desk-office-nav-facts", Role::Curator),
    (
        "/desk/office/changes",
        "desk-office-nav-changes",
        Role::Curator,
    ),
    (
        "/desk/office/versions",
        "desk-office-nav-versions",
        Role::Curator,
    ),
    ("/desk/office/audit", "desk-office-nav-audit", Role::Admin),
    (
        "/desk/office/handbook",
        "desk-office-nav-handbook",
        Role::Curator,
    ),
];

/// A page of the office: the desk's frame with the office's own navigation.
pub fn frame(state: &DeskState, desk: &Desk, current: &str, title: &str, body: Markup) -> Markup {
    let tr = Tr {
        state,
        locale: &desk.locale,
    };
    let body = html! {
        nav.sub aria-label=(tr.t("desk-office-title")) {
            @for (href, label, role) in SECTIONS {
                @if desk.user.can(role) {
                    a href=(href) class=[(current == href).then_some("current")] { (tr.t(label)) }
                }
            }
        }
        (body)
    };
    layout(state, desk, "/desk/office", title, body)
}

/// Who may use the office's pages and actions.
pub fn curator(desk: &Desk) -> Result<(), DeskError> {
    desk.require(Role::Curator)
}

/// Errors that have no page of their own.
pub fn fail(e: impl Into<OfficeError>) -> DeskError {
    let e = e.into();
    match e {
        OfficeError::NotFound | OfficeError::NoVersion(_) => DeskError::NotFound,
        OfficeError::State | OfficeError::Moved(_) | OfficeError::Conflict(_) => {
            DeskError::Conflict
        }
        OfficeError::OwnChange => DeskError::Forbidden,
        OfficeError::NoReason | OfficeError::Empty | OfficeError::Bad(_) => {
            DeskError::BadRequest(e.to_string())
        }
        other => DeskError::internal(other),
    }
}

/// The message an office action's refusal shows on the page it came from.
pub fn refusal(tr: &Tr<'_>, e: &OfficeError) -> Option<String> {
    let id = match e {
        OfficeError::OwnChange => "desk-office-error-own-change",
        OfficeError::NoReason => "desk-office-error-no-reason",
        OfficeError::Empty => "desk-office-error-empty",
        OfficeError::State => "desk-office-error-state",
        OfficeError::Moved(what) => {
            return Some(tr.ta("desk-office-error-moved", &[("what", what.join(", "))]))
        }
        OfficeError::Invalid(diags) => {
            let errors: Vec<String> = diags
                .iter()
                .filter(|d| d.severity == crate::catalog::Severity::Error)
                .map(|d| d.message.clone())
                .collect();
            return Some(tr.ta(
                "desk-office-error-invalid",
                &[("errors", errors.join("; "))],
            ));
        }
        _ => return None,
    };
    Some(tr.t(id))
}

/// `2026-12-04 09:30` in the desk's time zone.
pub fn when(at: chrono::DateTime<chrono::Utc>) -> String {
    crate::handoff::local(at)
}
