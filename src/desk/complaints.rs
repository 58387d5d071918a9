//! Complaint cases at the desk: the list (overdue in red, due soon, on track, follow-up
//! calls due, recently closed) and a case page (the resident's words, deadlines, owner,
//! timeline, notes, the linked conversation and requests, outcome, follow-up). Agents,
//! curators and admins act; managers read.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use chrono::{DateTime, Utc};
use maud::{html, Markup};
use serde::Deserialize;

use super::auth::{Desk, DeskError};
use super::page::{csrf, layout, Tr};
use super::queue::{mask_user, transcript};
use super::users::Role;
use super::DeskState;
use crate::complaints::{
    Action, Actor, Case, CaseStatus, Category, ComplaintError, Listing, Standing,
};
use crate::handoff::local;
use crate::service::AccountNo;

pub fn router() -> Router<DeskState> {
    Router::new()
        .route("/desk/complaints", get(list_page))
        .route("/desk/complaints/list", get(list_fragment))
        .route("/desk/complaints/{id}", get(case_page))
        .route("/desk/complaints/{id}/take", post(take))
        .route("/desk/complaints/{id}/note", post(note))
        .route("/desk/complaints/{id}/contacted", post(contacted))
        .route("/desk/complaints/{id}/category", post(categorise))
        .route("/desk/complaints/{id}/close", post(close))
        .route("/desk/complaints/{id}/follow-up", post(follow_up))
        .route("/desk/handoffs/{id}/complaint", post(from_handoff))
}

/// Who works cases; admins pass too.
const ACT: [Role; 2] = [Role::Agent, Role::Curator];
/// Who reads them.
const READ: [Role; 3] = [Role::Agent, Role::Curator, Role::Manager];
/// Closed cases the list shows.
const CLOSED_SHOWN: i64 = 20;

fn actor(desk: &Desk) -> Actor {
    Actor {
        id: desk.user.id,
        name: desk.user.display_name.clone(),
    }
}

fn failed(e: ComplaintError) -> DeskError {
    match e {
        ComplaintError::NotFound => DeskError::NotFound,
        ComplaintError::Conflict => DeskError::Conflict,
        ComplaintError::Invalid(why) => DeskError::BadRequest(why),
        e => DeskError::internal(e),
    }
}

async fn list_page(desk: Desk, State(state): State<DeskState>) -> Result<Markup, DeskError> {
    desk.require_any(&READ)?;
    let tr = Tr {
        state: &state,
        locale: &desk.locale,
    };
    let list = cases(&state, &tr).await?;
    let body = html! {
        section #complaints data-live="complaints" data-src="/desk/complaints/list" { (list) }
    };
    Ok(layout(
        &state,
        &desk,
        "/desk/complaints",
        &tr.t("desk-complaints-title"),
        body,
    ))
}

async fn list_fragment(desk: Desk, State(state): State<DeskState>) -> Result<Markup, DeskError> {
    desk.require_any(&READ)?;
    let tr = Tr {
        state: &state,
        locale: &desk.locale,
    };
    cases(&state, &tr).await
}

async fn cases(state: &DeskState, tr: &Tr<'_>) -> Result<Markup, DeskError> {
    let c = &state.complaints;
    let now = c.clock.now();
    let open = c.store.list(Listing::Open).await.map_err(failed)?;
    let closed = c
        .store
        .list(Listing::Closed(CLOSED_SHOWN))
        .await
        .map_err(failed)?;
    let of = |s: Standing| -> Vec<&Case> {
        open.iter()
            .filter(|k| k.standing(now, c.due_soon()) == s)
            .collect()
    };
    let calls: Vec<&Case> = closed
        .iter()
        .filter(|k| k.followed_up_at.is_none() && k.follow_up_due.is_some_and(|d| d <= now))
        .collect();
    Ok(html! {
        (group(tr, "overdue", &of(Standing::Overdue), now))
        (group(tr, "due-soon", &of(Standing::DueSoon), now))
        (group(tr, "on-track", &of(Standing::OnTrack), now))
        (group(tr, "follow-up", &calls, now))
        (group(tr, "closed", &closed.iter().collect::<Vec<_>>(), now))
    })
}

fn group(tr: &Tr<'_>, name: &str, cases: &[&Case], now: DateTime<Utc>) -> Markup {
    html! {
        section.cases class=(name) data-group=(name) {
            h2 { (tr.t(&format!("desk-complaints-{name}"))) " (" (cases.len()) ")" }
            @if cases.is_empty() {
                p.empty { (tr.t("desk-complaints-none")) }
            } @else {
                table {
                    thead { tr {
                        th { (tr.t("desk-complaint-number")) }
                        th { (tr.t("desk-complaint-category")) }
                        th { (tr.t("desk-complaint-owner")) }
                        th { (tr.t("desk-complaint-deadline")) }
                        th { (tr.t("desk-complaint-words")) }
                    } }
                    tbody {
                        @for k in cases { (row(tr, k, now)) }
                    }
                }
            }
        }
    }
}

