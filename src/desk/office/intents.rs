//! Intents: the office adds FAQ intents (no rebuild) and retires those it no longer wants
//! answered; the contract's intents cannot be retired.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use maud::{html, Markup};
use serde::Deserialize;

use super::entries::title;
use super::{curator, fail, frame};
use crate::catalog::{EntryStatus, EntryText, Escalation, IntentText, Subject};
use crate::desk::auth::{urlencode, Desk, DeskError};
use crate::desk::page::{csrf, Tr};
use crate::desk::DeskState;
use crate::domain::{IntentId, CONTRACT_INTENTS};

pub fn router() -> Router<DeskState> {
    Router::new()
        .route("/desk/office/intents", get(intents_page).post(add_intent))
        .route("/desk/office/intents/{id}/retire", post(retire))
}

const ESCALATIONS: [(&str, Escalation); 3] = [
    ("none", Escalation::None),
    ("offer_human", Escalation::OfferHuman),
    ("hand_off", Escalation::HandOff),
];

#[derive(Deserialize, Default)]
struct AddForm {
    #[serde(default)]
    id: String,
    #[serde(default)]
    title_zh: String,
    #[serde(default)]
    title_en: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    escalation: String,
}

async fn intents_page(desk: Desk, State(state): State<DeskState>) -> Result<Markup, DeskError> {
    curator(&desk)?;
    page(&state, &desk, &AddForm::default(), None).await
}

async fn page(
    state: &DeskState,
    desk: &Desk,
    form: &AddForm,
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
    let body = html! {
        table.stack.intents {
            thead { tr {
                th { (tr.t("desk-office-intent")) }
                th { (tr.t("desk-office-description")) }
                th { (tr.t("desk-office-escalation")) }
                th { (tr.t("desk-office-entries-count")) }
                th {}
            } }
            tbody {
                @for i in &doc.intents {
                    @let contract = CONTRACT_INTENTS.contains(&i.id.as_str());
                    @let n = doc.entries.iter().filter(|e| e.intent == i.id && e.status == EntryStatus::Published).count();
                    tr data-intent=(i.id) data-retired=(i.retired) {
                        td data-label=(tr.t("desk-office-intent")) {
                            a href={ "/desk/office/entries?intent=" (i.id) } { (title(&i.title, &desk.locale, i.id.as_str())) }
                            " " code { (i.id) }
                            @if contract { " " span.tag { (tr.t("desk-office-contract")) } }
                            @if i.retired { " " span.tag.retired { (tr.t("desk-office-status-retired")) } }
                        }
                        td data-label=(tr.t("desk-office-description")) { (i.description) }
                        td data-label=(tr.t("desk-office-escalation")) { (tr.t(&format!("desk-office-escalation-{}", escalation_name(i.escalation).replace('_', "-")))) }
                        td data-label=(tr.t("desk-office-entries-count")) { (n) }
                        td {
                            @if !contract && !i.retired {
                                form method="post" action={ "/desk/office/intents/" (urlencode(i.id.as_str())) "/retire" } {
                                    (csrf(desk))
                                    button.secondary type="submit" { (tr.t("desk-office-retire")) }
                                }
                            }
                        }
                    }
                }
            }
        }
        section.card #add-intent {
            h2 { (tr.t("desk-office-add-intent")) }
            @if let Some(p) = &problem { p.finding.error role="alert" { (p) } }
            form method="post" action="/desk/office/intents" {
                (csrf(desk))
                label { (tr.t("desk-office-intent-id")) input type="text" name="id" value=(form.id) required pattern="[a-z0-9_]+" placeholder="winter_subsidy"; }
                label { (tr.t("desk-office-title-zh")) input type="text" name="title_zh" value=(form.title_zh) required; }
                label { (tr.t("desk-office-title-en")) input type="text" name="title_en" value=(form.title_en); }
                label { (tr.t("desk-office-description")) textarea name="description" rows="3" required { (form.description) } }
                label { (tr.t("desk-office-escalation"))
                    select name="escalation" {
                        @for (name, _) in ESCALATIONS {
                            option value=(name) selected[form.escalation == name] { (tr.t(&format!("desk-office-escalation-{}", name.replace('_', "-")))) }
                        }
                    }
                }
                button type="submit" { (tr.t("desk-office-add-intent")) }
            }
        }
    };
    Ok(frame(
        state,
        desk,
        "/desk/office/intents",
        &tr.t("desk-office-intents-title"),
        body,
    ))
}

