//! The station's side: the open work orders of its district as cards a crew reads on a
//! phone, and the one step each may be marked with next. A step moves the request in the
//! service, tells the residents bound to its account, and refreshes every orders screen.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use maud::{html, Markup};
use serde::Deserialize;

use super::auth::{Desk, DeskError};
use super::page::{csrf, layout, Tr};
use super::users::Role;
use super::DeskState;
use crate::handoff::local;
use crate::handoff::DeskEvent;
use crate::service::{
    station_steps, IdempotencyKey, RequestId, RequestStatus, ServiceError, ServiceRequest,
    StatusUpdate, WorkOrder,
};

pub fn router() -> Router<DeskState> {
    Router::new()
        .route("/desk/orders", get(orders_page))
        .route("/desk/orders/list", get(orders_list))
        .route("/desk/orders/{id}/step", post(step))
}

/// Longest note kept with a step: it goes into the timeline and the residents' message.
const NOTE_MAX: usize = 200;

/// The district whose work orders the user sees; `None` is every district (admins, and
/// station users not tied to one).
fn district(desk: &Desk) -> Option<&str> {
    if desk.user.role == Role::Admin {
        return None;
    }
    desk.user.area.as_deref()
}

async fn orders_page(desk: Desk, State(state): State<DeskState>) -> Result<Response, DeskError> {
    desk.require(Role::Station)?;
    Ok(page(&state, &desk, StatusCode::OK, None).await)
}

async fn orders_list(desk: Desk, State(state): State<DeskState>) -> Result<Response, DeskError> {
    desk.require(Role::Station)?;
    let (status, list) = cards(&state, &desk).await;
    Ok((status, list).into_response())
}

/// The whole page; `alert` says why the last step did not go through.
async fn page(state: &DeskState, desk: &Desk, status: StatusCode, alert: Option<&str>) -> Response {
    let tr = Tr {
        state,
        locale: &desk.locale,
    };
    let (list_status, list) = cards(state, desk).await;
    let body = html! {
        @if let Some(a) = alert { p.error.alert role="alert" { (a) } }
        section #orders data-live="orders" data-src="/desk/orders/list" { (list) }
    };
    let page = layout(
        state,
        desk,
        "/desk/orders",
        &tr.t("desk-orders-title"),
        body,
    );
    let status = if status.is_success() {
        list_status
    } else {
        status
    };
    (status, page).into_response()
}

async fn cards(state: &DeskState, desk: &Desk) -> (StatusCode, Markup) {
    let tr = Tr {
        state,
        locale: &desk.locale,
    };
    let orders = match state.service.work_orders(district(desk)).await {
        Ok(orders) => orders,
        Err(e) => {
            tracing::warn!(error = %e, "cannot list work orders");
            let (status, message) = service_failure(&tr, &e);
            return (status, html! { p.error role="alert" { (message) } });
        }
    };
    let scope = district(desk).map_or_else(|| tr.t("desk-orders-all-districts"), str::to_owned);
    let markup = html! {
        p.summary { (tr.ta("desk-orders-summary", &[("count", orders.len().to_string()), ("district", scope)])) }
        @if orders.is_empty() {
            p.empty { (tr.t("desk-orders-empty")) }
        }
        ul.cards {
            @for o in &orders { (card(&tr, desk, o)) }
        }
    };
    (StatusCode::OK, markup)
}

