//! One step of the state machine: the inbound message against the current state.

use super::ctx::Ctx;
use super::state::{FormInstance, Pending, State};
use super::types::Inbound;
use super::{
    account, attach, clarify, follow_up, form, interruption, lookups, owed, triage, DialogueError,
    Unhappy,
};
use crate::domain::{EntryId, EscalationReason, IntentId};
use crate::entities::{Entities, UTILITY_TZ};
use crate::nlu::Decision;
use crate::transcript::Direction;

pub(super) async fn step(
    cx: &mut Ctx<'_>,
    state: State,
    inbound: &Inbound,
) -> Result<State, DialogueError> {
    match inbound {
        Inbound::Text(t) => text(cx, state, t).await,
        Inbound::Voice {
            recognition: Some(t),
        } if !t.trim().is_empty() => text(cx, state, t).await,
        Inbound::Voice { .. } => {
            cx.unsupported("voice");
            Ok(reprompt(cx, state))
        }
        Inbound::Click { key } => match cx.d.data.menu_intent(key) {
            Some(intent) => start(cx, &intent, None, &Entities::default(), None, "").await,
            None => {
                cx.not_understood();
                Ok(reprompt(cx, state))
            }
        },
        Inbound::Location { lat, lon, .. } => {
            lookups::nearest_hall(cx, (*lat, *lon)).await;
            Ok(resume(cx, state))
        }
        Inbound::Image { media_id, .. } => attach::image(cx, state, media_id).await,
        Inbound::Subscribe => {
            cx.say_with_contacts("bot-welcome");
            Ok(State::Idle)
        }
        Inbound::Other { kind } => {
            cx.unsupported(kind);
            Ok(reprompt(cx, state))
        }
    }
}

async fn text(cx: &mut Ctx<'_>, state: State, t: &str) -> Result<State, DialogueError> {
    let entities = cx.d.lexicon.extract(t, cx.at.with_timezone(&UTILITY_TZ));
    cx.negative = entities.negative;
    if entities.cancel && !matches!(state, State::Idle) {
        cx.say("dialogue-cancelled", &[]);
        return Ok(State::Idle);
    }
    match state {
        State::Idle => match follow_up::answered(cx, t, &entities).await {
            Some(next) => Ok(next),
            None => idle(cx, t, &entities).await,
        },
        State::Clarifying {
            candidates,
            failures,
        } => clarify::answer(cx, t, &entities, candidates, failures).await,
        State::Offering { form } => offered(cx, form, t, &entities).await,
        State::Filling { form, pending } => form::answer(cx, form, pending, t, &entities).await,
        State::ChoosingAccount { form, options } => {
            account::choose(cx, form, options, t, &entities).await
        }
        State::Confirming { form } => form::confirm(cx, form, t, &entities).await,
        State::Rating { handoff } => rated(cx, handoff, t, &entities).await,
        State::InterruptionTold {
            interruptions,
            intent,
            case,
        } => interruption::answered(cx, interruptions, intent, case, t, &entities).await,
        State::AskingEstate { intent } => interruption::estate(cx, intent, t, &entities).await,
        State::SelfCheck { intent, case } => triage::answered(cx, intent, case, t, &entities).await,
        State::Explained { intent, case } => {
            triage::explained(cx, intent, case, t, &entities).await
        }
    }
}

/// The answer to "rate our service 1 to 5": stored, thanked; anything else is a new
/// message.
async fn rated(
    cx: &mut Ctx<'_>,
    handoff: i64,
    t: &str,
    entities: &Entities,
) -> Result<State, DialogueError> {
    let Some(score) = follow_up::score(t, entities) else {
        return idle(cx, t, entities).await;
    };
    if score <= 2 {
        report_unhappy(cx, Unhappy::LowRating).await;
    }
    match cx.d.deps.escalate.rate(handoff, score, cx.at).await {
        Ok(_) => {
            cx.promised = true;
            cx.say("handoff-rating-thanks", &[]);
        }
        Err(e) => {
            tracing::error!(error = %e, "cannot store the rating");
            cx.say("handoff-rating-thanks", &[]);
        }
    }
    Ok(State::Idle)
}