fn escalation_name(e: Escalation) -> &'static str {
    ESCALATIONS
        .iter()
        .find(|(_, x)| *x == e)
        .map_or("none", |(n, _)| n)
}

async fn add_intent(
    desk: Desk,
    State(state): State<DeskState>,
    Form(f): Form<AddForm>,
) -> Result<Response, DeskError> {
    curator(&desk)?;
    let tr = Tr {
        state: &state,
        locale: &desk.locale,
    };
    let refuse = |msg: String| async {
        let page = page(&state, &desk, &f, Some(msg)).await?;
        Ok::<_, DeskError>((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
    };
    let Ok(id) = IntentId::parse(f.id.trim()) else {
        return refuse(tr.t("desk-office-bad-intent-id")).await;
    };
    let doc = state
        .office
        .draft_doc(&desk.user.name)
        .await
        .map_err(fail)?;
    if doc.intent(&id).is_some() {
        return refuse(tr.ta("desk-office-intent-taken", &[("id", id.to_string())])).await;
    }
    if f.title_zh.trim().is_empty() || f.description.trim().is_empty() {
        return refuse(tr.t("desk-office-intent-incomplete")).await;
    }
    let mut titles = BTreeMap::new();
    titles.insert("zh-CN".to_owned(), f.title_zh.trim().to_owned());
    if !f.title_en.trim().is_empty() {
        titles.insert("en".to_owned(), f.title_en.trim().to_owned());
    }
    let intent = IntentText {
        id: id.clone(),
        title: titles,
        description: f.description.trim().to_owned(),
        escalation: ESCALATIONS
            .iter()
            .find(|(n, _)| *n == f.escalation)
            .map_or(Escalation::None, |(_, e)| *e),
        handoff_reason: None,
        retired: false,
    };
    let value = serde_json::to_value(&intent).map_err(DeskError::internal)?;
    state
        .office
        .save(
            &desk.user.name,
            Subject::Intent(id.to_string()),
            Some(value),
            "",
        )
        .await
        .map_err(fail)?;
    // An intent answers nothing without an entry: the curator writes its first one now.
    Ok(Redirect::to(&format!(
        "/desk/office/entries/new?intent={}",
        urlencode(id.as_str())
    ))
    .into_response())
}

async fn retire(
    desk: Desk,
    State(state): State<DeskState>,
    Path(id): Path<String>,
) -> Result<Redirect, DeskError> {
    curator(&desk)?;
    if CONTRACT_INTENTS.contains(&id.as_str()) {
        return Err(DeskError::BadRequest(
            "a contract intent cannot be retired".into(),
        ));
    }
    let office = &state.office;
    let who = &desk.user.name;
    office
        .update(who, Subject::Intent(id.clone()), |i: &mut IntentText| {
            i.retired = true;
            Ok(())
        })
        .await
        .map_err(fail)?;
    // Its entries are retired with it, so none of its texts is answered any more.
    let doc = office.draft_doc(who).await.map_err(fail)?;
    for e in doc.entries.iter().filter(|e| e.intent.as_str() == id) {
        let subject = Subject::Entry(e.id.to_string());
        office
            .update(who, subject, |e: &mut EntryText| {
                e.status = EntryStatus::Retired;
                Ok(())
            })
            .await
            .map_err(fail)?;
    }
    Ok(Redirect::to("/desk/office/intents"))
}
