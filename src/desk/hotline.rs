//! Hotline assist: an agent types or pastes what a caller says and sees the standard
//! replies as hotline scripts (greeting, answer, closing), with what the classifier made of
//! it; optionally the caller's account. The same as JSON at `POST /api/v1/assist`.

use axum::extract::rejection::JsonRejection;
use axum::extract::{Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use maud::{html, Markup};
use serde::{Deserialize, Serialize};

use super::auth::{Desk, DeskError};
use super::page::{layout, Tr};
use super::users::Role;
use super::DeskState;
use crate::assist::{self, Assist, Reply};
use crate::domain::Channel;
use crate::handoff::context::AccountState;
use crate::service::AccountNo;

/// Suggestions shown or returned unless the caller asks for another number.
const DEFAULT_LIMIT: usize = 3;
const MAX_LIMIT: usize = 10;

pub fn router() -> Router<DeskState> {
    Router::new()
        .route("/desk/hotline", get(page))
        .route("/desk/hotline/results", get(results_fragment))
        .route("/api/v1/assist", post(api))
}

#[derive(Debug, Default, Deserialize)]
struct AssistQuery {
    #[serde(default)]
    text: String,
    #[serde(default)]
    account: String,
    #[serde(default)]
    channel: Option<Channel>,
}

async fn page(
    desk: Desk,
    State(state): State<DeskState>,
    Query(q): Query<AssistQuery>,
) -> Result<Markup, DeskError> {
    desk.require(Role::Agent)?;
    let tr = Tr {
        state: &state,
        locale: &desk.locale,
    };
    let results = results(&state, &desk, &q).await?;
    let channel = q.channel.unwrap_or(Channel::Hotline);
    let body = html! {
        form.assist #assist method="get" action="/desk/hotline"
            data-live-form="#assist-results" data-src="/desk/hotline/results" {
            label { (tr.t("desk-hotline-text"))
                textarea #caller-text name="text" rows="3" autofocus placeholder=(tr.t("desk-hotline-placeholder")) { (q.text) }
            }
            div.row {
                label { (tr.t("desk-hotline-account"))
                    input #caller-account name="account" inputmode="numeric" value=(q.account);
                }
                label { (tr.t("desk-hotline-channel"))
                    select name="channel" {
                        option value="hotline" selected[channel == Channel::Hotline] { (tr.t("desk-channel-hotline")) }
                        option value="counter" selected[channel == Channel::Counter] { (tr.t("desk-channel-counter")) }
                        option value="wechat" selected[channel == Channel::Wechat] { (tr.t("desk-channel-wechat")) }
                    }
                }
            }
            button #assist-submit type="submit" { (tr.t("desk-hotline-submit")) }
        }
        section #assist-results { (results) }
    };
    Ok(layout(
        &state,
        &desk,
        "/desk/hotline",
        &tr.t("desk-hotline-title"),
        body,
    ))
}

async fn results_fragment(
    desk: Desk,
    State(state): State<DeskState>,
    Query(q): Query<AssistQuery>,
) -> Result<Markup, DeskError> {
    desk.require(Role::Agent)?;
    results(&state, &desk, &q).await
}

async fn results(state: &DeskState, desk: &Desk, q: &AssistQuery) -> Result<Markup, DeskError> {
    let tr = Tr {
        state,
        locale: &desk.locale,
    };
    let text = q.text.trim();
    let channel = q.channel.unwrap_or(Channel::Hotline);
    let found = if text.is_empty() {
        None
    } else {
        Some(run(state, text, channel, DEFAULT_LIMIT).await?)
    };
    let account = match q.account.trim() {
        "" => None,
        raw => Some(match AccountNo::parse(raw.to_owned()) {
            Ok(no) => Ok(state.handoffs.account_state(no).await),
            Err(_) => Err(raw.to_owned()),
        }),
    };
    let caller: Vec<_> = match &account {
        Some(Ok(a)) => a.account.as_ref().ok().into_iter().collect(),
        _ => Vec::new(),
    };
    let interruptions = super::incidents::banner(state, &desk.locale, &caller, Channel::Hotline);
    Ok(html! {
        @if let Some(a) = &account {
            @match a {
                Ok(a) => { (account_card(&tr, a)) }
                Err(raw) => { p.error { (tr.ta("desk-hotline-bad-account", &[("account", raw.clone())])) } }
            }
        }
        (interruptions)
        @if let Some(found) = &found {
            p.understood #assist-intent data-intent=(found.intent) data-decision=(decision(found)) {
                (tr.ta("desk-hotline-understood", &[
                    ("intent", super::page::intent_title(state, &desk.locale, &found.intent)),
                    ("confidence", format!("{:.0}", found.confidence * 100.0)),
                ]))
                " · " (tr.t(&format!("desk-decision-{}", decision(found).replace('_', "-"))))
            }
            @if found.suggestions.is_empty() { p.empty { (tr.t("desk-hotline-none")) } }
            ol.cards.scripts {
                @for s in &found.suggestions {
                    li.card.script data-entry=(s.entry) {
                        div.head { strong { (s.question) } span { (format!("{:.0}%", s.score * 100.0)) } }
                        @match &s.reply {
                            Reply::Script { greeting, answer, closing } => {
                                dl {
                                    dt { (tr.t("desk-script-greeting")) } dd.greeting { (greeting) }
                                    dt { (tr.t("desk-script-answer")) } dd.answer { (answer) }
                                    dt { (tr.t("desk-script-closing")) } dd.closing { (closing) }
                                }
                            }
                            Reply::Text { text } => { p.text { (text) } }
                        }
                    }
                }
            }
        }
    })
}

