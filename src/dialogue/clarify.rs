//! "Did you mean 1 … 2 … 3 …?" when the classifier is unsure, answered by number or in
//! words; after two failed answers a person is offered.

use super::ctx::{arg, Ctx};
use super::state::State;
use super::turn;
use super::types::EscalationReason;
use super::DialogueError;
use crate::domain::IntentId;
use crate::entities::Entities;
use crate::nlu::{Classification, Decision};

pub(super) async fn ask(
    cx: &mut Ctx<'_>,
    c: &Classification,
    t: &str,
    entities: &Entities,
) -> Result<State, DialogueError> {
    let max = cx.d.deps.classifier.engine().settings().candidates.max(2);
    let mut candidates: Vec<IntentId> = Vec::new();
    for cand in &c.candidates {
        if !cand.intent.is_out_of_scope()
            && !candidates.contains(&cand.intent)
            && candidates.len() < max
        {
            candidates.push(cand.intent.clone());
        }
    }
    if candidates.len() < 2 {
        return turn::start(
            cx,
            &c.intent,
            c.entry.as_ref(),
            entities,
            Some(c.confidence),
            t,
        )
        .await;
    }
    options(cx, &candidates);
    Ok(State::Clarifying {
        candidates,
        failures: 0,
    })
}

fn options(cx: &mut Ctx<'_>, candidates: &[IntentId]) {
    let mut lines = vec![cx.text("bot-clarify-intro", &[])];
    for (i, id) in candidates.iter().enumerate() {
        let title = cx
            .intent(id)
            .map_or_else(|| id.to_string(), |x| x.title(cx.locale).to_owned());
        lines.push(cx.text(
            "bot-clarify-option",
            &[arg("n", i + 1), arg("title", title)],
        ));
    }
    lines.push(cx.text("bot-clarify-outro", &[]));
    cx.push(lines.join("\n"));
}

pub(super) async fn answer(
    cx: &mut Ctx<'_>,
    t: &str,
    entities: &Entities,
    candidates: Vec<IntentId>,
    failures: u32,
) -> Result<State, DialogueError> {
    let picked = entities
        .choice
        .and_then(|n| candidates.get(n.checked_sub(1)?))
        .cloned();
    if let Some(id) = picked {
        return turn::start(cx, &id, None, &Entities::default(), None, "").await;
    }
    let c = cx.classify(t).await;
    if let Some(c) = &c {
        let named = candidates.contains(&c.intent) && c.decision != Decision::OutOfScope;
        if named || c.decision == Decision::Answer {
            return turn::start(
                cx,
                &c.intent,
                c.entry.as_ref(),
                entities,
                Some(c.confidence),
                t,
            )
            .await;
        }
    }
    let failures = failures + 1;
    if failures >= cx.d.deps.limits.failed_clarifications.max(1) {
        cx.say_with_contacts("dialogue-offer-human");
        let top = c.as_ref().map(|c| (c.intent.clone(), c.confidence));
        cx.escalate(
            EscalationReason::NotUnderstood,
            top.as_ref().map(|t| t.0.clone()),
            top.map(|t| t.1),
        );
        return Ok(State::Idle);
    }
    cx.say("dialogue-clarify-again", &[]);
    options(cx, &candidates);
    Ok(State::Clarifying {
        candidates,
        failures,
    })
}