fn row(tr: &Tr<'_>, k: &Case, now: DateTime<Utc>) -> Markup {
    let standing = k.standing(now, tr.state.complaints.due_soon());
    html! {
        tr.case data-id=(k.id) data-standing=(standing.as_str()) {
            td { a href={ "/desk/complaints/" (k.id) } { (k.number()) } }
            td { (tr.t(&format!("desk-complaint-category-{}", k.category.as_str()))) }
            td { @match &k.owner_name { Some(o) => (o), None => (tr.t("desk-complaint-unowned")) } }
            td.deadline { @match k.closed_at { Some(c) => (local(c)), None => (local(k.next_deadline())) } }
            td.words { (first_chars(&k.words, 40)) }
        }
    }
}

fn first_chars(text: &str, n: usize) -> String {
    let mut short: String = text.chars().take(n).collect();
    if text.chars().count() > n {
        short.push('…');
    }
    short
}

async fn load(state: &DeskState, id: i64) -> Result<Case, DeskError> {
    state
        .complaints
        .store
        .get(id)
        .await
        .map_err(failed)?
        .ok_or(DeskError::NotFound)
}

async fn case_page(
    desk: Desk,
    State(state): State<DeskState>,
    Path(id): Path<i64>,
) -> Result<Markup, DeskError> {
    desk.require_any(&READ)?;
    let k = load(&state, id).await?;
    let tr = Tr {
        state: &state,
        locale: &desk.locale,
    };
    let events = state.complaints.store.events(id).await.map_err(failed)?;
    let lines = match &k.user {
        Some(u) => state
            .conversations
            .transcript(u)
            .await
            .map_err(DeskError::internal)?,
        None => Vec::new(),
    };
    let requests = match k.account.as_deref().map(AccountNo::parse) {
        Some(Ok(no)) => state.service.requests(&no).await.unwrap_or_else(|e| {
            tracing::warn!(error = %e, "cannot read the complaint's requests");
            Vec::new()
        }),
        _ => Vec::new(),
    };
    let now = state.complaints.clock.now();
    let standing = k.standing(now, state.complaints.due_soon());
    let acts = desk.user.can_any(&ACT);
    let body = html! {
        div.case #case data-id=(k.id) data-standing=(standing.as_str()) data-status=(k.status.as_str()) {
            section.facts {
                dl {
                    dt { (tr.t("desk-complaint-standing")) }
                    dd.standing { (tr.t(&format!("desk-complaint-standing-{}", standing.as_str().replace('_', "-")))) }
                    dt { (tr.t("desk-complaint-words")) } dd.words { (k.words) }
                    dt { (tr.t("desk-complaint-resident")) }
                    dd { @match &k.user { Some(u) => (mask_user(u)), None => "-" } }
                    dt { (tr.t("desk-complaint-account")) }
                    dd.account { @match &k.account { Some(a) => (a), None => (tr.t("desk-no-accounts")) } @if let Some(d) = &k.district { " · " (d) } }
                    dt { (tr.t("desk-complaint-category")) }
                    dd.category { (tr.t(&format!("desk-complaint-category-{}", k.category.as_str()))) }
                    dt { (tr.t("desk-complaint-owner")) }
                    dd.owner { @match &k.owner_name { Some(o) => (o), None => (tr.t("desk-complaint-unowned")) } }
                    dt { (tr.t("desk-complaint-opened")) } dd { (local(k.opened_at)) }
                    dt { (tr.t("desk-complaint-contact-by")) }
                    dd.contact-by { (local(k.contact_by)) @if let Some(c) = k.contacted_at { " · " (tr.ta("desk-complaint-contacted-at", &[("at", local(c))])) } }
                    dt { (tr.t("desk-complaint-resolve-by")) } dd.resolve-by { (local(k.resolve_by)) }
                    @if let Some(h) = k.handoff {
                        dt { (tr.t("desk-complaint-handoff")) }
                        dd { a href={ "/desk/handoffs/" (h) } { "#" (h) } }
                    }
                    @if let Some(o) = &k.outcome {
                        dt { (tr.t("desk-complaint-outcome")) } dd.outcome { (o) }
                    }
                    @if let Some(s) = k.satisfaction {
                        dt { (tr.t("desk-complaint-satisfaction")) }
                        dd.satisfaction data-satisfaction=(s) { (s) "/5" @if let Some(n) = &k.follow_up_note { " · " (n) } }
                    } @else if let Some(d) = k.follow_up_due {
                        dt { (tr.t("desk-complaint-follow-up-due")) } dd.follow-up-due { (local(d)) }
                    }
                }
            }
            @if acts { (forms(&tr, &desk, &k)) }
            section.timeline {
                h2 { (tr.t("desk-complaint-timeline")) }
                ol.events {
                    @for e in &events {
                        li.event data-kind=(e.kind.as_str()) {
                            time { (local(e.at)) } " "
                            span.kind { (tr.t(&format!("desk-complaint-event-{}", e.kind.as_str().replace('_', "-")))) }
                            @if let Some(a) = &e.author { " · " span.who { (a) } }
                            @if let Some(n) = &e.note { div.note { (n) } }
                        }
                    }
                }
            }
            section.requests {
                h2 { (tr.t("desk-complaint-requests")) }
                @if requests.is_empty() { p.empty { (tr.t("desk-complaints-none")) } }
                ul {
                    @for r in &requests {
                        li.request data-id=(r.id) {
                            (r.id) " · " (tr.t(&format!("request-kind-{}", crate::domain::fluent_part(&r.kind))))
                            " · " (tr.t(&format!("request-status-{}", crate::domain::fluent_part(&r.status))))
                            " · " (local(r.created_at))
                        }
                    }
                }
            }
            section.conversation {
                h2 { (tr.t("desk-complaint-conversation")) }
                (transcript(&tr, &lines))
            }
        }
    };
    let title = tr.ta("desk-complaint-title", &[("number", k.number())]);
    Ok(layout(&state, &desk, "/desk/complaints", &title, body))
}

