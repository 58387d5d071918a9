//! The command line: the edge where errors become messages and exit codes.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};

use crate::config::Settings;
use crate::nlu::{self, eval};

mod chat;
mod compensation;
mod dataset;
mod incident;
mod ops;
mod phrasebook;
mod resident;
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
    Serve {
        /// Do not migrate: refuse to start, naming the missing migrations, when the schema
        /// is behind (for deployments that migrate with `heatdesk migrate`).
        #[arg(long)]
        no_migrate: bool,
    },
    /// Apply the configured database's pending migrations, print them and exit.
    Migrate,
    /// Copy the SQLite database to FILE while the server runs (PostgreSQL: prints the
    /// pg_dump command).
    Backup { file: PathBuf },
    /// Check a SQLite backup and put it in place of the configured database (PostgreSQL:
    /// prints the pg_restore commands).
    Restore {
        file: PathBuf,
        /// Replace the database even while a process has it open.
        #[arg(long)]
        force: bool,
    },
    /// Work with the settings.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
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
    /// One resident's personal data: export it as JSON or erase it (audited).
    Resident {
        #[command(subcommand)]
        command: resident::ResidentCommand,
    },
    /// Interruptions of the heat supply: open, update, restore, list.
    Incident {
        #[command(subcommand)]
        command: incident::IncidentCommand,
    },
    /// What accounts are owed for heat below the standard: the billing export.
    Compensation {
        #[command(subcommand)]
        command: compensation::CompensationCommand,
    },
    /// Sample data for trying and measuring heatdesk.
    Demo {
        #[command(subcommand)]
        command: DemoCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum DemoCommand {
    /// Fill a database with a large invented data set (a year of messages, residents,
    /// handoffs, station jobs, complaints) for measuring the reports.
    Generate(dataset::GenerateArgs),
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print the effective settings (secrets hidden) and each problem with its source
    /// (`file:line` or the environment variable); exit 1 when there is one.
    Check,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Format {
    Json,
    Text,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// `text<TAB>intent`, every published question (stdout).
    Tsv,
    /// The whole version as one document (stdout).
    Json,
    /// The version as the seed's files, under DIR/intents and DIR/phrasebook.
    Toml,
}

#[derive(Debug, Subcommand)]
pub enum PhrasebookCommand {
    /// Validate the files in intents/ and phrasebook/ (and locales); print `file:line:
    /// message` for each problem.
    Check {
        /// Also run the regression gate: the files against the published version, on every
        /// labelled question; exit 1 when it refuses.
        #[arg(long)]
        gate: bool,
    },
    /// Write a published version (the latest unless --version).
    Export {
        #[arg(long, value_enum, default_value_t = ExportFormat::Tsv)]
        format: ExportFormat,
        #[arg(long)]
        version: Option<i64>,
        /// Where `--format toml` writes.
        dir: Option<PathBuf>,
    },
    /// Turn a directory (DIR/phrasebook, and DIR/intents if present) into a change set for
    /// review; a directory with errors changes nothing.
    Import {
        dir: PathBuf,
        /// Whose change set it becomes.
        #[arg(long, default_value = "import")]
        author: String,
    },
}

pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    // Loaded only by the commands that use it: the WeChat tools take everything from
    // their flags, so a broken settings file cannot stand in the way of debugging a callback.
    let config = cli.config.as_deref();
    let settings = || Settings::load(config);
    match cli.command {
        Command::Serve { no_migrate: false } => crate::app::run(settings()?)
            .await
            .map(|()| ExitCode::SUCCESS),
        Command::Serve { no_migrate: true } => ops::serve_without_migrating(settings()?).await,
        Command::Migrate => ops::migrate(&settings()?).await,
        Command::Backup { file } => ops::backup(&settings()?, &file).await,
        Command::Restore { file, force } => ops::restore(&settings()?, &file, force).await,
        Command::Config {
            command: ConfigCommand::Check,
        } => ops::config_check(config),
        Command::Classify { text } => classify(&settings()?, &text.join(" ")).await,
        Command::Eval {
            file,
            format,
            min_accuracy,
        } => run_eval(&settings()?, &file, format, min_accuracy).await,
        Command::Chat { user } => chat::run(settings()?, &user).await,
        Command::Phrasebook {
            command: PhrasebookCommand::Check { gate },
        } => phrasebook::check(&settings()?, gate).await,
        Command::Phrasebook {
            command:
                PhrasebookCommand::Export {
                    format,
                    version,
                    dir,
                },
        } => phrasebook::export(&settings()?, format, version, dir.as_deref()).await,
        Command::Phrasebook {
            command: PhrasebookCommand::Import { dir, author },
        } => phrasebook::import(&settings()?, &dir, &author).await,
        Command::Wechat { command } => wechat::run(command),
        Command::Simulate(args) => simulate::run(args).await,
        Command::User { command } => user::run(settings()?, command).await,
        Command::Resident { command } => resident::run(settings()?, command).await,
        Command::Incident { command } => incident::run(settings()?, command).await,
        Command::Compensation { command } => compensation::run(settings()?, command).await,
        Command::Demo {
            command: DemoCommand::Generate(args),
        } => dataset::run(settings()?, args).await,
    }
}

/// The engine of the published version, as `serve` would answer with it.
async fn engine(settings: &Settings) -> anyhow::Result<std::sync::Arc<nlu::Engine>> {
    Ok(phrasebook::office(settings)
        .await?
        .library
        .engine()
        .current())
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
