//! Slot filling: values from a message into the form, the next question, confirmation.

use super::ctx::Ctx;
use super::state::{FormInstance, Pending, SlotValue, State};
use super::{account, actions, attach, turn, DialogueError};
use crate::catalog::{Form, Slot, SlotType};
use crate::entities::Entities;
use crate::service::rules::{judge_area_change, AreaDecision};

/// What one message did to a form.
#[derive(Debug, Default)]
pub(super) struct Applied {
    /// Some slot (or the account) got a value.
    pub changed: bool,
    /// The slot asked for got a value (or was skipped).
    pub filled_pending: bool,
    /// Fluent ids of values that were refused (a past date, an absurd area).
    pub problems: Vec<&'static str>,
}

impl Applied {
    pub fn tell(&self, cx: &mut Ctx<'_>) {
        for p in &self.problems {
            cx.say(p, &[]);
        }
    }
}

/// Puts every value the message carries into the form. A slot already filled is changed
/// only when it is the one asked for or the resident corrects it ("no, tomorrow afternoon").
pub(super) fn apply(
    cx: &Ctx<'_>,
    f: &mut FormInstance,
    spec: &Form,
    e: &Entities,
    pending: Option<&str>,
    text: &str,
) -> Applied {
    let mut out = Applied::default();
    for slot in &spec.slots {
        let is_pending = pending == Some(slot.name.as_str());
        if !(is_pending || e.correction || !f.slots.contains_key(&slot.name)) {
            continue;
        }
        if slot.kind == SlotType::AccountNo {
            if let Some(no) = e.account_nos.first() {
                f.candidate = Some(no.clone());
                f.accounts.clear();
                out.changed = true;
                out.filled_pending |= is_pending;
            }
            continue;
        }
        if let Some(v) = value(cx, slot, e, is_pending, text, &mut out.problems) {
            f.slots.insert(slot.name.clone(), v);
            out.changed = true;
            out.filled_pending |= is_pending;
        }
    }
    let skipped = spec
        .slots
        .iter()
        .find(|s| Some(s.name.as_str()) == pending && !s.required);
    if let Some(slot) = skipped.filter(|_| !out.filled_pending && cx.d.data.is_skip(text)) {
        f.slots.insert(slot.name.clone(), SlotValue::Skipped);
        out.filled_pending = true;
    }
    out
}

/// Choices the message that opened the form already made ("a personal e-invoice"): a choice
/// slot whose words name exactly one of its choices is filled, so it is not asked. Only the
/// opening message counts; later, words fill a choice only when it is asked or corrected.
pub(super) fn prefill_choices(f: &mut FormInstance, spec: &Form, text: &str) {
    for slot in spec.slots.iter().filter(|s| s.kind == SlotType::Choice) {
        if f.slots.contains_key(&slot.name) {
            continue;
        }
        let mut named = slot
            .words
            .iter()
            .filter(|(_, words)| words.iter().any(|w| text.contains(w.as_str())));
        if let (Some((choice, _)), None) = (named.next(), named.next()) {
            f.slots
                .insert(slot.name.clone(), SlotValue::Choice(choice.clone()));
        }
    }
}

