//! The callback endpoint as an axum [`Router`].

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use tracing::Instrument;

use crate::callback::{Callback, CallbackError, CallbackQuery};
use crate::config::{Config, ConfigError};
use crate::dedup::Outcome;
use crate::dispatcher::Dispatcher;
use crate::update::Update;

struct Endpoint {
    callback: Callback,
    dispatcher: Dispatcher,
    deadline: std::time::Duration,
}

/// A router serving the callback URL at its root; mount it anywhere:
///
/// ```no_run
/// # async fn demo(config: wechat_mp::Config, dispatcher: wechat_mp::Dispatcher) -> Result<(), Box<dyn std::error::Error>> {
/// let app = axum::Router::new().nest("/wechat", wechat_mp::axum::router(config, dispatcher)?);
/// # Ok(()) }
/// ```
///
/// `GET` answers URL verification, `POST` receives pushes. Bad signatures and
/// stale timestamps get 403, malformed bodies 400, bodies over
/// [`Config::body_limit`] 413. Handler failures are logged and answered with
/// `success`, never with a 5xx that WeChat would turn into "this account
/// cannot provide service" for the user.
pub fn router(config: Config, dispatcher: Dispatcher) -> Result<Router, ConfigError> {
    let endpoint = Arc::new(Endpoint {
        callback: Callback::new(&config)?,
        dispatcher,
        deadline: config.handler_deadline,
    });
    Ok(Router::new()
        .route("/", get(verify_url).post(receive))
        .layer(DefaultBodyLimit::max(config.body_limit))
        .with_state(endpoint))
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or_default()
}

fn refuse(error: &CallbackError) -> Response {
    tracing::warn!(%error, "callback refused");
    (error.status(), "").into_response()
}

async fn verify_url(
    State(endpoint): State<Arc<Endpoint>>,
    Query(query): Query<CallbackQuery>,
) -> Response {
    match endpoint.callback.verify_url(&query, unix_now()) {
        Ok(echostr) => (
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            echostr,
        )
            .into_response(),
        Err(error) => refuse(&error),
    }
}

async fn receive(
    State(endpoint): State<Arc<Endpoint>>,
    Query(query): Query<CallbackQuery>,
    body: Bytes,
) -> Response {
    // The deadline counts from arrival: time spent queued behind the user's
    // earlier messages is part of WeChat's five seconds.
    let arrived = tokio::time::Instant::now();
    let deadline = arrived + endpoint.deadline;
    let now = unix_now();
    let opened = match endpoint.callback.open(&query, &body, now) {
        Ok(opened) => opened,
        Err(error) => return refuse(&error),
    };
    let update = match Update::from_xml(opened.xml.as_bytes()) {
        Ok(update) => update,
        Err(error) => return refuse(&CallbackError::Update(error)),
    };
    let span = tracing::info_span!(
        "wechat_push",
        msg_id = %msg_id(&update),
        user = %update.from.masked(),
        kind = kind_name(&update),
    );
    let outcome = endpoint
        .dispatcher
        .dispatch(update, deadline)
        .instrument(span)
        .await;
    let label = match &outcome {
        Outcome::Reply(_) => "reply",
        Outcome::Empty => "empty",
        Outcome::Deferred => "deferred",
    };
    metrics::histogram!("wechat_callback_duration_seconds", "outcome" => label)
        .record(arrived.elapsed().as_secs_f64());
    match outcome {
        Outcome::Reply(xml) => {
            let body = endpoint.callback.seal(&opened, &xml, unix_now());
            (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "application/xml; charset=utf-8")],
                body,
            )
                .into_response()
        }
        Outcome::Empty | Outcome::Deferred => success(),
    }
}

/// The literal WeChat reads as "received, nothing to show, do not retry";
/// sent unencrypted in every mode.
fn success() -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "success",
    )
        .into_response()
}

/// A message's MsgId; events have none, their time stands in.
fn msg_id(update: &Update) -> String {
    match &update.kind {
        crate::update::UpdateKind::Message(m) => m.id.as_ref().map(ToString::to_string),
        _ => None,
    }
    .unwrap_or_else(|| format!("t{}", update.create_time))
}

fn kind_name(update: &Update) -> &'static str {
    match &update.kind {
        crate::update::UpdateKind::Message(_) => "message",
        crate::update::UpdateKind::Event(_) => "event",
        _ => "unknown",
    }
}
