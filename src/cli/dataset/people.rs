//! Accounts and residents: each resident writes on a few days (a session of one to four
//! questions and the bot's answers each time, sometimes a transaction), most bind an
//! account, some are left in the middle of a form.

use chrono::{DateTime, Duration, Utc};
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::Rng;

use super::sink::{Table, Value};
use super::{Plan, Spread};
use crate::catalog::Catalog;
use crate::dialogue::{Conversation, State};
use crate::service::demo;
use crate::storage::Database;

/// A generated account: its number and district.
pub struct Account {
    pub no: String,
    pub district: String,
}

/// A generated resident: the OpenID, the accounts bound, the moments sessions began.
pub struct Resident {
    pub user: String,
    pub accounts: Vec<usize>,
    pub sessions: Vec<DateTime<Utc>>,
}

pub struct Residents {
    pub list: Vec<Resident>,
    /// Rows written (conversations, transcript lines, bindings).
    pub rows: u64,
}

pub async fn accounts(
    db: &Database,
    plan: &Plan,
    rng: &mut StdRng,
) -> anyhow::Result<Vec<Account>> {
    // Names, districts and estates come from the shipped sample data.
    let sample = demo::sample()?.accounts;
    let mut t = Table::new(
        db,
        "accounts",
        &[
            "no",
            "holder_name",
            "phone",
            "address",
            "district",
            "estate",
            "area_m2",
            "status",
        ],
    );
    let mut out = Vec::with_capacity(plan.accounts as usize);
    for i in 0..plan.accounts {
        let Some(like) = sample.choose(rng) else {
            break;
        };
        let no = format!("5{i:07}");
        let address = format!(
            "{} {}-{}-{}",
            like.estate,
            rng.random_range(1..40),
            rng.random_range(1..7),
            rng.random_range(101..1802)
        );
        let suspended = rng.random_bool(0.06);
        t.push(vec![
            no.clone().into(),
            like.holder.clone().into(),
            format!("139{:08}", rng.random_range(0..100_000_000)).into(),
            address.into(),
            like.district.clone().into(),
            like.estate.clone().into(),
            Value::Real(f64::from(rng.random_range(450..1600_u32)) / 10.0),
            if suspended { "suspended" } else { "active" }.into(),
        ])
        .await?;
        out.push(Account {
            no,
            district: like.district.clone(),
        });
    }
    t.flush().await?;
    Ok(out)
}

/// How many days a resident writes on: one for most, a few for some.
fn sessions(rng: &mut StdRng) -> usize {
    let mut n = 1;
    while n < 12 && rng.random_bool(0.35) {
        n += 1;
    }
    n
}

pub async fn residents(
    db: &Database,
    plan: &Plan,
    spread: &Spread,
    catalog: &Catalog,
    accounts: &[Account],
    rng: &mut StdRng,
) -> anyhow::Result<Residents> {
    let texts: Vec<(&str, &str, String)> = catalog
        .entries
        .iter()
        .flat_map(|e| {
            e.texts()
                .map(move |t| (t, e.intent.as_str(), &e.reply.wechat))
        })
        .map(|(t, i, reply)| {
            let reply: String = crate::catalog::render(reply, &catalog.facts)
                .chars()
                .take(80)
                .collect();
            (t, i, reply)
        })
        .collect();
    let forms = super::forms::Forms::of(catalog);
    let mut runs = Table::new(db, "form_runs", super::forms::COLUMNS);
    let mut conversations = Table::new(
        db,
        "conversations",
        &["user_id", "state", "version", "updated_at"],
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
    let mut bindings = Table::new(db, "bindings", &["user_id", "account_no", "verified_at"]);
    let mut list = Vec::with_capacity(plan.residents as usize);
    for i in 0..plan.residents {
        let user = format!("o-gen-{i:08x}");
        let mut days: Vec<DateTime<Utc>> = (0..sessions(rng)).map(|_| spread.moment(rng)).collect();
        days.sort();
        let mut turns = 0;
        let mut last = days[0];
        let mut state = State::Idle;
        let mut seq = 0;
        for (n, start) in days.iter().enumerate() {
            // Three sessions in ten start a transaction.
            if rng.random_bool(0.3) {
                seq += 1;
                let at = *start + Duration::seconds(5);
                if let Some((row, left)) = forms.run(rng, &user, seq, at, n + 1 == days.len()) {
                    runs.push(row).await?;
                    state = left.unwrap_or(State::Idle);
                }
            }
            let mut at = *start;
            for _ in 0..rng.random_range(1..=4) {
                let Some((text, intent, reply)) = texts.choose(rng) else {
                    break;
                };
                let confidence = rng.random_range(0.45..0.99);
                lines
                    .push(line(&user, at, "in", text, Some((intent, confidence))))
                    .await?;
                lines
                    .push(line(&user, at + Duration::seconds(1), "out", reply, None))
                    .await?;
                turns += 1;
                last = at + Duration::seconds(1);
                at += Duration::seconds(rng.random_range(20..180));
            }
        }
        let mut bound = Vec::new();
        if !accounts.is_empty() && rng.random_bool(0.55) {
            bound.push(rng.random_range(0..accounts.len()));
            if rng.random_bool(0.1) {
                bound.push(rng.random_range(0..accounts.len()));
                bound.dedup();
            }
        }
        for a in &bound {
            bindings
                .push(vec![
                    user.clone().into(),
                    accounts[*a].no.clone().into(),
                    days[0].into(),
                ])
                .await?;
        }
        let conv = Conversation {
            state,
            next_seq: seq + 1,
            negative: 0,
        };
        conversations
            .push(vec![
                user.clone().into(),
                Value::Text(serde_json::to_string(&conv)?),
                Value::Int(turns),
                last.into(),
            ])
            .await?;
        list.push(Resident {
            user,
            accounts: bound,
            sessions: days,
        });
    }
    for t in [&mut conversations, &mut lines, &mut bindings, &mut runs] {
        t.flush().await?;
    }
    Ok(Residents {
        list,
        rows: conversations.written + lines.written + bindings.written + runs.written,
    })
}

/// A transcript line; an inbound one carries what the classifier made of it.
pub fn line(
    user: &str,
    at: DateTime<Utc>,
    direction: &str,
    text: &str,
    understood: Option<(&str, f64)>,
) -> Vec<Value> {
    vec![
        user.into(),
        at.into(),
        direction.into(),
        text.into(),
        Value::OptText(None),
        Value::OptText(understood.map(|(i, _)| i.to_owned())),
        Value::OptReal(understood.map(|(_, c)| c)),
        Value::OptText(None),
    ]
}
