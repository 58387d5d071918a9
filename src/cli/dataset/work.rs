//! The desk's share: agents, and residents handed to them — the wait before an agent took
//! over, the first answer, the handling time, the resolution and the rating.

use chrono::{DateTime, Duration, Utc};
use rand::distr::weighted::WeightedIndex;
use rand::distr::Distribution;
use rand::rngs::StdRng;
use rand::seq::{IndexedRandom, SliceRandom};
use rand::Rng;

use super::people::Residents;
use super::sink::{Table, Value};
use super::{Plan, Spread};
use crate::domain::{snake_name, EscalationReason};
use crate::storage::Database;

pub use super::cases::complaints;
pub use super::jobs::requests;

/// A desk agent: id and display name.
pub struct Agent {
    pub id: i64,
    pub name: String,
}

/// Extra agents beside the sample ones, so the per-agent figures have a team to compare.
const EXTRA_AGENTS: usize = 6;

/// The sample desk users, a few more agents (sharing the sample agents' password), and
/// every agent as a list.
pub async fn agents(db: &Database) -> anyhow::Result<Vec<Agent>> {
    crate::desk::demo::load_users(db).await?;
    let store = crate::desk::users::store_for(db);
    let base = store
        .list()
        .await?
        .into_iter()
        .find(|u| u.role == crate::desk::users::Role::Agent)
        .ok_or_else(|| anyhow::anyhow!("the sample users have no agent"))?;
    let (_, hash) = store
        .by_name(&base.name)
        .await?
        .ok_or_else(|| anyhow::anyhow!("agent {} vanished", base.name))?;
    let word = base
        .display_name
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned();
    for n in 0..EXTRA_AGENTS {
        let new = crate::desk::users::NewUser {
            name: format!("agent-gen-{n}"),
            display_name: format!("{word} {:02}", n + 3),
            role: crate::desk::users::Role::Agent,
            area: None,
        };
        match store.create(&new, &hash).await {
            Ok(_) | Err(crate::desk::users::UserError::Exists(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(store
        .list()
        .await?
        .into_iter()
        .filter(|u| u.role == crate::desk::users::Role::Agent)
        .map(|u| Agent {
            id: u.id,
            name: u.display_name,
        })
        .collect())
}

/// Why residents go to a person, and how often.
const REASONS: [(EscalationReason, f64); 8] = [
    (EscalationReason::Requested, 35.0),
    (EscalationReason::Complaint, 15.0),
    (EscalationReason::Urgent, 8.0),
    (EscalationReason::NotUnderstood, 20.0),
    (EscalationReason::Negative, 5.0),
    (EscalationReason::ServiceRefused, 7.0),
    (EscalationReason::CuratorMarked, 7.0),
    (EscalationReason::VerificationFailed, 3.0),
];

/// How agents close handoffs (the codes of the desk's close form) and how often.
const RESOLUTIONS: [(&str, f64); 6] = [
    ("answered", 55.0),
    ("request_created", 18.0),
    ("referred", 10.0),
    ("complaint_recorded", 8.0),
    ("no_response", 6.0),
    ("duplicate", 3.0),
];

/// Ratings 1 to 5 and how often residents give them.
const RATINGS: [f64; 5] = [6.0, 7.0, 12.0, 30.0, 45.0];

/// Seconds, log-uniform between `low` and `high`: most short, a long tail.
pub fn seconds(rng: &mut StdRng, low: f64, high: f64) -> Duration {
    Duration::seconds(rng.random_range(low.ln()..high.ln()).exp() as i64)
}

pub async fn handoffs(
    db: &Database,
    plan: &Plan,
    spread: &Spread,
    residents: &Residents,
    agents: &[Agent],
    rng: &mut StdRng,
) -> anyhow::Result<u64> {
    let reason = WeightedIndex::new(REASONS.map(|(_, w)| w))?;
    let resolution = WeightedIndex::new(RESOLUTIONS.map(|(_, w)| w))?;
    let rating = WeightedIndex::new(RATINGS)?;
    let context = serde_json::to_string(&crate::transcript::Snapshot::default())?;
    let mut t = Table::new(
        db,
        "handoffs",
        &[
            "user_id",
            "status",
            "reason",
            "priority",
            "context",
            "created_at",
            "claimed_by",
            "claimed_at",
            "closed_at",
            "closed_by",
            "resolution",
            "rating",
            "rated_at",
        ],
    );
    let mut lines = Table::new(
        db,
        "transcript_lines",
        &[
            "user_id",
            "at",
            "direction",
            "text",
            "author",
            "intent",
            "confidence",
            "delivery",
        ],
    );
    // One handoff each for a random tenth of the residents (one open handoff per resident).
    let mut who: Vec<usize> = (0..residents.list.len()).collect();
    who.shuffle(rng);
    who.truncate(plan.handoffs as usize);
    for r in who {
        let resident = &residents.list[r];
        let Some(session) = resident.sessions.choose(rng).copied() else {
            continue;
        };
        let (Some(agent), why) = (agents.choose(rng), REASONS[reason.sample(rng)].0) else {
            continue;
        };
        let created = session + Duration::seconds(rng.random_range(30..400));
        let claimed = created + seconds(rng, 8.0, 2400.0);
        let answered = claimed + seconds(rng, 5.0, 600.0);
        let closed = answered + seconds(rng, 60.0, 5400.0);
        let rated = closed + Duration::seconds(rng.random_range(10..600));
        let at = |t: DateTime<Utc>| (t <= spread.until).then_some(t);
        let (claimed, closed) = (at(claimed), at(closed));
        let status = match (claimed, closed) {
            (_, Some(_)) => "closed",
            (Some(_), None) => "claimed",
            _ => "waiting",
        };
        let rating =
            (closed.is_some() && rng.random_bool(0.6)).then(|| rating.sample(rng) as i64 + 1);
        t.push(vec![
            resident.user.clone().into(),
            status.into(),
            snake_name(&why).into(),
            Value::Int(i64::from(why == EscalationReason::Urgent)),
            context.clone().into(),
            created.into(),
            Value::OptInt(claimed.map(|_| agent.id)),
            claimed.into(),
            closed.into(),
            Value::OptInt(closed.map(|_| agent.id)),
            Value::OptText(closed.map(|_| RESOLUTIONS[resolution.sample(rng)].0.to_owned())),
            Value::OptInt(rating),
            Value::OptTime(rating.and(at(rated))),
        ])
        .await?;
        if let Some(answered) = at(answered).filter(|_| claimed.is_some()) {
            let mut line = super::people::line(&resident.user, answered, "out", "…", None);
            line[4] = Value::OptText(Some(agent.name.clone()));
            line[7] = Value::OptText(Some("sent".to_owned()));
            lines.push(line).await?;
        }
    }
    t.flush().await?;
    lines.flush().await?;
    Ok(t.written + lines.written)
}
