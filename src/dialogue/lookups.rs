//! Transactions that only read: bindings, bills and payments, halls, request status.

use super::account::{self, MODE_UNBIND};
use super::actions::enum_key;
use super::ctx::{arg, Ctx};
use super::state::{FormInstance, SlotValue};
use super::DialogueError;
use crate::service::{AccountNo, Fen, Hall, RequestKind, ServiceError, ServiceRequest};

pub(super) async fn bindings(cx: &mut Ctx<'_>, f: &FormInstance) -> Result<(), DialogueError> {
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
    account::say_numbered(cx, "binding-list-intro", &list).await;
    Ok(())
}

pub(super) async fn payments(cx: &mut Ctx<'_>, no: &AccountNo) {
    let api = cx.d.deps.service.clone();
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
pub(super) async fn halls(cx: &mut Ctx<'_>, f: &FormInstance) {
    let Some(SlotValue::Place(district)) = f.slots.get("district") else {
        return;
    };
    match cx.d.deps.service.halls().await {
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
    let halls = match cx.d.deps.service.halls().await {
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

pub(super) async fn status(cx: &mut Ctx<'_>, accounts: &[AccountNo]) {
    let mut any = false;
    for no in accounts {
        let reqs = match cx.d.deps.service.requests(no).await {
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
            lines.extend(deadlines(cx, r).await);
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

/// An inspection's promises: the visit deadline, and the rectification deadline once a
/// measurement found a room below the standard. Both come from `[commitments]` through
/// `Compensation`, so the text never holds a number of its own.
async fn deadlines(cx: &Ctx<'_>, r: &ServiceRequest) -> Vec<String> {
    let Some(comp) = cx.d.deps.compensation.as_ref() else {
        return Vec::new();
    };
    if r.kind != RequestKind::Inspection {
        return Vec::new();
    }
    let mut lines = vec![cx.text(
        "status-visit-due",
        &[arg("at", cx.local_time(comp.visit_due(r)))],
    )];
    let measured = comp.for_request(r.id.as_str()).await.unwrap_or_else(|e| {
        // The status is still worth telling without the measurement.
        tracing::warn!(request = %r.id, error = %e, "cannot read the measurements");
        Vec::new()
    });
    // The latest visit is what the crew must put right.
    if let Some((m, by)) = measured
        .iter()
        .rev()
        .find_map(|m| m.rectify_by.filter(|_| m.below()).map(|by| (m, by)))
    {
        lines.push(cx.text(
            "status-rectify-by",
            &[
                arg("celsius", m.lowest_celsius),
                arg("standard", m.min_celsius),
                arg("at", cx.local_time(by)),
            ],
        ));
    }
    lines
}
