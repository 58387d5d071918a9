//! The classification log: a year of messages on three channels (the counter and the
//! hotline only in office hours), the questions of the phrasebook with their intents, some
//! asked back or not understood; intents wax and wane over the year, so some are rising.

use rand::distr::weighted::WeightedIndex;
use rand::distr::Distribution;
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::Rng;

use super::sink::{Table, Value};
use super::{Plan, Spread};
use crate::catalog::Catalog;
use crate::storage::Database;

/// Shares of the channels (WeChat, hotline assist, counter).
const CHANNELS: [(&str, f64); 3] = [("wechat", 0.8), ("hotline", 0.12), ("counter", 0.08)];

pub async fn classifications(
    db: &Database,
    plan: &Plan,
    spread: &Spread,
    catalog: &Catalog,
    rng: &mut StdRng,
) -> anyhow::Result<u64> {
    let (answerable, refused): (Vec<_>, Vec<_>) = catalog
        .entries
        .iter()
        .flat_map(|e| {
            e.texts()
                .map(move |t| (e.intent.as_str(), e.id.as_str(), t))
        })
        .partition(|(intent, _, _)| *intent != crate::domain::IntentId::OUT_OF_SCOPE);
    // Each question gets a base popularity (a few asked very often) and a trend over the
    // year (up or down by up to 80 %).
    let popularity: Vec<f64> = (0..answerable.len())
        .map(|_| rng.random_range(0.05_f64..1.0).powi(3))
        .collect();
    let trend: Vec<f64> = (0..answerable.len())
        .map(|_| rng.random_range(-0.8..0.8))
        .collect();
    let channel = WeightedIndex::new(CHANNELS.map(|(_, w)| w))?;
    let mut t = Table::new(
        db,
        "classifications",
        &[
            "at",
            "channel",
            "text_masked",
            "intent",
            "entry",
            "confidence",
            "decision",
            "latency_us",
            "catalog_version",
        ],
    );
    // Questions drawn per tenth of the year, so trends show without a table per day.
    let mut tenth = usize::MAX;
    let mut pick = WeightedIndex::new([1.0])?;
    let mut moments: Vec<_> = (0..plan.classifications)
        .map(|_| spread.moment(rng))
        .collect();
    moments.sort();
    for at in moments {
        let progress = spread.progress(at);
        let part = (progress * 10.0) as usize;
        if part != tenth {
            tenth = part;
            let weights: Vec<f64> = popularity
                .iter()
                .zip(&trend)
                .map(|(p, t)| p * (1.0 + t * (progress - 0.5) * 2.0).max(0.05))
                .collect();
            pick = WeightedIndex::new(weights)?;
        }
        let office_hours = (8..18).contains(&Spread::local_hour(at));
        let mut ch = CHANNELS[channel.sample(rng)].0;
        if !office_hours {
            ch = "wechat";
        }
        let roll: f64 = rng.random();
        let (intent, entry, text, decision, confidence) = if roll < 0.07 {
            let (intent, entry, text) = refused.choose(rng).copied().unwrap_or((
                crate::domain::IntentId::OUT_OF_SCOPE,
                "",
                "",
            ));
            (
                intent,
                Some(entry),
                text,
                "out_of_scope",
                rng.random_range(0.2..0.6),
            )
        } else {
            let (intent, entry, text) = answerable[pick.sample(rng)];
            if roll < 0.15 {
                (intent, None, text, "clarify", rng.random_range(0.3..0.55))
            } else {
                (
                    intent,
                    Some(entry),
                    text,
                    "answer",
                    rng.random_range(0.55..0.99),
                )
            }
        };
        t.push(vec![
            at.into(),
            ch.into(),
            text.into(),
            intent.into(),
            Value::OptText(entry.filter(|e| !e.is_empty()).map(str::to_owned)),
            Value::Real(confidence),
            decision.into(),
            Value::Int(rng.random_range(300..4000)),
            "generated".into(),
        ])
        .await?;
    }
    t.flush().await?;
    Ok(t.written)
}
