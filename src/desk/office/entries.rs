//! The entries, by intent: search over questions, paraphrases and replies; each with its
//! status, last change and how often it answered residents in the last 30 days.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::routing::get;
use axum::Router;
use chrono::{Duration, Utc};
use maud::{html, Markup};
use serde::Deserialize;

use super::{curator, fail, frame, when};
use crate::catalog::{EntryStatus, EntryText, Subject};
use crate::desk::auth::{urlencode, Desk, DeskError};
use crate::desk::page::Tr;
use crate::desk::DeskState;
use crate::domain::normalize;
use crate::office::{ChangeStatus, Edit};

/// The period the usage column counts.
const USAGE_DAYS: i64 = 30;

pub fn router() -> Router<DeskState> {
    Router::new().route("/desk/office/entries", get(entries_page))
}

#[derive(Deserialize, Default)]
struct Filter {
    #[serde(default)]
    q: String,
    #[serde(default)]
    intent: String,
}

/// An entry's place on its way: published text, or a change set's.
pub fn status_of(entry: &EntryText, edit: Option<(&Edit, ChangeStatus)>) -> &'static str {
    match edit.map(|(_, s)| s) {
        Some(ChangeStatus::Review | ChangeStatus::Approved) => "review",
        Some(_) => "draft",
        None => match entry.status {
            EntryStatus::Draft => "draft",
            EntryStatus::Review => "review",
            EntryStatus::Published => "published",
            EntryStatus::Retired => "retired",
        },
    }
}

fn matches(e: &EntryText, q: &str) -> bool {
    if q.is_empty() {
        return true;
    }
    let r = &e.reply;
    e.texts()
        .chain([
            r.wechat.as_str(),
            r.counter.as_str(),
            r.hotline.greeting.as_str(),
            r.hotline.answer.as_str(),
            r.hotline.closing.as_str(),
            e.id.as_str(),
        ])
        .any(|t| normalize(t).contains(q))
}

async fn entries_page(
    desk: Desk,
    State(state): State<DeskState>,
    Query(f): Query<Filter>,
) -> Result<Markup, DeskError> {
    curator(&desk)?;
    let tr = Tr {
        state: &state,
        locale: &desk.locale,
    };
    let office = &state.office;
    let doc = office.draft_doc(&desk.user.name).await.map_err(fail)?;
    // Every open edit of an entry, newest first, with its change set's status.
    let mut edits: HashMap<String, (Edit, ChangeStatus)> = HashMap::new();
    let open = [
        ChangeStatus::Draft,
        ChangeStatus::Returned,
        ChangeStatus::Review,
        ChangeStatus::Approved,
    ];
    for set in office.store.changesets(&open).await.map_err(fail)? {
        for e in office.store.edits(set.id).await.map_err(fail)? {
            if let Subject::Entry(id) = &e.subject {
                let newer = edits.get(id).is_none_or(|(old, _)| old.at < e.at);
                if newer {
                    edits.insert(id.clone(), (e, set.status));
                }
            }
        }
    }
    let usage: HashMap<String, i64> = office
        .store
        .answered_counts(Utc::now() - Duration::days(USAGE_DAYS))
        .await
        .map_err(fail)?
        .into_iter()
        .collect();
    let q = normalize(f.q.trim());
    let shown: Vec<&EntryText> = doc
        .entries
        .iter()
        .filter(|e| f.intent.is_empty() || e.intent.as_str() == f.intent)
        .filter(|e| matches(e, &q))
        .collect();
    let body = html! {
        form.search method="get" action="/desk/office/entries" role="search" {
            input type="search" name="q" value=(f.q) placeholder=(tr.t("desk-office-entries-search")) aria-label=(tr.t("desk-office-entries-search"));
            select name="intent" aria-label=(tr.t("desk-office-intent")) {
                option value="" { (tr.t("desk-office-all-intents")) }
                @for i in &doc.intents {
                    option value=(i.id) selected[f.intent == i.id.as_str()] { (title(&i.title, &desk.locale, i.id.as_str())) }
                }
            }
            button type="submit" { (tr.t("desk-office-search")) }
        }
        p.summary { (tr.ta("desk-office-entries-summary", &[("count", shown.len().to_string()), ("days", USAGE_DAYS.to_string())])) }
        @for intent in &doc.intents {
            @let rows: Vec<&&EntryText> = shown.iter().filter(|e| e.intent == intent.id).collect();
            @if !rows.is_empty() || (q.is_empty() && f.intent == intent.id.as_str()) {
                section.intent-entries data-intent=(intent.id) {
                    h2 {
                        (title(&intent.title, &desk.locale, intent.id.as_str())) " " code { (intent.id) }
                        " " a.button.small href={ "/desk/office/entries/new?intent=" (intent.id) } { (tr.t("desk-office-new-entry")) }
                    }
                    table.stack.entries {
                        thead { tr {
                            th { (tr.t("desk-office-question")) }
                            th { (tr.t("desk-office-status")) }
                            th { (tr.t("desk-office-last-change")) }
                            th { (tr.ta("desk-office-usage", &[("days", USAGE_DAYS.to_string())])) }
                        } }
                        tbody {
                            @for e in rows {
                                @let edit = edits.get(e.id.as_str()).map(|(ed, s)| (ed, *s));
                                @let status = status_of(e, edit);
                                tr data-entry=(e.id) data-status=(status) {
                                    td data-label=(tr.t("desk-office-question")) {
                                        a href={ "/desk/office/entries/" (urlencode(e.id.as_str())) } { (e.question) }
                                        " " span.muted { (tr.ta("desk-office-paraphrase-count", &[("count", e.paraphrases.len().to_string())])) }
                                    }
                                    td data-label=(tr.t("desk-office-status")) { span class={ "status " (status) } { (tr.t(&format!("desk-office-status-{status}"))) } }
                                    td data-label=(tr.t("desk-office-last-change")) {
                                        @match edit {
                                            Some((ed, _)) => { (when(ed.at)) " · " (ed.author) }
                                            None => { (tr.ta("desk-office-entry-version", &[("version", e.version.to_string())])) }
                                        }
                                    }
                                    td.usage data-label=(tr.ta("desk-office-usage", &[("days", USAGE_DAYS.to_string())])) { (usage.get(e.id.as_str()).copied().unwrap_or(0)) }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(frame(
        &state,
        &desk,
        "/desk/office/entries",
        &tr.t("desk-office-entries-title"),
        body,
    ))
}

/// A title in the page's language, else any, else the id.
pub fn title<'a>(
    titles: &'a std::collections::BTreeMap<String, String>,
    locale: &str,
    id: &'a str,
) -> &'a str {
    titles
        .get(locale)
        .or_else(|| titles.values().next())
        .map_or(id, String::as_str)
}
