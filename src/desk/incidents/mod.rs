//! Interruptions on the desk: station heads open, re-time and restore the interruptions of
//! their own district (admins everywhere; managers read them all and change nothing), with
//! what residents read of each; and the banner the queue and the hotline show above
//! suggested replies.

mod view;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use maud::html;
use serde::Deserialize;

use super::auth::{Desk, DeskError};
use super::users::Role;
use super::DeskState;
use crate::incident::{parse_time, IncidentError, Interruption, Kind};

pub use view::banner;

pub fn router() -> Router<DeskState> {
    Router::new()
        .route("/desk/interruptions", get(page).post(open))
        .route("/desk/interruptions/{id}/eta", post(eta))
        .route("/desk/interruptions/{id}/restore", post(restore))
}

/// The district a station head works in; `None`: every district (admins, and station
/// users not tied to one, as with work orders).
fn area(desk: &Desk) -> Option<&str> {
    if desk.user.role == Role::Admin {
        return None;
    }
    desk.user.area.as_deref()
}

fn mine(desk: &Desk, i: &Interruption) -> bool {
    area(desk).is_none_or(|a| a == i.scope.district)
}

/// Who may read the page: those who change interruptions, management and the office
/// (which reads what triage saved).
const READERS: [Role; 3] = [Role::Station, Role::Manager, Role::Curator];

/// The period of the triage figures.
const TRIAGE_DAYS: i64 = 30;

/// Station heads and admins change; a manager only reads.
fn changes(desk: &Desk) -> bool {
    desk.user.can(Role::Station)
}

async fn page(desk: Desk, State(state): State<DeskState>) -> Result<Response, DeskError> {
    desk.require_any(&READERS)?;
    Ok(render(&state, &desk, StatusCode::OK, None, &OpenForm::default()).await)
}

/// The page with what triage saved below it.
async fn render(
    state: &DeskState,
    desk: &Desk,
    status: StatusCode,
    alert: Option<&str>,
    form: &OpenForm,
) -> Response {
    let since = chrono::Utc::now() - chrono::Duration::days(TRIAGE_DAYS);
    let figures = match state.incidents.triage().figures(since, area(desk)).await {
        Ok(f) => view::triage(state, desk, &f, TRIAGE_DAYS),
        Err(e) => {
            // The page is for interruptions first: it shows without the figures.
            tracing::warn!(error = %e, "triage figures not read");
            html! {}
        }
    };
    view::render(state, desk, status, alert, form, figures)
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct OpenForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    district: String,
    /// Comma-separated names.
    #[serde(default)]
    estates: String,
    #[serde(default)]
    buildings: String,
    #[serde(default)]
    cause: String,
    #[serde(default)]
    start: String,
    #[serde(default)]
    eta: String,
}

fn names(s: &str) -> Vec<String> {
    s.split([',', '\u{3001}', '\u{ff0c}', ';'])
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty())
        .collect()
}

/// A refusal shown on the page, with the status the API would give.
async fn refused(state: &DeskState, desk: &Desk, e: IncidentError, form: &OpenForm) -> Response {
    let status = match e {
        IncidentError::NotFound => return DeskError::NotFound.into_response(),
        IncidentError::AlreadyRestored => StatusCode::CONFLICT,
        IncidentError::Store(_) | IncidentError::Decode(_) => {
            tracing::error!(error = %e, "interruption not changed");
            StatusCode::INTERNAL_SERVER_ERROR
        }
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    };
    let message = state.locales.text(&desk.locale, e.code(), &[]);
    let message = match &e {
        IncidentError::UnknownEstate(n) | IncidentError::UnknownDistrict(n) => {
            format!("{message} ({n})")
        }
        _ => message,
    };
    render(state, desk, status, Some(&message), form).await
}

async fn open(
    desk: Desk,
    State(state): State<DeskState>,
    Form(f): Form<OpenForm>,
) -> Result<Response, DeskError> {
    desk.require(Role::Station)?;
    let bad_time = |state: &DeskState| {
        state
            .locales
            .text(&desk.locale, "desk-interruptions-bad-time", &[])
    };
    let Some(kind) = Kind::parse(&f.kind) else {
        return Err(DeskError::BadRequest("kind".into()));
    };
    let Some(eta) = parse_time(&f.eta) else {
        let message = bad_time(&state);
        return Ok(render(
            &state,
            &desk,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(&message),
            &f,
        )
        .await);
    };
    let starts_at = match f.start.trim() {
        "" => None,
        s => match parse_time(s) {
            Some(t) => Some(t),
            None => {
                let message = bad_time(&state);
                return Ok(render(
                    &state,
                    &desk,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    Some(&message),
                    &f,
                )
                .await);
            }
        },
    };
    // A station head opens in their own district only: the estates must lie in it.
    let district = match area(&desk) {
        Some(a) => Some(a.to_owned()),
        None => Some(f.district.trim().to_owned()).filter(|d| !d.is_empty()),
    };
    let new = crate::incident::NewInterruption {
        kind,
        district,
        estates: names(&f.estates),
        buildings: names(&f.buildings),
        cause: f.cause.clone(),
        starts_at,
        eta,
    };
    match state.incidents.open(&new, &desk.user.name).await {
        Ok(_) => Ok(Redirect::to("/desk/interruptions").into_response()),
        Err(e) => Ok(refused(&state, &desk, e, &f).await),
    }
}

/// The interruption, if it is this user's to change.
async fn theirs(state: &DeskState, desk: &Desk, id: i64) -> Result<Interruption, DeskError> {
    let found = state
        .incidents
        .get(id)
        .await
        .map_err(DeskError::internal)?
        .ok_or(DeskError::NotFound)?;
    if !mine(desk, &found) {
        // Another district's: as far as this station is concerned, none.
        tracing::info!(
            id,
            user = desk.user.id,
            "interruption of another district refused"
        );
        return Err(DeskError::NotFound);
    }
    Ok(found)
}

#[derive(Debug, Deserialize)]
struct EtaForm {
    eta: String,
}

async fn eta(
    desk: Desk,
    State(state): State<DeskState>,
    Path(id): Path<i64>,
    Form(f): Form<EtaForm>,
) -> Result<Response, DeskError> {
    desk.require(Role::Station)?;
    theirs(&state, &desk, id).await?;
    let Some(eta) = parse_time(&f.eta) else {
        let message = state
            .locales
            .text(&desk.locale, "desk-interruptions-bad-time", &[]);
        return Ok(render(
            &state,
            &desk,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(&message),
            &OpenForm::default(),
        )
        .await);
    };
    match state.incidents.set_eta(id, eta, &desk.user.name).await {
        Ok(_) => Ok(Redirect::to("/desk/interruptions").into_response()),
        Err(e) => Ok(refused(&state, &desk, e, &OpenForm::default()).await),
    }
}

async fn restore(
    desk: Desk,
    State(state): State<DeskState>,
    Path(id): Path<i64>,
) -> Result<Response, DeskError> {
    desk.require(Role::Station)?;
    theirs(&state, &desk, id).await?;
    match state.incidents.restore(id, &desk.user.name).await {
        Ok(_) => Ok(Redirect::to("/desk/interruptions").into_response()),
        // A second click finds it restored: done.
        Err(IncidentError::AlreadyRestored) => {
            Ok(Redirect::to("/desk/interruptions").into_response())
        }
        Err(e) => Ok(refused(&state, &desk, e, &OpenForm::default()).await),
    }
}
