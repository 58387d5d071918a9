//! What a publication costs: the document checked as files (compose), the candidate engine
//! built, and the regression gate run against the live engine on the labelled questions;
//! for the shipped phrasebook and a synthetic 5,000-entry one, and the gate per 1,000
//! labelled questions.

use std::hint::black_box;
use std::path::PathBuf;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion};
use heatdesk::catalog::{self, Catalog, EntryStatus, EntryText, OfficeDoc, Sources};
use heatdesk::config::NluSettings;
use heatdesk::domain::EntryId;
use heatdesk::nlu::Engine;
use heatdesk::office::gate::{self, Labelled};

fn sources() -> Sources {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    heatdesk::config::Settings {
        intents_dir: root.join("intents"),
        phrasebook_dir: root.join("phrasebook"),
        locales_dir: root.join("locales"),
        ..heatdesk::config::Settings::default()
    }
    .sources()
    .expect("the shipped locales load")
}

fn held_out() -> Vec<Labelled> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join("tests/data/eval.tsv")).expect("eval.tsv");
    text.lines()
        .skip(1)
        .filter_map(|l| l.rsplit_once('\t'))
        .map(|(t, i)| Labelled {
            text: t.trim().to_owned(),
            intent: i.trim().to_owned(),
        })
        .collect()
}

/// 5,000 entries of 10 texts each, spliced from halves of real paraphrases of the same
/// intent (as the classification benchmark makes them).
fn synthetic(base: &OfficeDoc, entries: usize) -> OfficeDoc {
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng as usize
    };
    let real: Vec<&EntryText> = base
        .entries
        .iter()
        .filter(|e| e.status == EntryStatus::Published)
        .collect();
    let mut out = base.clone();
    out.entries.clear();
    let mut seen = std::collections::HashSet::new();
    for i in 0..entries {
        let model = real[i % real.len()];
        let pool: Vec<&str> = real
            .iter()
            .filter(|e| e.intent == model.intent)
            .flat_map(|e| e.texts())
            .collect();
        let splice = |a: &str, b: &str| {
            let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
            a[..a.len() / 2]
                .iter()
                .chain(&b[b.len() / 2..])
                .collect::<String>()
        };
        // Texts are unique across the document, as the check wants them.
        let mut texts: Vec<String> = Vec::new();
        while texts.len() < 10 {
            let t = splice(pool[next() % pool.len()], pool[next() % pool.len()]);
            let key = catalog::collision_key(&t);
            if !key.is_empty() && seen.insert(key) {
                texts.push(t);
            }
        }
        let question = texts.remove(0);
        out.entries.push(EntryText {
            id: EntryId::parse(format!("{}.s{i}", model.intent)).expect("valid id"),
            intent: model.intent.clone(),
            status: EntryStatus::Published,
            version: 1,
            question,
            paraphrases: texts,
            reply: model.reply.clone(),
        });
    }
    out.normalize();
    out
}

fn compose(doc: &OfficeDoc, sources: &Sources, engineering: &catalog::FileSet) -> Catalog {
    match doc.compose(sources, engineering) {
        (Some(c), _) => c,
        (None, d) => panic!(
            "{:?}",
            d.iter()
                .filter(|d| d.severity == catalog::Severity::Error)
                .take(5)
                .collect::<Vec<_>>()
        ),
    }
}

fn bench(c: &mut Criterion) {
    let sources = sources();
    let engineering = catalog::engineering_files(&sources).expect("intents");
    let (shipped, _) = catalog::load(&sources);
    let shipped = shipped.expect("shipped data");
    let doc = OfficeDoc::from_catalog(&shipped, &sources.owned_facts);
    let big = synthetic(&doc, 5000);
    let labelled = held_out();
    let live = Engine::build(Arc::new(shipped), NluSettings::default()).expect("engine");
    for (name, doc) in [("starter", doc), ("synthetic_5000", big)] {
        let mut group = c.benchmark_group(format!("publish/{name}"));
        group.sample_size(10);
        group.bench_function("compose", |b| {
            b.iter(|| black_box(compose(&doc, &sources, &engineering)))
        });
        group.bench_function("compose_build_gate", |b| {
            b.iter(|| {
                let catalog = compose(&doc, &sources, &engineering);
                let candidate =
                    Engine::build(Arc::new(catalog), NluSettings::default()).expect("engine");
                black_box(gate::run(&live, &candidate, &labelled, 0))
            })
        });
        group.finish();
    }
    // 1,000 labelled questions: the held-out set, cycled.
    let thousand: Vec<Labelled> = labelled.iter().cycle().take(1000).cloned().collect();
    let candidate = Engine::build(live.catalog().clone(), NluSettings::default()).expect("engine");
    let mut group = c.benchmark_group("gate");
    group.sample_size(10);
    group.bench_function("per_1000_labelled_questions", |b| {
        b.iter(|| black_box(gate::run(&live, &candidate, &thousand, 0)))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
