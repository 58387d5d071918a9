//! Making a request through the outbox: made now, or kept until the service API is back.
//! The idempotency key is derived from the resident and the form, so a retried message or
//! a turn run twice never makes a second request.

use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use super::actions::detail;
use super::ctx::{arg, Ctx};
use super::state::{FormInstance, SlotValue};
use super::DialogueError;
use crate::service::{
    IdempotencyKey, NewRequest, RequestKind, RequestStatus, ServiceRequest, Submission,
};

/// How the keys of requests made in the chat begin (the reports count them apart).
pub use crate::service::CHAT_REQUEST_KEY_PREFIX as REQUEST_KEY_PREFIX;

fn key(user: &str, seq: u64) -> Result<IdempotencyKey, DialogueError> {
    let digest = hex::encode(&Sha256::digest(user.as_bytes())[..8]);
    IdempotencyKey::parse(format!("{REQUEST_KEY_PREFIX}{digest}-{seq}"))
        .map_err(|e| DialogueError::Data(e.to_string()))
}

pub(super) async fn submit(
    cx: &mut Ctx<'_>,
    f: &FormInstance,
    kind: RequestKind,
    urgent: bool,
) -> Result<(), DialogueError> {
    let account = match f.account() {
        Some(a) => a.clone(),
        // An emergency reported without an account: a person takes it from the transcript.
        None => match super::account::bound(cx).await?.into_iter().next() {
            Some(a) => a,
            None => {
                cx.say_with_contacts("leak-recorded");
                return Ok(());
            }
        },
    };
    let mut details = Map::new();
    for (name, v) in &f.slots {
        details.insert(name.clone(), detail(cx, v));
    }
    if let Some(SlotValue::Area(a)) = f.slots.get("area") {
        details.insert("claimed_m2".to_owned(), json!(a));
    }
    let new = NewRequest {
        idempotency_key: key(cx.user, f.seq)?,
        account,
        kind,
        urgent,
        details: Value::Object(details),
    };
    let api = cx.d.deps.service.clone();
    let submitted = cx.d.deps.outbox.submit(api.as_ref(), cx.user, &new).await;
    cx.promised = true;
    match submitted {
        Ok(Submission::Created(req)) => {
            tracing::info!(request = %req.id, kind = ?kind, account = %new.account.masked(), "request made");
            created(cx, &req);
        }
        Ok(Submission::Queued) => cx.say("service-unavailable", &[]),
        Err(e) => cx.service_error(&e),
    }
    Ok(())
}

/// The reference number and what happens next.
fn created(cx: &mut Ctx<'_>, req: &ServiceRequest) {
    let kind = cx.label("request-kind", &super::actions::enum_key(&req.kind));
    let mut args = vec![
        arg("id", &req.id),
        arg("kind", kind),
        arg("account", req.account.as_str()),
    ];
    args.extend(cx.contact_args());
    let fee = req
        .details
        .get("fee_fen")
        .and_then(Value::as_i64)
        .unwrap_or_default();
    args.push(arg("fee", crate::service::Fen(fee).yuan()));
    let area = req
        .details
        .get("claimed_m2")
        .and_then(Value::as_f64)
        .unwrap_or_default();
    args.push(arg("area", area));
    let next = match (req.kind, req.status) {
        (RequestKind::AreaChange, RequestStatus::Completed) => "request-next-area-approved",
        (RequestKind::AreaChange, _) => "request-next-area-review",
        (RequestKind::Suspension, _) => "request-next-suspension",
        (RequestKind::Resumption, _) => "request-next-resumption",
        (RequestKind::Leak, _) => "request-next-leak",
        (RequestKind::Invoice, _) => "request-next-invoice",
        (RequestKind::Repair | RequestKind::Inspection, _) => "request-next-visit",
    };
    let text = format!(
        "{}\n{}",
        cx.text("request-created", &args),
        cx.text(next, &args)
    );
    cx.push(text);
}