fn value(
    cx: &Ctx<'_>,
    slot: &Slot,
    e: &Entities,
    is_pending: bool,
    text: &str,
    problems: &mut Vec<&'static str>,
) -> Option<SlotValue> {
    let by_number = |n: usize| slot.choices.get(n.checked_sub(1)?).cloned();
    match slot.kind {
        SlotType::AccountNo | SlotType::Image => None,
        SlotType::Phone => e
            .phones
            .first()
            .map(|p| SlotValue::Phone(p.as_str().to_owned())),
        SlotType::Name => e
            .names
            .first()
            .map(|n| SlotValue::Name(n.as_str().to_owned())),
        SlotType::Date => match e.dates.first() {
            Some(d) if d.in_past => {
                problems.push("slot-date-in-past");
                None
            }
            d => d.map(|d| SlotValue::Date(d.date)),
        },
        SlotType::TimeOfDay => e.time_of_day.map(SlotValue::TimeOfDay),
        SlotType::Area => {
            let bare = || text.trim().parse::<f64>().ok().filter(|_| is_pending);
            let area = e.areas_m2.first().copied().or_else(bare)?;
            match judge_area_change(1.0, area, &cx.d.deps.rules) {
                AreaDecision::Absurd => {
                    problems.push("service-area-absurd");
                    None
                }
                _ => Some(SlotValue::Area(area)),
            }
        }
        SlotType::District => e
            .districts
            .first()
            .cloned()
            .or_else(|| e.choice.filter(|_| is_pending).and_then(by_number))
            .map(SlotValue::Place),
        SlotType::Estate => e.estates.first().cloned().map(SlotValue::Place),
        SlotType::Money => e.money.first().map(|m| SlotValue::Money(m.0)),
        SlotType::Text => {
            let t = text.trim();
            let usable = is_pending && !e.correction && !t.is_empty() && !cx.d.data.is_skip(t);
            usable.then(|| SlotValue::Text(t.to_owned()))
        }
        SlotType::Email => {
            let found = is_pending.then(|| email_in(text)).flatten();
            if found.is_none() && is_pending && !cx.d.data.is_skip(text) {
                problems.push("slot-invalid-email");
            }
            found.map(SlotValue::Text)
        }
        SlotType::Address => {
            let t = text.trim();
            if !is_pending || e.correction || t.is_empty() || cx.d.data.is_skip(t) {
                return None;
            }
            if cx.d.data.is_address(t) {
                Some(SlotValue::Text(t.to_owned()))
            } else {
                problems.push("slot-invalid-address");
                None
            }
        }
        SlotType::Choice => {
            if !(is_pending || e.correction) {
                return None;
            }
            let by_word = slot
                .words
                .iter()
                .find(|(_, words)| words.iter().any(|w| text.contains(w.as_str())))
                .map(|(c, _)| c.clone());
            let by_num = e.choice.filter(|_| is_pending).and_then(by_number);
            by_num.or(by_word).map(SlotValue::Choice)
        }
    }
}

/// The first e-mail address in a message.
fn email_in(text: &str) -> Option<String> {
    static EMAIL: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
            .expect("the e-mail pattern compiles")
    });
    EMAIL.find(text).map(|m| m.as_str().to_owned())
}

/// Counts one more unanswered ask of `slot`; from the second on, tells the resident how
/// to get out (skip an optional slot, cancel, or a person) instead of only asking again.
fn missed(cx: &mut Ctx<'_>, f: &mut FormInstance, slot: &Slot) {
    let n = f.misses.entry(slot.name.clone()).or_default();
    *n += 1;
    if *n >= 2 {
        cx.say(
            if slot.required {
                "slot-way-out"
            } else {
                "slot-way-out-optional"
            },
            &[],
        );
    }
}

/// The next slot to ask: required ones until filled, optional ones once.
fn next_slot<'s>(spec: &'s Form, f: &FormInstance) -> Option<&'s Slot> {
    spec.slots.iter().find(|s| {
        s.kind != SlotType::AccountNo
            && !f.slots.contains_key(&s.name)
            && (s.required || (s.ask && !f.asked.contains(&s.name)))
    })
}

/// Moves a form on as far as it goes without the resident: the account, the next question,
/// the confirmation, or the transaction itself.
pub(super) async fn run(cx: &mut Ctx<'_>, mut f: FormInstance) -> Result<State, DialogueError> {
    let (intent, spec) = cx.form_of(&f)?;
    let Some(action) = intent.action else {
        return Ok(State::Idle);
    };
    if actions::needs_account(action, &f, &spec) && f.accounts.is_empty() {
        if let Some(wait) = account::resolve(cx, &mut f, action, &spec).await? {
            return Ok(wait);
        }
    }
    if let Some(stop) = actions::check(cx, &mut f, action).await? {
        cx.closed_form = Some(f);
        return Ok(stop);
    }
    if let Some(slot) = next_slot(&spec, &f) {
        if !slot.required {
            f.asked.insert(slot.name.clone());
        }
        cx.say(&slot.prompt, &[]);
        let pending = Pending::Slot(slot.name.clone());
        return Ok(State::Filling { form: f, pending });
    }
    if spec.confirm {
        if !actions::preview(cx, &f, action).await? {
            cx.closed_form = Some(f);
            return Ok(State::Idle);
        }
        attach::summary(cx, &f, &spec);
        cx.say("slot-confirm", &[]);
        return Ok(State::Confirming { form: f });
    }
    actions::execute(cx, f, action).await
}

/// The question a `Filling` state waits on, asked again.
pub(super) fn prompt(cx: &mut Ctx<'_>, f: &FormInstance, pending: &Pending) {
    match pending {
        Pending::Verification => cx.say("slot-verification", &[]),
        Pending::Slot(name) => {
            if let Ok((_, spec)) = cx.form_of(f) {
                let prompt = spec
                    .slots
                    .iter()
                    .find(|s| &s.name == name)
                    .map(|s| s.prompt.clone());
                if let Some(p) = prompt {
                    cx.say(&p, &[]);
                }
            }
        }
    }
}

