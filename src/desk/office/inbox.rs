//! The inbox: questions the bot did not answer well, grouped, each with what the office can
//! do about it. Every action except dismissing also labels the question for the gate.

use axum::extract::{Query, State};
use axum::response::Redirect;
use axum::routing::{get, post};
use axum::{Form, Router};
use maud::{html, Markup};
use serde::Deserialize;

use super::{curator, fail, frame, when};
use crate::desk::auth::{urlencode, Desk, DeskError};
use crate::desk::page::{csrf, intent_title, Tr};
use crate::desk::DeskState;
use crate::domain::IntentId;
use crate::office::InboxGroup;

/// Groups shown at once: the most asked first.
const GROUPS: usize = 100;
/// Entries offered for "add as a paraphrase of…".
const OFFERED: usize = 3;

pub fn router() -> axum::Router<DeskState> {
    Router::new()
        .route("/desk/office/inbox", get(inbox_page))
        .route("/desk/office/inbox/paraphrase", post(paraphrase))
        .route("/desk/office/inbox/not-ours", post(not_ours))
        .route("/desk/office/inbox/dismiss", post(dismiss))
}

#[derive(Deserialize, Default)]
struct Done {
    #[serde(default)]
    done: Option<String>,
    #[serde(default)]
    entry: Option<String>,
}

async fn inbox_page(
    desk: Desk,
    State(state): State<DeskState>,
    Query(done): Query<Done>,
) -> Result<Markup, DeskError> {
    curator(&desk)?;
    let tr = Tr {
        state: &state,
        locale: &desk.locale,
    };
    let groups = state.office.inbox(GROUPS).await.map_err(fail)?;
    let notice = done.done.as_deref().map(|d| match d {
        "paraphrase" => tr.ta(
            "desk-office-inbox-done-paraphrase",
            &[("entry", done.entry.clone().unwrap_or_default())],
        ),
        "not-ours" => tr.t("desk-office-inbox-done-not-ours"),
        _ => tr.t("desk-office-inbox-done-dismiss"),
    });
    let body = html! {
        @if let Some(n) = notice { p.notice role="status" { (n) " " a href="/desk/office/changes" { (tr.t("desk-office-to-changes")) } } }
        p.summary { (tr.ta("desk-office-inbox-summary", &[("count", groups.len().to_string())])) }
        @if groups.is_empty() {
            p.empty { (tr.t("desk-office-inbox-empty")) }
        }
        @for (i, g) in groups.iter().enumerate() {
            (group(&state, &desk, &tr, i, g))
        }
    };
    Ok(frame(
        &state,
        &desk,
        "/desk/office/inbox",
        &tr.t("desk-office-inbox-title"),
        body,
    ))
}

