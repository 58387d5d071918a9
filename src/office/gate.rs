//! The regression gate: a candidate phrasebook against the live one on every labelled
//! question. A candidate that breaks a question the live version answers, or answers fewer
//! of them, is refused.

use std::collections::{BTreeMap, HashSet};
use std::time::Instant;

use super::model::{GateCase, GateReport, IntentDelta};
use crate::nlu::{Decision, Engine};

/// A question and the intent that must answer it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Labelled {
    pub text: String,
    pub intent: String,
}

/// What the engine makes of a labelled question, and whether that is right: the intent, and
/// an answer rather than a "did you mean" (which the resident must still resolve). A
/// question labelled out of scope is right when it is refused.
fn answer(engine: &Engine, q: &Labelled) -> (String, bool) {
    let c = engine.classify(&q.text);
    let right = c.intent.as_str() == q.intent
        && (c.decision == Decision::Answer || c.intent.is_out_of_scope());
    let shown = match c.decision {
        Decision::Clarify => format!("{} (?)", c.intent),
        _ => c.intent.to_string(),
    };
    (shown, right)
}

/// Classifies every question with both engines. Questions of an intent neither engine knows
/// (retired long ago) are left out: no phrasebook could answer them.
pub fn run(live: &Engine, candidate: &Engine, labelled: &[Labelled], build_ms: u64) -> GateReport {
    let started = Instant::now();
    let known = |e: &Engine| -> HashSet<String> {
        e.catalog()
            .intents
            .iter()
            .filter(|i| !i.retired)
            .map(|i| i.id.to_string())
            .collect()
    };
    let (old_known, new_known) = (known(live), known(candidate));
    let mut report = GateReport {
        total: 0,
        before_correct: 0,
        after_correct: 0,
        fixed: Vec::new(),
        broken: Vec::new(),
        per_intent: Vec::new(),
        passed: true,
        build_ms,
        gate_ms: 0,
    };
    let mut per_intent: BTreeMap<&str, IntentDelta> = BTreeMap::new();
    for q in labelled {
        if !old_known.contains(&q.intent) && !new_known.contains(&q.intent) {
            continue;
        }
        let (before, was) = answer(live, q);
        let (after, is) = answer(candidate, q);
        report.total += 1;
        report.before_correct += usize::from(was);
        report.after_correct += usize::from(is);
        let d = per_intent.entry(&q.intent).or_insert_with(|| IntentDelta {
            intent: q.intent.clone(),
            support: 0,
            before: 0,
            after: 0,
        });
        d.support += 1;
        d.before += usize::from(was);
        d.after += usize::from(is);
        let case = || GateCase {
            text: q.text.clone(),
            expected: q.intent.clone(),
            before: before.clone(),
            after: after.clone(),
        };
        match (was, is) {
            (true, false) => report.broken.push(case()),
            (false, true) => report.fixed.push(case()),
            _ => {}
        }
    }
    report.per_intent = per_intent
        .into_values()
        .filter(|d| d.before != d.after)
        .collect();
    report.passed = report.broken.is_empty() && report.after_correct >= report.before_correct;
    report.gate_ms = started.elapsed().as_millis() as u64;
    report
}
