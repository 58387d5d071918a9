//! Change sets: a curator's draft, submitted for review, approved or sent back by another
//! curator, published through the regression gate (an admin may override a refusal with a
//! written reason).

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use maud::{html, Markup};
use serde::Deserialize;

use super::versions::diff_table;
use super::{curator, fail, frame, refusal, when};
use crate::desk::auth::{Desk, DeskError};
use crate::desk::page::{csrf, Tr};
use crate::desk::users::Role;
use crate::desk::DeskState;
use crate::office::{ChangeSet, ChangeStatus, GateReport, OfficeError};

pub fn router() -> Router<DeskState> {
    Router::new()
        .route("/desk/office/changes", get(changes_page))
        .route("/desk/office/changes/{id}", get(change_page))
        .route("/desk/office/changes/{id}/{action}", post(act))
}

async fn changes_page(desk: Desk, State(state): State<DeskState>) -> Result<Markup, DeskError> {
    curator(&desk)?;
    let tr = Tr {
        state: &state,
        locale: &desk.locale,
    };
    let store = &state.office.store;
    let open = store
        .changesets(&[
            ChangeStatus::Draft,
            ChangeStatus::Returned,
            ChangeStatus::Review,
            ChangeStatus::Approved,
        ])
        .await
        .map_err(fail)?;
    let done = store
        .changesets(&[ChangeStatus::Published, ChangeStatus::Withdrawn])
        .await
        .map_err(fail)?;
    let me = desk.user.name.as_str();
    let mine: Vec<&ChangeSet> = open
        .iter()
        .filter(|c| {
            c.author == me && matches!(c.status, ChangeStatus::Draft | ChangeStatus::Returned)
        })
        .collect();
    let review: Vec<&ChangeSet> = open
        .iter()
        .filter(|c| c.status == ChangeStatus::Review)
        .collect();
    let approved: Vec<&ChangeSet> = open
        .iter()
        .filter(|c| c.status == ChangeStatus::Approved)
        .collect();
    let others: Vec<&ChangeSet> = open
        .iter()
        .filter(|c| {
            c.author != me && matches!(c.status, ChangeStatus::Draft | ChangeStatus::Returned)
        })
        .collect();
    let body = html! {
        section #mine {
            h2 { (tr.t("desk-office-changes-mine")) }
            @if mine.is_empty() { p.empty { (tr.t("desk-office-changes-none-mine")) } }
            (list(&tr, &mine))
        }
        section #review {
            h2 { (tr.t("desk-office-changes-review")) }
            @if review.is_empty() { p.empty { (tr.t("desk-office-none")) } }
            (list(&tr, &review))
        }
        section #approved {
            h2 { (tr.t("desk-office-changes-approved")) }
            @if approved.is_empty() { p.empty { (tr.t("desk-office-none")) } }
            (list(&tr, &approved))
        }
        @if !others.is_empty() {
            section #others {
                h2 { (tr.t("desk-office-changes-others")) }
                (list(&tr, &others))
            }
        }
        section #done {
            h2 { (tr.t("desk-office-changes-done")) }
            (list(&tr, &done.iter().take(20).collect::<Vec<_>>()))
        }
    };
    Ok(frame(
        &state,
        &desk,
        "/desk/office/changes",
        &tr.t("desk-office-changes-title"),
        body,
    ))
}

fn list(tr: &Tr<'_>, sets: &[&ChangeSet]) -> Markup {
    html! {
        @if !sets.is_empty() {
            table.stack.changes {
                thead { tr {
                    th { (tr.t("desk-office-change")) }
                    th { (tr.t("desk-office-author")) }
                    th { (tr.t("desk-office-status")) }
                    th { (tr.t("desk-office-summary")) }
                    th { (tr.t("desk-office-updated")) }
                } }
                tbody {
                    @for c in sets {
                        tr data-change=(c.id) data-status=(c.status.as_str()) {
                            td data-label=(tr.t("desk-office-change")) { a href={ "/desk/office/changes/" (c.id) } { "#" (c.id) } }
                            td data-label=(tr.t("desk-office-author")) { (c.author) }
                            td data-label=(tr.t("desk-office-status")) { span class={ "status " (c.status.as_str()) } { (tr.t(&format!("desk-office-change-{}", c.status.as_str()))) } }
                            td data-label=(tr.t("desk-office-summary")) { (c.summary) }
                            td data-label=(tr.t("desk-office-updated")) { (when(c.updated_at)) }
                        }
                    }
                }
            }
        }
    }
}

#[derive(Deserialize, Default)]
struct Shown {
    #[serde(default)]
    published: Option<i64>,
}