fn group(state: &DeskState, desk: &Desk, tr: &Tr<'_>, i: usize, g: &InboxGroup) -> Markup {
    let engine = state.engine.current();
    let (_, ranked) = engine.classify_with_entries(&g.text, OFFERED);
    let catalog = engine.catalog();
    let guess = g
        .guess
        .as_deref()
        .and_then(|id| IntentId::parse(id).ok())
        .map(|id| intent_title(state, &desk.locale, &id));
    // The group's other wordings go with every action, so the whole group leaves the inbox.
    let variants = g.variants.join("\n");
    html! {
        section.card.inbox-group data-key=(g.key) {
            h2.question { (g.text) }
            p.meta {
                span.count { (tr.ta("desk-office-inbox-count", &[("count", g.count.to_string())])) }
                " · " (tr.ta("desk-office-inbox-seen", &[("first", when(g.first_seen)), ("last", when(g.last_seen))]))
                " · " span.sources { @for s in &g.sources { span.tag { (tr.t(&format!("desk-office-source-{}", s.replace('_', "-")))) } " " } }
                @if let Some(guess) = guess { " · " (tr.ta("desk-office-inbox-guess", &[("intent", guess)])) }
            }
            @if !g.variants.is_empty() {
                ul.variants { @for v in &g.variants { li { (v) } } }
            }
            form.paraphrase method="post" action="/desk/office/inbox/paraphrase" {
                (csrf(desk))
                input type="hidden" name="text" value=(g.text);
                input type="hidden" name="variants" value=(variants);
                fieldset {
                    legend { (tr.t("desk-office-inbox-add-to")) }
                    @for (n, r) in ranked.iter().enumerate() {
                        @let entry = catalog.entry(&r.entry);
                        label.choice {
                            input type="radio" name="entry" value=(r.entry) checked[n == 0] required;
                            " " strong { (intent_title(state, &desk.locale, &r.intent)) } " · "
                            (entry.map(|e| e.question.as_str()).unwrap_or(r.entry.as_str()))
                            " " span.score { (format!("{:.0}%", r.score * 100.0)) }
                        }
                    }
                    label.choice {
                        input type="radio" name="entry" value="" id={ "other-" (i) };
                        " " (tr.t("desk-office-inbox-other-entry")) " "
                        input type="text" name="other" list="entry-ids" placeholder="hall_info.halls" size="24";
                    }
                }
                button type="submit" { (tr.t("desk-office-inbox-paraphrase")) }
            }
            div.actions {
                a.button href={ "/desk/office/entries/new?question=" (urlencode(&g.text)) "&intent=" (ranked.first().map(|r| r.intent.to_string()).unwrap_or_default()) } { (tr.t("desk-office-inbox-new-entry")) }
                form method="post" action="/desk/office/inbox/not-ours" {
                    (csrf(desk))
                    input type="hidden" name="text" value=(g.text);
                    input type="hidden" name="variants" value=(variants);
                    button.secondary type="submit" { (tr.t("desk-office-inbox-not-ours")) }
                }
                form method="post" action="/desk/office/inbox/dismiss" {
                    (csrf(desk))
                    input type="hidden" name="text" value=(g.text);
                    input type="hidden" name="variants" value=(variants);
                    button.link type="submit" { (tr.t("desk-office-inbox-dismiss")) }
                }
            }
        }
        @if i == 0 {
            datalist #entry-ids { @for e in catalog.published() { option value=(e.id) { (e.question) } } }
        }
    }
}

#[derive(Deserialize)]
struct ParaphraseForm {
    text: String,
    #[serde(default)]
    variants: String,
    #[serde(default)]
    entry: String,
    #[serde(default)]
    other: String,
}

async fn paraphrase(
    desk: Desk,
    State(state): State<DeskState>,
    Form(f): Form<ParaphraseForm>,
) -> Result<Redirect, DeskError> {
    curator(&desk)?;
    let entry = if f.entry.is_empty() {
        f.other.trim().to_owned()
    } else {
        f.entry
    };
    if entry.is_empty() || f.text.trim().is_empty() {
        return Err(DeskError::BadRequest("an entry and a question".into()));
    }
    state
        .office
        .add_paraphrase(&desk.user.name, &entry, &f.text)
        .await
        .map_err(fail)?;
    let intent = state
        .office
        .draft_doc(&desk.user.name)
        .await
        .map_err(fail)?
        .entries
        .iter()
        .find(|e| e.id.as_str() == entry)
        .map(|e| e.intent.to_string());
    if let Some(intent) = intent {
        for v in lines(&f.variants) {
            state
                .office
                .label(v, &intent, "paraphrase", &desk.user.name)
                .await
                .map_err(fail)?;
        }
    }
    Ok(Redirect::to(&format!(
        "/desk/office/inbox?done=paraphrase&entry={}",
        urlencode(&entry)
    )))
}

#[derive(Deserialize)]
struct TextForm {
    text: String,
    #[serde(default)]
    variants: String,
}

fn lines(s: &str) -> impl Iterator<Item = &str> {
    s.lines().map(str::trim).filter(|l| !l.is_empty())
}

async fn not_ours(
    desk: Desk,
    State(state): State<DeskState>,
    Form(f): Form<TextForm>,
) -> Result<Redirect, DeskError> {
    curator(&desk)?;
    state
        .office
        .not_ours(&desk.user.name, &f.text)
        .await
        .map_err(fail)?;
    for v in lines(&f.variants) {
        state
            .office
            .label(v, "out_of_scope", "not_ours", &desk.user.name)
            .await
            .map_err(fail)?;
    }
    Ok(Redirect::to("/desk/office/inbox?done=not-ours"))
}

async fn dismiss(
    desk: Desk,
    State(state): State<DeskState>,
    Form(f): Form<TextForm>,
) -> Result<Redirect, DeskError> {
    curator(&desk)?;
    for t in std::iter::once(f.text.as_str()).chain(lines(&f.variants)) {
        state
            .office
            .dismiss(t, &desk.user.name)
            .await
            .map_err(fail)?;
    }
    Ok(Redirect::to("/desk/office/inbox?done=dismiss"))
}
