//! Classification speed on the shipped phrasebook and on a synthetic 5,000-entry one, and
//! the time to build the engine (index + model) for each.

use std::hint::black_box;
use std::path::PathBuf;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use heatdesk::catalog::{self, Catalog, Entry, EntryStatus};
use heatdesk::config::NluSettings;
use heatdesk::domain::EntryId;
use heatdesk::nlu::Engine;

fn shipped() -> Catalog {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let sources = heatdesk::config::Settings {
        intents_dir: root.join("intents"),
        phrasebook_dir: root.join("phrasebook"),
        locales_dir: root.join("locales"),
        ..heatdesk::config::Settings::default()
    }
    .sources()
    .expect("the shipped locales load");
    match catalog::load(&sources) {
        (Some(c), _) => c,
        (None, diags) => panic!("shipped data invalid: {diags:?}"),
    }
}

/// 5,000 entries of 10 texts each, made by splicing halves of real paraphrases of the
/// same intent: realistic vocabulary and lengths, many near-duplicates across entries.
fn synthetic(base: &Catalog, entries: usize) -> Catalog {
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng as usize
    };
    let real: Vec<&Entry> = base.published().collect();
    let mut out = base.clone();
    out.entries.clear();
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
        let mut texts: Vec<String> = (0..10)
            .map(|_| splice(pool[next() % pool.len()], pool[next() % pool.len()]))
            .collect();
        let question = texts.remove(0);
        out.entries.push(Entry {
            id: EntryId::parse(format!("{}.s{i}", model.intent)).expect("valid id"),
            intent: model.intent.clone(),
            status: EntryStatus::Published,
            version: 1,
            question,
            paraphrases: texts,
            reply: model.reply.clone(),
        });
    }
    out
}

const MESSAGES: [&str; 8] = [
    "暖气片摸着不热，屋里才16度",
    "今年房子空着，想办停供",
    "我家欠多少取暖费",
    "发票怎么开，单位要专票",
    "卫生间暖气管子漏水了！！",
    "燃气费在哪交",
    "你好",
    "上周申请的复供啥时候开阀",
];

/// A mean hides the slow messages: each message of a long run timed on its own, the
/// percentiles printed beside criterion's figures (measured, never asserted).
fn percentiles(name: &str, engine: &Engine) {
    const RUNS: usize = 40_000;
    let mut took: Vec<std::time::Duration> = (0..RUNS)
        .map(|i| {
            let started = std::time::Instant::now();
            black_box(engine.classify(black_box(MESSAGES[i % MESSAGES.len()])));
            started.elapsed()
        })
        .collect();
    took.sort_unstable();
    let at = |q: f64| took[((RUNS as f64 * q) as usize).min(RUNS - 1)];
    println!(
        "classify/{name}: {RUNS} messages one by one: p50 {:?}  p90 {:?}  p99 {:?}  max {:?}",
        at(0.5),
        at(0.9),
        at(0.99),
        took[RUNS - 1]
    );
}

fn bench(c: &mut Criterion) {
    let base = shipped();
    let big = synthetic(&base, 5000);
    for (name, catalog) in [("starter", base), ("synthetic_5000", big)] {
        let catalog = Arc::new(catalog);
        let engine = Engine::build(catalog.clone(), NluSettings::default()).expect("engine");
        let mut group = c.benchmark_group(format!("classify/{name}"));
        group.throughput(Throughput::Elements(1));
        let mut i = 0;
        group.bench_function("one_message", |b| {
            b.iter(|| {
                i = (i + 1) % MESSAGES.len();
                black_box(engine.classify(black_box(MESSAGES[i])))
            })
        });
        group.finish();
        percentiles(name, &engine);
        let mut group = c.benchmark_group(format!("build/{name}"));
        group.sample_size(10);
        group.bench_function("index_and_model", |b| {
            b.iter_batched(
                || catalog.clone(),
                |c| black_box(Engine::build(c, NluSettings::default()).expect("engine")),
                BatchSize::LargeInput,
            )
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
