//! Running heatdesk: migrations on demand, SQLite backups and restores (PostgreSQL's are
//! `pg_dump`'s), and the settings check.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;

use crate::config::{self, Settings};
use crate::domain::url_without_password;
use crate::storage::{self, Database, SchemaStatus, StorageError};

/// Exit code of `backup`/`restore` on PostgreSQL: nothing was done, another tool's job.
const NOT_THIS_TOOL: u8 = 2;

pub async fn migrate(settings: &Settings) -> anyhow::Result<ExitCode> {
    let db = connect(settings).await?;
    refuse_a_newer_schema(&db.schema().await?)?;
    let applied = db.migrate().await.context("migrating")?;
    if applied.is_empty() {
        println!("the schema is current: nothing to apply");
    }
    for m in &applied {
        println!("applied {m}");
    }
    Ok(ExitCode::SUCCESS)
}

/// `serve --no-migrate`: starts only on a schema that is already current.
pub async fn serve_without_migrating(settings: Settings) -> anyhow::Result<ExitCode> {
    let db = connect(&settings).await?;
    let status = db.schema().await.context("reading the schema")?;
    refuse_a_newer_schema(&status)?;
    if !status.pending.is_empty() {
        let missing: Vec<String> = status.pending.iter().map(ToString::to_string).collect();
        anyhow::bail!(
            "the database schema is behind this heatdesk; missing migrations: {}. \
             Run `heatdesk migrate` (with the same settings), then start again",
            missing.join(", ")
        );
    }
    crate::app::run_on(settings, db).await?;
    Ok(ExitCode::SUCCESS)
}

async fn connect(settings: &Settings) -> anyhow::Result<Database> {
    Database::connect(settings.database_url.expose())
        .await
        .context("connecting to the database")
}

fn refuse_a_newer_schema(status: &SchemaStatus) -> anyhow::Result<()> {
    if !status.unknown.is_empty() {
        anyhow::bail!(
            "the database has migrations this heatdesk does not know ({:?}): a newer \
             heatdesk migrated it; run that version",
            status.unknown
        );
    }
    Ok(())
}

pub async fn backup(settings: &Settings, file: &Path) -> anyhow::Result<ExitCode> {
    let url = settings.database_url.expose();
    if settings.is_postgres() {
        print!("{}", pg_dump_route(url, file));
        return Ok(ExitCode::from(NOT_THIS_TOOL));
    }
    let bytes = storage::backup_sqlite(url, file)
        .await
        .context("backing up")?;
    println!(
        "backup written to {} ({bytes} bytes); check or put it back with `heatdesk restore {}`",
        file.display(),
        file.display()
    );
    Ok(ExitCode::SUCCESS)
}

pub async fn restore(settings: &Settings, file: &Path, force: bool) -> anyhow::Result<ExitCode> {
    let url = settings.database_url.expose();
    if settings.is_postgres() {
        print!("{}", pg_restore_route(url, file));
        return Ok(ExitCode::from(NOT_THIS_TOOL));
    }
    let target = storage::sqlite_path(url)?;
    let restored = match storage::restore_sqlite(url, file, force).await {
        Err(StorageError::InUse { path }) => anyhow::bail!(
            "{path} is in use: a heatdesk server (or another program) has it open. Stop it \
             first (`systemctl stop heatdesk`, or stop the container), then run restore again. \
             `--force` replaces it anyway; a server still running keeps writing to the \
             replaced file until it is restarted"
        ),
        other => other.context("restoring")?,
    };
    println!("restored {} into {}", file.display(), target.display());
    if let Some(old) = restored.replaced {
        println!("the database it replaced is kept as {}", old.display());
    }
    if restored.pending > 0 {
        println!(
            "the backup is from an older heatdesk: {} migrations will be applied at the next \
             start (or now with `heatdesk migrate`)",
            restored.pending
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// What to run instead of `backup` on PostgreSQL. The password is never printed: pg_dump
/// takes it from `PGPASSWORD` or `~/.pgpass`.
fn pg_dump_route(url: &str, file: &Path) -> String {
    let url = url_without_password(url);
    let file = file.display();
    format!(
        "heatdesk does not back up PostgreSQL itself: the route is pg_dump (it takes a \
         consistent snapshot while the instances run). Run:\n\n  \
         pg_dump --format=custom --no-owner --file='{file}' --dbname='{url}'\n\n\
         The password is not shown here: pg_dump reads it from PGPASSWORD or ~/.pgpass. \
         Restore with `heatdesk restore {file}` for the commands.\n"
    )
}

fn pg_restore_route(url: &str, file: &Path) -> String {
    let url = url_without_password(url);
    let file = file.display();
    format!(
        "heatdesk does not restore PostgreSQL itself: the route is pg_restore, into an empty \
         database, with every heatdesk instance stopped. Run:\n\n  \
         pg_restore --no-owner --exit-on-error --dbname='{url}' '{file}'\n  \
         heatdesk migrate\n\n\
         (create the empty database first with `createdb`, or drop and recreate it; the \
         password comes from PGPASSWORD or ~/.pgpass). Then start the instances.\n"
    )
}

/// `config check`: the effective settings with secrets hidden, then each problem with its
/// source; non-zero when there is one.
pub fn config_check(file: Option<&Path>) -> anyhow::Result<ExitCode> {
    let report = config::check(file);
    if let Some(effective) = &report.effective {
        print!("{effective}");
    }
    for note in &report.notes {
        eprintln!("note: {note}");
    }
    for problem in &report.problems {
        eprintln!("error: {problem}");
    }
    if report.problems.is_empty() {
        eprintln!("settings are valid");
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("{} problem(s) in the settings", report.problems.len());
        Ok(ExitCode::FAILURE)
    }
}
