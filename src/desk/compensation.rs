//! What accounts are owed for a season (rooms measured below the standard, long
//! interruptions the utility caused), for the counter and the admins, and the CSV billing
//! imports. The amounts are computed on each request from the `[compensation]` settings
//! (`crate::compensation`), so the page and the export always agree.

use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use chrono::Utc;
use maud::html;
use serde::Deserialize;

use super::auth::{Desk, DeskError};
use super::page::{layout, Tr};
use super::users::Role;
use super::DeskState;
use crate::compensation::{AccountOwed, Compensation, Reason};
use crate::service::rules::Season;

/// Who sees what accounts are owed: the counter (agents) and admins (who pass every
/// check). Stations measure; they do not settle accounts.
const ROLES: [Role; 1] = [Role::Agent];

pub fn router() -> Router<DeskState> {
    Router::new()
        .route("/desk/compensation", get(page))
        .route("/desk/compensation.csv", get(csv))
}

#[derive(Deserialize)]
struct SeasonQuery {
    #[serde(default)]
    season: String,
}

/// The season asked for (`2026` or `2026-2027`), the current one when none; `None` when the
/// text names no season.
fn season(state: &DeskState, q: &SeasonQuery) -> Option<Season> {
    if q.season.trim().is_empty() {
        return Some(state.compensation.current_season(Utc::now()));
    }
    Compensation::parse_season(&q.season)
}

async fn rows(state: &DeskState, season: Season) -> Result<Vec<AccountOwed>, DeskError> {
    state
        .compensation
        .season(season, Utc::now())
        .await
        .map_err(DeskError::internal)
}

async fn page(
    desk: Desk,
    State(state): State<DeskState>,
    Query(q): Query<SeasonQuery>,
) -> Result<Response, DeskError> {
    desk.require_any(&ROLES)?;
    let tr = Tr {
        state: &state,
        locale: &desk.locale,
    };
    let Some(season) = season(&state, &q) else {
        let body = html! { p.error.alert role="alert" { (tr.t("desk-compensation-bad-season")) } };
        let page = layout(
            &state,
            &desk,
            "/desk/compensation",
            &tr.t("desk-compensation-title"),
            body,
        );
        return Ok((StatusCode::BAD_REQUEST, page).into_response());
    };
    let list = rows(&state, season).await?;
    let total: i64 = list.iter().map(|r| r.owed.total.0).sum();
    let body = html! {
        form.season method="get" action="/desk/compensation" {
            label { (tr.t("desk-compensation-season")) " "
                input name="season" value=(season.start_year) inputmode="numeric" size="6";
            }
            button type="submit" { (tr.t("desk-compensation-show")) }
            " "
            a.csv href={ "/desk/compensation.csv?season=" (season.start_year) } download {
                (tr.t("desk-report-csv"))
            }
        }
        p.summary {
            (tr.ta("desk-compensation-summary", &[
                ("season", season.label()),
                ("count", list.len().to_string()),
                ("total", crate::service::Fen(total).yuan()),
            ]))
        }
        @if list.is_empty() {
            p.empty { (tr.t("desk-compensation-empty")) }
        } @else {
            div.table-wrap {
                table.compensation {
                    thead { tr {
                        th { (tr.t("desk-compensation-account")) }
                        th { (tr.t("desk-compensation-address")) }
                        th { (tr.t("desk-compensation-reasons")) }
                        th.num { (tr.t("desk-compensation-amount")) }
                    } }
                    tbody {
                        @for r in &list {
                            tr data-account=(r.account) {
                                td { (r.account) }
                                td { (r.address) " · " (r.district) }
                                td {
                                    ul.reasons {
                                        @for l in &r.owed.lines {
                                            li { (reason(&tr, &l.reason)) " — " (tr.ta("desk-compensation-line", &[
                                                ("from", l.from.to_string()),
                                                ("days", l.days.to_string()),
                                                ("percent", format!("{}", l.percent)),
                                                ("amount", l.amount.yuan()),
                                            ])) }
                                        }
                                    }
                                }
                                td.num { (r.owed.total.yuan()) }
                            }
                        }
                    }
                }
            }
        }
        p.note { (tr.ta("desk-compensation-rules", &[
            ("standard", format!("{}", state.compensation.rules.indoor_min_celsius)),
            ("hours", state.compensation.settings.interruption_threshold_hours.to_string()),
        ])) }
    };
    let page = layout(
        &state,
        &desk,
        "/desk/compensation",
        &tr.t("desk-compensation-title"),
        body,
    );
    Ok(page.into_response())
}

fn reason(tr: &Tr<'_>, r: &Reason) -> String {
    match r {
        Reason::BelowStandard { celsius } => tr.ta(
            "desk-compensation-below",
            &[("celsius", format!("{celsius}"))],
        ),
        Reason::Interruption { hours, incidents } => tr.ta(
            "desk-compensation-interruption",
            &[
                ("hours", hours.to_string()),
                (
                    "incidents",
                    incidents
                        .iter()
                        .map(|i| format!("#{i}"))
                        .collect::<Vec<_>>()
                        .join(" "),
                ),
            ],
        ),
    }
}

async fn csv(
    desk: Desk,
    State(state): State<DeskState>,
    Query(q): Query<SeasonQuery>,
) -> Result<Response, DeskError> {
    desk.require_any(&ROLES)?;
    let Some(season) = season(&state, &q) else {
        return Ok((StatusCode::BAD_REQUEST, "season: YYYY or YYYY-YYYY\n").into_response());
    };
    let list = rows(&state, season).await?;
    let body = crate::compensation::csv(season, &list);
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"compensation-{}.csv\"",
                    season.label()
                ),
            ),
        ],
        body,
    )
        .into_response())
}
