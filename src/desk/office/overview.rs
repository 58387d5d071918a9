//! The office's overview: which phrasebook version is live, the latest questions the bot
//! could not answer (the inbox acts on them), how handoffs to agents went.

use axum::extract::State;
use axum::routing::get;
use axum::Router;
use chrono::{Duration, Utc};
use maud::{html, Markup};

use super::frame;
use crate::desk::auth::{Desk, DeskError};
use crate::desk::page::{intent_title, Tr};
use crate::desk::queue::RESOLUTIONS;
use crate::desk::users::Role;
use crate::desk::DeskState;
use crate::domain::{fluent_part, EscalationReason, IntentId};
use crate::handoff::{local, HandoffStats};
use crate::storage::ClassificationLog;

/// Enough to see what keeps coming back, few enough to read on a phone.
const UNANSWERED: i64 = 50;
const CLOSED: i64 = 20;
/// The period of the handoff figures.
const STATS_DAYS: i64 = 30;

pub fn router() -> Router<DeskState> {
    Router::new().route("/desk/office", get(office_page))
}

async fn office_page(desk: Desk, State(state): State<DeskState>) -> Result<Markup, DeskError> {
    desk.require(Role::Curator)?;
    let tr = Tr {
        state: &state,
        locale: &desk.locale,
    };
    let unanswered = state
        .storage
        .unanswered(UNANSWERED)
        .await
        .map_err(DeskError::internal)?;
    let handoffs = state.handoffs.store.clone();
    let stats = handoffs
        .stats(Utc::now() - Duration::days(STATS_DAYS))
        .await
        .map_err(DeskError::internal)?;
    let closed = handoffs.closed(CLOSED).await.map_err(DeskError::internal)?;
    let live = state.office.live();
    let engine = state.engine.current();
    let catalog = engine.catalog();
    let published_at = Some(local(live.meta.published_at));
    let entries = catalog.published().count();

    let body = html! {
        section.card #phrasebook {
            h2 { (tr.t("desk-office-phrasebook")) }
            dl {
                dt { (tr.t("desk-office-version")) } dd.version { a href="/desk/office/versions" { (live.meta.number) } " " code { (catalog.version) } }
                dt { (tr.t("desk-office-entries")) } dd.entries { (entries) }
                @if let Some(at) = &published_at {
                    dt { (tr.t("desk-office-published-at")) } dd { (at) }
                }
            }
        }
        section #unanswered {
            h2 { (tr.t("desk-office-unanswered")) }
            p.summary { (tr.ta("desk-office-unanswered-summary", &[("count", unanswered.len().to_string())])) }
            @if unanswered.is_empty() {
                p.empty { (tr.t("desk-office-unanswered-empty")) }
            } @else {
                (unanswered_table(&state, &tr, &unanswered))
            }
        }
        section #handoff-stats {
            h2 { (tr.ta("desk-office-handoffs", &[("days", STATS_DAYS.to_string())])) }
            (stats_cards(&tr, &stats))
        }
        section #closed {
            h2 { (tr.t("desk-office-closed")) }
            @if closed.is_empty() {
                p.empty { (tr.t("desk-office-closed-empty")) }
            } @else {
                table.stack {
                    thead { tr {
                        th { (tr.t("desk-office-closed-at")) }
                        th { (tr.t("desk-reason")) }
                        th { (tr.t("desk-resolution")) }
                        th { (tr.t("desk-office-rating")) }
                        th { (tr.t("desk-office-agent")) }
                    } }
                    tbody {
                        @for h in &closed {
                            tr.closed data-id=(h.id) {
                                td data-label=(tr.t("desk-office-closed-at")) { (h.closed_at.map(local).unwrap_or_default()) }
                                td data-label=(tr.t("desk-reason")) { (reason(&tr, h.reason)) }
                                td data-label=(tr.t("desk-resolution")) { (h.resolution.as_deref().map(|r| resolution(&tr, r)).unwrap_or_default()) }
                                td.rating data-label=(tr.t("desk-office-rating")) {
                                    @match h.rating { Some(r) => (r), None => span.empty { (tr.t("desk-office-not-rated")) } }
                                }
                                td data-label=(tr.t("desk-office-agent")) { (h.agent.clone().unwrap_or_default()) }
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
        "/desk/office",
        &tr.t("desk-office-title"),
        body,
    ))
}

fn unanswered_table(state: &DeskState, tr: &Tr<'_>, rows: &[ClassificationLog]) -> Markup {
    html! {
        table.stack.unanswered {
            thead { tr {
                th { (tr.t("desk-office-time")) }
                th { (tr.t("desk-office-text")) }
                th { (tr.t("desk-office-guess")) }
                th { (tr.t("desk-office-confidence")) }
            } }
            tbody {
                @for c in rows {
                    tr data-decision=(c.decision) {
                        td data-label=(tr.t("desk-office-time")) { (local(c.at)) }
                        td.text data-label=(tr.t("desk-office-text")) { (c.text_masked) }
                        td data-label=(tr.t("desk-office-guess")) {
                            (logged_intent(state, tr.locale, &c.intent))
                            " " span.decision { (decision(tr, &c.decision)) }
                        }
                        td data-label=(tr.t("desk-office-confidence")) { (format!("{:.0}%", c.confidence * 100.0)) }
                    }
                }
            }
        }
    }
}

fn stats_cards(tr: &Tr<'_>, stats: &HandoffStats) -> Markup {
    html! {
        div.stats {
            div.card #by-reason {
                h3 { (tr.t("desk-office-by-reason")) }
                @if stats.by_reason.is_empty() {
                    p.empty { (tr.t("desk-office-none")) }
                } @else {
                    dl { @for (r, n) in &stats.by_reason { dt { (reason(tr, *r)) } dd data-reason=(r.as_str()) { (n) } } }
                }
            }
            div.card #ratings {
                h3 { (tr.t("desk-office-ratings")) }
                @match stats.average_rating() {
                    Some(avg) => {
                        p.average { (tr.ta("desk-office-average", &[("average", format!("{avg:.1}")), ("count", stats.rated().to_string())])) }
                        dl {
                            @for (stars, n) in (1..=5).rev().zip(stats.ratings.iter().rev()) {
                                dt { (tr.ta("desk-office-stars", &[("rating", stars.to_string())])) } dd data-rating=(stars) { (n) }
                            }
                        }
                    }
                    None => { p.empty { (tr.t("desk-office-no-ratings")) } }
                }
            }
            div.card #by-resolution {
                h3 { (tr.t("desk-office-by-resolution")) }
                @if stats.by_resolution.is_empty() {
                    p.empty { (tr.t("desk-office-none")) }
                } @else {
                    dl { @for (r, n) in &stats.by_resolution { dt { (resolution(tr, r)) } dd data-resolution=(r) { (n) } } }
                }
            }
        }
    }
}

fn reason(tr: &Tr<'_>, r: EscalationReason) -> String {
    tr.t(&format!("desk-reason-{}", fluent_part(&r)))
}

/// Codes no longer offered keep showing as they were stored.
fn resolution(tr: &Tr<'_>, code: &str) -> String {
    if RESOLUTIONS.contains(&code) {
        tr.t(&format!("desk-resolution-{}", code.replace('_', "-")))
    } else {
        code.to_owned()
    }
}

fn decision(tr: &Tr<'_>, d: &str) -> String {
    match d {
        "clarify" => tr.t("desk-office-decision-clarify"),
        "out_of_scope" => tr.t("desk-office-decision-out-of-scope"),
        other => other.to_owned(),
    }
}

/// The log keeps ids as text, written by whichever catalogue was live then.
fn logged_intent(state: &DeskState, locale: &str, id: &str) -> String {
    IntentId::parse(id).map_or_else(|_| id.to_owned(), |i| intent_title(state, locale, &i))
}
