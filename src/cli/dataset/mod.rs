//! `heatdesk demo generate`: a large, realistic data set for measuring the reports — a
//! year of classified messages, residents with their conversations, transcripts and
//! bindings, handoffs with waits and ratings, station jobs with their timelines,
//! complaints. SAMPLE DATA: every resident, account and message is invented.
//!
//! It writes into the capabilities' tables directly (like `privacy`, on purpose): one
//! multi-row statement per batch, many per transaction, so a million rows take minutes.
//! The same seed gives the same data set.

mod cases;
mod forms;
mod jobs;
mod log;
mod people;
mod sink;
mod time;
mod work;

use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use chrono::{DateTime, Utc};
use clap::Args;
use rand::rngs::StdRng;
use rand::SeedableRng;

use crate::config::Settings;
use crate::domain::Secret;
use crate::storage::Database;

pub use time::Spread;

#[derive(Debug, Clone, Args)]
pub struct GenerateArgs {
    /// Classification-log rows (messages classified), spread over the days.
    #[arg(long, default_value_t = 1_000_000)]
    pub classifications: u64,
    /// Residents with a conversation (transcript, state, bindings); handoffs, station jobs
    /// and complaints are in proportion.
    #[arg(long, default_value_t = 100_000)]
    pub conversations: u64,
    /// Local days the data covers, up to today.
    #[arg(long, default_value_t = 365)]
    pub days: i64,
    /// The last moment of the data (RFC 3339; default: now).
    #[arg(long)]
    pub until: Option<DateTime<Utc>>,
    /// The same seed makes the same data set.
    #[arg(long, default_value_t = 2026)]
    pub seed: u64,
    /// The database to fill (default: the settings' `database_url`); migrated first.
    #[arg(long, value_name = "URL")]
    pub database: Option<String>,
}

/// How much of everything, from the two sizes asked for.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    pub classifications: u64,
    pub residents: u64,
    pub accounts: u64,
    /// Residents who are handed to a person once (a few twice).
    pub handoffs: u64,
    pub requests: u64,
    pub complaints: u64,
}

impl Plan {
    fn of(args: &GenerateArgs) -> Self {
        let residents = args.conversations.max(1);
        Self {
            classifications: args.classifications,
            residents,
            accounts: (residents / 4).max(10),
            handoffs: residents / 10,
            requests: residents / 5,
            complaints: residents / 50,
        }
    }
}

pub async fn run(settings: Settings, args: GenerateArgs) -> anyhow::Result<ExitCode> {
    let mut settings = settings;
    if let Some(url) = &args.database {
        settings.database_url = Secret::new(url.clone());
    }
    let url = settings.database_url.expose().to_owned();
    let db = Database::open(&url)
        .await
        .with_context(|| crate::domain::url_without_password(&url))?;
    if generated_before(&db).await? {
        anyhow::bail!("this database already holds a generated data set: use an empty one");
    }
    let catalog = match crate::catalog::load(&settings.sources()?) {
        (Some(c), _) => c,
        (None, diags) => anyhow::bail!("the phrasebook does not load: {} problems", diags.len()),
    };
    let plan = Plan::of(&args);
    let spread = Spread::new(args.until.unwrap_or_else(Utc::now), args.days);
    let mut rng = StdRng::seed_from_u64(args.seed);
    let started = Instant::now();
    let step = |what: &str, rows: u64| {
        println!(
            "{what}: {rows} rows ({:.1} s)",
            started.elapsed().as_secs_f64()
        );
    };

    // The shipped sample first (halls, the sample accounts), as a demo server would have it.
    let service = crate::service::BuiltinService::new(db.clone(), settings.rules.clone());
    crate::service::demo::load_if_empty(&service)
        .await
        .context("the sample data")?;
    let agents = work::agents(&db).await.context("desk users")?;
    let accounts = people::accounts(&db, &plan, &mut rng)
        .await
        .context("accounts")?;
    step("accounts", accounts.len() as u64);
    let residents = people::residents(&db, &plan, &spread, &catalog, &accounts, &mut rng)
        .await
        .context("residents")?;
    step(
        "conversations, transcript lines, bindings, forms",
        residents.rows,
    );
    let n = log::classifications(&db, &plan, &spread, &catalog, &mut rng)
        .await
        .context("classifications")?;
    step("classifications", n);
    let n = work::handoffs(&db, &plan, &spread, &residents, &agents, &mut rng)
        .await
        .context("handoffs")?;
    step("handoffs", n);
    let n = work::requests(&db, &plan, &spread, &residents, &accounts, &mut rng)
        .await
        .context("requests")?;
    step("requests and their timelines", n);
    let n = work::complaints(
        &db, &settings, &plan, &spread, &residents, &accounts, &agents, &mut rng,
    )
    .await
    .context("complaints")?;
    step("complaints", n);
    analyze(&db)
        .await
        .context("updating the planner's statistics")?;
    println!(
        "done in {:.1} s: {}",
        started.elapsed().as_secs_f64(),
        crate::domain::url_without_password(&url)
    );
    Ok(ExitCode::SUCCESS)
}

async fn generated_before(db: &Database) -> Result<bool, sqlx::Error> {
    let sql = "SELECT COUNT(*) FROM conversations WHERE user_id LIKE 'o-gen-%'";
    let n: i64 = match db {
        Database::Sqlite(pool) => sqlx::query_scalar(sql).fetch_one(pool).await?,
        Database::Postgres(pool) => sqlx::query_scalar(sql).fetch_one(pool).await?,
    };
    Ok(n > 0)
}

/// Fresh statistics, so the first queries are planned for the data that is there.
async fn analyze(db: &Database) -> Result<(), sqlx::Error> {
    match db {
        Database::Sqlite(pool) => sqlx::query("ANALYZE").execute(pool).await.map(drop),
        Database::Postgres(pool) => sqlx::query("ANALYZE").execute(pool).await.map(drop),
    }
}
