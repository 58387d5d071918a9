//! The HTTP server's shared parts: the JSON API's frame (errors, health, limits) and
//! serving with a graceful shutdown. The routers themselves are merged in `app`.

pub mod error;
mod health;
pub mod metrics;
pub mod request_id;

pub use health::Readiness;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::Router;
use tokio::net::TcpListener;

use crate::i18n::Locales;
use crate::nlu::EngineHandle;
use crate::storage::{Database, Storage};

/// Largest request body the JSON API accepts.
const BODY_LIMIT: usize = 1024 * 1024;

/// The JSON API's frame around the capabilities' API routers: `/healthz`, `/readyz`, the JSON 404,
/// localised error bodies and the body limit.
pub fn api(
    routes: Router,
    locales: Arc<Locales>,
    engine: Arc<EngineHandle>,
    storage: Arc<dyn Storage>,
    readiness: Readiness,
) -> Router {
    routes
        .merge(health::router(engine, storage, readiness))
        .fallback(|| async { error::ApiError::NotFound })
        .layer(axum::middleware::from_fn_with_state(
            locales,
            error::localize,
        ))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
}

/// Serves until SIGINT or SIGTERM, then lets requests in flight finish.
/// Answers a request that may have written (anything but GET, HEAD, OPTIONS) only once
/// its writes are durable: the database commits without flushing (`Database::sync`), and
/// whoever pressed a button is told it was done.
pub async fn durable_writes(
    axum::extract::State(db): axum::extract::State<Database>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::http::Method;
    let reads = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let res = next.run(req).await;
    if reads {
        return res;
    }
    match db.sync().await {
        Ok(()) => res,
        Err(e) => {
            tracing::error!(error = %e, "cannot make a request's writes durable");
            axum::response::IntoResponse::into_response(axum::http::StatusCode::SERVICE_UNAVAILABLE)
        }
    }
}

pub async fn serve(listener: TcpListener, app: Router) -> std::io::Result<()> {
    serve_with(listener, app, || {}).await
}

/// As `serve`, calling `on_shutdown` when the signal comes: endless responses (the desk's
/// event streams) end there, so they do not hold the shutdown.
pub async fn serve_with(
    listener: TcpListener,
    app: Router,
    on_shutdown: impl FnOnce() + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            shutdown_signal().await;
            on_shutdown();
        })
        .await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for SIGINT");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down; finishing requests in flight");
    // A bound on how long a stuck request can hold the process.
    tokio::spawn(async {
        tokio::time::sleep(Duration::from_secs(20)).await;
        tracing::warn!("requests still running after 20 s; exiting");
        std::process::exit(0);
    });
}
