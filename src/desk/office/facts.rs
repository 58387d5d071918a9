//! Facts: the phone numbers, addresses, prices and dates replies cite, in one table. A
//! change shows every reply that cites the fact; facts the settings own are shown, not
//! edited here.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use maud::{html, Markup};
use serde::Deserialize;

use super::{curator, fail, frame};
use crate::catalog::Subject;
use crate::desk::auth::{urlencode, Desk, DeskError};
use crate::desk::page::{csrf, Tr};
use crate::desk::DeskState;
use crate::office::digest;

pub fn router() -> Router<DeskState> {
    Router::new().route("/desk/office/facts", get(facts_page).post(save_fact))
}

async fn facts_page(desk: Desk, State(state): State<DeskState>) -> Result<Markup, DeskError> {
    curator(&desk)?;
    page(&state, &desk, None).await
}

async fn page(
    state: &DeskState,
    desk: &Desk,
    problem: Option<String>,
) -> Result<Markup, DeskError> {
    let tr = Tr {
        state,
        locale: &desk.locale,
    };
    let doc = state
        .office
        .draft_doc(&desk.user.name)
        .await
        .map_err(fail)?;
    let owned = &state.office.library.sources().owned_facts;
    let body = html! {
        @if let Some(p) = problem { p.finding.error role="alert" { (p) } }
        p.summary { (tr.t("desk-office-facts-summary")) }
        table.stack.facts {
            thead { tr {
                th { (tr.t("desk-office-fact")) }
                th { (tr.t("desk-office-fact-value")) }
                th { (tr.t("desk-office-cited-by")) }
            } }
            tbody {
                @for (name, value) in &doc.facts {
                    @let base = digest(Some(&serde_json::Value::String(value.clone())));
                    tr data-fact=(name) {
                        td data-label=(tr.t("desk-office-fact")) { code { (name) } }
                        td data-label=(tr.t("desk-office-fact-value")) {
                            form.inline method="post" action="/desk/office/facts" {
                                (csrf(desk))
                                input type="hidden" name="name" value=(name);
                                input type="hidden" name="base" value=(base);
                                input type="text" name="value" value=(value) aria-label=(name) required;
                                button.small type="submit" { (tr.t("desk-office-save")) }
                            }
                        }
                        td.cited data-label=(tr.t("desk-office-cited-by")) {
                            @for e in doc.citing(name) {
                                a href={ "/desk/office/entries/" (urlencode(e.id.as_str())) } { (e.question) } " "
                            }
                        }
                    }
                }
                @for (name, value) in owned {
                    tr.owned data-fact=(name) {
                        td data-label=(tr.t("desk-office-fact")) { code { (name) } }
                        td data-label=(tr.t("desk-office-fact-value")) { (value) " " span.tag { (tr.t("desk-office-fact-owned")) } }
                        td.cited data-label=(tr.t("desk-office-cited-by")) {
                            @for e in doc.citing(name) {
                                a href={ "/desk/office/entries/" (urlencode(e.id.as_str())) } { (e.question) } " "
                            }
                        }
                    }
                }
            }
        }
        section.card #add-fact {
            h2 { (tr.t("desk-office-add-fact")) }
            form method="post" action="/desk/office/facts" {
                (csrf(desk))
                input type="hidden" name="base" value="";
                label { (tr.t("desk-office-fact")) input type="text" name="name" required pattern="[a-z0-9_]+"; }
                label { (tr.t("desk-office-fact-value")) input type="text" name="value" required; }
                button type="submit" { (tr.t("desk-office-add-fact")) }
            }
        }
    };
    Ok(frame(
        state,
        desk,
        "/desk/office/facts",
        &tr.t("desk-office-facts-title"),
        body,
    ))
}

#[derive(Deserialize)]
struct FactForm {
    name: String,
    value: String,
    #[serde(default)]
    base: String,
}

async fn save_fact(
    desk: Desk,
    State(state): State<DeskState>,
    Form(f): Form<FactForm>,
) -> Result<Response, DeskError> {
    curator(&desk)?;
    let tr = Tr {
        state: &state,
        locale: &desk.locale,
    };
    let name = f.name.trim();
    let valid = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    let problem = if !valid {
        Some(tr.t("desk-office-bad-fact-name"))
    } else if state
        .office
        .library
        .sources()
        .owned_facts
        .contains_key(name)
    {
        Some(tr.ta("desk-office-fact-is-owned", &[("name", name.to_owned())]))
    } else if f.value.trim().is_empty() {
        Some(tr.t("desk-office-fact-empty"))
    } else {
        None
    };
    if let Some(p) = problem {
        let page = page(&state, &desk, Some(p)).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    let value = serde_json::Value::String(f.value.trim().to_owned());
    match state
        .office
        .save(
            &desk.user.name,
            Subject::Fact(name.to_owned()),
            Some(value),
            &f.base,
        )
        .await
    {
        Ok(_) => Ok(Redirect::to("/desk/office/facts").into_response()),
        Err(crate::office::OfficeError::Conflict(c)) => {
            let theirs = c
                .current
                .value
                .as_ref()
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_owned();
            let msg = tr.ta(
                "desk-office-fact-conflict",
                &[
                    ("name", name.to_owned()),
                    ("theirs", theirs),
                    ("yours", f.value.trim().to_owned()),
                ],
            );
            let page = page(&state, &desk, Some(msg)).await?;
            Ok((StatusCode::CONFLICT, page).into_response())
        }
        Err(e) => Err(fail(e)),
    }
}
