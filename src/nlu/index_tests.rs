use std::path::PathBuf;

use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
use tantivy::Term;

use super::*;

fn shipped_texts() -> (Arc<Analyzer>, Vec<String>) {
    // The phrasebook's files read as plain TOML: only the texts matter here.
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("phrasebook");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("the phrasebook directory")
        .map(|e| e.expect("an entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    let mut texts = Vec::new();
    for file in files {
        let doc: toml::Table = std::fs::read_to_string(&file)
            .expect("readable")
            .parse()
            .expect("TOML");
        for entry in doc
            .get("entries")
            .and_then(|e| e.as_array())
            .into_iter()
            .flatten()
        {
            let question = entry.get("question").and_then(|q| q.as_str());
            let paraphrases = entry.get("paraphrases").and_then(|p| p.as_array());
            texts.extend(question.map(str::to_owned));
            texts.extend(
                paraphrases
                    .into_iter()
                    .flatten()
                    .filter_map(|p| p.as_str().map(str::to_owned)),
            );
        }
    }
    assert!(texts.len() > 500, "the shipped phrasebook has its texts");
    let analyzer = Arc::new(Analyzer::new(&[], "").expect("analyzer"));
    (analyzer, texts)
}

/// Halves of real texts joined: a phrasebook as large as a big utility's, with the
/// shipped vocabulary and many texts that share the common words.
fn spliced(texts: &[String], count: usize) -> Vec<String> {
    let mut rng = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng as usize
    };
    (0..count)
        .map(|_| {
            let a: Vec<char> = texts[next() % texts.len()].chars().collect();
            let b: Vec<char> = texts[next() % texts.len()].chars().collect();
            a[..a.len() / 2].iter().chain(&b[b.len() / 2..]).collect()
        })
        .collect()
}

/// tantivy's own ranking of the same query: the union of one term query per term.
fn tantivy_top(
    index: &PhraseIndex,
    analyzer: &Analyzer,
    message: &str,
    limit: usize,
) -> Vec<(u64, Score)> {
    let index = index.0.as_ref().expect("texts were indexed");
    let canonical = analyzer.canonical(message);
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    for (field, mut terms) in [
        (index.words.field, analyzer.words(&canonical)),
        (index.grams.field, bigrams(&canonical)),
    ] {
        terms.sort();
        terms.dedup();
        for t in terms {
            clauses.push((
                Occur::Should,
                Box::new(TermQuery::new(
                    Term::from_field_text(field, &t),
                    IndexRecordOption::WithFreqs,
                )),
            ));
        }
    }
    if clauses.is_empty() {
        return Vec::new();
    }
    index
        ._searcher
        .search(&BooleanQuery::new(clauses), &TopDocs::with_limit(limit))
        .expect("tantivy searches")
        .into_iter()
        .map(|(score, addr)| (index.ords[addr.doc_id as usize], score))
        .collect()
}

fn ours(
    index: &PhraseIndex,
    analyzer: &Analyzer,
    message: &str,
    limit: usize,
) -> Vec<(u64, Score)> {
    let canonical = analyzer.canonical(message);
    let words = analyzer.words(&canonical);
    index
        .search_analyzed(&canonical, &words, limit)
        .expect("search")
        .into_iter()
        .map(|h| (h.ord, h.score))
        .collect()
}

fn close(a: Score, b: Score) -> bool {
    (a - b).abs() <= a.abs().max(b.abs()) * 1e-5
}

/// Same texts, same scores, same order; texts whose scores tie (to rounding) may swap,
/// also with the first text past the limit (`theirs` runs on past it).
fn assert_same_ranking(
    message: &str,
    ours: &[(u64, Score)],
    theirs: &[(u64, Score)],
    limit: usize,
) {
    assert_eq!(
        ours.len(),
        theirs.len().min(limit),
        "{message}: {ours:?} against {theirs:?}"
    );
    for (i, (a, b)) in ours.iter().zip(theirs).enumerate() {
        assert!(
            close(a.1, b.1),
            "{message}: rank {i} scores {} against {}",
            a.1,
            b.1
        );
        if a.0 != b.0 {
            let tied = |j: usize| j < theirs.len() && close(theirs[j].1, b.1);
            assert!(
                (i > 0 && tied(i - 1)) || tied(i + 1),
                "{message}: rank {i} is text {} against {} (not a tie)",
                a.0,
                b.0
            );
        }
    }
}

#[test]
fn the_index_ranks_texts_as_tantivy_s_union_of_term_queries_does() {
    let (analyzer, shipped) = shipped_texts();
    let mut texts = shipped.clone();
    texts.extend(spliced(&shipped, 6_000));
    let index = PhraseIndex::build(analyzer.clone(), texts.iter().map(String::as_str))
        .expect("index builds");
    let mut messages: Vec<String> = shipped.iter().step_by(3).cloned().collect();
    messages.extend(spliced(&shipped, 150));
    // Words no text has, repeated words, one character, nothing that is a word.
    messages.extend(
        [
            "量子纠缠的暖气费",
            "暖气暖气暖气不热不热",
            "暖",
            "？？？",
            "",
            "abc 123",
        ]
        .map(str::to_owned),
    );
    let mut compared = 0;
    for message in &messages {
        for limit in [1, 5, 30] {
            let theirs = tantivy_top(&index, &analyzer, message, limit + 5);
            let ours = ours(&index, &analyzer, message, limit);
            assert_same_ranking(message, &ours, &theirs, limit);
            compared += usize::from(!theirs.is_empty());
        }
    }
    assert!(
        compared > messages.len() * 2,
        "too few messages matched anything"
    );
}

#[test]
fn an_index_of_nothing_finds_nothing() {
    let (analyzer, _) = shipped_texts();
    let index = PhraseIndex::build(analyzer.clone(), std::iter::empty()).expect("index builds");
    assert!(ours(&index, &analyzer, "暖气不热", 30).is_empty());
}