fn forms(tr: &Tr<'_>, desk: &Desk, k: &Case) -> Markup {
    let at = |what: &str| format!("/desk/complaints/{}/{what}", k.id);
    html! {
        section.work {
            @if k.status == CaseStatus::Open {
                @if k.owner != Some(desk.user.id) {
                    form method="post" action=(at("take")) { (csrf(desk)) button #take type="submit" { (tr.t("desk-complaint-take")) } }
                }
                @if k.contacted_at.is_none() {
                    form method="post" action=(at("contacted")) {
                        (csrf(desk))
                        input name="note" maxlength="2000" placeholder=(tr.t("desk-note"));
                        button #contacted type="submit" { (tr.t("desk-complaint-mark-contacted")) }
                    }
                }
                form method="post" action=(at("category")) {
                    (csrf(desk))
                    select #category name="category" aria-label=(tr.t("desk-complaint-category")) {
                        @for c in Category::ALL {
                            option value=(c.as_str()) selected[c == k.category] { (tr.t(&format!("desk-complaint-category-{}", c.as_str()))) }
                        }
                    }
                    button #set-category type="submit" { (tr.t("desk-complaint-set-category")) }
                }
                form.close method="post" action=(at("close")) {
                    (csrf(desk))
                    textarea #outcome name="outcome" rows="3" required maxlength="2000" placeholder=(tr.t("desk-complaint-outcome")) {}
                    button #close-case type="submit" { (tr.t("desk-complaint-close")) }
                }
            } @else if k.followed_up_at.is_none() {
                form.follow-up method="post" action=(at("follow-up")) {
                    (csrf(desk))
                    label { (tr.t("desk-complaint-satisfaction"))
                        select #satisfaction name="satisfaction" {
                            @for s in (1..=5).rev() { option value=(s) { (s) } }
                        }
                    }
                    input #follow-up-note name="note" maxlength="2000" placeholder=(tr.t("desk-note"));
                    button #record-follow-up type="submit" { (tr.t("desk-complaint-record-follow-up")) }
                }
            }
            form.note method="post" action=(at("note")) {
                (csrf(desk))
                input #case-note name="text" required maxlength="2000" placeholder=(tr.t("desk-note"));
                button #add-case-note type="submit" { (tr.t("desk-add-note")) }
            }
        }
    }
}

async fn act(
    state: &DeskState,
    desk: &Desk,
    id: i64,
    action: Action,
) -> Result<Response, DeskError> {
    desk.require_any(&ACT)?;
    state
        .complaints
        .act(id, &actor(desk), action)
        .await
        .map_err(failed)?;
    Ok(Redirect::to(&format!("/desk/complaints/{id}")).into_response())
}

async fn take(
    desk: Desk,
    State(state): State<DeskState>,
    Path(id): Path<i64>,
) -> Result<Response, DeskError> {
    act(&state, &desk, id, Action::Take).await
}

