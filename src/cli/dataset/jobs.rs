//! Requests and their timelines: made in the chat (the dialogue's idempotency keys) or at
//! the counter and on the hotline, moved on step by step like the stations do, most steps
//! within the committed standard, some late, a few left undone.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use rand::distr::weighted::WeightedIndex;
use rand::distr::Distribution;
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::Rng;
use sha2::{Digest, Sha256};

use super::people::{Account, Residents};
use super::sink::{Table, Value};
use super::work::seconds;
use super::{Plan, Spread};
use crate::domain::snake_name;
use crate::service::{RequestKind, RequestStatus};
use crate::storage::Database;

/// Kinds and how often each is asked for.
const KINDS: [(RequestKind, f64); 7] = [
    (RequestKind::Suspension, 22.0),
    (RequestKind::Resumption, 15.0),
    (RequestKind::Repair, 18.0),
    (RequestKind::Inspection, 12.0),
    (RequestKind::Leak, 5.0),
    (RequestKind::Invoice, 20.0),
    (RequestKind::AreaChange, 8.0),
];

/// The steps a kind goes through, the first at its making, and the usual hours each takes.
fn steps(kind: RequestKind) -> &'static [(RequestStatus, f64)] {
    use RequestStatus::*;
    match kind {
        RequestKind::Suspension => &[(Submitted, 0.0), (ValveClosed, 14.0), (Completed, 2.0)],
        RequestKind::Resumption => &[
            (Submitted, 0.0),
            (AwaitingPayment, 0.2),
            (Paid, 6.0),
            (WorkOrderIssued, 1.0),
            (ValveOpened, 10.0),
            (Completed, 2.0),
        ],
        RequestKind::Repair | RequestKind::Inspection => &[
            (Submitted, 0.0),
            (WorkOrderIssued, 3.0),
            (InProgress, 12.0),
            (Completed, 8.0),
        ],
        RequestKind::Leak => &[
            (Submitted, 0.0),
            (WorkOrderIssued, 0.3),
            (InProgress, 0.7),
            (Completed, 1.2),
        ],
        RequestKind::Invoice => &[(Submitted, 0.0), (Completed, 1.0)],
        RequestKind::AreaChange => &[(UnderReview, 0.0), (Completed, 40.0)],
    }
}

/// The idempotency key the dialogue gives a request (`dialogue/requests.rs`).
fn dialogue_key(user: &str, seq: usize) -> String {
    format!(
        "dlg-{}-{seq}",
        hex::encode(&Sha256::digest(user.as_bytes())[..8])
    )
}

pub async fn requests(
    db: &Database,
    plan: &Plan,
    spread: &Spread,
    residents: &Residents,
    accounts: &[Account],
    rng: &mut StdRng,
) -> anyhow::Result<u64> {
    let kind = WeightedIndex::new(KINDS.map(|(_, w)| w))?;
    let mut requests = Table::new(
        db,
        "requests",
        &[
            "id",
            "account_no",
            "kind",
            "status",
            "urgent",
            "created_at",
            "details",
            "idem_key",
        ],
    );
    let mut events = Table::new(db, "request_events", &["request_id", "at", "status"]);
    let bound: Vec<_> = residents
        .list
        .iter()
        .filter(|r| !r.accounts.is_empty())
        .collect();
    let mut per_day: BTreeMap<String, u32> = BTreeMap::new();
    let mut made: Vec<(DateTime<Utc>, usize, Option<usize>)> = (0..plan.requests as usize)
        .map(|n| {
            // Three in five are made in the chat by a resident with a bound account.
            let online = !bound.is_empty() && rng.random_bool(0.6);
            (
                spread.moment(rng),
                n,
                online.then(|| rng.random_range(0..bound.len())),
            )
        })
        .collect();
    made.sort();
    for (created, n, online) in made {
        let kind = KINDS[kind.sample(rng)].0;
        let (account, key) = match online {
            Some(r) => {
                let resident = bound[r];
                let a = resident.accounts.choose(rng).copied().unwrap_or_default();
                (&accounts[a], dialogue_key(&resident.user, n + 1))
            }
            None => (
                &accounts[rng.random_range(0..accounts.len())],
                format!("gen-{n}"),
            ),
        };
        let day = crate::service::rules::today_in_shanghai(created)
            .format("%Y%m%d")
            .to_string();
        let seq = per_day.entry(day.clone()).or_default();
        *seq += 1;
        // Numbers from 50001 on leave the day's own sequence (`request_seq`) to the service.
        let id = format!("R{day}{:05}", 50_000 + *seq);
        let status = timeline(kind, &id, created, spread.until, rng, &mut events);
        requests
            .push(vec![
                id.into(),
                account.no.clone().into(),
                snake_name(&kind).into(),
                snake_name(&status).into(),
                Value::Bool(kind == RequestKind::Leak),
                created.into(),
                Value::Json("{}".to_owned()),
                key.into(),
            ])
            .await?;
        if events.full() {
            // Events refer to their requests: those go first.
            requests.flush().await?;
            events.flush().await?;
        }
    }
    requests.flush().await?;
    events.flush().await?;
    Ok(requests.written + events.written)
}

/// Writes the request's steps up to `until` and returns where it stands.
fn timeline(
    kind: RequestKind,
    id: &str,
    created: DateTime<Utc>,
    until: DateTime<Utc>,
    rng: &mut StdRng,
    events: &mut Table<'_>,
) -> RequestStatus {
    let roll: f64 = rng.random();
    let mut at = created;
    let mut status = RequestStatus::Submitted;
    for (i, (step, hours)) in steps(kind).iter().enumerate() {
        if i > 0 {
            // A few are left where they are (forgotten), a few more are slow.
            if roll < 0.012 {
                break;
            }
            let slow = if roll < 0.08 { 4.0 } else { 1.0 };
            at += seconds(rng, 60.0, (hours * 3600.0 * 1.6 * slow).max(120.0));
        }
        if at > until {
            break;
        }
        events.hold(vec![id.into(), at.into(), snake_name(step).into()]);
        status = *step;
    }
    if (0.012..0.04).contains(&roll) && status.is_open() {
        let why = if roll < 0.025 {
            RequestStatus::Cancelled
        } else {
            RequestStatus::Rejected
        };
        let end = at + Duration::minutes(rng.random_range(5..600));
        if end <= until {
            events.hold(vec![id.into(), end.into(), snake_name(&why).into()]);
            status = why;
        }
    }
    status
}
