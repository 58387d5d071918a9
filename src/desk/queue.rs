//! The agent's side of a handoff: the queue, a conversation with its context and
//! suggested standard replies, and the actions (claim, release, transfer, reply, close).
//! Screens stay current through `/desk/events` (server-sent events).

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex, PoisonError};

use axum::extract::{Path, Query, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use chrono::{DateTime, Utc};
use maud::{html, Markup, PreEscaped};
use serde::Deserialize;
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::{Stream, StreamExt};

use super::auth::{Desk, DeskError};
use super::page::{csrf, intent_title, layout, Tr};
use super::users::Role;
use super::DeskState;
use crate::domain::{Channel, EscalationReason};
use crate::handoff::context::AccountState;
use crate::handoff::local;
use crate::handoff::{self, Handoff, QueueView, Status};
use crate::transcript::{Direction, TranscriptLine};

pub fn router() -> Router<DeskState> {
    Router::new()
        .route("/desk/events", get(events))
        .route("/desk/queue", get(queue_page))
        .route("/desk/queue/list", get(queue_list))
        .route("/desk/handoffs/{id}", get(conversation_page))
        .route("/desk/handoffs/{id}/transcript", get(transcript_fragment))
        .route("/desk/handoffs/{id}/suggestions", get(suggestions_fragment))
        .route(
            "/desk/handoffs/{id}/wrong-suggestion",
            post(wrong_suggestion),
        )
        .route("/desk/replies", get(search_replies))
        .route("/desk/handoffs/{id}/claim", post(claim))
        .route("/desk/handoffs/{id}/release", post(release))
        .route("/desk/handoffs/{id}/transfer", post(transfer))
        .route("/desk/handoffs/{id}/reply", post(reply))
        .route("/desk/handoffs/{id}/close", post(close))
}

/// How an agent ends a handoff; reported per code.
pub const RESOLUTIONS: [&str; 6] = [
    "answered",
    "request_created",
    "referred",
    "complaint_recorded",
    "no_response",
    "duplicate",
];

async fn events(
    _desk: Desk,
    State(state): State<DeskState>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let events = BroadcastStream::new(state.events.subscribe()).map(|e| {
        Ok(match e {
            Ok(e) => Event::default().event(e.name()).data(e.id().to_string()),
            // Missed some: every screen refetches.
            Err(_) => Event::default().event("lagged").data("0"),
        })
    });
    let stream = futures_util::StreamExt::take_until(events, state.events.closed());
    Sse::new(stream).keep_alive(KeepAlive::default())
}

fn store(state: &DeskState) -> std::sync::Arc<dyn handoff::HandoffStore> {
    state.handoffs.store.clone()
}

async fn load(state: &DeskState, id: i64) -> Result<Handoff, DeskError> {
    store(state)
        .get(id)
        .await
        .map_err(DeskError::internal)?
        .ok_or(DeskError::NotFound)
}

fn age(tr: &Tr<'_>, since: DateTime<Utc>) -> String {
    let mins = (Utc::now() - since).num_minutes().max(0);
    tr.ta("desk-minutes-ago", &[("minutes", mins.to_string())])
}

fn reason(tr: &Tr<'_>, r: EscalationReason) -> String {
    tr.t(&format!("desk-reason-{}", r.as_str().replace('_', "-")))
}

/// Which handoffs the queue shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Show {
    #[default]
    All,
    Mine,
    Unassigned,
}

impl Show {
    const ALL: [Self; 3] = [Self::All, Self::Unassigned, Self::Mine];

    fn as_str(self) -> &'static str {
        match self {
            Self::All => "all",
            Self::Mine => "mine",
            Self::Unassigned => "unassigned",
        }
    }

    fn filter(self, me: i64) -> handoff::QueueFilter {
        match self {
            Self::All => handoff::QueueFilter::All,
            Self::Mine => handoff::QueueFilter::ClaimedBy(me),
            Self::Unassigned => handoff::QueueFilter::Unassigned,
        }
    }
}

/// Cards a queue screen lists at first, and how many more each "more" adds: the top of a
/// long queue is what an agent takes next, and a page of every open handoff in a cold snap
/// would be slow to make and to read.
const PAGE: i64 = 50;
/// However far an agent pages.
const MOST: i64 = 1_000;

