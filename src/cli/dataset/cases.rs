//! Complaint cases: lodged on a resident's day, most contacted and closed within the
//! deadlines (`[complaints]`), some late, the newest still open; most closed cases followed
//! up with a satisfaction of 1 to 5.

use chrono::{DateTime, Duration, Utc};
use rand::distr::weighted::WeightedIndex;
use rand::distr::Distribution;
use rand::rngs::StdRng;
use rand::seq::{IndexedRandom, SliceRandom};
use rand::Rng;

use super::people::{Account, Residents};
use super::sink::{Table, Value};
use super::work::{seconds, Agent};
use super::{Plan, Spread};
use crate::complaints::Category;
use crate::config::Settings;
use crate::domain::{snake_name, EscalationReason};
use crate::storage::Database;

const CATEGORIES: [(Category, f64); 6] = [
    (Category::Heating, 40.0),
    (Category::Service, 18.0),
    (Category::Repair, 15.0),
    (Category::Billing, 14.0),
    (Category::Staff, 6.0),
    (Category::Other, 7.0),
];

const SATISFACTION: [f64; 5] = [8.0, 9.0, 18.0, 35.0, 30.0];

#[allow(clippy::too_many_arguments)]
pub async fn complaints(
    db: &Database,
    settings: &Settings,
    plan: &Plan,
    spread: &Spread,
    residents: &Residents,
    accounts: &[Account],
    agents: &[Agent],
    rng: &mut StdRng,
) -> anyhow::Result<u64> {
    let s = &settings.complaints;
    let category = WeightedIndex::new(CATEGORIES.map(|(_, w)| w))?;
    let satisfaction = WeightedIndex::new(SATISFACTION)?;
    // The residents' words: questions of the intents that lodge complaints.
    let catalog = crate::catalog::load(&settings.sources()?).0;
    let words: Vec<String> = catalog
        .iter()
        .flat_map(|c| {
            let lodging: Vec<_> = c
                .intents
                .iter()
                .filter(|i| i.handoff() == Some(EscalationReason::Complaint))
                .map(|i| i.id.clone())
                .collect();
            c.entries
                .iter()
                .filter(move |e| lodging.contains(&e.intent))
                .flat_map(|e| e.texts().map(str::to_owned).collect::<Vec<_>>())
        })
        .collect();
    let mut t = Table::new(db, "complaints", COLUMNS);
    let mut who: Vec<usize> = (0..residents.list.len()).collect();
    who.shuffle(rng);
    who.truncate(plan.complaints as usize);
    for (n, r) in who.into_iter().enumerate() {
        let resident = &residents.list[r];
        let Some(opened) = resident.sessions.choose(rng).copied() else {
            continue;
        };
        let account = resident
            .accounts
            .first()
            .map(|a| &accounts[*a])
            .or_else(|| accounts.choose(rng));
        let contact_by = opened + Duration::hours(s.contact_within_hours);
        let resolve_by = opened + Duration::days(s.resolve_within_days);
        let late = rng.random_bool(0.12);
        let contact_span = s.contact_within_hours as f64 * 3600.0 * if late { 2.5 } else { 0.9 };
        let resolve_span = s.resolve_within_days as f64 * 86400.0 * if late { 1.6 } else { 0.8 };
        let at = |t: DateTime<Utc>| (t <= spread.until).then_some(t);
        let contacted = at(opened + seconds(rng, 300.0, contact_span));
        let closed = contacted.and_then(|c| at(c + seconds(rng, 600.0, resolve_span)));
        let follow_due = closed.map(|c| c + Duration::days(s.follow_up_after_days));
        let followed = follow_due
            .filter(|_| rng.random_bool(0.65))
            .and_then(|d| at(d + Duration::hours(rng.random_range(1..30))));
        // The first deadline missed, when the desk was told (the overdue sweep).
        let contact_missed = contacted.map_or(contact_by <= spread.until, |c| c > contact_by);
        let resolve_missed = closed.map_or(resolve_by <= spread.until, |c| c > resolve_by);
        let overdue = if contact_missed {
            Some(contact_by)
        } else {
            resolve_missed.then_some(resolve_by)
        };
        let owner = agents.choose(rng).map(|a| a.id);
        let text = words.choose(rng).cloned().unwrap_or_default();
        t.push(vec![
            format!("gen-{n}").into(),
            Value::OptText(Some(resident.user.clone())),
            Value::OptText(account.map(|a| a.no.clone())),
            Value::OptText(account.map(|a| a.district.clone())),
            text.into(),
            snake_name(&CATEGORIES[category.sample(rng)].0).into(),
            if rng.random_bool(0.8) {
                "wechat"
            } else {
                "hotline"
            }
            .into(),
            if closed.is_some() { "closed" } else { "open" }.into(),
            Value::OptInt(owner),
            opened.into(),
            contact_by.into(),
            resolve_by.into(),
            contacted.into(),
            closed.into(),
            Value::OptInt(closed.and(owner)),
            Value::OptText(closed.map(|_| "-".to_owned())),
            overdue.into(),
            follow_due.into(),
            followed.into(),
            Value::OptInt(followed.map(|_| satisfaction.sample(rng) as i64 + 1)),
        ])
        .await?;
    }
    t.flush().await?;
    Ok(t.written + timelines(db).await?)
}

const COLUMNS: &[&str] = &[
    "source_key",
    "user_id",
    "account",
    "district",
    "words",
    "category",
    "channel",
    "status",
    "owner",
    "opened_at",
    "contact_by",
    "resolve_by",
    "contacted_at",
    "closed_at",
    "closed_by",
    "outcome",
    "overdue_at",
    "follow_up_due",
    "followed_up_at",
    "satisfaction",
];

/// The cases' timelines, from the cases themselves (their ids are the database's).
async fn timelines(db: &Database) -> Result<u64, sqlx::Error> {
    let mut rows = 0;
    for (kind, column) in [
        ("opened", "opened_at"),
        ("contacted", "contacted_at"),
        ("closed", "closed_at"),
        ("followed_up", "followed_up_at"),
    ] {
        let sql = format!(
            "INSERT INTO complaint_events (complaint_id, at, kind) \
             SELECT id, {column}, '{kind}' FROM complaints \
             WHERE source_key LIKE 'gen-%' AND {column} IS NOT NULL"
        );
        let q = sqlx::AssertSqlSafe(sql.as_str());
        rows += match db {
            Database::Sqlite(p) => sqlx::query(q).execute(p).await?.rows_affected(),
            Database::Postgres(p) => sqlx::query(q).execute(p).await?.rows_affected(),
        };
    }
    Ok(rows)
}
