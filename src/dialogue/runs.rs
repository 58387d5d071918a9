//! What the reports learn of the forms: after each turn, the step a form stands at, and
//! when one ends, whether the bot carried it out (or a rule ended it) or the resident left
//! it — cancelled, turned to something else, or fell silent past the timeout.

use chrono::{DateTime, Utc};

use super::state::{FormInstance, Pending, State};
use crate::catalog::Catalog;
use crate::transcript::{FormOutcome, FormRun};

/// The form a state is in, and the step it stands at.
fn form_step(s: &State) -> Option<(&FormInstance, String)> {
    match s {
        State::Offering { form } => Some((form, "offer".to_owned())),
        State::Filling {
            form,
            pending: Pending::Slot(slot),
        } => Some((form, slot.clone())),
        State::Filling {
            form,
            pending: Pending::Verification,
        } => Some((form, "verification".to_owned())),
        State::ChoosingAccount { form, .. } => Some((form, "account".to_owned())),
        State::Confirming { form } => Some((form, "confirm".to_owned())),
        State::Idle
        | State::Clarifying { .. }
        | State::Rating { .. }
        | State::InterruptionTold { .. }
        | State::AskingEstate { .. }
        | State::SelfCheck { .. }
        | State::Explained { .. } => None,
    }
}

/// The records of a turn that went from `before` to `after`; `closed` is the form the turn
/// carried out (or a rule ended), with its intent.
pub(super) fn runs(
    catalog: &Catalog,
    before: &State,
    after: &State,
    closed: Option<&FormInstance>,
    at: DateTime<Utc>,
) -> Vec<FormRun> {
    let run = |f: &FormInstance, step: String, outcome| FormRun {
        seq: f.seq,
        intent: f.intent.clone(),
        action: catalog
            .intents
            .iter()
            .find(|i| i.id == f.intent)
            .and_then(|i| i.action)
            .map(|a| crate::domain::snake_name(&a)),
        step,
        at,
        outcome,
    };
    let (was, is) = (form_step(before), form_step(after));
    let mut out = Vec::new();
    if let Some((f, step)) = &was {
        if is.as_ref().map(|(g, _)| g.seq) != Some(f.seq) {
            let outcome = match closed {
                Some(c) if c.seq == f.seq => FormOutcome::Finished,
                _ => FormOutcome::Abandoned,
            };
            out.push(run(f, step.clone(), Some(outcome)));
        }
    }
    if let Some(c) = closed.filter(|c| was.as_ref().map(|(f, _)| f.seq) != Some(c.seq)) {
        out.push(run(c, "none".to_owned(), Some(FormOutcome::Finished)));
    }
    if let Some((f, step)) = is {
        out.push(run(f, step, None));
    }
    out
}