#[derive(Debug, Default, Deserialize)]
struct QueueQuery {
    #[serde(default)]
    show: Show,
    /// How many cards to list; the first page when absent.
    limit: Option<i64>,
}

impl QueueQuery {
    fn limit(&self) -> i64 {
        self.limit.unwrap_or(PAGE).clamp(1, MOST)
    }
}

async fn queue_page(
    desk: Desk,
    State(state): State<DeskState>,
    Query(q): Query<QueueQuery>,
) -> Result<Markup, DeskError> {
    desk.require(Role::Agent)?;
    queue_screen(&state, &desk, &q, None).await
}

/// The queue, with a notice on top when the agent came back from something that failed.
async fn queue_screen(
    state: &DeskState,
    desk: &Desk,
    q: &QueueQuery,
    notice: Option<String>,
) -> Result<Markup, DeskError> {
    let tr = Tr {
        state,
        locale: &desk.locale,
    };
    let show = q.show;
    let list = queue_rows(state, desk, q).await?;
    let body = html! {
        @if let Some(n) = notice { p.alert #notice role="alert" { (n) } }
        button.link #alerts type="button" data-on=(tr.t("desk-alerts-on")) { (tr.t("desk-alerts-off")) }
        nav.filters aria-label=(tr.t("desk-queue-filter")) {
            @for s in Show::ALL {
                a href={ "/desk/queue?show=" (s.as_str()) } class=[(s == show).then_some("current")] data-show=(s.as_str()) {
                    (tr.t(&format!("desk-queue-show-{}", s.as_str())))
                }
            }
        }
        // What residents' messages do may reach the list this late: desk.js refetches after it.
        section #queue data-live="queue" data-src=(list_src(show, q.limit()))
            data-words-lag=(handoff::WORDS_LAG.as_millis()) { (list) }
    };
    Ok(layout(
        state,
        desk,
        "/desk/queue",
        &tr.t("desk-queue-title"),
        body,
    ))
}

async fn queue_list(
    desk: Desk,
    State(state): State<DeskState>,
    Query(q): Query<QueueQuery>,
) -> Result<Markup, DeskError> {
    desk.require(Role::Agent)?;
    queue_rows(&state, &desk, &q).await
}

/// The fragment a queue screen refetches: the same filter and as many cards as it shows.
fn list_src(show: Show, limit: i64) -> String {
    if limit == PAGE {
        format!("/desk/queue/list?show={}", show.as_str())
    } else {
        format!("/desk/queue/list?show={}&limit={limit}", show.as_str())
    }
}

/// What a rendered list depends on besides the view: whose cards are "mine", the forms'
/// anti-forgery token, the language, and which list.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct ListKey {
    user: i64,
    csrf: String,
    locale: String,
    show: Show,
    limit: i64,
}

/// Lists rendered at most (agents × screens); past it, the old ones go.
const RENDERED: usize = 256;

/// The queue lists last rendered, each with the view it shows. Every open queue screen
/// refetches its list on every desk event, and rendering fifty cards (their translations
/// and escaping) costs more than reading the kept view: a list is rendered once per view
/// and agent's screen. A list is never older than its view (`handoff::QueueViews`), and
/// a card's age in minutes is at most that view's second late.
#[derive(Clone, Default)]
pub struct RenderedLists(Arc<Mutex<HashMap<ListKey, Rendered>>>);

/// A list's HTML and the view it shows.
type Rendered = (Arc<QueueView>, Arc<str>);

impl RenderedLists {
    fn get(&self, key: &ListKey, view: &Arc<QueueView>) -> Option<Arc<str>> {
        let lists = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        // The entry holds its view, so a pointer equal to it is that view.
        let (shown, html) = lists.get(key)?;
        Arc::ptr_eq(shown, view).then(|| html.clone())
    }

    fn put(&self, key: ListKey, view: Arc<QueueView>, html: Arc<str>) {
        let mut lists = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if lists.len() >= RENDERED && !lists.contains_key(&key) {
            lists.clear();
        }
        lists.insert(key, (view, html));
    }
}

