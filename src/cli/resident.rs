//! `heatdesk resident`: one resident's personal data on request (PIPL): everything
//! exported as JSON, or erased; both written to the privacy audit with who asked.

use std::io::BufRead;
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::Subcommand;
use serde_json::{json, Value};

use crate::config::Settings;
use crate::privacy::{mask_openid, Erasure, Privacy};
use crate::storage::Database;

#[derive(Debug, Subcommand)]
pub enum ResidentCommand {
    /// Print everything heatdesk holds about a resident as JSON (stdout).
    Export {
        openid: String,
        /// Who asks, for the audit (default: the OS user).
        #[arg(long, value_name = "NAME")]
        by: Option<String>,
    },
    /// Remove or anonymise a resident's data everywhere heatdesk stores it; asks for the
    /// OpenID again unless --yes.
    Erase {
        openid: String,
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
        /// Who asks, for the audit (default: the OS user).
        #[arg(long, value_name = "NAME")]
        by: Option<String>,
    },
}

/// The person at the keyboard, as the operating system names them.
fn os_user() -> String {
    ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|u| !u.is_empty()))
        .unwrap_or_else(|| "unknown".to_owned())
}

pub async fn run(settings: Settings, command: ResidentCommand) -> anyhow::Result<ExitCode> {
    let db = Database::open(settings.database_url.expose())
        .await
        .context("opening the database")?;
    let privacy = Privacy::new(db);
    match command {
        ResidentCommand::Export { openid, by } => {
            let data = privacy.export(&openid).await?;
            let counts: serde_json::Map<String, Value> = data
                .as_object()
                .into_iter()
                .flatten()
                .filter_map(|(k, v)| v.as_array().map(|a| (k.clone(), json!(a.len()))))
                .collect();
            // Audited before anything is shown: no export leaves without its record.
            let actor = by.unwrap_or_else(os_user);
            privacy
                .audit(&actor, "export", &openid, &Value::Object(counts))
                .await
                .context("writing the privacy audit")?;
            println!("{}", serde_json::to_string_pretty(&data)?);
            Ok(ExitCode::SUCCESS)
        }
        ResidentCommand::Erase { openid, yes, by } => {
            if !yes {
                confirm(&openid)?;
            }
            let erasure = privacy.erase(&openid).await?;
            let actor = by.unwrap_or_else(os_user);
            privacy
                .audit(&actor, "erase", &openid, &json!(erasure.steps))
                .await
                .context("writing the privacy audit")?;
            report(&openid, &erasure);
            Ok(if erasure.remaining.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
    }
}

/// The OpenID typed again (one line, so it works piped too).
fn confirm(openid: &str) -> anyhow::Result<()> {
    eprintln!(
        "This erases everything heatdesk holds about {}. Type the OpenID again to go on:",
        mask_openid(openid)
    );
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    if line.trim() != openid {
        bail!("not confirmed: nothing erased");
    }
    Ok(())
}

fn report(openid: &str, e: &Erasure) {
    println!("erased {}:", mask_openid(openid));
    for s in &e.steps {
        println!("  {:<16} {:<10} {}", s.table, s.action, s.rows);
    }
    println!(
        "handoffs keep their reasons, times and ratings for the desk's reports, as `{}`; \
         pending outbox requests are still sent to the utility, under the same name.",
        e.pseudonym
    );
    println!(
        "left: the utility's service API business records (requests, payments, bills) are \
         not heatdesk's to delete and were left; ask the utility's system to erase them."
    );
    println!(
        "logs: log files are not in the database and were not touched; they are kept as \
         long as the log shipper's retention says."
    );
    if e.remaining.is_empty() {
        println!("checked: no text column in the database holds the OpenID any more.");
    } else {
        for (table, column, rows) in &e.remaining {
            println!("still held: {table}.{column} ({rows} rows)");
        }
    }
}
