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
use crate::compensation::{CompensationError, Measurement, MeasurementForm, Photo};
use crate::handoff::local;
use crate::handoff::DeskEvent;
use crate::service::{
    station_steps, IdempotencyKey, RequestId, RequestKind, RequestStatus, ServiceError,
    ServiceRequest, StatusUpdate, WorkOrder,
};

pub fn router() -> Router<DeskState> {
    Router::new()
        .route("/desk/orders", get(orders_page))
        .route("/desk/orders/list", get(orders_list))
        .route("/desk/orders/{id}/step", post(step))
        .route(
            "/desk/orders/{id}/measurement",
            post(measure).layer(axum::extract::DefaultBodyLimit::max(super::UPLOAD_LIMIT)),
        )
        .route("/desk/measurements/{id}/photo", get(photo))
}

/// Room rows on the measurement form.
const ROOM_ROWS: usize = 4;

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
            @for o in &orders { (card(&tr, desk, o, &measured(state, &o.request).await)) }
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

/// The measurements of an inspection (none for other jobs, or when they cannot be read:
/// the card still shows the job).
async fn measured(state: &DeskState, r: &ServiceRequest) -> Vec<Measurement> {
    if r.kind != RequestKind::Inspection {
        return Vec::new();
    }
    match state.compensation.for_request(r.id.as_str()).await {
        Ok(list) => list,
        Err(e) => {
            tracing::warn!(request = %r.id, error = %e, "cannot read the measurements");
            Vec::new()
        }
    }
}

/// An inspection's deadlines and what was measured, and the form to record a visit.
fn measurement_part(
    tr: &Tr<'_>,
    desk: &Desk,
    state: &DeskState,
    r: &ServiceRequest,
    list: &[Measurement],
) -> Markup {
    let visit_due = state.compensation.visit_due(r);
    let rectify_by = list
        .iter()
        .rev()
        .find_map(|m| m.rectify_by.filter(|_| m.below()));
    html! {
        div.deadlines {
            div.visit-due { (tr.ta("desk-measure-visit-due", &[("at", local(visit_due))])) }
            @if let Some(at) = rectify_by {
                div.rectify-by { (tr.ta("desk-measure-rectify-by", &[("at", local(at))])) }
            }
        }
        @for m in list {
            div.measurement data-below=(m.below()) {
                (tr.ta("desk-measure-recorded", &[
                    ("at", local(m.measured_at)),
                    ("rooms", m.rooms.iter().map(|x| format!("{} {}", x.room, x.celsius)).collect::<Vec<_>>().join(", ")),
                ]))
                " · " (tr.t(if m.agreed { "desk-measure-agreed-yes" } else { "desk-measure-agreed-no" }))
                @if m.has_photo {
                    " · " a href={ "/desk/measurements/" (m.id) "/photo" } { (tr.t("desk-measure-photo-link")) }
                }
            }
        }
        @if r.status.is_open() {
            details.measure {
                summary { (tr.t("desk-measure-title")) }
                form.measure method="post" enctype="multipart/form-data" action={ "/desk/orders/" (r.id) "/measurement" } {
                    (csrf(desk))
                    @for i in 1..=ROOM_ROWS {
                        div.room {
                            input name={ "room_" (i) } maxlength="40" placeholder=(tr.t("desk-measure-room"));
                            input name={ "celsius_" (i) } inputmode="decimal" placeholder=(tr.t("desk-measure-celsius"));
                        }
                    }
                    label { (tr.t("desk-measure-at")) " " input type="datetime-local" name="measured_at"; }
                    label { (tr.t("desk-measure-agreed")) " "
                        select name="agreed" {
                            option value="yes" { (tr.t("desk-measure-agreed-yes")) }
                            option value="no" { (tr.t("desk-measure-agreed-no")) }
                        }
                    }
                    label { (tr.t("desk-measure-photo")) " " input type="file" name="photo" accept="image/jpeg,image/png,image/webp"; }
                    button type="submit" { (tr.t("desk-measure-submit")) }
                }
            }
        }
    }
}