async fn queue_rows(state: &DeskState, desk: &Desk, q: &QueueQuery) -> Result<Markup, DeskError> {
    let limit = q.limit();
    let view = state
        .handoffs
        .queue_view(q.show.filter(desk.user.id), limit)
        .await
        .map_err(DeskError::internal)?;
    let key = ListKey {
        user: desk.user.id,
        csrf: desk.csrf.clone(),
        locale: desk.locale.clone(),
        show: q.show,
        limit,
    };
    if let Some(html) = state.queue_lists.get(&key, &view) {
        return Ok(PreEscaped(html.to_string()));
    }
    let html = render_rows(state, desk, q, &view);
    state.queue_lists.put(key, view, Arc::from(html.0.as_str()));
    Ok(html)
}

fn render_rows(state: &DeskState, desk: &Desk, q: &QueueQuery, view: &QueueView) -> Markup {
    let tr = Tr {
        state,
        locale: &desk.locale,
    };
    let limit = q.limit();
    let waiting = view.waiting;
    let shown = view.cards.len() as i64;
    let more = (view.listed > shown && limit < MOST).then(|| {
        let next = (limit + PAGE).min(MOST);
        (
            format!("/desk/queue?show={}&limit={next}", q.show.as_str()),
            tr.ta(
                "desk-queue-more",
                &[
                    ("shown", shown.to_string()),
                    ("listed", view.listed.to_string()),
                ],
            ),
        )
    });
    html! {
        // desk.js puts the waiting count in the tab's title, seen from other tabs.
        p.summary data-waiting=(waiting) { (tr.ta("desk-queue-summary", &[("waiting", waiting.to_string()), ("total", view.open.to_string())])) }
        @if view.cards.is_empty() {
            p.empty { (tr.t("desk-queue-empty")) }
        }
        ul.cards {
            @for h in &view.cards {
                li.card.handoff data-id=(h.id) data-status=(h.status.as_str()) data-priority=(h.priority) data-unread=(h.unread) {
                    div.head {
                        span.priority.{"p" (h.priority.clamp(0, 99) / 10)} { (reason(&tr, h.reason)) }
                        span.age { (age(&tr, h.created_at)) }
                    }
                    div.what {
                        @if let Some(i) = &h.intent {
                            (intent_title(state, &desk.locale, i))
                            @if let Some(c) = h.confidence { " · " (format!("{:.0}%", c * 100.0)) }
                        } @else { (tr.t("desk-intent-unknown")) }
                    }
                    div.who {
                        @match &h.account {
                            Some(no) => { (tr.ta("desk-resident-account", &[("account", crate::domain::mask_personal(no))])) }
                            None => { (mask_user(&h.user)) }
                        }
                        @if h.unread > 0 { " " span.unread title=(tr.t("desk-unread")) { (unread(h.unread)) } }
                    }
                    @if let Some(l) = &h.last_words {
                        // The first line of what the resident last wrote, personal numbers masked.
                        div.last { (first_line(&crate::domain::mask_personal(l))) }
                    }
                    div.actions {
                        @match h.status {
                            Status::Waiting => {
                                form method="post" action={ "/desk/handoffs/" (h.id) "/claim" } {
                                    (csrf(desk))
                                    button.claim type="submit" { (tr.t("desk-claim")) }
                                }
                            }
                            Status::Claimed => {
                                span.owner { (tr.ta("desk-claimed-by", &[("agent", h.agent.clone().unwrap_or_default())])) }
                                @if h.claimed_by == Some(desk.user.id) {
                                    a.button.open href={ "/desk/handoffs/" (h.id) } { (tr.t("desk-open")) }
                                }
                            }
                            Status::Closed => {}
                        }
                        a.view href={ "/desk/handoffs/" (h.id) } { (tr.t("desk-view")) }
                    }
                }
            }
        }
        @if let Some((href, label)) = more {
            p.more { a #more href=(href) { (label) } }
        }
    }
}

/// The count stops at the cap: "99+" past it, as mail and chat apps say.
fn unread(n: i64) -> String {
    if n >= handoff::UNREAD_CAP {
        format!("{}+", handoff::UNREAD_CAP - 1)
    } else {
        n.to_string()
    }
}

/// Enough of a message to recognise it on a card.
fn first_line(text: &str) -> String {
    const CHARS: usize = 40;
    let line = text.lines().next().unwrap_or_default();
    let mut short: String = line.chars().take(CHARS).collect();
    if line.chars().count() > CHARS || text.lines().nth(1).is_some() {
        short.push('…');
    }
    short
}

/// OpenIDs are long and meaningless to an agent: the end is enough to tell two apart.
pub(super) fn mask_user(user: &str) -> String {
    let tail: String = user
        .chars()
        .rev()
        .take(6)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("…{tail}")
}

async fn conversation_page(
    desk: Desk,
    State(state): State<DeskState>,
    Path(id): Path<i64>,
) -> Result<Markup, DeskError> {
    desk.require(Role::Agent)?;
    let h = load(&state, id).await?;
    let tr = Tr {
        state: &state,
        locale: &desk.locale,
    };
    let lines = state
        .conversations
        .transcript(&h.user)
        .await
        .map_err(DeskError::internal)?;
    let accounts = state.handoffs.accounts(&h).await;
    let window = state
        .handoffs
        .window(&h.user)
        .await
        .map_err(DeskError::internal)?;
    let mine = h.status == Status::Claimed && h.claimed_by == Some(desk.user.id);
    let suggestions = suggestions_for(&state, &lines);
    let known: Vec<_> = accounts
        .iter()
        .filter_map(|a| a.account.as_ref().ok())
        .collect();
    let interruptions = super::incidents::banner(&state, &desk.locale, &known, Channel::Wechat);
    let agents = if mine {
        state
            .users
            .list()
            .await
            .map_err(DeskError::internal)?
            .into_iter()
            .filter(|u| u.role == Role::Agent && !u.disabled && u.id != desk.user.id)
            .collect()
    } else {
        Vec::new()
    };
    let now = Utc::now();
    let body = html! {
        div.conversation {
            section.transcript #transcript data-live="conversation" data-id=(h.id)
                data-src={ "/desk/handoffs/" (h.id) "/transcript" } {
                (transcript(&tr, &lines))
            }
            section.act {
                (interruptions)
                @if mine {
                    div #suggestions data-live="conversation" data-id=(h.id)
                        data-src={ "/desk/handoffs/" (h.id) "/suggestions" } {
                        (suggestions_list(&tr, &desk, h.id, &suggestions))
                    }
                    form.search-replies data-live-form="#reply-search-results" data-src="/desk/replies" onsubmit="return false" {
                        input #reply-search type="search" name="q" autocomplete="off" placeholder=(tr.t("desk-search-replies")) aria-label=(tr.t("desk-search-replies"));
                    }
                    div #reply-search-results {}
                    form.reply #reply-form data-ajax method="post" action={ "/desk/handoffs/" (h.id) "/reply" } {
                        (csrf(&desk))
                        textarea #reply-text name="text" rows="4" required placeholder=(tr.t("desk-reply-placeholder")) {}
                        button #send type="submit" { (tr.t("desk-send")) } " "
                        button.secondary #add-note type="submit" name="note" value="1" { (tr.t("desk-add-note")) } " "
                        span.hint { (tr.t("desk-send-hint")) }
                    }
                    form.close method="post" action={ "/desk/handoffs/" (h.id) "/close" } {
                        (csrf(&desk))
                        label { (tr.t("desk-resolution"))
                            select #resolution name="resolution" {
                                @for r in RESOLUTIONS { option value=(r) { (tr.t(&format!("desk-resolution-{}", r.replace('_', "-")))) } }
                            }
                        }
                        input name="note" placeholder=(tr.t("desk-note"));
                        button #close type="submit" { (tr.t("desk-close")) }
                    }
                    div.more {
                        form method="post" action={ "/desk/handoffs/" (h.id) "/complaint" } {
                            (csrf(&desk))
                            button #mark-complaint type="submit" { (tr.t("desk-mark-complaint")) }
                        }
                        form method="post" action={ "/desk/handoffs/" (h.id) "/release" } {
                            (csrf(&desk))
                            button #release type="submit" { (tr.t("desk-release")) }
                        }
                        @if !agents.is_empty() {
                            form method="post" action={ "/desk/handoffs/" (h.id) "/transfer" } {
                                (csrf(&desk))
                                select name="to" { @for a in &agents { option value=(a.id) { (a.display_name) } } }
                                button #transfer type="submit" { (tr.t("desk-transfer")) }
                            }
                        }
                    }
                } @else if h.status == Status::Waiting {
                    form method="post" action={ "/desk/handoffs/" (h.id) "/claim" } {
                        (csrf(&desk))
                        button.claim #claim type="submit" { (tr.t("desk-claim")) }
                    }
                } @else if h.status == Status::Closed {
                    p.closed {
                        (tr.t("desk-status-closed"))
                        @if let Some(r) = &h.resolution { " · " (tr.t(&format!("desk-resolution-{}", r.replace('_', "-")))) }
                        @if let Some(r) = h.rating { " · " (tr.ta("desk-rating", &[("rating", r.to_string())])) }
                    }
                } @else {
                    p { (tr.ta("desk-claimed-by", &[("agent", h.agent.clone().unwrap_or_default())])) }
                }
            }
            aside.context #context {
                details #context-details open {
                summary { h2 { (tr.t("desk-context")) } }
                dl {
                    dt { (tr.t("desk-status")) } dd.status { (tr.t(&format!("desk-status-{}", h.status.as_str()))) }
                    dt { (tr.t("desk-reason")) } dd.reason { (reason(&tr, h.reason)) }
                    dt { (tr.t("desk-priority")) } dd { (h.priority) }
                    dt { (tr.t("desk-since")) } dd { (local(h.created_at)) " (" (age(&tr, h.created_at)) ")" }
                    @if let Some(i) = &h.intent {
                        dt { (tr.t("desk-intent")) }
                        dd.intent { (intent_title(&state, &desk.locale, i)) @if let Some(c) = h.confidence { " · " (format!("{:.0}%", c * 100.0)) } }
                    }
                }
                @if !h.snapshot.intents.is_empty() {
                    h3 { (tr.t("desk-understood")) }
                    ol.understood {
                        @for u in &h.snapshot.intents {
                            li { (intent_title(&state, &desk.locale, &u.intent)) " · " (format!("{:.0}%", u.confidence * 100.0)) }
                        }
                    }
                }
                @if let Some(form) = &h.snapshot.form {
                    h3 { (tr.ta("desk-form", &[("intent", intent_title(&state, &desk.locale, form))])) }
                    dl.slots {
                        @for (k, v) in &h.snapshot.slots { dt { (k) } dd { (v) } }
                    }
                }
                h3 { (tr.t("desk-accounts")) }
                @if accounts.is_empty() { p.empty { (tr.t("desk-no-accounts")) } }
                @for a in &accounts { (account(&tr, a)) }
                h3 { (tr.t("desk-window")) }
                p.window data-open=(window.is_open(now)) {
                    @match window.closes_at {
                        Some(c) if window.is_open(now) => {
                            (tr.ta("desk-window-open", &[("closes", local(c)), ("left", window.left.to_string())]))
                        }
                        _ => { (tr.t("desk-window-closed")) }
                    }
                }
                }
            }
        }
    };
    let title = tr.ta("desk-conversation-title", &[("id", h.id.to_string())]);
    Ok(layout(&state, &desk, "/desk/queue", &title, body))
}

