//! The transactions residents start in the chat (`form_runs`): most carried out, some
//! abandoned at one of their steps, a few still running when the data ends (those residents'
//! conversations stand at the question).

use chrono::{DateTime, Duration, Utc};
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::Rng;

use super::sink::Value;
use crate::catalog::{Catalog, Intent};
use crate::dialogue::{FormInstance, Pending, State};
use crate::domain::snake_name;

/// A transaction's form and the steps a resident can leave it at.
pub struct Transaction<'a> {
    intent: &'a Intent,
    slots: Vec<&'a str>,
    steps: Vec<&'a str>,
}

pub struct Forms<'a>(Vec<Transaction<'a>>);

pub const COLUMNS: &[&str] = &[
    "user_id",
    "seq",
    "intent",
    "action",
    "started_at",
    "updated_at",
    "step",
    "outcome",
];

impl<'a> Forms<'a> {
    pub fn of(catalog: &'a Catalog) -> Self {
        let transactions = catalog
            .intents
            .iter()
            .filter(|i| {
                i.action
                    .is_some_and(|a| crate::reports::TRANSACTIONS.contains(&a))
            })
            .filter_map(|intent| {
                let form = intent.form.as_ref()?;
                let slots: Vec<&str> = form.slots.iter().map(|s| s.name.as_str()).collect();
                let mut steps = slots.clone();
                if form.offer.is_some() {
                    steps.push("offer");
                }
                if form.confirm {
                    steps.push("confirm");
                }
                (!slots.is_empty()).then_some(Transaction {
                    intent,
                    slots,
                    steps,
                })
            })
            .collect();
        Self(transactions)
    }

    /// A form started at `at`: its row, and the state the conversation is left in when the
    /// form is still running (only for a resident's last session).
    pub fn run(
        &self,
        rng: &mut StdRng,
        user: &str,
        seq: u64,
        at: DateTime<Utc>,
        last: bool,
    ) -> Option<(Vec<Value>, Option<State>)> {
        let t = self.0.choose(rng)?;
        let roll: f64 = rng.random();
        let updated = at + Duration::seconds(rng.random_range(30..900));
        let (step, outcome, state) = if roll < 0.68 {
            ("confirm", Some("finished"), None)
        } else if roll < 0.95 || !last {
            (*t.steps.choose(rng)?, Some("abandoned"), None)
        } else {
            let slot = *t.slots.choose(rng)?;
            let state = State::Filling {
                form: FormInstance::new(t.intent.id.clone(), seq),
                pending: Pending::Slot(slot.to_owned()),
            };
            (slot, None, Some(state))
        };
        let row = vec![
            user.into(),
            Value::Int(i64::try_from(seq).unwrap_or_default()),
            t.intent.id.as_str().into(),
            Value::OptText(t.intent.action.map(|a| snake_name(&a))),
            at.into(),
            updated.into(),
            step.into(),
            Value::OptText(outcome.map(str::to_owned)),
        ];
        Some((row, state))
    }
}
