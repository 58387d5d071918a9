//! The transactions forms end in, one small handler per `Action`, and the lookups that
//! only read (payments, halls, request status, bindings).

use super::account::MODE_LIST;
use super::attach::show;
use super::ctx::{arg, Ctx};
use super::state::{FormInstance, SlotValue, State};
use super::DialogueError;
use super::{lookups, requests};
use crate::catalog::{Action, Form, SlotType};
use crate::service::rules::{
    judge_area_change, quote_resumption, quote_suspension, today_in_shanghai, AreaDecision,
};
use crate::service::{AccountNo, RequestKind, ServiceError};

/// Invoice kinds that can be issued from the chat; the others are collected at a hall.
const ONLINE_INVOICE: &str = "e_ordinary";
const PERSON: &str = "person";

pub(super) fn needs_account(action: Action, f: &FormInstance, spec: &Form) -> bool {
    let has_slot = spec.slots.iter().any(|s| s.kind == SlotType::AccountNo);
    has_slot && !(action == Action::AccountBinding && f.mode.as_deref() == Some(MODE_LIST))
}

/// A rule of the transaction that ends the form early, checked before each question: the
/// fee and limits of a suspension or resumption come first, before the resident is asked
/// anything more.
pub(super) async fn check(
    cx: &mut Ctx<'_>,
    f: &mut FormInstance,
    action: Action,
) -> Result<Option<State>, DialogueError> {
    if matches!(action, Action::Suspension | Action::Resumption) && !f.quoted {
        let Some(no) = f.account().cloned() else {
            return Ok(None);
        };
        if !quote(cx, &no, action).await? {
            return Ok(Some(State::Idle));
        }
        f.quoted = true;
    }
    if action != Action::Invoice {
        return Ok(None);
    }
    Ok(invoice_check(cx, f))
}

fn invoice_check(cx: &mut Ctx<'_>, f: &mut FormInstance) -> Option<State> {
    match f.text("invoice_kind") {
        Some(kind) if kind != ONLINE_INVOICE => {
            cx.say("invoice-not-online", &[]);
            Some(State::Idle)
        }
        _ => {
            if f.text("invoice_party") == Some(PERSON) {
                f.slots
                    .entry("tax_no".to_owned())
                    .or_insert(SlotValue::Skipped);
            }
            None
        }
    }
}

/// What the resident must know before confirming (fee, limits, the rule's verdict).
/// `false` when a rule refuses the request (already said).
pub(super) async fn preview(
    cx: &mut Ctx<'_>,
    f: &FormInstance,
    action: Action,
) -> Result<bool, DialogueError> {
    let Some(no) = f.account().cloned() else {
        return Ok(true);
    };
    match action {
        Action::AreaChange => {
            let Some(SlotValue::Area(claimed)) = f.slots.get("area") else {
                return Ok(true);
            };
            let account = match cx.d.deps.service.account(&no).await {
                Ok(a) => a,
                Err(e) => return Ok(refuse(cx, &e)),
            };
            let id = match judge_area_change(account.area_m2, *claimed, &cx.d.deps.rules) {
                AreaDecision::Direct => "area-preview-direct",
                AreaDecision::Review => "area-preview-review",
                AreaDecision::Absurd => {
                    cx.say("service-area-absurd", &[]);
                    return Ok(false);
                }
            };
            cx.say(
                id,
                &[arg("current", account.area_m2), arg("claimed", claimed)],
            );
            Ok(true)
        }
        _ => Ok(true),
    }
}

fn refuse(cx: &mut Ctx<'_>, e: &ServiceError) -> bool {
    cx.service_error(e);
    false
}

async fn quote(cx: &mut Ctx<'_>, no: &AccountNo, action: Action) -> Result<bool, DialogueError> {
    let api = cx.d.deps.service.clone();
    let read = async {
        Ok::<_, ServiceError>((
            api.account(no).await?,
            api.bills(no).await?,
            api.requests(no).await?,
        ))
    };
    let (account, bills, reqs) = match read.await {
        Ok(x) => x,
        Err(e) => return Ok(refuse(cx, &e)),
    };
    let today = today_in_shanghai(cx.at);
    let rules = &cx.d.deps.rules;
    let a = no.as_str();
    if action == Action::Suspension {
        match quote_suspension(&account, &bills, &reqs, today, rules) {
            Ok(q) => cx.say(
                "suspension-quote",
                &[
                    arg("account", a),
                    arg("season", &q.season),
                    arg("fee", q.fee.yuan()),
                    arg("in_a_row", q.in_a_row),
                    arg("max_in_a_row", q.max_in_a_row),
                    arg("max_resumptions", q.max_resumptions_per_season),
                ],
            ),
            Err(v) => {
                return Ok(refuse(
                    cx,
                    &ServiceError::Refused {
                        code: v.code().to_owned(),
                    },
                ))
            }
        }
    } else {
        match quote_resumption(&account, &bills, &reqs, today, rules) {
            Ok(q) => cx.say(
                "resumption-quote",
                &[
                    arg("account", a),
                    arg("opening", q.opening_fee.yuan()),
                    arg("heat", q.heat_charge.yuan()),
                    arg("arrears", q.arrears.yuan()),
                    arg("total", q.total.yuan()),
                    arg("left", q.resumptions_left),
                ],
            ),
            Err(v) => {
                return Ok(refuse(
                    cx,
                    &ServiceError::Refused {
                        code: v.code().to_owned(),
                    },
                ))
            }
        }
    }
    Ok(true)
}

pub(super) async fn execute(
    cx: &mut Ctx<'_>,
    f: FormInstance,
    action: Action,
) -> Result<State, DialogueError> {
    cx.closed_form = Some(f.clone());
    match action {
        Action::AccountBinding => lookups::bindings(cx, &f).await?,
        Action::PaymentLookup => {
            for no in &f.accounts {
                lookups::payments(cx, no).await;
            }
        }
        Action::HallInfo => lookups::halls(cx, &f).await,
        Action::RequestStatus => lookups::status(cx, &f.accounts).await,
        Action::Suspension => requests::submit(cx, &f, RequestKind::Suspension, false).await?,
        Action::Resumption => requests::submit(cx, &f, RequestKind::Resumption, false).await?,
        Action::Inspection => requests::submit(cx, &f, RequestKind::Inspection, false).await?,
        Action::Repair => requests::submit(cx, &f, RequestKind::Repair, false).await?,
        Action::Leak => requests::submit(cx, &f, RequestKind::Leak, true).await?,
        Action::Invoice => requests::submit(cx, &f, RequestKind::Invoice, false).await?,
        Action::AreaChange => requests::submit(cx, &f, RequestKind::AreaChange, false).await?,
    }
    Ok(State::Idle)
}

/// The serde name of a closed value (`work_order_issued`), the key of its label.
pub(super) fn enum_key<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The value of a slot as plain JSON for a request's details.
pub(super) fn detail(cx: &Ctx<'_>, v: &SlotValue) -> serde_json::Value {
    match v {
        SlotValue::Images(list) => serde_json::json!(list),
        SlotValue::Area(a) => serde_json::json!(a),
        SlotValue::Skipped => serde_json::Value::Null,
        SlotValue::Date(d) => serde_json::json!(d.to_string()),
        SlotValue::TimeOfDay(t) => serde_json::json!(enum_key(t)),
        SlotValue::Choice(c) => serde_json::json!(c),
        other => serde_json::json!(show(cx, other)),
    }
}