#[derive(Deserialize)]
struct TextForm {
    #[serde(default)]
    text: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    satisfaction: String,
}

async fn note(
    desk: Desk,
    State(state): State<DeskState>,
    Path(id): Path<i64>,
    Form(f): Form<TextForm>,
) -> Result<Response, DeskError> {
    act(&state, &desk, id, Action::Note(f.text)).await
}

async fn contacted(
    desk: Desk,
    State(state): State<DeskState>,
    Path(id): Path<i64>,
    Form(f): Form<TextForm>,
) -> Result<Response, DeskError> {
    act(&state, &desk, id, Action::Contacted(f.note)).await
}

async fn categorise(
    desk: Desk,
    State(state): State<DeskState>,
    Path(id): Path<i64>,
    Form(f): Form<TextForm>,
) -> Result<Response, DeskError> {
    desk.require_any(&ACT)?;
    let c =
        Category::parse(&f.category).ok_or(DeskError::BadRequest("complaint form".to_owned()))?;
    act(&state, &desk, id, Action::Categorise(c)).await
}

async fn close(
    desk: Desk,
    State(state): State<DeskState>,
    Path(id): Path<i64>,
    Form(f): Form<TextForm>,
) -> Result<Response, DeskError> {
    act(&state, &desk, id, Action::Close(f.outcome)).await
}

async fn follow_up(
    desk: Desk,
    State(state): State<DeskState>,
    Path(id): Path<i64>,
    Form(f): Form<TextForm>,
) -> Result<Response, DeskError> {
    desk.require_any(&ACT)?;
    let satisfaction = f
        .satisfaction
        .trim()
        .parse()
        .map_err(|_| DeskError::BadRequest("complaint form".to_owned()))?;
    act(
        &state,
        &desk,
        id,
        Action::FollowUp {
            satisfaction,
            note: f.note,
        },
    )
    .await
}

/// An agent marks the conversation of a handoff as a complaint: a case with what the
/// resident wrote during it, owned by the agent. Marking it again opens the same case.
async fn from_handoff(
    desk: Desk,
    State(state): State<DeskState>,
    Path(id): Path<i64>,
) -> Result<Response, DeskError> {
    desk.require_any(&ACT)?;
    let h = state
        .handoffs
        .store
        .get(id)
        .await
        .map_err(DeskError::internal)?
        .ok_or(DeskError::NotFound)?;
    let lines = state
        .conversations
        .transcript(&h.user)
        .await
        .map_err(DeskError::internal)?;
    let words: Vec<String> = lines
        .iter()
        .filter(|l| l.direction == crate::transcript::Direction::In && l.at >= h.created_at)
        .map(|l| l.text.clone())
        .collect();
    let words = match words.is_empty() {
        true => lines
            .iter()
            .rev()
            .find(|l| l.direction == crate::transcript::Direction::In)
            .map(|l| l.text.clone())
            .unwrap_or_default(),
        false => words.join("\n"),
    };
    let now = state.complaints.clock.now();
    let (case, created) = state
        .complaints
        .open(
            &h.user,
            &words,
            &format!("handoff:{id}"),
            Some(&actor(&desk)),
            Some(id),
            now,
        )
        .await
        .map_err(failed)?;
    if created {
        tracing::info!(
            case = case.id,
            handoff = id,
            user = desk.user.id,
            "conversation marked as a complaint"
        );
        tell_resident(&state, &desk, &h, &case).await?;
    }
    Ok(Redirect::to(&format!("/desk/complaints/{}", case.id)).into_response())
}

/// The resident hears the case's number and deadlines in the conversation, as a message
/// from the agent; only once the case is on disk, since the message says it exists.
async fn tell_resident(
    state: &DeskState,
    desk: &Desk,
    h: &crate::handoff::Handoff,
    case: &Case,
) -> Result<(), DeskError> {
    state
        .conversations
        .sync()
        .await
        .map_err(DeskError::internal)?;
    let locales = &state.locales;
    let args = [
        ("number", fluent_bundle::FluentValue::from(case.number())),
        ("contact_by", local(case.contact_by).into()),
        ("resolve_by", local(case.resolve_by).into()),
    ];
    let text = locales.text(locales.default_locale(), "complaint-lodged", &args);
    let now = state.complaints.clock.now();
    let outcome = state
        .handoffs
        .deliver(h, Some(&desk.user.display_name), &text, now)
        .await
        .map_err(DeskError::internal)?;
    tracing::info!(
        case = case.id,
        outcome,
        "resident told of the complaint case"
    );
    Ok(())
}