/// A message outside any form: classify and act.
pub(super) async fn idle(
    cx: &mut Ctx<'_>,
    t: &str,
    entities: &Entities,
) -> Result<State, DialogueError> {
    let Some(c) = cx.classify(t).await else {
        cx.not_understood();
        return Ok(State::Idle);
    };
    let asks_person =
        cx.catalog.intent(&c.intent).and_then(|i| i.handoff()) == Some(EscalationReason::Requested);
    if cx.negative || asks_person {
        report_unhappy(cx, Unhappy::Contradicted).await;
    }
    match c.decision {
        Decision::Answer => {
            start(
                cx,
                &c.intent,
                c.entry.as_ref(),
                entities,
                Some(c.confidence),
                t,
            )
            .await
        }
        Decision::Clarify => clarify::ask(cx, &c, t, entities).await,
        Decision::OutOfScope => {
            // A bare value ("the day after tomorrow") matches some out-of-scope text by chance;
            // its standard reply would be nonsense here.
            if c.entry.is_some() && entities.has_no_values() {
                cx.entry_reply(&c.intent, c.entry.as_ref());
            } else {
                cx.not_understood();
            }
            Ok(State::Idle)
        }
    }
}

/// How soon after an answer an unhappy word or a request for a person counts as
/// contradicting it.
const CONTRADICTED_WITHIN_MINUTES: i64 = 10;

/// The resident is unhappy or asks for a person right after the bot answered their previous
/// message outright, or rates the person they were handed to 1 or 2: the last question the
/// bot answered goes to the office's inbox.
async fn report_unhappy(cx: &Ctx<'_>, how: Unhappy) {
    let Some(port) = cx.d.deps.contradicted.clone() else {
        return;
    };
    let recent =
        cx.d.deps
            .conversations
            .recent_transcript(cx.user, super::LOOK_BACK);
    let lines = match recent.await {
        Ok(lines) => lines,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the transcript for a contradiction");
            return;
        }
    };
    let sure = cx.d.deps.classifier.engine().settings().clarify_below;
    let answered = |l: &crate::transcript::TranscriptLine| match (&l.intent, l.confidence) {
        (Some(intent), Some(c)) if c >= sure => cx
            .catalog
            .intent(intent)
            .filter(|i| !i.id.is_out_of_scope() && i.handoff().is_none())
            .map(|i| i.id.clone()),
        _ => None,
    };
    let asked = lines.iter().rev().filter(|l| l.direction == Direction::In);
    let found = match how {
        // Only the message just before counts, and only moments after.
        Unhappy::Contradicted => asked
            .take(1)
            .filter(|l| cx.at - l.at <= chrono::Duration::minutes(CONTRADICTED_WITHIN_MINUTES))
            .find_map(|l| answered(l).map(|i| (l, i))),
        // The last question the bot answered before the person took over.
        Unhappy::LowRating => asked
            .filter(|l| l.author.is_none())
            .find_map(|l| answered(l).map(|i| (l, i))),
    };
    if let Some((line, intent)) = found {
        port.contradicted(&line.text, &intent, how, cx.at).await;
    }
}

/// Starts what an intent does: its standard reply, or its form.
pub(super) fn start<'a>(
    cx: &'a mut Ctx<'_>,
    id: &'a IntentId,
    entry: Option<&'a EntryId>,
    entities: &'a Entities,
    confidence: Option<f32>,
    t: &'a str,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<State, DialogueError>> + Send + 'a>>
{
    // Boxed: a digression inside a form may start another intent.
    Box::pin(start_inner(cx, id, entry, entities, confidence, t))
}

async fn start_inner(
    cx: &mut Ctx<'_>,
    id: &IntentId,
    entry: Option<&EntryId>,
    entities: &Entities,
    confidence: Option<f32>,
    t: &str,
) -> Result<State, DialogueError> {
    let Some(intent) = cx.intent(id).cloned() else {
        cx.not_understood();
        return Ok(State::Idle);
    };
    if !cx.interruption_checked && cx.d.data.interruption_first(id, t) {
        cx.interruption_checked = true;
        // A known interruption answers the question before any visit is booked.
        if let Some(next) = interruption::first(cx, id, entities).await {
            return Ok(next);
        }
    }
    if !cx.triaged && cx.d.data.triaged(id) {
        cx.triaged = true;
        if let Some(next) = triage::before_visit(cx, id, entry).await {
            return Ok(next);
        }
    }
    if cx.d.data.asks_owed(id, t) && owed::answer(cx, id, entry).await? {
        return Ok(State::Idle);
    }
    if let Some(reason) = intent.handoff() {
        cx.escalate(reason, Some(id.clone()), confidence);
    }
    begin(cx, id, entry, entities, t, true).await
}

