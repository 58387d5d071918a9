//! Before a visit is booked for "not warm": what heatdesk can tell at once instead. In
//! order (after interruptions, `interruption.rs`): the season has not started; the bound
//! account's heating is suspended or its valve not opened yet; arrears keep the valve
//! closed (with how to pay); then the self-check, answered with buttons or words, and only
//! "done, still cold" books the visit. How each case ended is recorded for the office's
//! figure of visits avoided.

use super::actions::enum_key;
use super::ctx::{arg, Ctx};
use super::state::State;
use super::turn::{begin, idle};
use super::DialogueError;
use crate::domain::{EntryId, IntentId};
use crate::entities::Entities;
use crate::incident::triage::Outcome;
use crate::service::rules::{today_in_shanghai, Season};
use crate::service::{Account, AccountStatus, Fen, RequestKind, RequestStatus};

/// What the service API says keeps an account cold.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Finding {
    Suspended,
    /// A resumption under way, at this status.
    ValveClosed(RequestStatus),
    Arrears(Fen),
}

impl Finding {
    fn outcome(self) -> Outcome {
        match self {
            Self::Suspended => Outcome::Suspended,
            Self::ValveClosed(_) => Outcome::ValveClosed,
            Self::Arrears(_) => Outcome::Arrears,
        }
    }
}

/// Tells what holds instead of booking; `None`: nothing did and the self-check was not
/// asked either (the caller books as usual).
pub(super) async fn before_visit(
    cx: &mut Ctx<'_>,
    intent: &IntentId,
    entry: Option<&EntryId>,
) -> Option<State> {
    if !in_season(cx) {
        let args = [
            arg("start", fact(cx, "season_start")),
            arg("end", fact(cx, "season_end")),
        ];
        cx.say("triage-season-not-started", &args);
        let case = record(cx, Outcome::SeasonNotStarted, intent, None).await;
        return Some(State::Explained {
            intent: intent.clone(),
            case,
        });
    }
    let accounts = bound_accounts(cx).await;
    let (mut found, mut case) = (0, None);
    for a in &accounts {
        if let Some(f) = finding(cx, a).await {
            tell(cx, a, f);
            case = record(cx, f.outcome(), intent, Some(&a.district)).await;
            found += 1;
        }
    }
    if found > 0 && found == accounts.len() {
        return Some(State::Explained {
            intent: intent.clone(),
            case,
        });
    }
    cx.entry_reply(intent, entry);
    ask(cx);
    let district = match accounts.as_slice() {
        [one] => Some(one.district.clone()),
        _ => None,
    };
    let case = record(cx, Outcome::SelfCheckAsked, intent, district.as_deref()).await;
    Some(State::SelfCheck {
        intent: intent.clone(),
        case,
    })
}

fn fact(cx: &Ctx<'_>, name: &str) -> String {
    cx.catalog.facts.get(name).cloned().unwrap_or_default()
}

fn in_season(cx: &Ctx<'_>) -> bool {
    let rules = &cx.d.deps.rules;
    let today = today_in_shanghai(cx.at);
    let season = Season::of(today, rules);
    season.start(rules) <= today && today <= season.end(rules)
}

async fn bound_accounts(cx: &Ctx<'_>) -> Vec<Account> {
    let bindings = match cx.d.deps.conversations.bindings(cx.user).await {
        Ok(b) => b,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read bindings for triage");
            return Vec::new();
        }
    };
    let mut out = Vec::new();
    for b in &bindings {
        match cx.d.deps.service.account(&b.account).await {
            Ok(a) => out.push(a),
            Err(e) => tracing::warn!(error = %e, "cannot read a bound account for triage"),
        }
    }
    out
}

async fn finding(cx: &Ctx<'_>, a: &Account) -> Option<Finding> {
    let service = &cx.d.deps.service;
    let requests = service.requests(&a.no).await.unwrap_or_else(|e| {
        tracing::warn!(error = %e, "cannot read requests for triage");
        Vec::new()
    });
    let opening = requests.iter().find(|r| {
        r.kind == RequestKind::Resumption
            && r.status.is_open()
            && r.status != RequestStatus::ValveOpened
    });
    if let Some(r) = opening {
        return Some(Finding::ValveClosed(r.status));
    }
    if a.status == AccountStatus::Suspended {
        return Some(Finding::Suspended);
    }
    if !cx.d.deps.rules.arrears_block_valve {
        return None;
    }
    let today = today_in_shanghai(cx.at);
    let bills = service.bills(&a.no).await.unwrap_or_else(|e| {
        tracing::warn!(error = %e, "cannot read bills for triage");
        Vec::new()
    });
    let overdue: i64 = bills
        .iter()
        .filter(|b| b.due < today)
        .map(|b| b.outstanding().0)
        .sum();
    (overdue > 0).then_some(Finding::Arrears(Fen(overdue)))
}