/// The phone number the resident asked to be called on, so the crew can call ahead.
fn contact_phone(details: &serde_json::Value) -> Option<String> {
    match details.get("phone")? {
        serde_json::Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The last note a person wrote; the service's machine notes (`fee_fen=…`) mean nothing to
/// a crew.
fn last_note(r: &ServiceRequest) -> Option<&str> {
    r.timeline.iter().rev().find_map(|e| {
        e.note
            .as_deref()
            .filter(|n| !n.trim().is_empty() && !n.contains('='))
    })
}

fn card(tr: &Tr<'_>, desk: &Desk, o: &WorkOrder) -> Markup {
    let r = &o.request;
    html! {
        li.card.order data-id=(r.id) data-status=(crate::domain::snake_name(&r.status)) data-kind=(crate::domain::snake_name(&r.kind))
            data-urgent=(r.urgent) {
            div.head {
                strong.id { (r.id) }
                @if r.urgent { span.urgent { (tr.t("desk-orders-urgent")) } }
                span.status { (tr.t(&format!("request-status-{}", crate::domain::fluent_part(&r.status)))) }
            }
            div.what { (tr.t(&format!("request-kind-{}", crate::domain::fluent_part(&r.kind)))) " · " (o.holder_masked) }
            div.where {
                div.address { (o.address) }
                div.estate { (o.estate) " · " (o.district) }
            }
            div.since { (tr.ta("desk-orders-created", &[("at", local(r.created_at))])) }
            @if let Some(note) = last_note(r) { div.note { (tr.ta("desk-orders-last-note", &[("note", note.to_owned())])) } }
            @if let Some(phone) = contact_phone(&r.details) {
                div.contact { (tr.t("desk-orders-contact")) " " a.phone href={ "tel:" (phone) } { (phone) } }
            }
            div.steps {
                @for s in station_steps(r.kind, r.status) {
                    form.step method="post" action={ "/desk/orders/" (r.id) "/step" } {
                        (csrf(desk))
                        input type="hidden" name="status" value=(crate::domain::snake_name(&s));
                        input name="note" maxlength=(NOTE_MAX) placeholder=(tr.t("desk-orders-note"));
                        button.step type="submit" data-step=(crate::domain::snake_name(&s)) {
                            (tr.t(&format!("desk-orders-step-{}", crate::domain::fluent_part(&s))))
                        }
                    }
                }
            }
        }
    }
}

/// The status and the text a station user is shown when the service did not do it.
fn service_failure(tr: &Tr<'_>, e: &ServiceError) -> (StatusCode, String) {
    match e {
        ServiceError::NotFound => (StatusCode::NOT_FOUND, tr.t("desk-error-not-found")),
        ServiceError::Refused { code } => {
            // Refusal codes are Fluent ids of the resident texts; an unknown one still
            // says the step was refused.
            let reason = tr.t(code);
            let reason = if reason == *code {
                tr.t("desk-orders-refused-unknown")
            } else {
                reason
            };
            (
                StatusCode::CONFLICT,
                tr.ta("desk-orders-refused", &[("reason", reason)]),
            )
        }
        ServiceError::Invalid(_) => (StatusCode::BAD_REQUEST, tr.t("desk-orders-invalid")),
        ServiceError::Unavailable(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            tr.t("desk-orders-unavailable"),
        ),
    }
}

#[derive(Deserialize)]
struct StepForm {
    status: String,
    #[serde(default)]
    note: String,
}

async fn step(
    desk: Desk,
    State(state): State<DeskState>,
    Path(id): Path<String>,
    Form(f): Form<StepForm>,
) -> Result<Response, DeskError> {
    desk.require(Role::Station)?;
    let tr = Tr {
        state: &state,
        locale: &desk.locale,
    };
    let id = RequestId::parse(id).map_err(|_| DeskError::NotFound)?;
    let request = match state.service.request(&id).await {
        Ok(r) => r,
        Err(ServiceError::NotFound) => return Err(DeskError::NotFound),
        Err(e) => {
            tracing::warn!(request = %id, error = %e, "cannot read the work order");
            let (status, message) = service_failure(&tr, &e);
            return Ok(page(&state, &desk, status, Some(&message)).await);
        }
    };
    if !request.kind.is_station_work() {
        return Err(DeskError::NotFound);
    }
    if let Some(area) = district(&desk) {
        match state.service.account(&request.account).await {
            Ok(a) if a.district == area => {}
            Ok(_) => {
                // Another district's job: as far as this station is concerned, none.
                tracing::info!(request = %id, user = desk.user.id, "work order of another district refused");
                return Err(DeskError::NotFound);
            }
            Err(e) => {
                tracing::warn!(request = %id, error = %e, "cannot read the work order's account");
                let (status, message) = service_failure(&tr, &e);
                return Ok(page(&state, &desk, status, Some(&message)).await);
            }
        }
    }
    let Ok(target) = serde_json::from_value::<RequestStatus>(f.status.clone().into()) else {
        let message = tr.t("desk-orders-step-refused");
        return Ok(page(&state, &desk, StatusCode::BAD_REQUEST, Some(&message)).await);
    };
    // A second click of the same button (or a reload of the post) finds the step done:
    // nothing to change, and the residents were told the first time.
    if request.status == target {
        return Ok(Redirect::to("/desk/orders").into_response());
    }
    if !station_steps(request.kind, request.status).contains(&target) {
        tracing::info!(request = %id, to = ?target, "work order step refused");
        let message = tr.t("desk-orders-step-refused");
        return Ok(page(&state, &desk, StatusCode::BAD_REQUEST, Some(&message)).await);
    }
    // One key per request and step: clicks that race past the check above still make one
    // change in the service.
    let key = IdempotencyKey::parse(format!(
        "desk-step-{id}-{}",
        crate::domain::snake_name(&target)
    ))
    .map_err(DeskError::internal)?;
    let note: String = f.note.trim().chars().take(NOTE_MAX).collect();
    let update = StatusUpdate {
        idempotency_key: key,
        request: id.clone(),
        status: target,
        note: (!note.is_empty()).then_some(note),
    };
    let updated = match state.service.advance_request(&update).await {
        Ok(updated) => updated,
        Err(e) => {
            // The racing click may hold the key while it writes; if it got there, so did we.
            if matches!(state.service.request(&id).await, Ok(now) if now.status == target) {
                return Ok(Redirect::to("/desk/orders").into_response());
            }
            tracing::warn!(request = %id, to = ?target, error = %e, "work order step failed");
            let (status, message) = service_failure(&tr, &e);
            return Ok(page(&state, &desk, status, Some(&message)).await);
        }
    };
    tracing::info!(request = %id, to = ?target, user = desk.user.id, "work order step marked");
    // Kept before the page answers; WeChat is called in the background (it can be slow).
    state.notifier.request_changed(&updated).await;
    state.events.publish(DeskEvent::Orders);
    Ok(Redirect::to("/desk/orders").into_response())
}
