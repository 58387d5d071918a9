//! `/api/v1/interruptions`: the dispatch or SCADA system opens, changes and restores
//! interruptions with a bearer token (described by `openapi.json` beside this file); and
//! `/interruptions`, the public page residents reach from the official account's menu.

use std::sync::Arc;

use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use maud::{html, Markup, DOCTYPE};
use serde::Deserialize;
use serde_json::json;

use super::{describe, IncidentError, Incidents, Interruption, NewInterruption};
use crate::domain::{Channel, Secret};
use crate::http::error::ApiJson;
use crate::i18n::Locales;

const OPENAPI: &str = include_str!("openapi.json");

/// Who the API and the page serve.
#[derive(Clone)]
pub struct IncidentHttp {
    pub incidents: Incidents,
    /// `incident.token`; empty: every API call is refused.
    pub token: Secret,
    pub locales: Arc<Locales>,
    /// What residents are told to do until heat is back (after each interruption).
    pub meanwhile: super::Meanwhile,
}

/// A refusal with its stable code (a Fluent id) and the message in the default locale.
pub struct Refusal {
    status: StatusCode,
    code: &'static str,
    detail: Option<String>,
    message: String,
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let mut body = json!({ "error": { "code": self.code, "message": self.message } });
        if let Some(d) = self.detail {
            body["error"]["detail"] = json!(d);
        }
        (self.status, Json(body)).into_response()
    }
}

impl IncidentHttp {
    fn refuse(&self, e: IncidentError) -> Refusal {
        let status = match &e {
            IncidentError::NotFound => StatusCode::NOT_FOUND,
            IncidentError::AlreadyRestored => StatusCode::CONFLICT,
            IncidentError::Store(_) | IncidentError::Decode(_) => {
                tracing::error!(error = %e, "interruption API failed");
                StatusCode::INTERNAL_SERVER_ERROR
            }
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        };
        let detail = match &e {
            IncidentError::UnknownEstate(n) | IncidentError::UnknownDistrict(n) => Some(n.clone()),
            IncidentError::EstateOutsideDistrict { estate, district } => {
                Some(format!("{estate} / {district}"))
            }
            _ => None,
        };
        let locale = self.locales.default_locale();
        Refusal {
            status,
            code: e.code(),
            detail,
            message: self.locales.text(locale, e.code(), &[]),
        }
    }
}

/// Present when the bearer token matches `incident.token` (never when it is empty).
pub struct Authorized;

impl FromRequestParts<IncidentHttp> for Authorized {
    type Rejection = Refusal;

    async fn from_request_parts(parts: &mut Parts, state: &IncidentHttp) -> Result<Self, Refusal> {
        let expected = state.token.expose();
        let given = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        if !expected.is_empty() && constant_time_eq(given.as_bytes(), expected.as_bytes()) {
            return Ok(Self);
        }
        let locale = state.locales.default_locale();
        Err(Refusal {
            status: StatusCode::UNAUTHORIZED,
            code: "error-unauthorized",
            detail: None,
            message: state.locales.text(locale, "error-unauthorized", &[]),
        })
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The API's routes (under the JSON API's frame).
pub fn api_router(state: IncidentHttp) -> Router {
    Router::new()
        .route("/api/v1/interruptions/openapi.json", get(openapi))
        .route("/api/v1/interruptions", get(list).post(open))
        .route("/api/v1/interruptions/{id}", get(one))
        .route("/api/v1/interruptions/{id}/eta", post(eta))
        .route("/api/v1/interruptions/{id}/restore", post(restore))
        .with_state(state)
}

/// The public page (HTML, no login).
pub fn page_router(state: IncidentHttp) -> Router {
    Router::new()
        .route("/interruptions", get(page))
        .with_state(state)
}

async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI)
}

/// Who made a change through the API, as its history shows it.
const API_AUTHOR: &str = "api";

#[derive(Debug, Deserialize)]
struct ListQuery {
    /// Also restored ones (the latest 200).
    #[serde(default)]
    all: bool,
}

async fn list(
    _: Authorized,
    State(s): State<IncidentHttp>,
    Query(q): Query<ListQuery>,
) -> Result<Json<serde_json::Value>, Refusal> {
    let items = if q.all {
        s.incidents.recent(200).await.map_err(|e| s.refuse(e))?
    } else {
        s.incidents
            .store()
            .unrestored()
            .await
            .map_err(|e| s.refuse(e))?
    };
    Ok(Json(json!({ "interruptions": items })))
}

async fn with_history(s: &IncidentHttp, i: Interruption) -> Result<serde_json::Value, Refusal> {
    let events = s.incidents.events(i.id).await.map_err(|e| s.refuse(e))?;
    let mut v = json!(i);
    v["history"] = json!(events);
    Ok(v)
}