async fn change_page(
    desk: Desk,
    State(state): State<DeskState>,
    Path(id): Path<i64>,
    Query(shown): Query<Shown>,
) -> Result<Markup, DeskError> {
    curator(&desk)?;
    let notice = shown.published.map(|n| ("published", n.to_string()));
    detail(&state, &desk, id, None, notice).await
}

async fn detail(
    state: &DeskState,
    desk: &Desk,
    id: i64,
    problem: Option<String>,
    notice: Option<(&str, String)>,
) -> Result<Markup, DeskError> {
    let tr = Tr {
        state,
        locale: &desk.locale,
    };
    let office = &state.office;
    let set = office
        .store
        .changeset(id)
        .await
        .map_err(fail)?
        .ok_or(DeskError::NotFound)?;
    // A published set is shown against the version before it; an open one against live.
    let (before, after) = match set.published_version {
        Some(n) => {
            let before = office.store.version(n - 1).await.map_err(fail)?;
            let after = office.store.version(n).await.map_err(fail)?;
            (before.map(|v| v.doc), after.map(|v| v.doc))
        }
        None => (
            Some((*office.live().doc).clone()),
            Some(office.working_doc(id).await.map_err(fail)?),
        ),
    };
    let changes = match (&before, &after) {
        (Some(b), Some(a)) => b.diff(a),
        _ => Vec::new(),
    };
    let me = desk.user.name.as_str();
    let mine = set.author == me;
    let can_review = !mine || !office.settings.require_review;
    let can_publish = set.status == ChangeStatus::Approved
        || (!office.settings.require_review
            && matches!(
                set.status,
                ChangeStatus::Draft | ChangeStatus::Returned | ChangeStatus::Review
            ));
    let admin = desk.user.can(Role::Admin);
    let action = |a: &str| format!("/desk/office/changes/{id}/{a}");
    let body = html! {
        @if let Some((_, n)) = &notice { p.notice role="status" #published-notice { (tr.ta("desk-office-published", &[("version", n.clone())])) } }
        @if let Some(p) = &problem { p.finding.error role="alert" #problem { (p) } }
        dl.change-meta {
            dt { (tr.t("desk-office-author")) } dd { (set.author) }
            dt { (tr.t("desk-office-status")) } dd #change-status data-status=(set.status.as_str()) { (tr.t(&format!("desk-office-change-{}", set.status.as_str()))) }
            @if let Some(r) = &set.reviewer { dt { (tr.t("desk-office-reviewer")) } dd { (r) } }
            @if let Some(c) = &set.comment { dt { (tr.t("desk-office-comment")) } dd.comment { (c) } }
            @if let Some(v) = set.published_version { dt { (tr.t("desk-office-version")) } dd { a href="/desk/office/versions" { (v) } } }
        }
        h2 { (tr.ta("desk-office-changes-count", &[("count", changes.len().to_string())])) }
        (diff_table(&tr, &changes))
        @if let Some(g) = &set.gate { (gate(&tr, g)) }
        div.actions {
            @if mine && matches!(set.status, ChangeStatus::Draft | ChangeStatus::Returned) {
                form.submit method="post" action=(action("submit")) {
                    (csrf(desk))
                    label { (tr.t("desk-office-summary")) input #summary type="text" name="text" value=(set.summary) required; }
                    button #submit type="submit" { (tr.t("desk-office-submit")) }
                }
            }
            @if set.status == ChangeStatus::Review && can_review {
                form method="post" action=(action("approve")) {
                    (csrf(desk))
                    button #approve type="submit" { (tr.t("desk-office-approve")) }
                }
            }
            @if matches!(set.status, ChangeStatus::Review | ChangeStatus::Approved) && !mine {
                form method="post" action=(action("return")) {
                    (csrf(desk))
                    label { (tr.t("desk-office-comment")) input #comment type="text" name="text" required; }
                    button.secondary #send-back type="submit" { (tr.t("desk-office-send-back")) }
                }
            }
            @if can_publish {
                form method="post" action=(action("publish")) {
                    (csrf(desk))
                    button #publish type="submit" { (tr.t("desk-office-publish")) }
                }
                @if admin && set.gate.as_ref().is_some_and(|g| !g.passed) {
                    form.override method="post" action=(action("override")) {
                        (csrf(desk))
                        label { (tr.t("desk-office-override-reason")) textarea #override-reason name="text" rows="2" required {} }
                        button.danger #override type="submit" { (tr.t("desk-office-override")) }
                    }
                }
            }
            @if mine && set.status.is_open() {
                form method="post" action=(action("withdraw")) {
                    (csrf(desk))
                    button.link type="submit" { (tr.t("desk-office-withdraw")) }
                }
            }
        }
    };
    let title = tr.ta("desk-office-change-title", &[("id", id.to_string())]);
    Ok(frame(state, desk, "/desk/office/changes", &title, body))
}

/// The gate's verdict: accuracy before and after, intents that changed, and the questions
/// whose answer changes, fixed and broken side by side.
pub fn gate(tr: &Tr<'_>, g: &GateReport) -> Markup {
    html! {
        section class={ "gate " @if g.passed { "passed" } @else { "refused" } } #gate data-passed=(g.passed) {
            h2 { (tr.t(if g.passed { "desk-office-gate-passed" } else { "desk-office-gate-refused" })) }
            p.accuracy {
                (tr.ta("desk-office-gate-accuracy", &[
                    ("total", g.total.to_string()),
                    ("before", format!("{:.1}%", g.before_accuracy() * 100.0)),
                    ("after", format!("{:.1}%", g.after_accuracy() * 100.0)),
                    ("ms", (g.build_ms + g.gate_ms).to_string()),
                ]))
            }
            @if !g.per_intent.is_empty() {
                table.stack.per-intent {
                    thead { tr { th { (tr.t("desk-office-intent")) } th { (tr.t("desk-office-gate-before")) } th { (tr.t("desk-office-gate-after")) } } }
                    tbody { @for d in &g.per_intent {
                        tr { td { code { (d.intent) } } td { (d.before) " / " (d.support) } td { (d.after) " / " (d.support) } }
                    } }
                }
            }
            div.side-by-side {
                div.broken #broken {
                    h3 { (tr.ta("desk-office-gate-broken", &[("count", g.broken.len().to_string())])) }
                    ul { @for c in &g.broken { li { q { (c.text) } " " (tr.ta("desk-office-gate-case", &[("expected", c.expected.clone()), ("before", c.before.clone()), ("after", c.after.clone())])) } } }
                }
                div.fixed #fixed {
                    h3 { (tr.ta("desk-office-gate-fixed", &[("count", g.fixed.len().to_string())])) }
                    ul { @for c in &g.fixed { li { q { (c.text) } " " (tr.ta("desk-office-gate-case", &[("expected", c.expected.clone()), ("before", c.before.clone()), ("after", c.after.clone())])) } } }
                }
            }
        }
    }
}

#[derive(Deserialize, Default)]
struct TextForm {
    #[serde(default)]
    text: String,
}

async fn act(
    desk: Desk,
    State(state): State<DeskState>,
    Path((id, action)): Path<(i64, String)>,
    Form(f): Form<TextForm>,
) -> Result<Response, DeskError> {
    curator(&desk)?;
    let office = &state.office;
    let who = desk.user.name.as_str();
    let result = match action.as_str() {
        "submit" => office.submit(who, id, &f.text).await.map(|()| None),
        "approve" => office.approve(who, id).await.map(|()| None),
        "return" => office.send_back(who, id, &f.text).await.map(|()| None),
        "withdraw" => office.withdraw(who, id).await.map(|()| None),
        "publish" => office.publish(who, id, None).await.map(|(n, _)| Some(n)),
        "override" => {
            desk.require(Role::Admin)?;
            if f.text.trim().is_empty() {
                Err(OfficeError::NoReason)
            } else {
                office
                    .publish(who, id, Some(&f.text))
                    .await
                    .map(|(n, _)| Some(n))
            }
        }
        _ => return Err(DeskError::NotFound),
    };
    let tr = Tr {
        state: &state,
        locale: &desk.locale,
    };
    match result {
        Ok(Some(n)) => {
            Ok(Redirect::to(&format!("/desk/office/changes/{id}?published={n}")).into_response())
        }
        Ok(None) => Ok(Redirect::to(&format!("/desk/office/changes/{id}")).into_response()),
        // The refused gate is stored on the set: the page shows it.
        Err(OfficeError::Refused(_)) => {
            let page = detail(
                &state,
                &desk,
                id,
                Some(tr.t("desk-office-gate-refused-help")),
                None,
            )
            .await?;
            Ok((StatusCode::CONFLICT, page).into_response())
        }
        Err(e) => match refusal(&tr, &e) {
            Some(msg) => {
                let status = match e {
                    OfficeError::OwnChange => StatusCode::FORBIDDEN,
                    OfficeError::State | OfficeError::Moved(_) => StatusCode::CONFLICT,
                    _ => StatusCode::UNPROCESSABLE_ENTITY,
                };
                let page = detail(&state, &desk, id, Some(msg), None).await?;
                Ok((status, page).into_response())
            }
            None => Err(fail(e)),
        },
    }
}