fn account(tr: &Tr<'_>, a: &AccountState) -> Markup {
    html! {
        div.account data-account=(a.no) {
            @match &a.account {
                Ok(acc) => {
                    strong { (acc.no) } " " (acc.address)
                    ul {
                        li { (tr.t(&format!("desk-account-{}", crate::domain::snake_name(&acc.status)))) }
                        @if let Some(o) = a.outstanding {
                            li.arrears data-fen=(o.0) { (tr.ta("desk-outstanding", &[("yuan", o.yuan())])) }
                        }
                        @for r in &a.open_requests {
                            li.request {
                                (r.id) " · "
                                (tr.t(&format!("request-kind-{}", crate::domain::fluent_part(&r.kind))))
                                " · "
                                (tr.t(&format!("request-status-{}", crate::domain::fluent_part(&r.status))))
                            }
                        }
                    }
                }
                Err(_) => { strong { (a.no) } " " span.error { (tr.t("desk-account-unavailable")) } }
            }
        }
    }
}

pub(super) fn transcript(tr: &Tr<'_>, lines: &[TranscriptLine]) -> Markup {
    html! {
        ol.lines {
            @for l in lines {
                @let note = l.delivery.as_deref() == Some(handoff::NOTE);
                @let who = match (l.direction, &l.author) {
                    (Direction::In, _) => "resident",
                    (Direction::Out, Some(_)) if note => "note",
                    (Direction::Out, Some(_)) => "agent",
                    (Direction::Out, None) => "bot",
                };
                li.line.(who) data-line=(l.id) data-delivery=[l.delivery.as_deref()] {
                    div.meta {
                        span.who { @match &l.author { Some(a) => (a), None => (tr.t(&format!("desk-who-{who}"))) } }
                        @if note { " " span.tag { (tr.t("desk-note-private")) } }
                        " "
                        time { (local(l.at)) }
                        @if let (Some(i), Some(c)) = (&l.intent, l.confidence) {
                            " " span.understood data-intent=(i) { (intent_title(tr.state, tr.locale, i)) " " (format!("{:.0}%", c * 100.0)) }
                        }
                    }
                    div.text { (l.text) }
                    @if let Some(d) = &l.delivery {
                        @if d.starts_with("failed") {
                            div.delivery.failed role="alert" { (tr.t(&format!("desk-delivery-{}", d.replace([':', '_'], "-")))) }
                        } @else if d == "pending" {
                            div.delivery.pending { (tr.t("desk-delivery-pending")) }
                        }
                    }
                }
            }
        }
    }
}

