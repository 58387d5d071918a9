//! Logs and metrics. Logs go to stderr, so commands that print JSON keep stdout clean; as
//! text for people or as JSON lines for log shippers (`log.format`). Metrics are recorded
//! through the `metrics` facade (the WeChat adapter records its own the same way) into one
//! Prometheus recorder per process, rendered by `GET /metrics` when `[metrics]` allows it.

use std::sync::{Mutex, OnceLock};

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use serde::{Deserialize, Serialize};
use tracing_subscriber::EnvFilter;

use crate::domain::Secret;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    /// One JSON object per line, with the fields of every enclosing span (`request_id`,
    /// `msg_id`, the masked `user`).
    Json,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogSettings {
    pub format: LogFormat,
}

/// `GET /metrics` is served only when enabled; with a token, only to requests that carry it
/// as `Authorization: Bearer …` (the endpoint sits on the public listener).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsSettings {
    pub enabled: bool,
    pub token: Secret,
}

/// `RUST_LOG` wins; otherwise `default` (e.g. "info" for the server, "warn" for commands).
pub fn init(default: &str, format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(true)
            .try_init(),
    };
}

/// Replies, API calls and pool waits: milliseconds to the WeChat deadline and beyond.
const LATENCY_BUCKETS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];
/// A resident's wait for an agent: seconds to hours.
const WAIT_BUCKETS: [f64; 10] = [
    10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0, 7200.0, 14400.0,
];

/// The process's recorder, installed on first use: every instance built in a process (the
/// tests build many) records into the same one.
pub fn metrics() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets(&LATENCY_BUCKETS)
            .and_then(|b| {
                b.set_buckets_for_metric(
                    Matcher::Full("heatdesk_handoff_wait_seconds".into()),
                    &WAIT_BUCKETS,
                )
            })
            .unwrap_or_else(|_| PrometheusBuilder::new())
            .build_recorder();
        let handle = recorder.handle();
        if let Err(e) = metrics::set_global_recorder(recorder) {
            tracing::warn!(error = %e, "another metrics recorder is installed; /metrics stays empty");
        }
        describe();
        build_info();
        handle
    })
}

fn build_info() {
    let version = env!("CARGO_PKG_VERSION");
    match option_env!("HEATDESK_GIT_COMMIT") {
        Some(commit) => {
            metrics::gauge!("heatdesk_build_info", "version" => version, "commit" => commit)
                .set(1.0);
        }
        None => metrics::gauge!("heatdesk_build_info", "version" => version).set(1.0),
    }
}

/// The published phrasebook version in service: 1 for its label, 0 for the one it replaced.
pub fn phrasebook_version(number: i64) {
    static CURRENT: Mutex<Option<i64>> = Mutex::new(None);
    let mut current = CURRENT
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(old) = current.replace(number).filter(|&old| old != number) {
        metrics::gauge!("heatdesk_phrasebook_version", "version" => old.to_string()).set(0.0);
    }
    metrics::gauge!("heatdesk_phrasebook_version", "version" => number.to_string()).set(1.0);
}

/// The HELP lines of `/metrics`: the list of what is exported, in one place.
fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
    describe_gauge!(
        "heatdesk_build_info",
        "version (and git commit when built with HEATDESK_GIT_COMMIT)"
    );
    describe_counter!(
        "heatdesk_messages_total",
        "resident messages by channel, kind and what the desk did"
    );
    describe_counter!(
        "heatdesk_classifications_total",
        "questions classified by channel and decision"
    );
    describe_histogram!(
        "wechat_callback_duration_seconds",
        Unit::Seconds,
        "time to answer a WeChat push, by outcome"
    );
    describe_counter!(
        "wechat_deferred_replies_total",
        "replies that missed the deadline and went out as messages, by result"
    );
    describe_counter!("wechat_api_calls_total", "WeChat API calls by path");
    describe_counter!(
        "wechat_api_errors_total",
        "failed WeChat API calls by path and errcode"
    );
    describe_counter!(
        "wechat_access_token_refreshes_total",
        "access tokens fetched from WeChat"
    );
    describe_gauge!(
        "heatdesk_handoff_queue_length",
        "handoffs waiting for an agent"
    );
    describe_gauge!(
        "heatdesk_handoff_oldest_wait_seconds",
        Unit::Seconds,
        "how long the longest-waiting handoff has waited"
    );
    describe_histogram!(
        "heatdesk_handoff_wait_seconds",
        Unit::Seconds,
        "wait from handoff to an agent's claim"
    );
    describe_gauge!(
        "heatdesk_handoffs_open",
        "claimed handoffs per agent (desk user id)"
    );
    describe_gauge!(
        "heatdesk_outbox_backlog",
        "service writes waiting for the API"
    );
    describe_gauge!(
        "heatdesk_outbox_oldest_age_seconds",
        Unit::Seconds,
        "age of the oldest waiting service write"
    );
    describe_histogram!(
        "heatdesk_service_api_duration_seconds",
        Unit::Seconds,
        "calls to the utility's service API, by method"
    );
    describe_counter!(
        "heatdesk_service_api_errors_total",
        "failed service API attempts, by method and kind"
    );
    describe_gauge!(
        "heatdesk_db_pool_connections",
        "database pool connections, by state (open, idle)"
    );
    describe_gauge!(
        "heatdesk_phrasebook_version",
        "1 for the published phrasebook version in service"
    );
}
