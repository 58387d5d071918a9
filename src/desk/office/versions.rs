//! Published versions: the list, a field-level diff between any two, and rollback (an
//! earlier version published anew, gated and recorded like any other).

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use maud::{html, Markup};
use serde::Deserialize;

use super::changes::gate;
use super::{curator, fail, frame, refusal, when};
use crate::catalog::Change;
use crate::desk::auth::{Desk, DeskError};
use crate::desk::page::{csrf, Tr};
use crate::desk::users::Role;
use crate::desk::DeskState;
use crate::office::{GateReport, OfficeError};

pub fn router() -> Router<DeskState> {
    Router::new()
        .route("/desk/office/versions", get(versions_page))
        .route("/desk/office/versions/diff", get(diff_page))
        .route("/desk/office/versions/{n}/rollback", post(rollback))
}

async fn versions_page(desk: Desk, State(state): State<DeskState>) -> Result<Markup, DeskError> {
    curator(&desk)?;
    page(&state, &desk, None, None).await
}

async fn page(
    state: &DeskState,
    desk: &Desk,
    problem: Option<String>,
    refused: Option<&GateReport>,
) -> Result<Markup, DeskError> {
    let tr = Tr {
        state,
        locale: &desk.locale,
    };
    let versions = state.office.store.versions().await.map_err(fail)?;
    let live = state.office.live().meta.number;
    let admin = desk.user.can(Role::Admin);
    let body = html! {
        @if let Some(p) = problem { p.finding.error role="alert" #problem { (p) } }
        @if let Some(g) = refused { (gate(&tr, g)) }
        form.compare method="get" action="/desk/office/versions/diff" {
            label { (tr.t("desk-office-compare-from"))
                select name="a" { @for v in &versions { option value=(v.number) selected[v.number == live - 1] { (v.number) } } }
            }
            label { (tr.t("desk-office-compare-to"))
                select name="b" { @for v in &versions { option value=(v.number) selected[v.number == live] { (v.number) } } }
            }
            button #compare type="submit" { (tr.t("desk-office-compare")) }
        }
        table.stack.versions {
            thead { tr {
                th { (tr.t("desk-office-version")) }
                th { (tr.t("desk-office-published-at")) }
                th { (tr.t("desk-office-author")) }
                th { (tr.t("desk-office-reviewer")) }
                th { (tr.t("desk-office-summary")) }
                th {}
            } }
            tbody {
                @for v in &versions {
                    tr data-version=(v.number) data-live=(v.number == live) {
                        td data-label=(tr.t("desk-office-version")) {
                            (v.number)
                            @if v.number == live { " " span.tag.live { (tr.t("desk-office-live")) } }
                        }
                        td data-label=(tr.t("desk-office-published-at")) { (when(v.published_at)) }
                        td data-label=(tr.t("desk-office-author")) { (v.author) }
                        td data-label=(tr.t("desk-office-reviewer")) { (v.reviewer.clone().unwrap_or_default()) }
                        td data-label=(tr.t("desk-office-summary")) {
                            (v.summary)
                            @if let Some(r) = &v.override_reason { br; span.override { (tr.ta("desk-office-overridden", &[("reason", r.clone())])) } }
                        }
                        td {
                            @if v.number != live {
                                form method="post" action={ "/desk/office/versions/" (v.number) "/rollback" } {
                                    (csrf(desk))
                                    @if admin && refused.is_some() {
                                        input type="text" name="reason" placeholder=(tr.t("desk-office-override-reason"));
                                    }
                                    button.secondary type="submit" data-rollback=(v.number) { (tr.ta("desk-office-rollback", &[("version", v.number.to_string())])) }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(frame(
        state,
        desk,
        "/desk/office/versions",
        &tr.t("desk-office-versions-title"),
        body,
    ))
}

#[derive(Deserialize)]
struct Pair {
    a: i64,
    b: i64,
}

async fn diff_page(
    desk: Desk,
    State(state): State<DeskState>,
    Query(p): Query<Pair>,
) -> Result<Markup, DeskError> {
    curator(&desk)?;
    let tr = Tr {
        state: &state,
        locale: &desk.locale,
    };
    let store = &state.office.store;
    let a = store
        .version(p.a)
        .await
        .map_err(fail)?
        .ok_or(DeskError::NotFound)?;
    let b = store
        .version(p.b)
        .await
        .map_err(fail)?
        .ok_or(DeskError::NotFound)?;
    let changes = a.doc.diff(&b.doc);
    let body = html! {
        p { a href="/desk/office/versions" { (tr.t("desk-office-nav-versions")) } }
        p.summary { (tr.ta("desk-office-diff-summary", &[("a", p.a.to_string()), ("b", p.b.to_string()), ("count", changes.len().to_string())])) }
        (diff_table(&tr, &changes))
    };
    let title = tr.ta(
        "desk-office-diff-title",
        &[("a", p.a.to_string()), ("b", p.b.to_string())],
    );
    Ok(frame(&state, &desk, "/desk/office/versions", &title, body))
}

/// Every changed field with its text before and after.
pub fn diff_table(tr: &Tr<'_>, changes: &[Change]) -> Markup {
    html! {
        @if changes.is_empty() {
            p.empty { (tr.t("desk-office-no-differences")) }
        } @else {
            table.stack.diff {
                thead { tr {
                    th { (tr.t("desk-office-subject")) }
                    th { (tr.t("desk-office-field")) }
                    th { (tr.t("desk-office-before")) }
                    th { (tr.t("desk-office-after")) }
                } }
                tbody {
                    @for c in changes {
                        @let (before, after, kept) = lines_changed(c);
                        tr data-subject=(c.subject.to_string()) data-field=(c.field) {
                            td data-label=(tr.t("desk-office-subject")) { code { (c.subject.to_string()) } }
                            td data-label=(tr.t("desk-office-field")) {
                                (c.field)
                                @if kept > 0 { br; span.muted { (tr.ta("desk-office-lines-kept", &[("count", kept.to_string())])) } }
                            }
                            td.before.pre data-label=(tr.t("desk-office-before")) { @match before { Some(t) => del { (t) }, None => span.muted { "—" } } }
                            td.after.pre data-label=(tr.t("desk-office-after")) { @match after { Some(t) => ins { (t) }, None => span.muted { "—" } } }
                        }
                    }
                }
            }
        }
    }
}

/// A list field (paraphrases, synonym sets) shows only its removed and added lines, and how
/// many stayed; any other field shows its whole text on both sides.
fn lines_changed(c: &Change) -> (Option<String>, Option<String>, usize) {
    let listed = matches!(c.field, "paraphrases" | "sets" | "words");
    match (&c.before, &c.after) {
        (Some(b), Some(a)) if listed => {
            let (old, new): (Vec<&str>, Vec<&str>) = (b.lines().collect(), a.lines().collect());
            let removed: Vec<&str> = old.iter().filter(|l| !new.contains(l)).copied().collect();
            let added: Vec<&str> = new.iter().filter(|l| !old.contains(l)).copied().collect();
            let kept = old.len() - removed.len();
            let join = |v: Vec<&str>| (!v.is_empty()).then(|| v.join("\n"));
            (join(removed), join(added), kept)
        }
        _ => (c.before.clone(), c.after.clone(), 0),
    }
}

#[derive(Deserialize, Default)]
struct Reason {
    #[serde(default)]
    reason: String,
}

async fn rollback(
    desk: Desk,
    State(state): State<DeskState>,
    Path(n): Path<i64>,
    Form(f): Form<Reason>,
) -> Result<Response, DeskError> {
    curator(&desk)?;
    let reason = f.reason.trim();
    if !reason.is_empty() {
        desk.require(Role::Admin)?;
    }
    let tr = Tr {
        state: &state,
        locale: &desk.locale,
    };
    let override_reason = (!reason.is_empty()).then_some(reason);
    match state
        .office
        .rollback(&desk.user.name, n, override_reason)
        .await
    {
        Ok(_) => Ok(Redirect::to("/desk/office/versions").into_response()),
        Err(OfficeError::Refused(g)) => {
            let page = page(
                &state,
                &desk,
                Some(tr.t("desk-office-gate-refused-help")),
                Some(&g),
            )
            .await?;
            Ok((StatusCode::CONFLICT, page).into_response())
        }
        Err(e) => match refusal(&tr, &e) {
            Some(msg) => {
                let page = page(&state, &desk, Some(msg), None).await?;
                Ok((StatusCode::CONFLICT, page).into_response())
            }
            None => Err(fail(e)),
        },
    }
}