async fn transcript_fragment(
    desk: Desk,
    State(state): State<DeskState>,
    Path(id): Path<i64>,
) -> Result<Markup, DeskError> {
    desk.require(Role::Agent)?;
    let h = load(&state, id).await?;
    let tr = Tr {
        state: &state,
        locale: &desk.locale,
    };
    let lines = state
        .conversations
        .transcript(&h.user)
        .await
        .map_err(DeskError::internal)?;
    Ok(transcript(&tr, &lines))
}

fn suggestions_list(tr: &Tr<'_>, desk: &Desk, id: i64, suggestions: &[(String, String)]) -> Markup {
    html! {
        @if !suggestions.is_empty() {
            h2 { (tr.t("desk-suggestions")) }
            ul.suggestions {
                @for (title, text) in suggestions {
                    li {
                        button.suggestion type="button" data-insert=(text) data-target="#reply-text" {
                            strong { (title) } span { (text) }
                        }
                    }
                }
            }
            // The office's inbox hears of suggestions that missed the point.
            form.wrong-suggestion method="post" action={ "/desk/handoffs/" (id) "/wrong-suggestion" } {
                (csrf(desk))
                button.link #wrong-suggestion type="submit" { (tr.t("desk-wrong-suggestion")) }
            }
        }
    }
}

