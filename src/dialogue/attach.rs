//! Photos sent during a form, and the summary a resident confirms.

use super::ctx::{arg, Ctx};
use super::form::run;
use super::state::{FormInstance, Pending, SlotValue, State};
use super::{turn, DialogueError};
use crate::catalog::{Form, SlotType};

/// A photo: attached to the open form's image slot, if it has one.
pub(super) async fn image(
    cx: &mut Ctx<'_>,
    state: State,
    media_id: &str,
) -> Result<State, DialogueError> {
    let (mut f, pending) = match state {
        State::Filling { form, pending } => (form, Some(pending)),
        State::Confirming { form } => (form, None),
        other => {
            cx.say("dialogue-image-no-form", &[]);
            return Ok(turn::reprompt(cx, other));
        }
    };
    let (_, spec) = cx.form_of(&f)?;
    let waiting = pending.as_ref().and_then(turn::pending_slot);
    let slot = spec
        .slots
        .iter()
        .filter(|s| s.kind == SlotType::Image)
        .find(|s| Some(s.name.as_str()) == waiting)
        .or_else(|| spec.slots.iter().find(|s| s.kind == SlotType::Image));
    let Some(slot) = slot else {
        cx.say("dialogue-image-no-form", &[]);
        let state = match pending {
            Some(p) => State::Filling {
                form: f,
                pending: p,
            },
            None => State::Confirming { form: f },
        };
        return Ok(turn::reprompt(cx, state));
    };
    let entry = f
        .slots
        .entry(slot.name.clone())
        .or_insert(SlotValue::Images(Vec::new()));
    if let SlotValue::Images(list) = entry {
        list.push(media_id.to_owned());
    } else {
        *entry = SlotValue::Images(vec![media_id.to_owned()]);
    }
    cx.say("dialogue-image-received", &[]);
    match pending {
        Some(Pending::Slot(name)) if name == slot.name => run(cx, f).await,
        Some(p) => Ok(turn::reprompt(
            cx,
            State::Filling {
                form: f,
                pending: p,
            },
        )),
        None => run(cx, f).await,
    }
}

/// "Please check:" with one line per slot that has a value.
pub(super) fn summary(cx: &mut Ctx<'_>, f: &FormInstance, spec: &Form) {
    let mut lines = vec![cx.text("form-summary-intro", &[])];
    if let Some(no) = f.account() {
        lines.push(cx.text(
            "field-line",
            &[
                arg("field", cx.text("field-account-no", &[])),
                arg("value", no.as_str()),
            ],
        ));
    }
    for slot in spec.slots.iter().filter(|s| s.kind != SlotType::AccountNo) {
        let Some(v) = f.slots.get(&slot.name) else {
            continue;
        };
        let field = cx.text(&format!("field-{}", slot.name.replace('_', "-")), &[]);
        let value = show(cx, v);
        lines.push(cx.text("field-line", &[arg("field", field), arg("value", value)]));
    }
    cx.push(lines.join("\n"));
}

pub(super) fn show(cx: &Ctx<'_>, v: &SlotValue) -> String {
    match v {
        SlotValue::Account(no) => no.as_str().to_owned(),
        SlotValue::Phone(s) | SlotValue::Name(s) | SlotValue::Place(s) | SlotValue::Text(s) => {
            s.clone()
        }
        SlotValue::Date(d) => d.format("%Y-%m-%d").to_string(),
        SlotValue::TimeOfDay(t) => {
            let key = serde_json::to_value(t)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned));
            cx.label("time-of-day", key.as_deref().unwrap_or_default())
        }
        SlotValue::Area(a) => cx.text("field-area-value", &[arg("area", a)]),
        SlotValue::Money(fen) => crate::service::Fen(*fen).yuan(),
        SlotValue::Choice(c) => cx.label("choice", c),
        SlotValue::Images(list) => cx.text("field-images-value", &[arg("n", list.len())]),
        SlotValue::Skipped => cx.text("field-skipped", &[]),
    }
}