/// The intent's form (or its standard reply when it has none). `ask`: its intro and its
/// offer first; without, the form starts at once (the resident already asked for it).
pub(super) async fn begin(
    cx: &mut Ctx<'_>,
    id: &IntentId,
    entry: Option<&EntryId>,
    entities: &Entities,
    t: &str,
    ask: bool,
) -> Result<State, DialogueError> {
    let Some(intent) = cx.intent(id).cloned() else {
        cx.not_understood();
        return Ok(State::Idle);
    };
    let (Some(spec), Some(_)) = (&intent.form, intent.action) else {
        cx.entry_reply(id, entry);
        return Ok(State::Idle);
    };
    if ask && spec.intro {
        cx.entry_reply(id, entry);
    }
    let seq = cx.next_seq();
    let mut f = FormInstance::new(id.clone(), seq);
    f.mode = spec
        .modes
        .iter()
        .find(|(_, re)| regex::Regex::new(re).is_ok_and(|r| r.is_match(t)))
        .map(|(m, _)| m.clone());
    let applied = form::apply(cx, &mut f, spec, entities, None, t);
    form::prefill_choices(&mut f, spec, t);
    applied.tell(cx);
    match &spec.offer {
        Some(offer) if ask && !applied.changed => {
            cx.say(offer, &[]);
            Ok(State::Offering { form: f })
        }
        _ => form::run(cx, f).await,
    }
}

async fn offered(
    cx: &mut Ctx<'_>,
    mut f: FormInstance,
    t: &str,
    entities: &Entities,
) -> Result<State, DialogueError> {
    let (_, spec) = cx.form_of(&f)?;
    let applied = form::apply(cx, &mut f, &spec, entities, None, t);
    if (entities.yes && !entities.no) || applied.changed {
        applied.tell(cx);
        return form::run(cx, f).await;
    }
    if entities.no {
        cx.say("dialogue-declined", &[]);
        return Ok(State::Idle);
    }
    idle(cx, t, entities).await
}

/// After an aside (a location, an unreadable message), ask again what the form waits for.
pub(super) fn reprompt(cx: &mut Ctx<'_>, state: State) -> State {
    match &state {
        State::Filling { form, pending } => form::prompt(cx, form, pending),
        State::Confirming { .. } => cx.say("slot-confirm-yes-no", &[]),
        State::Offering { form } => {
            if let Ok((_, spec)) = cx.form_of(form) {
                if let Some(offer) = &spec.offer {
                    cx.say(offer, &[]);
                }
            }
        }
        State::ChoosingAccount { .. } => cx.say("dialogue-choose-account-again", &[]),
        State::InterruptionTold { .. } => cx.say("interruption-offer", &[]),
        State::AskingEstate { .. } => cx.say("interruption-which-estate", &[]),
        State::SelfCheck { .. } => triage::ask(cx),
        State::Idle | State::Clarifying { .. } | State::Rating { .. } | State::Explained { .. } => {
        }
    }
    state
}

/// Like `reprompt`, introduced as a return to the open request.
pub(super) fn resume(cx: &mut Ctx<'_>, state: State) -> State {
    if !matches!(
        state,
        State::Idle
            | State::Clarifying { .. }
            | State::Rating { .. }
            | State::InterruptionTold { .. }
            | State::AskingEstate { .. }
            | State::SelfCheck { .. }
            | State::Explained { .. }
    ) {
        cx.say("dialogue-resume", &[]);
    }
    reprompt(cx, state)
}

/// A question about something else in the middle of a form: answered, then back to the form.
/// `None` when the message is not such a question.
pub(super) async fn digression(
    cx: &mut Ctx<'_>,
    state: &State,
    current: &IntentId,
    t: &str,
) -> Option<State> {
    let c = cx.classify(t).await?;
    if c.decision != Decision::Answer || &c.intent == current {
        return None;
    }
    let intent = cx.intent(&c.intent)?.clone();
    if intent.action.is_some() {
        // Another transaction, not a question: the resident has moved on.
        cx.say("dialogue-switched", &[]);
        let entities = cx.d.lexicon.extract(t, cx.at.with_timezone(&UTILITY_TZ));
        let next = start(
            cx,
            &c.intent,
            c.entry.as_ref(),
            &entities,
            Some(c.confidence),
            t,
        )
        .await;
        return Some(next.unwrap_or_else(|e| {
            tracing::error!(error = %e, "cannot start the new transaction");
            State::Idle
        }));
    }
    cx.entry_reply(&c.intent, c.entry.as_ref());
    if let Some(reason) = intent.handoff() {
        // A person takes over; the form would only get in their way.
        cx.escalate(reason, Some(c.intent.clone()), Some(c.confidence));
        return Some(State::Idle);
    }
    Some(resume(cx, state.clone()))
}

pub(super) fn pending_slot(p: &Pending) -> Option<&str> {
    match p {
        Pending::Slot(s) => Some(s),
        Pending::Verification => None,
    }
}
