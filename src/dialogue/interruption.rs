//! A question about cold radiators (or a repair, or a complaint about the heat) from a
//! resident whose address lies in an interruption: the interruption is told first, with the
//! offer to be told when heat is back; the usual handling follows only when the resident
//! insists. An unbound resident is asked for the estate before the bot guesses.

use super::ctx::Ctx;
use super::state::State;
use super::turn::{idle, start};
use super::DialogueError;
use crate::domain::{Channel, IntentId};
use crate::entities::Entities;
use crate::incident::triage::Outcome;
use crate::incident::{describe, Interruption};

/// The interruptions covering the resident, told; `None` when none does (or none is in
/// effect anywhere, which costs nothing but a look at memory).
pub(super) async fn first(
    cx: &mut Ctx<'_>,
    intent: &IntentId,
    entities: &Entities,
) -> Option<State> {
    let incidents = cx.d.deps.incidents.clone()?;
    if !incidents.any_current(cx.at) {
        return None;
    }
    let bindings = match cx.d.deps.conversations.bindings(cx.user).await {
        Ok(b) => b,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read bindings for interruptions");
            return None;
        }
    };
    let mut found: Vec<Interruption> = Vec::new();
    if bindings.is_empty() {
        if entities.estates.is_empty() {
            cx.say("interruption-which-estate", &[]);
            return Some(State::AskingEstate {
                intent: intent.clone(),
            });
        }
        for estate in &entities.estates {
            found.extend(incidents.current_in_estate(estate, cx.at));
        }
    } else {
        for b in &bindings {
            match cx.d.deps.service.account(&b.account).await {
                Ok(a) => {
                    found.extend(incidents.current_for(&a.district, &a.estate, &a.address, cx.at))
                }
                Err(e) => {
                    tracing::warn!(error = %e, "cannot read a bound account for interruptions")
                }
            }
        }
    }
    tell(cx, found, intent).await
}

async fn tell(cx: &mut Ctx<'_>, mut found: Vec<Interruption>, intent: &IntentId) -> Option<State> {
    found.sort_by_key(|i| i.id);
    found.dedup_by_key(|i| i.id);
    let first = found.first()?;
    let district = first.scope.district.clone();
    // The advice as published in the catalogue this turn reads (the office's latest version).
    let meanwhile = cx.d.meanwhile.text_in(&cx.catalog, Channel::Wechat);
    for i in &found {
        let text = describe(&cx.d.deps.locales, cx.locale, i, meanwhile.as_deref());
        cx.push(text);
    }
    cx.say("interruption-offer", &[]);
    let case = record(cx, intent, &district).await;
    Some(State::InterruptionTold {
        interruptions: found.iter().map(|i| i.id).collect(),
        intent: intent.clone(),
        case,
    })
}

/// The first step of triage held: a case ended by the interruption (unless the resident
/// insists).
async fn record(cx: &Ctx<'_>, intent: &IntentId, district: &str) -> Option<i64> {
    let incidents = cx.d.deps.incidents.as_ref()?;
    let log = incidents.triage();
    match log
        .record(
            Outcome::Interruption,
            intent.as_str(),
            Some(district),
            cx.at,
        )
        .await
    {
        Ok(id) => Some(id),
        Err(e) => {
            tracing::warn!(error = %e, "triage case not recorded");
            None
        }
    }
}

/// The message after an interruption was told: "notify me", the repair all the same, or
/// something else (a new question; the same question again counts as insisting).
pub(super) async fn answered(
    cx: &mut Ctx<'_>,
    interruptions: Vec<i64>,
    intent: IntentId,
    case: Option<i64>,
    t: &str,
    entities: &Entities,
) -> Result<State, DialogueError> {
    if cx.d.data.insists(t) {
        cx.interruption_checked = true;
        // Having read the interruption, the resident wants the visit: no more checks.
        cx.triaged = true;
        super::triage::amend(cx, case, Outcome::Insisted).await;
        return start(cx, &intent, None, entities, None, t).await;
    }
    if cx.d.data.asks_to_be_told(t) || (entities.yes && !entities.no) {
        subscribe(cx, &interruptions).await;
        return Ok(State::Idle);
    }
    if entities.no && entities.has_no_values() {
        cx.say("interruption-noted", &[]);
        return Ok(State::Idle);
    }
    cx.interruption_checked = true;
    idle(cx, t, entities).await
}

async fn subscribe(cx: &mut Ctx<'_>, interruptions: &[i64]) {
    let Some(incidents) = cx.d.deps.incidents.clone() else {
        return;
    };
    let mut new = false;
    for id in interruptions {
        match incidents.subscribe(*id, cx.user, cx.at).await {
            Ok(n) => new |= n,
            Err(e) => {
                tracing::error!(error = %e, "cannot record the wish to be told");
                cx.say_with_contacts("bot-service-unavailable");
                return;
            }
        }
    }
    // The resident is told they will hear of it: that must survive a crash.
    cx.promised = true;
    let id = if new {
        "interruption-subscribed"
    } else {
        "interruption-subscribed-again"
    };
    cx.say(id, &[]);
}

/// The answer to "which estate do you live in?".
pub(super) async fn estate(
    cx: &mut Ctx<'_>,
    intent: IntentId,
    t: &str,
    entities: &Entities,
) -> Result<State, DialogueError> {
    cx.interruption_checked = true;
    let Some(incidents) = cx.d.deps.incidents.clone() else {
        return idle(cx, t, entities).await;
    };
    if entities.estates.is_empty() {
        // Not an estate: a new message (binding an account, the question again…).
        return idle(cx, t, entities).await;
    }
    let found: Vec<Interruption> = entities
        .estates
        .iter()
        .flat_map(|e| incidents.current_in_estate(e, cx.at))
        .collect();
    match tell(cx, found, &intent).await {
        Some(next) => Ok(next),
        None => start(cx, &intent, None, entities, None, t).await,
    }
}