fn tell(cx: &mut Ctx<'_>, a: &Account, f: Finding) {
    let account = arg("account", a.no.as_str());
    match f {
        Finding::Suspended => cx.say("triage-suspended", &[account]),
        Finding::ValveClosed(status) => {
            let status = cx.label("request-status", &enum_key(&status));
            let when = fact(cx, "resumption_time");
            cx.say(
                "triage-valve-closed",
                &[account, arg("status", status), arg("when", when)],
            );
        }
        Finding::Arrears(owed) => {
            let when = fact(cx, "resumption_time");
            cx.say(
                "triage-arrears",
                &[account, arg("yuan", owed.yuan()), arg("when", when)],
            );
            // How to pay: the office's own standard reply.
            let pay = cx.d.data.triage.pay_intent.clone();
            if let Ok(pay) = IntentId::parse(pay) {
                cx.entry_reply(&pay, None);
            }
        }
    }
}

/// The self-check's question with its two answers as buttons: WeChat's message-menu links
/// send the label back as the resident's message when tapped.
pub(super) fn ask(cx: &mut Ctx<'_>) {
    let button = |cx: &Ctx<'_>, id: &str, n: u8| {
        let label = cx.text(id, &[]);
        format!("<a href=\"weixin://bizmsgmenu?msgmenucontent={label}&msgmenuid={n}\">{label}</a>")
    };
    let still_cold = button(cx, "triage-button-still-cold", 1);
    let warm_now = button(cx, "triage-button-warm-now", 2);
    cx.say(
        "triage-self-check",
        &[arg("still_cold", still_cold), arg("warm_now", warm_now)],
    );
}

/// Records a case; its id when stored (a failure to record never stops the answer).
async fn record(
    cx: &Ctx<'_>,
    outcome: Outcome,
    intent: &IntentId,
    district: Option<&str>,
) -> Option<i64> {
    let incidents = cx.d.deps.incidents.as_ref()?;
    match incidents
        .triage()
        .record(outcome, intent.as_str(), district, cx.at)
        .await
    {
        Ok(id) => Some(id),
        Err(e) => {
            tracing::warn!(error = %e, "triage case not recorded");
            None
        }
    }
}

/// The case ended otherwise than first recorded.
pub(super) async fn amend(cx: &Ctx<'_>, case: Option<i64>, outcome: Outcome) {
    let (Some(case), Some(incidents)) = (case, cx.d.deps.incidents.as_ref()) else {
        return;
    };
    if let Err(e) = incidents.triage().amend(case, outcome, cx.at).await {
        tracing::warn!(error = %e, "triage case not amended");
    }
}

/// The answer to the self-check: still cold books the visit (as does asking for it again),
/// warm again ends the case, anything else is a new message.
pub(super) async fn answered(
    cx: &mut Ctx<'_>,
    intent: IntentId,
    case: Option<i64>,
    t: &str,
    entities: &Entities,
) -> Result<State, DialogueError> {
    cx.interruption_checked = true;
    cx.triaged = true;
    let data = cx.d.data.clone();
    if data.still_cold(t) || data.insists(t) {
        return visit(cx, &intent, case, Outcome::Visit, entities, t).await;
    }
    if data.warm_now(t) {
        amend(cx, case, Outcome::SelfCheckResolved).await;
        cx.say("triage-resolved", &[]);
        return Ok(State::Idle);
    }
    // "Yes", or the form's values (an account, a day): the visit, as the old offer took it.
    if (entities.yes && !entities.no) || !entities.has_no_values() {
        return visit(cx, &intent, case, Outcome::Visit, entities, t).await;
    }
    // The booking words the self-check's reply suggests: the same question, so the visit.
    let same = cx.classify(t).await.is_some_and(|c| c.intent == intent);
    if same {
        return visit(cx, &intent, case, Outcome::Visit, entities, t).await;
    }
    idle(cx, t, entities).await
}

/// The message after a finding was told (the season, a suspension, the valve, arrears):
/// the resident may still want the visit; anything else is a new message.
pub(super) async fn explained(
    cx: &mut Ctx<'_>,
    intent: IntentId,
    case: Option<i64>,
    t: &str,
    entities: &Entities,
) -> Result<State, DialogueError> {
    let data = cx.d.data.clone();
    if data.insists(t) || data.still_cold(t) || (entities.yes && !entities.no) {
        cx.interruption_checked = true;
        cx.triaged = true;
        return visit(cx, &intent, case, Outcome::Insisted, entities, t).await;
    }
    idle(cx, t, entities).await
}

async fn visit(
    cx: &mut Ctx<'_>,
    intent: &IntentId,
    case: Option<i64>,
    outcome: Outcome,
    entities: &Entities,
    t: &str,
) -> Result<State, DialogueError> {
    amend(cx, case, outcome).await;
    begin(cx, intent, None, entities, t, false).await
}
