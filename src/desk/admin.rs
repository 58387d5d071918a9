//! The admin's page of desk users: who may sign in, with which role, and adding colleagues
//! without a shell on the server (`heatdesk user` remains for the first admin).

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use maud::{html, Markup};
use serde::Deserialize;

use super::auth::{Desk, DeskError};
use super::page::{csrf, layout, Tr};
use super::users::{self, hash_password, NewUser, Role, UserError, MIN_PASSWORD};
use super::DeskState;

pub fn router() -> Router<DeskState> {
    Router::new()
        .route("/desk/users", get(users_page).post(add))
        .route("/desk/users/{id}/disable", post(disable))
        .route("/desk/users/{id}/enable", post(enable))
        .route("/desk/users/{id}/unlock", post(unlock))
}

/// Why a change was refused; each is a Fluent id `desk-users-error-<code>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refusal {
    Name,
    DisplayName,
    Role,
    Password,
    Exists,
    Yourself,
}

impl Refusal {
    fn code(self) -> &'static str {
        match self {
            Self::Name => "name",
            Self::DisplayName => "display-name",
            Self::Role => "role",
            Self::Password => "password",
            Self::Exists => "exists",
            Self::Yourself => "yourself",
        }
    }
}

/// What the last change did, shown once after its redirect.
#[derive(Debug, Default, Deserialize)]
struct Done {
    done: Option<String>,
    // Read as text: a mangled link shows the page without the notice, not a bare 400.
    id: Option<String>,
}

/// The add form as typed, kept when it is refused so nothing needs typing again (but the
/// password, which a page never echoes).
#[derive(Debug, Default, Deserialize)]
struct AddForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    area: String,
    #[serde(default)]
    password: String,
}

async fn users_page(
    desk: Desk,
    State(state): State<DeskState>,
    Query(q): Query<Done>,
) -> Result<Markup, DeskError> {
    desk.require(Role::Admin)?;
    let tr = Tr {
        state: &state,
        locale: &desk.locale,
    };
    // Known outcomes and names read back from the store only: a crafted link must not
    // put its own words on the page.
    let id = q.id.and_then(|id| id.parse::<i64>().ok());
    let notice = match (q.done.as_deref(), id) {
        (Some(d @ ("created" | "disabled" | "enabled" | "unlocked")), Some(id)) => state
            .users
            .get(id)
            .await
            .map_err(DeskError::internal)?
            .map(|u| tr.ta(&format!("desk-users-done-{d}"), &[("name", u.name)])),
        _ => None,
    };
    render(&state, &desk, None, notice, &AddForm::default()).await
}

async fn render(
    state: &DeskState,
    desk: &Desk,
    refusal: Option<Refusal>,
    notice: Option<String>,
    form: &AddForm,
) -> Result<Markup, DeskError> {
    let tr = Tr {
        state,
        locale: &desk.locale,
    };
    let all = state.users.list().await.map_err(DeskError::internal)?;
    let chosen_role = Role::parse(&form.role).unwrap_or(Role::Agent);
    // Users locked after wrong passwords, and until when.
    let now = chrono::Utc::now();
    let mut locked = std::collections::HashMap::new();
    for u in &all {
        if let Some(until) = state
            .users
            .locked_until(u.id, now)
            .await
            .map_err(DeskError::internal)?
        {
            locked.insert(u.id, until);
        }
    }
    let body = html! {
        @if let Some(r) = refusal {
            p.error #refusal role="alert" data-code=(r.code()) {
                (tr.ta(&format!("desk-users-error-{}", r.code()), &[("min", MIN_PASSWORD.to_string())]))
            }
        }
        @if let Some(n) = &notice { p.notice role="status" { (n) } }
        table.stack.users {
            thead { tr {
                th { (tr.t("desk-users-name")) }
                th { (tr.t("desk-users-display-name")) }
                th { (tr.t("desk-users-role")) }
                th { (tr.t("desk-users-area")) }
                th { (tr.t("desk-users-state")) }
                th {}
            } }
            tbody {
                @for u in &all {
                    tr.user data-id=(u.id) data-name=(u.name) data-disabled=(u.disabled) {
                        td data-label=(tr.t("desk-users-name")) { code { (u.name) } }
                        td data-label=(tr.t("desk-users-display-name")) { (u.display_name) }
                        td data-label=(tr.t("desk-users-role")) { (role_name(&tr, u.role)) }
                        td data-label=(tr.t("desk-users-area")) { (u.area.as_deref().unwrap_or("")) }
                        td.state data-label=(tr.t("desk-users-state")) {
                            @if u.disabled { span.failed { (tr.t("desk-users-disabled")) } }
                            @else if let Some(until) = locked.get(&u.id) {
                                span.failed.locked { (tr.ta("desk-users-locked", &[("until", crate::handoff::local(*until))])) }
                                form method="post" action={ "/desk/users/" (u.id) "/unlock" } {
                                    (csrf(desk))
                                    button.unlock type="submit" { (tr.t("desk-users-unlock")) }
                                }
                            }
                            @else { (tr.t("desk-users-active")) }
                        }
                        td {
                            @if u.id == desk.user.id {
                                span.hint { (tr.t("desk-users-you")) }
                            } @else if u.disabled {
                                form method="post" action={ "/desk/users/" (u.id) "/enable" } {
                                    (csrf(desk))
                                    button.enable type="submit" { (tr.t("desk-users-enable")) }
                                }
                            } @else {
                                form method="post" action={ "/desk/users/" (u.id) "/disable" } {
                                    (csrf(desk))
                                    button.disable type="submit" { (tr.t("desk-users-disable")) }
                                }
                            }
                        }
                    }
                }
            }
        }
        section.card #add-user {
            h2 { (tr.t("desk-users-add")) }
            form method="post" action="/desk/users" {
                (csrf(desk))
                label { (tr.t("desk-users-name"))
                    input name="name" value=(form.name) required minlength="2" maxlength="32"
                        pattern="[A-Za-z0-9._\\-]+" autocomplete="off";
                }
                span.hint { (tr.t("desk-users-name-hint")) }
                label { (tr.t("desk-users-display-name"))
                    input name="display_name" value=(form.display_name) required;
                }
                label { (tr.t("desk-users-role"))
                    select name="role" {
                        @for r in Role::ALL {
                            option value=(r.as_str()) selected[r == chosen_role] { (role_name(&tr, r)) }
                        }
                    }
                }
                label { (tr.t("desk-users-area"))
                    input name="area" value=(form.area);
                }
                span.hint { (tr.t("desk-users-area-hint")) }
                label { (tr.t("desk-users-password"))
                    input name="password" type="password" required minlength=(MIN_PASSWORD)
                        autocomplete="new-password";
                }
                button #add type="submit" { (tr.t("desk-users-add-submit")) }
            }
        }
    };
    Ok(layout(
        state,
        desk,
        "/desk/users",
        &tr.t("desk-users-title"),
        body,
    ))
}

