//! `heatdesk compensation export`: the billing CSV of a season without the desk, for a
//! scheduled job. The same rows and format as the desk's CSV (`compensation::csv`).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use chrono::Utc;
use clap::Subcommand;

use crate::compensation::Compensation;
use crate::config::Settings;
use crate::storage::Database;

#[derive(Debug, Subcommand)]
pub enum CompensationCommand {
    /// Write what each account is owed for a season as CSV (stdout without --out).
    Export {
        /// The season: its first year (`2026`) or both (`2026-2027`).
        #[arg(long)]
        season: String,
        /// Write to this file instead of stdout.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

pub async fn run(settings: Settings, command: CompensationCommand) -> anyhow::Result<ExitCode> {
    let CompensationCommand::Export { season, out } = command;
    let Some(season) = Compensation::parse_season(&season) else {
        anyhow::bail!("--season `{season}`: expected YYYY or YYYY-YYYY");
    };
    let db = Database::open(settings.database_url.expose())
        .await
        .context("opening the database")?;
    let locales = Arc::new(
        crate::i18n::Locales::load(&settings.locales_dir, &settings.default_locale)
            .context("loading locales")?,
    );
    let service =
        crate::service::from_settings(&settings.service, &settings.rules, settings.demo, &db)
            .await
            .context("setting up the service API")?;
    let incidents = crate::app::incidents(&settings, &db, None, &locales).await?;
    let comp = Compensation {
        store: crate::compensation::store_for(&db),
        service,
        incidents,
        rules: Arc::new(settings.rules.clone()),
        commitments: Arc::new(settings.commitments.clone()),
        settings: Arc::new(settings.compensation.clone()),
    };
    let rows = comp
        .season(season, Utc::now())
        .await
        .context("computing what is owed")?;
    let body = crate::compensation::csv(season, &rows);
    match out {
        Some(path) => {
            // Written beside the target and renamed, so billing never reads half a file.
            let tmp = path.with_extension("csv.partial");
            std::fs::write(&tmp, &body).with_context(|| format!("writing {}", tmp.display()))?;
            std::fs::rename(&tmp, &path).with_context(|| format!("writing {}", path.display()))?;
            eprintln!("{} accounts written to {}", rows.len(), path.display());
        }
        None => print!("{body}"),
    }
    Ok(ExitCode::SUCCESS)
}