/// An agent says the suggestions for the resident's last message were wrong: the message
/// goes to the office's inbox (masked), with what the bot suggested.
async fn wrong_suggestion(
    desk: Desk,
    State(state): State<DeskState>,
    Path(id): Path<i64>,
) -> Result<Response, DeskError> {
    desk.require(Role::Agent)?;
    let h = load(&state, id).await?;
    let lines = state
        .conversations
        .transcript(&h.user)
        .await
        .map_err(DeskError::internal)?;
    let Some(last) = lines.iter().rev().find(|l| l.direction == Direction::In) else {
        return Err(DeskError::BadRequest(
            "the resident has written nothing".into(),
        ));
    };
    let engine = state.engine.current();
    let c = engine.classify(&last.text);
    state
        .office
        .feedback(crate::office::Feedback {
            at: chrono::Utc::now(),
            kind: crate::office::FeedbackKind::WrongSuggestion,
            text_masked: crate::domain::mask_personal(&last.text),
            intent: Some(c.intent.to_string()),
            entry: c.entry.map(|e| e.to_string()),
            by: Some(desk.user.name.clone()),
        })
        .await
        .map_err(DeskError::internal)?;
    Ok(Redirect::to(&format!("/desk/handoffs/{id}?reported=1")).into_response())
}

