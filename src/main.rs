use std::process::ExitCode;

use clap::Parser;
use heatdesk::cli::{Cli, Command};

// glibc's allocator spent a tenth of a busy server's time in malloc and free, and kept
// the start-up peak (building the phrasebook's index) as resident memory for good.
// Built without transparent huge pages (`no_thp`): mimalloc asks the kernel for them on
// its arenas, and 2 MiB pages held about 40 MB more resident than the server used
// (163 against 120 MB right after start), with no measurable gain in throughput.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    // Only the format is needed this early; a command that cannot load the settings says so
    // itself, in text.
    let format = heatdesk::config::Settings::load(cli.config.as_deref())
        .map(|s| s.log.format)
        .unwrap_or_default();
    let default = if matches!(cli.command, Command::Serve { .. }) {
        "info"
    } else {
        "warn"
    };
    heatdesk::telemetry::init(default, format);
    match heatdesk::cli::run(cli).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
