//! Measuring the classifier on a labelled TSV file (`text<TAB>intent`).

use std::collections::BTreeMap;
use std::time::Instant;

use serde::Serialize;

use super::Engine;

#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error("line 1: the header must be `text<TAB>intent`")]
    Header,
    #[error("line {0}: expected `text<TAB>intent`")]
    Line(usize),
    #[error("line {line}: unknown intent id `{id}`")]
    UnknownIntent { line: usize, id: String },
    #[error("the file has no examples")]
    Empty,
}

#[derive(Debug, Clone)]
pub struct Example {
    pub text: String,
    pub intent: String,
}

pub fn parse_tsv(content: &str, known: &dyn Fn(&str) -> bool) -> Result<Vec<Example>, EvalError> {
    let mut lines = content.lines().enumerate();
    match lines.next() {
        Some((_, h)) if h.trim_start_matches('\u{feff}').trim() == "text\tintent" => {}
        _ => return Err(EvalError::Header),
    }
    let mut out = Vec::new();
    for (i, line) in lines {
        if line.trim().is_empty() {
            continue;
        }
        let (text, intent) = line.rsplit_once('\t').ok_or(EvalError::Line(i + 1))?;
        let intent = intent.trim();
        if !known(intent) {
            return Err(EvalError::UnknownIntent {
                line: i + 1,
                id: intent.to_owned(),
            });
        }
        out.push(Example {
            text: text.trim().to_owned(),
            intent: intent.to_owned(),
        });
    }
    if out.is_empty() {
        return Err(EvalError::Empty);
    }
    Ok(out)
}

#[derive(Debug, Clone, Serialize)]
pub struct IntentScore {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub support: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Confusion {
    pub expected: String,
    pub predicted: String,
    pub count: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Latency {
    pub p50: u64,
    pub p99: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Miss {
    pub text: String,
    pub expected: String,
    pub predicted: String,
    pub confidence: f32,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub total: usize,
    pub correct: usize,
    pub accuracy: f64,
    pub per_intent: BTreeMap<String, IntentScore>,
    pub confusion: Vec<Confusion>,
    pub latency_us: Latency,
    pub misses: Vec<Miss>,
}

/// Classifies every example; `progress` is told after each one.
pub fn evaluate(engine: &Engine, examples: &[Example], progress: &mut dyn FnMut()) -> Report {
    let mut latencies = Vec::with_capacity(examples.len());
    let mut pairs = Vec::with_capacity(examples.len());
    let mut misses = Vec::new();
    for ex in examples {
        let started = Instant::now();
        let c = engine.classify(&ex.text);
        latencies.push(started.elapsed().as_micros() as u64);
        let predicted = c.intent.to_string();
        if predicted != ex.intent {
            misses.push(Miss {
                text: ex.text.clone(),
                expected: ex.intent.clone(),
                predicted: predicted.clone(),
                confidence: c.confidence,
            });
        }
        pairs.push((ex.intent.clone(), predicted));
        progress();
    }
    let correct = pairs.iter().filter(|(e, p)| e == p).count();
    latencies.sort_unstable();
    Report {
        total: pairs.len(),
        correct,
        accuracy: ratio(correct, pairs.len()),
        per_intent: per_intent(&pairs),
        confusion: confusion(&pairs),
        latency_us: Latency {
            p50: percentile(&latencies, 0.50),
            p99: percentile(&latencies, 0.99),
        },
        misses,
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

fn percentile(sorted: &[u64], q: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((sorted.len() as f64 * q).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn per_intent(pairs: &[(String, String)]) -> BTreeMap<String, IntentScore> {
    let mut ids: Vec<&String> = pairs.iter().flat_map(|(e, p)| [e, p]).collect();
    ids.sort();
    ids.dedup();
    ids.into_iter()
        .map(|id| {
            let tp = pairs.iter().filter(|(e, p)| e == id && p == id).count();
            let predicted = pairs.iter().filter(|(_, p)| p == id).count();
            let support = pairs.iter().filter(|(e, _)| e == id).count();
            let (precision, recall) = (ratio(tp, predicted), ratio(tp, support));
            let f1 = if precision + recall > 0.0 {
                2.0 * precision * recall / (precision + recall)
            } else {
                0.0
            };
            (
                id.clone(),
                IntentScore {
                    precision,
                    recall,
                    f1,
                    support,
                },
            )
        })
        .collect()
}

fn confusion(pairs: &[(String, String)]) -> Vec<Confusion> {
    let mut counts: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for (e, p) in pairs.iter().filter(|(e, p)| e != p) {
        *counts.entry((e, p)).or_default() += 1;
    }
    let mut out: Vec<Confusion> = counts
        .into_iter()
        .map(|((e, p), count)| Confusion {
            expected: e.to_owned(),
            predicted: p.to_owned(),
            count,
        })
        .collect();
    out.sort_by_key(|c| std::cmp::Reverse(c.count));
    out
}

/// A readable report for people.
pub fn render_text(r: &Report) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "accuracy  {:.2}%  ({} of {})",
        r.accuracy * 100.0,
        r.correct,
        r.total
    );
    let _ = writeln!(
        s,
        "latency   p50 {} µs, p99 {} µs\n",
        r.latency_us.p50, r.latency_us.p99
    );
    let _ = writeln!(
        s,
        "{:<22} {:>9} {:>7} {:>7} {:>8}",
        "intent", "precision", "recall", "f1", "support"
    );
    for (id, m) in &r.per_intent {
        let _ = writeln!(
            s,
            "{id:<22} {:>9.3} {:>7.3} {:>7.3} {:>8}",
            m.precision, m.recall, m.f1, m.support
        );
    }
    if !r.confusion.is_empty() {
        let _ = writeln!(s, "\nmost confused (expected → predicted):");
        for c in r.confusion.iter().take(15) {
            let _ = writeln!(s, "  {:>3} × {} → {}", c.count, c.expected, c.predicted);
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_intent_scores_are_computed() {
        let pairs = vec![
            ("a".to_string(), "a".to_string()),
            ("a".to_string(), "b".to_string()),
            ("b".to_string(), "b".to_string()),
        ];
        let m = per_intent(&pairs);
        assert_eq!(m["a"].recall, 0.5);
        assert_eq!(m["a"].precision, 1.0);
        assert_eq!(m["b"].precision, 0.5);
        assert_eq!(confusion(&pairs)[0].count, 1);
    }

    #[test]
    fn tsv_needs_a_header_and_known_ids() {
        let known = |s: &str| s == "greeting";
        assert!(matches!(
            parse_tsv("a\tb\n", &known),
            Err(EvalError::Header)
        ));
        assert!(matches!(
            parse_tsv("text\tintent\nhi\tnope\n", &known),
            Err(EvalError::UnknownIntent { line: 2, .. })
        ));
        assert_eq!(
            parse_tsv("text\tintent\nhi\tgreeting\n", &known)
                .map(|v| v.len())
                .ok(),
            Some(1)
        );
    }

    #[test]
    fn percentiles_pick_ranks() {
        let v: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&v, 0.5), 50);
        assert_eq!(percentile(&v, 0.99), 99);
    }
}
