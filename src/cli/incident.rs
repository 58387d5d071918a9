//! `heatdesk incident`: interruptions from the command line. A serving instance picks the
//! change up (notification on PostgreSQL, its poll on either) and tells subscribers.

use std::process::ExitCode;

use anyhow::Context;
use chrono::{DateTime, Utc};
use clap::Subcommand;

use crate::config::Settings;
use crate::incident::{Incidents, Interruption, Kind, NewInterruption};
use crate::storage::Database;

#[derive(Debug, Subcommand)]
pub enum IncidentCommand {
    /// Open an interruption for estates (or a whole district), optionally some buildings.
    Open {
        /// An estate (name or alias); repeat for several.
        #[arg(long = "estate")]
        estates: Vec<String>,
        /// A building as the accounts' addresses name it; repeat for several.
        #[arg(long = "building")]
        buildings: Vec<String>,
        /// The district (default: the estates'); alone, the whole district.
        #[arg(long)]
        district: Option<String>,
        /// fault, planned or season_not_started.
        #[arg(long, default_value = "fault")]
        kind: String,
        /// The cause as residents should read it.
        #[arg(long)]
        cause: String,
        /// Expected restoration: RFC 3339, or `YYYY-MM-DD HH:MM` in the utility's time.
        #[arg(long)]
        eta: String,
        /// Start (default now); later than now makes it planned.
        #[arg(long)]
        start: Option<String>,
        /// Who opens it, as the history shows.
        #[arg(long, default_value = "cli")]
        by: String,
    },
    /// Give an interruption a new expected restoration.
    Update {
        id: i64,
        #[arg(long)]
        eta: String,
        #[arg(long, default_value = "cli")]
        by: String,
    },
    /// Heat is back.
    Restore {
        id: i64,
        #[arg(long, default_value = "cli")]
        by: String,
    },
    /// Interruptions not restored (with --all: the latest 200 of any state).
    List {
        #[arg(long)]
        all: bool,
        /// One JSON document instead of lines.
        #[arg(long)]
        json: bool,
    },
}

/// RFC 3339, or a local `YYYY-MM-DD HH:MM` (what a dispatcher types).
pub fn parse_time(s: &str) -> anyhow::Result<DateTime<Utc>> {
    crate::incident::parse_time(s)
        .with_context(|| format!("`{s}` is not a time (RFC 3339 or YYYY-MM-DD HH:MM)"))
}

fn line(i: &Interruption) -> String {
    format!(
        "{}\t{}\t{}\t{}\t{}\t{}\t{}",
        i.id,
        i.kind.as_str(),
        i.scope.label(),
        crate::incident::local_time(i.starts_at),
        crate::incident::local_time(i.eta),
        i.restored_at
            .map(crate::incident::local_time)
            .unwrap_or_else(|| "-".to_owned()),
        i.cause
    )
}

pub async fn run(settings: Settings, command: IncidentCommand) -> anyhow::Result<ExitCode> {
    let db = Database::open(settings.database_url.expose())
        .await
        .context("opening the database")?;
    let locales = std::sync::Arc::new(
        crate::i18n::Locales::load(&settings.locales_dir, &settings.default_locale)
            .context("loading locales")?,
    );
    let incidents: Incidents = crate::app::incidents(&settings, &db, None, &locales).await?;
    match command {
        IncidentCommand::Open {
            estates,
            buildings,
            district,
            kind,
            cause,
            eta,
            start,
            by,
        } => {
            let kind = Kind::parse(&kind).with_context(|| {
                format!("unknown kind `{kind}` (fault, planned, season_not_started)")
            })?;
            let new = NewInterruption {
                kind,
                district,
                estates,
                buildings,
                cause,
                starts_at: start.as_deref().map(parse_time).transpose()?,
                eta: parse_time(&eta)?,
            };
            let opened = incidents.open(&new, &by).await?;
            println!("opened {}", line(&opened));
        }
        IncidentCommand::Update { id, eta, by } => {
            let changed = incidents.set_eta(id, parse_time(&eta)?, &by).await?;
            println!("updated {}", line(&changed));
        }
        IncidentCommand::Restore { id, by } => {
            let restored = incidents.restore(id, &by).await?;
            println!("restored {}", line(&restored));
        }
        IncidentCommand::List { all, json } => {
            let items = if all {
                incidents.recent(200).await?
            } else {
                incidents.unrestored()
            };
            if json {
                println!("{}", serde_json::json!({ "interruptions": items }));
            } else {
                for i in &items {
                    println!("{}", line(i));
                }
            }
        }
    }
    // What the command line says it did must survive a crash.
    db.sync().await.context("flushing the change")?;
    Ok(ExitCode::SUCCESS)
}
