//! The audit log: who changed, reviewed, published or overrode what and when, with the
//! before and after. Admins only.

use axum::extract::State;
use axum::routing::get;
use axum::Router;
use maud::{html, Markup};

use super::{fail, frame, when};
use crate::desk::auth::{Desk, DeskError};
use crate::desk::page::Tr;
use crate::desk::users::Role;
use crate::desk::DeskState;

/// Lines shown, newest first.
const LINES: i64 = 500;

pub fn router() -> Router<DeskState> {
    Router::new().route("/desk/office/audit", get(audit_page))
}

async fn audit_page(desk: Desk, State(state): State<DeskState>) -> Result<Markup, DeskError> {
    desk.require(Role::Admin)?;
    let tr = Tr {
        state: &state,
        locale: &desk.locale,
    };
    let lines = state.office.store.audit_log(LINES).await.map_err(fail)?;
    let body = html! {
        table.stack.audit {
            thead { tr {
                th { (tr.t("desk-office-time")) }
                th { (tr.t("desk-office-actor")) }
                th { (tr.t("desk-office-action")) }
                th { (tr.t("desk-office-subject")) }
                th { (tr.t("desk-office-reason")) }
            } }
            tbody {
                @for a in &lines {
                    tr data-action=(a.action) {
                        td data-label=(tr.t("desk-office-time")) { (when(a.at)) }
                        td data-label=(tr.t("desk-office-actor")) { (a.actor) }
                        td data-label=(tr.t("desk-office-action")) { (tr.t(&format!("desk-office-audit-{}", a.action.replace('_', "-")))) }
                        td data-label=(tr.t("desk-office-subject")) {
                            (a.subject)
                            @if a.before.is_some() || a.after.is_some() {
                                details {
                                    summary { (tr.t("desk-office-before-after")) }
                                    @if let Some(b) = &a.before { h4 { (tr.t("desk-office-before")) } pre.before { (b) } }
                                    @if let Some(x) = &a.after { h4 { (tr.t("desk-office-after")) } pre.after { (x) } }
                                }
                            }
                        }
                        td.reason data-label=(tr.t("desk-office-reason")) { (a.reason.clone().unwrap_or_default()) }
                    }
                }
            }
        }
    };
    Ok(frame(
        &state,
        &desk,
        "/desk/office/audit",
        &tr.t("desk-office-audit-title"),
        body,
    ))
}
