//! `GET /metrics`: the process's Prometheus recorder, rendered. Counters and histograms are
//! recorded where things happen; the gauges that need a query (queue, outbox, pool) are
//! read here, at scrape time, so no message pays for them.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use chrono::{DateTime, Utc};
use metrics_exporter_prometheus::PrometheusHandle;
use sha2::{Digest, Sha256};

use crate::domain::Secret;
use crate::handoff::{HandoffStore, Status};
use crate::service::Outbox;
use crate::storage::Database;

/// What a scrape reads.
#[derive(Clone)]
pub struct Scrape {
    pub handle: PrometheusHandle,
    /// Empty: no token asked for.
    pub token: Secret,
    pub handoffs: Arc<dyn HandoffStore>,
    pub outbox: Outbox,
    pub db: Database,
    /// Agents that had claimed handoffs at an earlier scrape: their gauge goes back to 0.
    pub agents: Arc<Mutex<BTreeSet<i64>>>,
}

pub fn router(scrape: Scrape) -> Router {
    Router::new()
        .route("/metrics", get(render))
        .with_state(scrape)
}

async fn render(State(s): State<Scrape>, headers: HeaderMap) -> Response {
    if !s.token.is_empty() && !authorized(&headers, &s.token) {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
        )
            .into_response();
    }
    s.read_gauges().await;
    s.handle.run_upkeep();
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        s.handle.render(),
    )
        .into_response()
}

/// Compares digests, so the time taken says nothing about how much of the token matched.
fn authorized(headers: &HeaderMap, token: &Secret) -> bool {
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    Sha256::digest(given.as_bytes()) == Sha256::digest(token.expose().as_bytes())
}

fn age_seconds(since: DateTime<Utc>) -> f64 {
    (Utc::now() - since).num_milliseconds().max(0) as f64 / 1000.0
}

impl Scrape {
    async fn read_gauges(&self) {
        let (open, idle) = self.db.pool_use();
        metrics::gauge!("heatdesk_db_pool_connections", "state" => "open").set(f64::from(open));
        metrics::gauge!("heatdesk_db_pool_connections", "state" => "idle").set(idle as f64);
        match self.outbox.pending().await {
            Ok(n) => metrics::gauge!("heatdesk_outbox_backlog").set(n as f64),
            Err(e) => tracing::warn!(error = %e, "metrics: cannot count the outbox"),
        }
        if let Ok(oldest) = self.outbox.oldest_pending().await {
            let age = oldest.map_or(0.0, age_seconds);
            metrics::gauge!("heatdesk_outbox_oldest_age_seconds").set(age);
        }
        match self.handoffs.queue().await {
            Ok(queue) => self.handoff_gauges(&queue),
            Err(e) => tracing::warn!(error = %e, "metrics: cannot read the handoff queue"),
        }
    }

    fn handoff_gauges(&self, queue: &[crate::handoff::Handoff]) {
        let waiting: Vec<_> = queue
            .iter()
            .filter(|h| h.status == Status::Waiting)
            .collect();
        metrics::gauge!("heatdesk_handoff_queue_length").set(waiting.len() as f64);
        let oldest = waiting.iter().map(|h| h.created_at).min();
        metrics::gauge!("heatdesk_handoff_oldest_wait_seconds")
            .set(oldest.map_or(0.0, age_seconds));
        let mut open = std::collections::BTreeMap::<i64, u32>::new();
        for agent in queue.iter().filter_map(|h| h.claimed_by) {
            *open.entry(agent).or_default() += 1;
        }
        let mut seen = self
            .agents
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        seen.extend(open.keys().copied());
        for agent in seen.iter() {
            let n = open.get(agent).copied().unwrap_or(0);
            metrics::gauge!("heatdesk_handoffs_open", "agent" => agent.to_string())
                .set(f64::from(n));
        }
    }
}