/// The resident's answer while a slot is asked for.
pub(super) async fn answer(
    cx: &mut Ctx<'_>,
    mut f: FormInstance,
    pending: Pending,
    t: &str,
    e: &Entities,
) -> Result<State, DialogueError> {
    let Pending::Slot(name) = &pending else {
        return account::verify(cx, f, t, e).await;
    };
    let (_, spec) = cx.form_of(&f)?;
    let slot = spec.slots.iter().find(|s| &s.name == name).cloned();
    let Some(slot) = slot else {
        return run(cx, f).await;
    };
    // A free-text answer cannot be told from a question by its entities: ask the classifier
    // first, so "how much is the fee?" is not taken for an address.
    if slot.kind == SlotType::Text && !e.correction && !cx.d.data.is_skip(t) {
        let state = State::Filling {
            form: f.clone(),
            pending: pending.clone(),
        };
        if let Some(next) = turn::digression(cx, &state, &f.intent, t).await {
            return Ok(asked_again(cx, next, &pending, &slot));
        }
    }
    let applied = apply(cx, &mut f, &spec, e, Some(name), t);
    if applied.filled_pending || applied.changed {
        applied.tell(cx);
        if applied.filled_pending {
            f.misses.remove(&slot.name);
        }
        return run(cx, f).await;
    }
    if !applied.problems.is_empty() {
        // Not an e-mail or an address: perhaps a question asked in between.
        if matches!(slot.kind, SlotType::Email | SlotType::Address) {
            let state = State::Filling {
                form: f.clone(),
                pending: pending.clone(),
            };
            if let Some(next) = turn::digression(cx, &state, &f.intent, t).await {
                return Ok(asked_again(cx, next, &pending, &slot));
            }
        }
        applied.tell(cx);
        cx.say(&slot.prompt, &[]);
        missed(cx, &mut f, &slot);
        return Ok(State::Filling { form: f, pending });
    }
    let state = State::Filling {
        form: f.clone(),
        pending: pending.clone(),
    };
    if let Some(next) = turn::digression(cx, &state, &f.intent, t).await {
        return Ok(asked_again(cx, next, &pending, &slot));
    }
    // A step whose answer is checked says what was wrong; free answers of an optional slot
    // that fit nothing pass it by.
    if !slot.required && invalid_message(slot.kind).is_none() {
        f.slots.insert(slot.name.clone(), SlotValue::Skipped);
        return run(cx, f).await;
    }
    cx.say(invalid_message(slot.kind).unwrap_or(&slot.prompt), &[]);
    missed(cx, &mut f, &slot);
    Ok(State::Filling { form: f, pending })
}

/// After a question in between, the form asks its step again: that counts as a miss.
fn asked_again(cx: &mut Ctx<'_>, next: State, pending: &Pending, slot: &Slot) -> State {
    match next {
        State::Filling {
            form: mut f,
            pending: p,
        } if &p == pending => {
            missed(cx, &mut f, slot);
            State::Filling {
                form: f,
                pending: p,
            }
        }
        other => other,
    }
}

fn invalid_message(kind: SlotType) -> Option<&'static str> {
    match kind {
        SlotType::AccountNo => Some("slot-invalid-account-no"),
        SlotType::Phone => Some("slot-invalid-phone"),
        SlotType::Date => Some("slot-invalid-date"),
        SlotType::Area => Some("slot-invalid-area"),
        SlotType::Email => Some("slot-invalid-email"),
        SlotType::Address => Some("slot-invalid-address"),
        SlotType::Image => Some("slot-invalid-image"),
        _ => None,
    }
}

/// The answer to "confirm?": go ahead, a correction, a no, or something else.
pub(super) async fn confirm(
    cx: &mut Ctx<'_>,
    mut f: FormInstance,
    t: &str,
    e: &Entities,
) -> Result<State, DialogueError> {
    if e.yes && !e.no && !e.correction {
        let (intent, _) = cx.form_of(&f)?;
        return match intent.action {
            Some(action) => actions::execute(cx, f, action).await,
            None => Ok(State::Idle),
        };
    }
    let (_, spec) = cx.form_of(&f)?;
    let applied = apply(cx, &mut f, &spec, e, None, t);
    applied.tell(cx);
    if applied.changed {
        return run(cx, f).await;
    }
    if e.no {
        cx.say("dialogue-cancelled", &[]);
        return Ok(State::Idle);
    }
    let state = State::Confirming { form: f.clone() };
    if let Some(next) = turn::digression(cx, &state, &f.intent, t).await {
        return Ok(next);
    }
    cx.say("slot-confirm-yes-no", &[]);
    Ok(state)
}
