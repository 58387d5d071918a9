//! The HTTP server: one place that merges each capability's router and serves it.

pub mod error;
mod health;

use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::Router;
use tokio::net::TcpListener;
use tower_http::trace::TraceLayer;

use crate::app::AppState;

/// Largest request body the JSON API accepts.
const BODY_LIMIT: usize = 1024 * 1024;

/// The whole application's routes, without a socket (tests drive it directly too).
pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .merge(health::router())
        .merge(crate::nlu::http::router())
        .merge(crate::service::http::router())
        .fallback(|| async { error::ApiError::NotFound })
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            error::localize,
        ))
        .layer(DefaultBodyLimit::max(BODY_LIMIT));
    let desk = crate::desk::router(&state).with_state(state.clone());
    let mut app = api.with_state(state.clone()).merge(desk);
    // The callback speaks WeChat's protocol, not the API's JSON errors: mounted beside it.
    match crate::wechat::router(&state) {
        Ok(Some(wechat)) => app = app.nest_service("/wechat", wechat),
        Ok(None) => {
            tracing::info!("WeChat not configured (no callback token); /wechat not mounted")
        }
        Err(e) => tracing::error!(error = %e, "WeChat callback not mounted"),
    }
    app.layer(TraceLayer::new_for_http())
}

/// Serves until SIGINT or SIGTERM, then lets requests in flight finish.
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
