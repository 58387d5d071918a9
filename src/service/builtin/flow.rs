//! What a new request or a status change does, decided before anything is written.

use serde_json::{json, Value};

use super::{BuiltinService, Effect, Holder, NewRow, StatusChange};
use crate::service::rules::{
    judge_area_change, quote_resumption, quote_suspension, today_in_shanghai, AreaDecision,
};
use crate::service::{
    AccountStatus, NewRequest, RequestKind, RequestStatus, ServiceError, ServiceRequest,
    StatusUpdate, TimelineEvent,
};

/// A refusal's stable code, stored as the key's first response.
type Refusal = &'static str;

/// May a request of `kind` move from `from` to `to`?
pub(crate) fn allowed(kind: RequestKind, from: RequestStatus, to: RequestStatus) -> bool {
    use RequestKind as K;
    use RequestStatus::*;
    if matches!(to, Cancelled | Rejected) {
        return from.is_open();
    }
    match kind {
        K::Suspension => matches!(
            (from, to),
            (Submitted, ValveClosed | Completed) | (ValveClosed, Completed)
        ),
        K::Resumption => matches!(
            (from, to),
            (Submitted, AwaitingPayment)
                | (AwaitingPayment, Paid)
                | (Paid, WorkOrderIssued)
                | (WorkOrderIssued, ValveOpened)
                | (ValveOpened, Completed)
        ),
        K::AreaChange => matches!((from, to), (UnderReview, Completed)),
        K::Repair | K::Inspection | K::Leak => matches!(
            (from, to),
            (Submitted, WorkOrderIssued | InProgress | Completed)
                | (WorkOrderIssued, InProgress | Completed)
                | (InProgress, Completed)
        ),
        K::Invoice => matches!(
            (from, to),
            (Submitted, InProgress | Completed) | (InProgress, Completed)
        ),
    }
}

/// The account change a status brings: valves decide whether an account is heated.
fn effect_of(req: &ServiceRequest, to: RequestStatus) -> Effect {
    use RequestStatus::*;
    match (req.kind, to) {
        (RequestKind::Suspension, ValveClosed | Completed) => {
            Effect::status(AccountStatus::Suspended)
        }
        (RequestKind::Resumption, ValveOpened | Completed) => Effect::status(AccountStatus::Active),
        (RequestKind::AreaChange, Completed) => Effect {
            status: None,
            area_m2: claimed_area(&req.details),
        },
        _ => Effect::default(),
    }
}

fn claimed_area(details: &Value) -> Option<f64> {
    details.get("claimed_m2").and_then(Value::as_f64)
}

fn event(
    at: chrono::DateTime<chrono::Utc>,
    status: RequestStatus,
    note: Option<String>,
) -> TimelineEvent {
    TimelineEvent { at, status, note }
}

impl BuiltinService {
    /// Applies the rules to a new request: the row to insert, or the refusal.
    pub(super) async fn plan(
        &self,
        new: &NewRequest,
        holder: Holder,
    ) -> Result<Result<NewRow, Refusal>, ServiceError> {
        let now = self.now();
        let today = today_in_shanghai(now);
        let mut details = match &new.details {
            Value::Null => json!({}),
            Value::Object(_) => new.details.clone(),
            _ => {
                return Err(ServiceError::Invalid(
                    "details must be an object".to_owned(),
                ))
            }
        };
        let mut row = NewRow {
            account: new.account.clone(),
            kind: new.kind,
            status: RequestStatus::Submitted,
            urgent: new.urgent,
            created_at: now,
            details: Value::Null,
            timeline: vec![event(now, RequestStatus::Submitted, None)],
            effect: Effect::default(),
        };
        let account = holder.account;
        match new.kind {
            RequestKind::Suspension | RequestKind::Resumption => {
                let no = &new.account;
                let bills = self.repo.bills(no).await.map_err(super::db)?;
                let requests = self.repo.requests(no).await.map_err(super::db)?;
                if new.kind == RequestKind::Suspension {
                    match quote_suspension(&account, &bills, &requests, today, &self.rules) {
                        Err(v) => return Ok(Err(v.code())),
                        Ok(q) => {
                            details["season"] = json!(q.season);
                            details["fee_fen"] = json!(q.fee.0);
                        }
                    }
                } else {
                    match quote_resumption(&account, &bills, &requests, today, &self.rules) {
                        Err(v) => return Ok(Err(v.code())),
                        Ok(q) => {
                            details["season"] = json!(q.season);
                            details["fee_fen"] = json!(q.total.0);
                            let note = format!("fee_fen={}", q.total.0);
                            row.status = RequestStatus::AwaitingPayment;
                            row.timeline.push(event(now, row.status, Some(note)));
                        }
                    }
                }
            }
            RequestKind::AreaChange => {
                let claimed = claimed_area(&details).ok_or_else(|| {
                    ServiceError::Invalid("details.claimed_m2 must be a number".to_owned())
                })?;
                details["current_m2"] = json!(account.area_m2);
                match judge_area_change(account.area_m2, claimed, &self.rules) {
                    AreaDecision::Absurd => return Ok(Err("service-area-absurd")),
                    AreaDecision::Direct => {
                        row.status = RequestStatus::Completed;
                        row.effect.area_m2 = Some(claimed);
                    }
                    AreaDecision::Review => row.status = RequestStatus::UnderReview,
                }
                row.timeline.push(event(now, row.status, None));
            }
            RequestKind::Repair
            | RequestKind::Inspection
            | RequestKind::Leak
            | RequestKind::Invoice => {}
        }
        row.details = details;
        Ok(Ok(row))
    }

    /// The change a status update makes, or why it cannot be made.
    pub(super) fn transition(
        &self,
        mut req: ServiceRequest,
        update: &StatusUpdate,
    ) -> Result<StatusChange, Refusal> {
        if !req.status.is_open() {
            return Err("service-request-closed");
        }
        if !allowed(req.kind, req.status, update.status) {
            return Err("service-status-transition");
        }
        let from = req.status;
        let ev = event(self.now(), update.status, update.note.clone());
        let effect = effect_of(&req, update.status);
        req.status = update.status;
        req.timeline.push(ev.clone());
        Ok(StatusChange {
            from,
            event: ev,
            effect,
            request: req,
        })
    }
}
