use std::process::ExitCode;

use clap::Parser;
use heatdesk::cli::{Cli, Command};

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    heatdesk::telemetry::init(if matches!(cli.command, Command::Serve) {
        "info"
    } else {
        "warn"
    });
    match heatdesk::cli::run(cli).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