async fn one(
    _: Authorized,
    State(s): State<IncidentHttp>,
    Path(id): Path<i64>,
) -> Result<Json<serde_json::Value>, Refusal> {
    let i = s
        .incidents
        .get(id)
        .await
        .map_err(|e| s.refuse(e))?
        .ok_or_else(|| s.refuse(IncidentError::NotFound))?;
    Ok(Json(with_history(&s, i).await?))
}

async fn open(
    _: Authorized,
    State(s): State<IncidentHttp>,
    ApiJson(new): ApiJson<NewInterruption>,
) -> Result<(StatusCode, Json<serde_json::Value>), Refusal> {
    let opened = s
        .incidents
        .open(&new, API_AUTHOR)
        .await
        .map_err(|e| s.refuse(e))?;
    Ok((StatusCode::CREATED, Json(with_history(&s, opened).await?)))
}

#[derive(Debug, Deserialize)]
struct EtaBody {
    eta: DateTime<Utc>,
}

async fn eta(
    _: Authorized,
    State(s): State<IncidentHttp>,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<EtaBody>,
) -> Result<Json<serde_json::Value>, Refusal> {
    let changed = s
        .incidents
        .set_eta(id, body.eta, API_AUTHOR)
        .await
        .map_err(|e| s.refuse(e))?;
    Ok(Json(with_history(&s, changed).await?))
}

async fn restore(
    _: Authorized,
    State(s): State<IncidentHttp>,
    Path(id): Path<i64>,
) -> Result<Json<serde_json::Value>, Refusal> {
    let restored = s
        .incidents
        .restore(id, API_AUTHOR)
        .await
        .map_err(|e| s.refuse(e))?;
    Ok(Json(with_history(&s, restored).await?))
}

/// Current and planned interruptions by district and estate, with the bot's own words.
async fn page(State(s): State<IncidentHttp>) -> Markup {
    let locale = s.locales.default_locale().to_owned();
    let t = |id: &str| s.locales.text(&locale, id, &[]);
    let now = Utc::now();
    let mut items = s.incidents.unrestored();
    items.sort_by(|a, b| {
        (&a.scope.district, a.scope.label(), a.starts_at).cmp(&(
            &b.scope.district,
            b.scope.label(),
            b.starts_at,
        ))
    });
    let (current, planned): (Vec<_>, Vec<_>) = items.into_iter().partition(|i| i.is_current(now));
    // The bot's words: the WeChat reply, from the version published now.
    let meanwhile = s.meanwhile.text(Channel::Wechat);
    let section = |title: String, list: &[Interruption]| {
        html! {
            section {
                h2 { (title) }
                @if list.is_empty() {
                    p.none { (t("interruptions-page-none")) }
                }
                @for (district, group) in by_district(list) {
                    h3.district { (district) }
                    @for i in group {
                        article.interruption data-id=(i.id) {
                            h4 { (i.scope.label()) }
                            p { (describe(&s.locales, &locale, i, meanwhile.as_deref())) }
                        }
                    }
                }
            }
        }
    };
    html! {
        (DOCTYPE)
        html lang=(locale) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (t("interruptions-page-title")) }
                style { (PAGE_CSS) }
            }
            body {
                main {
                    h1 { (t("interruptions-page-title")) }
                    (section(t("interruptions-page-current"), &current))
                    (section(t("interruptions-page-planned"), &planned))
                    p.updated { (t("interruptions-page-updated")) " " (super::local_time(now)) }
                }
            }
        }
    }
}

fn by_district(list: &[Interruption]) -> Vec<(&str, Vec<&Interruption>)> {
    let mut out: Vec<(&str, Vec<&Interruption>)> = Vec::new();
    for i in list {
        match out.last_mut() {
            Some((d, group)) if *d == i.scope.district => group.push(i),
            _ => out.push((&i.scope.district, vec![i])),
        }
    }
    out
}

/// Phone first: one column, large type, nothing wider than the screen.
const PAGE_CSS: &str = "body{margin:0;font-family:system-ui,sans-serif;font-size:17px;\
line-height:1.5;color:#222;background:#f6f6f4}main{max-width:42rem;margin:0 auto;\
padding:1rem}h1{font-size:1.4rem}h2{font-size:1.15rem;margin-top:1.5rem}\
h3{font-size:1rem;color:#555}article{background:#fff;border-radius:8px;padding:.75rem 1rem;\
margin:.5rem 0;box-shadow:0 1px 2px rgba(0,0,0,.08);overflow-wrap:anywhere}\
h4{margin:0 0 .25rem;font-size:1rem}p{margin:.25rem 0}article p{white-space:pre-line}.none,.updated{color:#666}";