#[derive(Deserialize)]
struct SearchQuery {
    #[serde(default)]
    q: String,
}

/// Standard replies found by words in their questions, paraphrases or texts: every entry,
/// not only the three suggested, with its intent's title.
async fn search_replies(
    desk: Desk,
    State(state): State<DeskState>,
    Query(q): Query<SearchQuery>,
) -> Result<Markup, DeskError> {
    desk.require(Role::Agent)?;
    let tr = Tr {
        state: &state,
        locale: &desk.locale,
    };
    let needle = crate::domain::normalize(q.q.trim());
    if needle.is_empty() {
        return Ok(html! {});
    }
    let engine = state.engine.current();
    let catalog = engine.catalog();
    let found: Vec<_> = catalog
        .published()
        .filter(|e| {
            e.texts()
                .chain([e.reply.wechat.as_str()])
                .any(|t| crate::domain::normalize(t).contains(&needle))
        })
        .take(SEARCH_RESULTS)
        .collect();
    Ok(html! {
        @if found.is_empty() {
            p.empty { (tr.t("desk-search-none")) }
        } @else {
            ul.suggestions.found {
                @for e in found {
                    @let text = catalog.rendered_reply(e).wechat;
                    li {
                        button.suggestion type="button" data-insert=(text) data-target="#reply-text" data-entry=(e.id) {
                            strong { (intent_title(&state, &desk.locale, &e.intent)) " · " (e.question) } span { (text) }
                        }
                    }
                }
            }
        }
    })
}

/// Entries a search shows at most.
const SEARCH_RESULTS: usize = 10;

/// For the resident's last message: follows the conversation as it goes on.
async fn suggestions_fragment(
    desk: Desk,
    State(state): State<DeskState>,
    Path(id): Path<i64>,
) -> Result<Markup, DeskError> {
    desk.require(Role::Agent)?;
    let h = load(&state, id).await?;
    let lines = state
        .conversations
        .transcript(&h.user)
        .await
        .map_err(DeskError::internal)?;
    let tr = Tr {
        state: &state,
        locale: &desk.locale,
    };
    Ok(suggestions_list(
        &tr,
        &desk,
        id,
        &suggestions_for(&state, &lines),
    ))
}

fn suggestions_for(state: &DeskState, lines: &[TranscriptLine]) -> Vec<(String, String)> {
    lines
        .iter()
        .rev()
        .find(|l| l.direction == Direction::In)
        .map(|l| suggest(state, &l.text))
        .unwrap_or_default()
}

/// The best standard replies for the resident's last message, as sent on WeChat.
fn suggest(state: &DeskState, text: &str) -> Vec<(String, String)> {
    let engine = state.engine.current();
    crate::assist::suggest(&engine, text, Channel::Wechat, 3)
        .suggestions
        .into_iter()
        .filter_map(|s| match s.reply {
            crate::assist::Reply::Text { text } => Some((s.question, text)),
            crate::assist::Reply::Script { .. } => None,
        })
        .collect()
}

async fn claim(
    desk: Desk,
    State(state): State<DeskState>,
    Path(id): Path<i64>,
) -> Result<Response, DeskError> {
    desk.require(Role::Agent)?;
    let waited_since = load(&state, id).await?.created_at;
    if !store(&state)
        .claim(id, desk.user.id, Utc::now())
        .await
        .map_err(DeskError::internal)?
    {
        // Someone was quicker: back to the queue, which says so, rather than a dead end.
        let tr = Tr {
            state: &state,
            locale: &desk.locale,
        };
        let page = queue_screen(
            &state,
            &desk,
            &QueueQuery::default(),
            Some(tr.t("desk-claim-taken")),
        )
        .await?;
        return Ok((axum::http::StatusCode::CONFLICT, page).into_response());
    }
    tracing::info!(handoff = id, agent = desk.user.id, "handoff claimed");
    metrics::histogram!("heatdesk_handoff_wait_seconds")
        .record((Utc::now() - waited_since).as_seconds_f64());
    state.events.publish(handoff::DeskEvent::Queue);
    Ok(Redirect::to(&format!("/desk/handoffs/{id}")).into_response())
}

