//! The transactions forms end in, one small handler per `Action`, and the lookups that
//! only read (payments, halls, request status, bindings).

use super::account::{self, MODE_LIST, MODE_UNBIND};
use super::ctx::{arg, Ctx};
use super::form::show;
use super::requests;
use super::state::{FormInstance, SlotValue, State};
use super::DialogueError;
use crate::catalog::{Action, Form, SlotType};
use crate::service::rules::{
    judge_area_change, quote_resumption, quote_suspension, today_in_shanghai, AreaDecision,
};
use crate::service::{AccountNo, Fen, Hall, RequestKind, ServiceError};

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
            let account = match cx.d.state.service.account(&no).await {
                Ok(a) => a,
                Err(e) => return Ok(refuse(cx, &e)),
            };
            let id = match judge_area_change(account.area_m2, *claimed, &cx.d.state.settings.rules)
            {
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
    let api = cx.d.state.service.clone();
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
    let rules = &cx.d.state.settings.rules;
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
    match action {
        Action::AccountBinding => bindings(cx, &f).await?,
        Action::PaymentLookup => {
            for no in &f.accounts {
                payments(cx, no).await;
            }
        }
        Action::HallInfo => halls(cx, &f).await,
        Action::RequestStatus => status(cx, &f.accounts).await,
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

async fn bindings(cx: &mut Ctx<'_>, f: &FormInstance) -> Result<(), DialogueError> {
    if f.mode.as_deref() == Some(MODE_UNBIND) {
        if let Some(no) = f.account() {
            cx.d.store.unbind(cx.user, no).await?;
            tracing::info!(account = %no.masked(), "account unbound");
            cx.say("binding-unbound", &[arg("account", no.as_str())]);
        }
        return Ok(());
    }
    let list = account::bound(cx).await?;
    if list.is_empty() {
        cx.say("binding-none", &[]);
        return Ok(());
    }
    let mut lines = vec![cx.text("binding-list-intro", &[])];
    for (i, no) in list.iter().enumerate() {
        let address =
            cx.d.state
                .service
                .account(no)
                .await
                .map(|a| a.address)
                .unwrap_or_default();
        lines.push(cx.text(
            "dialogue-account-option",
            &[
                arg("n", i + 1),
                arg("account", no.as_str()),
                arg("address", address),
            ],
        ));
    }
    cx.push(lines.join("\n"));
    Ok(())
}

async fn payments(cx: &mut Ctx<'_>, no: &AccountNo) {
    let api = cx.d.state.service.clone();
    let read = async {
        Ok::<_, ServiceError>((
            api.account(no).await?,
            api.bills(no).await?,
            api.payments(no).await?,
        ))
    };
    let (account, bills, pays) = match read.await {
        Ok(x) => x,
        Err(e) => return cx.service_error(&e),
    };
    let mut lines = vec![cx.text(
        "payment-header",
        &[
            arg("account", no.as_str()),
            arg("address", &account.address),
        ],
    )];
    for b in &bills {
        lines.push(cx.text(
            "payment-bill",
            &[
                arg("season", &b.season),
                arg("amount", b.amount.yuan()),
                arg("paid", b.paid.yuan()),
                arg("outstanding", b.outstanding().yuan()),
            ],
        ));
    }
    let total = Fen(bills.iter().map(|b| b.outstanding().0).sum());
    lines.push(if total > Fen(0) {
        cx.text("payment-arrears", &[arg("total", total.yuan())])
    } else {
        cx.text("payment-no-arrears", &[])
    });
    for p in pays.iter().take(3) {
        let channel = cx.label("pay-channel", &p.channel);
        lines.push(cx.text(
            "payment-recent",
            &[
                arg("at", cx.local_time(p.at)),
                arg("amount", p.amount.yuan()),
                arg("channel", channel),
            ],
        ));
    }
    cx.push(lines.join("\n"));
}

fn hall_line(cx: &Ctx<'_>, h: &Hall) -> String {
    cx.text(
        "hall-item",
        &[
            arg("name", &h.name),
            arg("address", &h.address),
            arg("phone", &h.phone),
            arg("hours", &h.hours),
        ],
    )
}

/// The hall of a named district (the standard reply already listed them all).
async fn halls(cx: &mut Ctx<'_>, f: &FormInstance) {
    let Some(SlotValue::Place(district)) = f.slots.get("district") else {
        return;
    };
    match cx.d.state.service.halls().await {
        Ok(halls) => {
            let lines: Vec<String> = halls
                .iter()
                .filter(|h| &h.district == district)
                .map(|h| hall_line(cx, h))
                .collect();
            cx.push(lines.join("\n"));
        }
        Err(e) => cx.service_error(&e),
    }
}

/// Great-circle distance in km: plenty for "which hall is closest".
fn km((lat1, lon1): (f64, f64), (lat2, lon2): (f64, f64)) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = p2 - p1;
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    6371.0 * 2.0 * a.sqrt().asin()
}

pub(super) async fn nearest_hall(cx: &mut Ctx<'_>, at: (f64, f64)) {
    let halls = match cx.d.state.service.halls().await {
        Ok(h) => h,
        Err(e) => return cx.service_error(&e),
    };
    let nearest = halls
        .iter()
        .map(|h| (km(at, (h.lat, h.lon)), h))
        .min_by(|a, b| a.0.total_cmp(&b.0));
    if let Some((d, h)) = nearest {
        cx.say(
            "hall-nearest",
            &[
                arg("name", &h.name),
                arg("km", format!("{d:.1}")),
                arg("address", &h.address),
                arg("phone", &h.phone),
                arg("hours", &h.hours),
            ],
        );
    }
}

async fn status(cx: &mut Ctx<'_>, accounts: &[AccountNo]) {
    let mut any = false;
    for no in accounts {
        let reqs = match cx.d.state.service.requests(no).await {
            Ok(r) => r,
            Err(e) => return cx.service_error(&e),
        };
        for r in reqs.iter().filter(|r| r.status.is_open()) {
            any = true;
            let kind = cx.label("request-kind", &enum_key(&r.kind));
            let now = cx.label("request-status", &enum_key(&r.status));
            let mut lines = vec![cx.text(
                "status-request",
                &[
                    arg("id", &r.id),
                    arg("account", no.as_str()),
                    arg("kind", kind),
                    arg("status", now),
                ],
            )];
            for ev in &r.timeline {
                let s = cx.label("request-status", &enum_key(&ev.status));
                // Machine notes (`fee_fen=…`) are for staff; a station's name is for everyone.
                let note = ev.note.clone().filter(|n| !n.contains('='));
                let at = arg("at", cx.local_time(ev.at));
                lines.push(match note {
                    Some(n) => {
                        cx.text("status-event-note", &[at, arg("status", s), arg("note", n)])
                    }
                    None => cx.text("status-event", &[at, arg("status", s)]),
                });
            }
            lines.push(cx.text(
                if r.urgent {
                    "status-urgent"
                } else {
                    "status-next"
                },
                &[],
            ));
            cx.push(lines.join("\n"));
        }
    }
    if !any {
        cx.say("status-none", &[]);
    }
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
