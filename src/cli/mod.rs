//! The command line: the edge where errors become messages and exit codes.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};

use crate::catalog::{self, Severity};
use crate::config::Settings;
use crate::nlu::{self, eval};

mod chat;
mod simulate;
mod user;
mod wechat;

pub use simulate::{SimulateArgs, SimulatedEvent};
pub use wechat::{Account, WechatCommand};

#[derive(Debug, Parser)]
#[command(
    name = "heatdesk",
    version,
    about = "Service desk for district-heating utilities"
)]
pub struct Cli {
    /// Settings file (default: ./heatdesk.toml when present).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server (API, WeChat callback).
    Serve,
    /// Classify one message and print the result as JSON.
    Classify {
        /// The message (several words are joined with spaces).
        #[arg(required = true)]
        text: Vec<String>,
    },
    /// Measure the classifier on a labelled TSV file (`text<TAB>intent`, with a header).
    Eval {
        file: PathBuf,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Exit non-zero when the accuracy is below this (0..1).
        #[arg(long)]
        min_accuracy: Option<f64>,
    },
    /// Talk to the resident-facing dialogue in the terminal, one message per line (works
    /// piped). `/image`, `/location LAT LON`, `/click KEY` stand for WeChat's other messages.
    Chat {
        /// The user the conversation belongs to (an OpenID).
        #[arg(long = "as", default_value = "terminal")]
        user: String,
    },
    /// Work with the phrasebook.
    Phrasebook {
        #[command(subcommand)]
        command: PhrasebookCommand,
    },
    /// Compute and check WeChat callback signatures and encrypted envelopes by hand.
    Wechat {
        #[command(subcommand)]
        command: WechatCommand,
    },
    /// Post messages to a callback URL exactly as WeChat would and print the replies.
    Simulate(SimulateArgs),
    /// Manage desk users (agents, station staff, curators, admins).
    User {
        #[command(subcommand)]
        command: user::UserCommand,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Format {
    Json,
    Text,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ExportFormat {
    Tsv,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum PhrasebookCommand {
    /// Validate intents, phrasebook and locales; print `file:line: message` for each problem.
    Check,
    /// Print the published phrasebook.
    Export {
        #[arg(long, value_enum, default_value_t = ExportFormat::Tsv)]
        format: ExportFormat,
    },
}

pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    // Loaded only by the commands that use it: the WeChat tools take everything from
    // their flags, so a broken settings file cannot stand in the way of debugging a callback.
    let config = cli.config.as_deref();
    let settings = || Settings::load(config);
    match cli.command {
        Command::Serve => crate::app::run(settings()?)
            .await
            .map(|()| ExitCode::SUCCESS),
        Command::Classify { text } => classify(&settings()?, &text.join(" ")).await,
        Command::Eval {
            file,
            format,
            min_accuracy,
        } => run_eval(&settings()?, &file, format, min_accuracy).await,
        Command::Chat { user } => chat::run(settings()?, &user).await,
        Command::Phrasebook {
            command: PhrasebookCommand::Check,
        } => check(&settings()?),
        Command::Phrasebook {
            command: PhrasebookCommand::Export { format },
        } => export(&settings()?, format),
        Command::Wechat { command } => wechat::run(command),
        Command::Simulate(args) => simulate::run(args).await,
        Command::User { command } => user::run(settings()?, command).await,
    }
}

async fn engine(settings: &Settings) -> anyhow::Result<nlu::Engine> {
    let sources = settings.sources()?;
    let nlu_settings = settings.nlu.clone();
    Ok(tokio::task::spawn_blocking(move || nlu::build_from(&sources, &nlu_settings)).await??)
}

async fn classify(settings: &Settings, text: &str) -> anyhow::Result<ExitCode> {
    let engine = engine(settings).await?;
    let result = engine.classify(text);
    println!("{}", serde_json::to_string(&result)?);
    Ok(ExitCode::SUCCESS)
}

async fn run_eval(
    settings: &Settings,
    file: &PathBuf,
    format: Format,
    min: Option<f64>,
) -> anyhow::Result<ExitCode> {
    let content =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let engine = engine(settings).await?;
    let catalog = engine.catalog().clone();
    let known = |id: &str| catalog.intents.iter().any(|i| i.id.as_str() == id);
    let examples = eval::parse_tsv(&content, &known).with_context(|| file.display().to_string())?;
    let bar = match format {
        Format::Text if examples.len() > 50 => indicatif::ProgressBar::new(examples.len() as u64),
        _ => indicatif::ProgressBar::hidden(),
    };
    let report = eval::evaluate(&engine, &examples, &mut || bar.inc(1));
    bar.finish_and_clear();
    match format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&report)?),
        Format::Text => print!("{}", eval::render_text(&report)),
    }
    match min {
        Some(min) if report.accuracy < min => {
            eprintln!(
                "accuracy {:.4} is below the required {min:.4}",
                report.accuracy
            );
            Ok(ExitCode::FAILURE)
        }
        _ => Ok(ExitCode::SUCCESS),
    }
}

fn check(settings: &Settings) -> anyhow::Result<ExitCode> {
    let (catalog, diags) = catalog::load(&settings.sources()?);
    for d in &diags {
        println!("{d}");
    }
    let errors = diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    match catalog {
        Some(c) if errors == 0 => {
            println!(
                "ok: {} intents, {} entries ({} published), {} texts, {} warnings, version {}",
                c.intents.len(),
                c.entries.len(),
                c.published().count(),
                c.published().map(|e| e.texts().count()).sum::<usize>(),
                diags.len(),
                c.version
            );
            Ok(ExitCode::SUCCESS)
        }
        _ => {
            eprintln!("{errors} errors");
            Ok(ExitCode::FAILURE)
        }
    }
}

fn export(settings: &Settings, format: ExportFormat) -> anyhow::Result<ExitCode> {
    let (catalog, diags) = catalog::load(&settings.sources()?);
    let Some(catalog) = catalog else {
        for d in diags.iter().filter(|d| d.severity == Severity::Error) {
            eprintln!("{d}");
        }
        return Ok(ExitCode::FAILURE);
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match format {
        ExportFormat::Tsv => catalog::export_tsv(&catalog, &mut out)?,
        ExportFormat::Json => catalog::export_json(&catalog, &mut out)?,
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