fn card(tr: &Tr<'_>, desk: &Desk, o: &WorkOrder, measured: &[Measurement]) -> Markup {
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
            @if r.kind == RequestKind::Inspection {
                (measurement_part(tr, desk, tr.state, r, measured))
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

/// The work order a station user may act on: it exists, is station work, and lies in
/// their district (another district's job is, as far as they are concerned, none).
async fn own_order(
    state: &DeskState,
    desk: &Desk,
    id: &RequestId,
) -> Result<Result<ServiceRequest, ServiceError>, DeskError> {
    let request = match state.service.request(id).await {
        Ok(r) => r,
        Err(ServiceError::NotFound) => return Err(DeskError::NotFound),
        Err(e) => return Ok(Err(e)),
    };
    if !request.kind.is_station_work() {
        return Err(DeskError::NotFound);
    }
    if let Some(area) = district(desk) {
        match state.service.account(&request.account).await {
            Ok(a) if a.district == area => {}
            Ok(_) => return Err(DeskError::NotFound),
            Err(e) => return Ok(Err(e)),
        }
    }
    Ok(Ok(request))
}

/// A datetime-local value ("2026-12-01T10:30") in the utility's zone; empty: now.
fn measured_at(
    s: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<chrono::DateTime<chrono::Utc>> {
    use chrono::TimeZone;
    let s = s.trim();
    if s.is_empty() {
        return Some(now);
    }
    let t = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M")
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S"))
        .ok()?;
    crate::entities::UTILITY_TZ
        .from_local_datetime(&t)
        .earliest()
        .map(|t| t.with_timezone(&chrono::Utc))
}

/// Reads the measurement form; a Fluent id of what is wrong with it.
async fn read_form(
    mut parts: axum::extract::Multipart,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<MeasurementForm, &'static str> {
    let mut rooms = vec![(String::new(), String::new()); ROOM_ROWS];
    let mut form = MeasurementForm {
        measured_at: now,
        agreed: false,
        ..MeasurementForm::default()
    };
    let mut agreed = None;
    while let Some(field) = parts
        .next_field()
        .await
        .map_err(|_| "desk-measure-error-photo-size")?
    {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "photo" {
            let content_type = field.content_type().unwrap_or_default().to_owned();
            let bytes = field
                .bytes()
                .await
                .map_err(|_| "desk-measure-error-photo-size")?;
            if !bytes.is_empty() {
                form.photo = Some(Photo {
                    content_type,
                    bytes: bytes.to_vec(),
                });
            }
            continue;
        }
        let text = field.text().await.map_err(|_| "desk-measure-error-form")?;
        if let Some(i) = name
            .strip_prefix("room_")
            .and_then(|i| i.parse::<usize>().ok())
        {
            if let Some(r) = rooms.get_mut(i.wrapping_sub(1)) {
                r.0 = text;
            }
        } else if let Some(i) = name
            .strip_prefix("celsius_")
            .and_then(|i| i.parse::<usize>().ok())
        {
            if let Some(r) = rooms.get_mut(i.wrapping_sub(1)) {
                r.1 = text;
            }
        } else if name == "measured_at" {
            form.measured_at = measured_at(&text, now).ok_or("desk-measure-error-time")?;
        } else if name == "agreed" {
            agreed = Some(text == "yes");
        }
    }
    form.agreed = agreed.ok_or("desk-measure-error-agreed")?;
    form.rooms = rooms;
    Ok(form)
}

/// A station records an inspection visit's temperatures. Below the standard, the
/// rectification deadline is set and the residents bound to the account are told it.
async fn measure(
    desk: Desk,
    State(state): State<DeskState>,
    Path(id): Path<String>,
    parts: axum::extract::Multipart,
) -> Result<Response, DeskError> {
    desk.require(Role::Station)?;
    let tr = Tr {
        state: &state,
        locale: &desk.locale,
    };
    let id = RequestId::parse(id).map_err(|_| DeskError::NotFound)?;
    let request = match own_order(&state, &desk, &id).await? {
        Ok(r) => r,
        Err(e) => {
            let (status, message) = service_failure(&tr, &e);
            return Ok(page(&state, &desk, status, Some(&message)).await);
        }
    };
    if request.kind != RequestKind::Inspection || !request.status.is_open() {
        let message = tr.t("desk-measure-error-not-open");
        return Ok(page(&state, &desk, StatusCode::BAD_REQUEST, Some(&message)).await);
    }
    let now = chrono::Utc::now();
    let checked = match read_form(parts, now).await {
        Ok(form) => state
            .compensation
            .check(&request, form, &desk.user.name, now),
        Err(code) => Err(CompensationError::Invalid(code)),
    };
    let new = match checked {
        Ok(new) => new,
        Err(CompensationError::Invalid(code)) => {
            tracing::info!(request = %id, reason = code, "measurement refused");
            let status = if code == "desk-measure-error-photo-size" {
                StatusCode::PAYLOAD_TOO_LARGE
            } else {
                StatusCode::BAD_REQUEST
            };
            return Ok(page(&state, &desk, status, Some(&tr.t(code))).await);
        }
        Err(e) => return Err(DeskError::internal(e)),
    };
    let m = state
        .compensation
        .record(&new)
        .await
        .map_err(DeskError::internal)?;
    tracing::info!(request = %id, measurement = m.id, below = m.below(), user = desk.user.id, "measurement recorded");
    if let Some(rectify_by) = m.rectify_by.filter(|_| m.below()) {
        // Kept before the page answers, delivered in the background, like a step.
        state
            .notifier
            .measurement_below(
                &request,
                m.id,
                m.lowest_celsius,
                m.min_celsius,
                m.visit_due,
                rectify_by,
            )
            .await;
    }
    state.events.publish(DeskEvent::Orders);
    Ok(Redirect::to("/desk/orders").into_response())
}

/// A measurement's photo, for the desk users who handle inspections (stations, agents, admins).
async fn photo(
    desk: Desk,
    State(state): State<DeskState>,
    Path(id): Path<i64>,
) -> Result<Response, DeskError> {
    desk.require_any(&[Role::Station, Role::Agent])?;
    let Some((content_type, bytes)) = state
        .compensation
        .store
        .photo(id)
        .await
        .map_err(DeskError::internal)?
    else {
        return Err(DeskError::NotFound);
    };
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, content_type),
            (
                axum::http::header::X_CONTENT_TYPE_OPTIONS,
                "nosniff".to_owned(),
            ),
        ],
        bytes,
    )
        .into_response())
}