fn decision(a: &Assist) -> String {
    crate::domain::snake_name(&a.decision)
}

fn account_card(tr: &Tr<'_>, a: &AccountState) -> Markup {
    let view = AccountView::of(a);
    html! {
        div.card.account #assist-account data-account=(view.no) {
            @match &a.account {
                Ok(acc) => {
                    strong { (acc.no) } " " (acc.address) " · " (acc.holder_masked)
                    ul {
                        li { (tr.t(&format!("desk-account-{}", view.status.as_deref().unwrap_or("active")))) }
                        @if let Some(y) = &view.outstanding_yuan { li.arrears { (tr.ta("desk-outstanding", &[("yuan", y.clone())])) } }
                        @for r in &view.open_requests {
                            li.request { (r.id) " · " (tr.t(&format!("request-kind-{}", r.kind.replace('_', "-")))) " · " (tr.t(&format!("request-status-{}", r.status.replace('_', "-")))) }
                        }
                    }
                }
                Err(_) => { strong { (a.no) } " " span.error { (tr.t("desk-account-unavailable")) } }
            }
        }
    }
}

/// Validates and logs the text (as every channel's message is), then ranks the replies.
async fn run(
    state: &DeskState,
    text: &str,
    channel: Channel,
    limit: usize,
) -> Result<Assist, DeskError> {
    state
        .classifier
        .classify_logged(text, channel)
        .await
        .map_err(|e| DeskError::BadRequest(e.to_string()))?;
    let engine = state.engine.current();
    Ok(assist::suggest(
        &engine,
        text,
        channel,
        limit.clamp(1, MAX_LIMIT),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AssistRequest {
    text: String,
    #[serde(default)]
    channel: Option<Channel>,
    #[serde(default)]
    limit: Option<usize>,
    /// Links the call to an account: its state comes back too.
    #[serde(default)]
    account: Option<String>,
}

/// The account as the hotline sees it.
#[derive(Debug, Serialize)]
struct AccountView {
    no: String,
    available: bool,
    address: Option<String>,
    holder_masked: Option<String>,
    status: Option<String>,
    outstanding_yuan: Option<String>,
    open_requests: Vec<RequestView>,
}

#[derive(Debug, Serialize)]
struct RequestView {
    id: String,
    kind: String,
    status: String,
}

impl AccountView {
    fn of(a: &AccountState) -> Self {
        let acc = a.account.as_ref().ok();
        Self {
            no: a.no.to_string(),
            available: acc.is_some(),
            address: acc.map(|x| x.address.clone()),
            holder_masked: acc.map(|x| x.holder_masked.clone()),
            status: acc.map(|x| crate::domain::snake_name(&x.status)),
            outstanding_yuan: a.outstanding.map(|o| o.yuan()),
            open_requests: a
                .open_requests
                .iter()
                .map(|r| RequestView {
                    id: r.id.to_string(),
                    kind: crate::domain::snake_name(&r.kind),
                    status: crate::domain::snake_name(&r.status),
                })
                .collect(),
        }
    }
}

#[derive(Debug, Serialize)]
struct AssistResponse {
    #[serde(flatten)]
    assist: Assist,
    #[serde(skip_serializing_if = "Option::is_none")]
    account: Option<AccountView>,
}

async fn api(
    desk: Desk,
    State(state): State<DeskState>,
    body: Result<Json<AssistRequest>, JsonRejection>,
) -> Result<Json<AssistResponse>, DeskError> {
    desk.require(Role::Agent)?;
    let Json(req) = body.map_err(|e| DeskError::BadRequest(e.body_text()))?;
    let channel = req.channel.unwrap_or(Channel::Hotline);
    let assist = run(
        &state,
        &req.text,
        channel,
        req.limit.unwrap_or(DEFAULT_LIMIT),
    )
    .await?;
    let account = match req.account.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(raw) => {
            let no = AccountNo::parse(raw.to_owned())
                .map_err(|e| DeskError::BadRequest(e.to_string()))?;
            Some(AccountView::of(&state.handoffs.account_state(no).await))
        }
    };
    Ok(Json(AssistResponse { assist, account }))
}
