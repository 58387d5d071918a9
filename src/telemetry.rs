//! Logs go to stderr, so commands that print JSON keep stdout clean.

use tracing_subscriber::EnvFilter;

/// `RUST_LOG` wins; otherwise `default` (e.g. "info" for the server, "warn" for commands).
pub fn init(default: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