fn role_name(tr: &Tr<'_>, role: Role) -> String {
    tr.t(&format!("desk-role-{}", role.as_str()))
}

/// A refused change: the page again, with why, and 422 so scripts and tests can tell.
async fn refused(
    state: &DeskState,
    desk: &Desk,
    why: Refusal,
    form: &AddForm,
) -> Result<Response, DeskError> {
    tracing::info!(
        admin = desk.user.id,
        refused = why.code(),
        "desk user change refused"
    );
    let page = render(state, desk, Some(why), None, form).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

fn done(what: &str, id: i64) -> Response {
    Redirect::to(&format!("/desk/users?done={what}&id={id}")).into_response()
}

async fn add(
    desk: Desk,
    State(state): State<DeskState>,
    Form(mut f): Form<AddForm>,
) -> Result<Response, DeskError> {
    desk.require(Role::Admin)?;
    f.name = f.name.trim().to_owned();
    f.display_name = f.display_name.trim().to_owned();
    f.area = f.area.trim().to_owned();
    let password = std::mem::take(&mut f.password);
    let role = Role::parse(&f.role);
    let why = if !users::valid_name(&f.name) {
        Some(Refusal::Name)
    } else if f.display_name.is_empty() {
        Some(Refusal::DisplayName)
    } else if password.chars().count() < MIN_PASSWORD {
        Some(Refusal::Password)
    } else {
        None
    };
    let role = match (why, role) {
        (None, Some(role)) => role,
        (why, _) => return refused(&state, &desk, why.unwrap_or(Refusal::Role), &f).await,
    };
    let new = NewUser {
        name: f.name.clone(),
        display_name: f.display_name.clone(),
        role,
        area: (!f.area.is_empty()).then(|| f.area.clone()),
    };
    // Argon2 is slow on purpose; it must not hold up the runtime's other requests.
    let hash = tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(DeskError::internal)?
        .map_err(DeskError::internal)?;
    match state.users.create(&new, &hash).await {
        Ok(user) => {
            tracing::info!(
                admin = desk.user.id,
                user = user.id,
                role = user.role.as_str(),
                "desk user created"
            );
            Ok(done("created", user.id))
        }
        Err(UserError::Exists(_)) => refused(&state, &desk, Refusal::Exists, &f).await,
        Err(e) => Err(DeskError::internal(e)),
    }
}

async fn disable(
    desk: Desk,
    State(state): State<DeskState>,
    Path(id): Path<i64>,
) -> Result<Response, DeskError> {
    set_disabled(desk, state, id, true).await
}

async fn enable(
    desk: Desk,
    State(state): State<DeskState>,
    Path(id): Path<i64>,
) -> Result<Response, DeskError> {
    set_disabled(desk, state, id, false).await
}

/// Lifts the lock that wrong passwords put on a user (they called the admin).
async fn unlock(
    desk: Desk,
    State(state): State<DeskState>,
    Path(id): Path<i64>,
) -> Result<Response, DeskError> {
    desk.require(Role::Admin)?;
    let store = &state.users;
    if store.get(id).await.map_err(DeskError::internal)?.is_none() {
        return Err(DeskError::NotFound);
    }
    store
        .login_succeeded(id)
        .await
        .map_err(DeskError::internal)?;
    tracing::info!(admin = desk.user.id, user = id, "desk user unlocked");
    Ok(done("unlocked", id))
}

async fn set_disabled(
    desk: Desk,
    state: DeskState,
    id: i64,
    disabled: bool,
) -> Result<Response, DeskError> {
    desk.require(Role::Admin)?;
    // An admin locking themself out could leave nobody to undo it.
    if disabled && id == desk.user.id {
        return refused(&state, &desk, Refusal::Yourself, &AddForm::default()).await;
    }
    if !state
        .users
        .set_disabled(id, disabled)
        .await
        .map_err(DeskError::internal)?
    {
        return Err(DeskError::NotFound);
    }
    tracing::info!(
        admin = desk.user.id,
        user = id,
        disabled,
        "desk user changed"
    );
    Ok(done(if disabled { "disabled" } else { "enabled" }, id))
}