async fn release(
    desk: Desk,
    State(state): State<DeskState>,
    Path(id): Path<i64>,
) -> Result<Response, DeskError> {
    desk.require(Role::Agent)?;
    load(&state, id).await?;
    if !store(&state)
        .release(id, desk.user.id)
        .await
        .map_err(DeskError::internal)?
    {
        return Err(DeskError::Conflict);
    }
    state.events.publish(handoff::DeskEvent::Queue);
    Ok(Redirect::to("/desk/queue").into_response())
}

#[derive(Deserialize)]
struct TransferForm {
    to: i64,
}

async fn transfer(
    desk: Desk,
    State(state): State<DeskState>,
    Path(id): Path<i64>,
    Form(f): Form<TransferForm>,
) -> Result<Response, DeskError> {
    desk.require(Role::Agent)?;
    load(&state, id).await?;
    let to = state
        .users
        .get(f.to)
        .await
        .map_err(DeskError::internal)?
        .filter(|u| u.can(Role::Agent) && !u.disabled)
        .ok_or_else(|| DeskError::BadRequest("no such agent".into()))?;
    if !store(&state)
        .transfer(id, desk.user.id, to.id, Utc::now())
        .await
        .map_err(DeskError::internal)?
    {
        return Err(DeskError::Conflict);
    }
    tracing::info!(
        handoff = id,
        from = desk.user.id,
        to = to.id,
        "handoff transferred"
    );
    state.events.publish(handoff::DeskEvent::Queue);
    Ok(Redirect::to("/desk/queue").into_response())
}

#[derive(Deserialize)]
struct ReplyForm {
    text: String,
    /// The "private note" button: kept for colleagues, not sent.
    #[serde(default)]
    note: Option<String>,
}

async fn reply(
    desk: Desk,
    State(state): State<DeskState>,
    Path(id): Path<i64>,
    Form(f): Form<ReplyForm>,
) -> Result<Response, DeskError> {
    desk.require(Role::Agent)?;
    let h = load(&state, id).await?;
    if h.status != Status::Claimed || h.claimed_by != Some(desk.user.id) {
        return Err(DeskError::Conflict);
    }
    // Browsers send a textarea's line breaks as CRLF; WeChat shows LF.
    let text = f.text.replace("\r\n", "\n");
    let text = text.trim();
    if text.is_empty() {
        return Err(DeskError::BadRequest("empty reply".into()));
    }
    if f.note.is_some() {
        state
            .handoffs
            .note(&h, &desk.user.display_name, text, Utc::now())
            .await
            .map_err(DeskError::internal)?;
        return Ok(Redirect::to(&format!("/desk/handoffs/{id}")).into_response());
    }
    state
        .handoffs
        .deliver(&h, Some(&desk.user.display_name), text, Utc::now())
        .await
        .map_err(DeskError::internal)?;
    Ok(Redirect::to(&format!("/desk/handoffs/{id}")).into_response())
}

#[derive(Deserialize)]
struct CloseForm {
    resolution: String,
    #[serde(default)]
    note: String,
}

async fn close(
    desk: Desk,
    State(state): State<DeskState>,
    Path(id): Path<i64>,
    Form(f): Form<CloseForm>,
) -> Result<Response, DeskError> {
    desk.require(Role::Agent)?;
    let h = load(&state, id).await?;
    if !RESOLUTIONS.contains(&f.resolution.as_str()) {
        return Err(DeskError::BadRequest("unknown resolution".into()));
    }
    if !state
        .handoffs
        .close(&h, desk.user.id, &f.resolution, f.note.trim(), Utc::now())
        .await
        .map_err(DeskError::internal)?
    {
        return Err(DeskError::Conflict);
    }
    Ok(Redirect::to("/desk/queue").into_response())
}
