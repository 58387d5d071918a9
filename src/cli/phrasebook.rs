//! `heatdesk phrasebook …`: check files (and gate them), export a published version,
//! import a directory as a change set.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;

use super::ExportFormat;
use crate::catalog::{self, OfficeDoc, Severity, Sources};
use crate::config::Settings;
use crate::office::{GateReport, Office};
use crate::storage::Database;

/// The office on the settings' database (opening it seeds version 1 on first use).
pub async fn office(settings: &Settings) -> anyhow::Result<Office> {
    let db = Database::open(settings.database_url.expose())
        .await
        .context("opening the database")?;
    let log = db.phrasebook_store();
    crate::office::open(
        &db,
        log,
        settings.sources()?,
        settings.nlu.clone(),
        settings.office.clone(),
    )
    .await
    .context("opening the published phrasebook")
}

/// Loads the files, prints every finding; the catalogue when there is no error.
fn load_printed(sources: &Sources) -> Option<catalog::Catalog> {
    let (catalog, diags) = catalog::load(sources);
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
            Some(c)
        }
        _ => {
            eprintln!("{errors} errors");
            None
        }
    }
}

pub async fn check(settings: &Settings, gate: bool) -> anyhow::Result<ExitCode> {
    let sources = settings.sources()?;
    let Some(catalog) = load_printed(&sources) else {
        return Ok(ExitCode::FAILURE);
    };
    if !gate {
        return Ok(ExitCode::SUCCESS);
    }
    let office = office(settings).await?;
    let doc = OfficeDoc::from_catalog(&catalog, &sources.owned_facts);
    let report = office.gate_doc(&doc).await?;
    print_gate(office.live().meta.number, &report);
    Ok(if report.passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn print_gate(live: i64, r: &GateReport) {
    println!(
        "gate: {} labelled questions; version {live}: {} correct ({:.1}%), these files: {} ({:.1}%); built in {} ms, checked in {} ms",
        r.total,
        r.before_correct,
        r.before_accuracy() * 100.0,
        r.after_correct,
        r.after_accuracy() * 100.0,
        r.build_ms,
        r.gate_ms
    );
    for c in &r.broken {
        println!(
            "broken: {}\texpected {}, now {} (was {})",
            c.text, c.expected, c.after, c.before
        );
    }
    for c in &r.fixed {
        println!("fixed: {}\t{} (was {})", c.text, c.expected, c.before);
    }
    if r.passed {
        println!("gate: passed");
    } else {
        eprintln!(
            "gate: refused ({} broken, accuracy {:+.1} points)",
            r.broken.len(),
            (r.after_accuracy() - r.before_accuracy()) * 100.0
        );
    }
}

pub async fn export(
    settings: &Settings,
    format: ExportFormat,
    version: Option<i64>,
    dir: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    let office = office(settings).await?;
    let number = version.unwrap_or(office.live().meta.number);
    let Some(v) = office.store.version(number).await? else {
        eprintln!("version {number} does not exist");
        return Ok(ExitCode::FAILURE);
    };
    if format == ExportFormat::Toml {
        let Some(dir) = dir else {
            eprintln!("--format toml writes files: name a directory");
            return Ok(ExitCode::FAILURE);
        };
        let sources = settings.sources()?;
        let engineering = catalog::engineering_files(&sources)?;
        v.doc
            .export(&sources, &engineering, dir)
            .with_context(|| format!("writing {}", dir.display()))?;
        println!("version {number} written to {}", dir.display());
        return Ok(ExitCode::SUCCESS);
    }
    let catalog = office.library.compose(&v.doc)?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match format {
        ExportFormat::Tsv => catalog::export_tsv(&catalog, &mut out)?,
        ExportFormat::Json | ExportFormat::Toml => catalog::export_json(&catalog, &mut out)?,
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// Reads `dir` as the seed's files would be read: the directory's own `intents/` if it has
/// one, else the running intents.
pub fn import_sources(settings: &Settings, dir: &Path) -> anyhow::Result<Sources> {
    let (intents, phrasebook) = catalog::split_dir(dir);
    let mut sources = settings.sources()?;
    if intents.is_dir() {
        sources.intents_dir = intents;
    }
    sources.phrasebook_dir = phrasebook;
    Ok(sources)
}

pub async fn import(settings: &Settings, dir: &Path, author: &str) -> anyhow::Result<ExitCode> {
    let sources = import_sources(settings, dir)?;
    if !sources.phrasebook_dir.is_dir() {
        eprintln!(
            "{}: no phrasebook directory",
            sources.phrasebook_dir.display()
        );
        return Ok(ExitCode::FAILURE);
    }
    let Some(catalog) = load_printed(&sources) else {
        eprintln!("nothing imported");
        return Ok(ExitCode::FAILURE);
    };
    let office = office(settings).await?;
    let doc = OfficeDoc::from_catalog(&catalog, &sources.owned_facts);
    let live = office.live().meta.number;
    match office.import(author, &doc).await? {
        (Some(set), changed) => println!(
            "change set {} ({author}): {changed} changed objects against version {live}; submit it for review at /desk/office/changes",
            set.id
        ),
        (None, _) => println!("no change: the directory is version {live} as published"),
    }
    Ok(ExitCode::SUCCESS)
}
