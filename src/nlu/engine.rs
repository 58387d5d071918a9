//! The classifier: a softmax model over the phrasebook's paraphrases, blended with BM25
//! retrieval from the tantivy index and nudged by the intents' strong-signal patterns.

use std::sync::Arc;

use regex::Regex;
use serde::{Deserialize, Serialize};

use super::index::{IndexError, PhraseIndex};
use super::linear::{softmax, SoftmaxModel, TrainParams, Vectorizer};
use super::text::{Analyzer, AnalyzerError};
use super::NluSettings;
use crate::catalog::Catalog;
use crate::domain::{EntryId, IntentId};

/// Added to an intent's logit when one of its patterns matches.
const RULE_BOOST: f32 = 2.0;
/// Weight of retrieval in the blended probability.
const RETRIEVAL_WEIGHT: f32 = 0.25;
/// Sharpness of the retrieval distribution (scores are first scaled to 0..1).
const RETRIEVAL_SHARPNESS: f32 = 6.0;
/// Hits read from the index per query.
const HITS: usize = 30;

#[derive(Debug, thiserror::Error)]
pub enum NluError {
    #[error(transparent)]
    Analyzer(#[from] AnalyzerError),
    #[error(transparent)]
    Index(#[from] IndexError),
    #[error("pattern of intent `{intent}` does not compile: {source}")]
    Pattern {
        intent: IntentId,
        source: regex::Error,
    },
    #[error("the catalogue has no `out_of_scope` intent")]
    NoFallback,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Sure enough to answer with the entry.
    Answer,
    /// Unsure: ask the resident to pick one of the candidates.
    Clarify,
    /// Not the utility's business, or not understood.
    OutOfScope,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Candidate {
    pub intent: IntentId,
    pub entry: Option<EntryId>,
    pub score: f32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Classification {
    pub intent: IntentId,
    pub entry: Option<EntryId>,
    pub confidence: f32,
    pub decision: Decision,
    pub candidates: Vec<Candidate>,
}

/// An entry that could answer a message, with the score it was ranked by.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RankedEntry {
    pub intent: IntentId,
    pub entry: EntryId,
    pub score: f32,
}

/// What one message scored, before any decision.
struct Scores {
    /// Per class, the blended probability.
    probs: Vec<f32>,
    /// Per class, its best-retrieved entry and that hit's score.
    best_hit: Vec<Option<(usize, f32)>>,
    /// Every retrieved entry once, with its class and best hit score, best first.
    entry_hits: Vec<(usize, usize, f32)>,
    /// Per class, the message names what keeps it from winning.
    vetoed: Vec<bool>,
}

/// An immutable, ready-to-query engine for one catalogue version.
pub struct Engine {
    catalog: Arc<Catalog>,
    analyzer: Arc<Analyzer>,
    vectorizer: Vectorizer,
    model: SoftmaxModel,
    classes: Vec<IntentId>,
    fallback: usize,
    index: PhraseIndex,
    /// Indexed text `ord` → (entry index in the catalogue, class).
    docs: Vec<(usize, usize)>,
    rules: Vec<(Regex, usize)>,
    /// Per class, patterns that keep it from winning unless one of its rules matches too.
    vetoes: Vec<(Regex, usize)>,
    /// Class → its first published entry, answered when retrieval finds none of its own.
    default_entry: Vec<Option<usize>>,
    settings: NluSettings,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("version", &self.catalog.version)
            .finish_non_exhaustive()
    }
}

impl Engine {
    /// Builds the index and trains the model: CPU work, so call it off the async runtime.
    pub fn build(catalog: Arc<Catalog>, settings: NluSettings) -> Result<Self, NluError> {
        let analyzer = Analyzer::shared(&catalog.synonyms, &catalog.userdict)?;
        // A retired intent is kept in the catalogue for the record, never predicted.
        let classes: Vec<IntentId> = catalog
            .intents
            .iter()
            .filter(|i| !i.retired)
            .map(|i| i.id.clone())
            .collect();
        let fallback = classes
            .iter()
            .position(IntentId::is_out_of_scope)
            .ok_or(NluError::NoFallback)?;
        let class_of = |id: &IntentId| classes.iter().position(|c| c == id);

        let mut docs = Vec::new();
        let mut texts = Vec::new();
        let mut default_entry = vec![None; classes.len()];
        for (ei, entry) in catalog
            .entries
            .iter()
            .enumerate()
            .filter(|(_, e)| e.status == crate::catalog::EntryStatus::Published)
        {
            let Some(class) = class_of(&entry.intent) else {
                continue;
            };
            default_entry[class].get_or_insert(ei);
            for text in entry.texts() {
                docs.push((ei, class));
                texts.push(text);
            }
        }
        // The index and the model are independent: build them side by side.
        let keep = training_subset(&docs, classes.len());
        let (vectorizer, model, index) = std::thread::scope(|scope| {
            let index = scope.spawn(|| PhraseIndex::build(analyzer.clone(), texts.iter().copied()));
            let (vectorizer, model) = train(&analyzer, &texts, &docs, &keep, classes.len());
            let index = index
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            (vectorizer, model, index)
        });
        let index = index?;

        let mut rules = Vec::new();
        let mut vetoes = Vec::new();
        for intent in &catalog.intents {
            let Some(class) = class_of(&intent.id) else {
                continue;
            };
            for p in &intent.patterns {
                let re = Regex::new(p).map_err(|source| NluError::Pattern {
                    intent: intent.id.clone(),
                    source,
                })?;
                rules.push((re, class));
            }
            for p in &intent.not_when {
                let re = Regex::new(p).map_err(|source| NluError::Pattern {
                    intent: intent.id.clone(),
                    source,
                })?;
                vetoes.push((re, class));
            }
        }
        Ok(Self {
            catalog,
            analyzer,
            vectorizer,
            model,
            classes,
            fallback,
            index,
            docs,
            rules,
            vetoes,
            default_entry,
            settings,
        })
    }

    pub fn catalog(&self) -> &Arc<Catalog> {
        &self.catalog
    }

    /// Classifies one message. Never fails: an index error degrades to the model alone.
    pub fn classify(&self, text: &str) -> Classification {
        let s = self.score(text);
        self.decide(&s.probs, &s.best_hit, &s.vetoed)
    }

    /// Classifies one message and ranks the entries that could answer it, best first, at
    /// most `limit`: what an agent picks from, whatever the decision. An entry scores its
    /// intent's probability, scaled by how well its own texts were retrieved against the
    /// best-retrieved entry of the same intent; so the first is the classification's entry
    /// whenever the message is answered.
    pub fn classify_with_entries(
        &self,
        text: &str,
        limit: usize,
    ) -> (Classification, Vec<RankedEntry>) {
        let s = self.score(text);
        let classification = self.decide(&s.probs, &s.best_hit, &s.vetoed);
        let mut ranked: Vec<(usize, usize, f32)> = s
            .entry_hits
            .iter()
            .map(|&(entry, class, hit)| {
                let best = s.best_hit[class].map_or(hit, |(_, b)| b);
                let share = if best > 0.0 { hit / best } else { 1.0 };
                (entry, class, s.probs[class] * share)
            })
            .collect();
        // An intent none of whose texts were retrieved still has the entry the bot answers
        // it with; the fallback's entries each fit one kind of stray question, so without
        // retrieval none of them is known to fit.
        for (class, entry) in self.default_entry.iter().enumerate() {
            if let (None, Some(entry)) = (s.best_hit[class], entry) {
                if class != self.fallback {
                    ranked.push((*entry, class, s.probs[class]));
                }
            }
        }
        ranked.retain(|&(_, _, score)| score > 0.0);
        ranked.sort_by(|a, b| b.2.total_cmp(&a.2).then(a.0.cmp(&b.0)));
        let entries = ranked
            .into_iter()
            .take(limit)
            .map(|(entry, class, score)| RankedEntry {
                intent: self.classes[class].clone(),
                entry: self.catalog.entries[entry].id.clone(),
                score: round(score),
            })
            .collect();
        (classification, entries)
    }

    fn score(&self, text: &str) -> Scores {
        // Analysed once: the model, the rules and the index all read these.
        let canonical = self.analyzer.canonical(text);
        let words = self.analyzer.words(&canonical);
        let x = self
            .vectorizer
            .transform(&Analyzer::features_of(&canonical, &words));
        let n = self.classes.len();
        let mut probs = vec![0.0f32; n];
        let mut vetoed = vec![false; n];
        if x.is_empty() {
            probs[self.fallback] = 1.0;
        } else {
            self.model.logits_into(&x, &mut probs);
            let matches = |re: &Regex| re.is_match(&canonical) || re.is_match(text);
            let mut ruled = vec![false; n];
            for (re, class) in &self.rules {
                if matches(re) {
                    probs[*class] += RULE_BOOST;
                    ruled[*class] = true;
                }
            }
            for (re, class) in &self.vetoes {
                vetoed[*class] |= !ruled[*class] && matches(re);
            }
            softmax(&mut probs);
        }
        let hits = self
            .index
            .search_analyzed(&canonical, &words, HITS)
            .unwrap_or_else(|e| {
                tracing::warn!(error = %e, "index search failed; classifying with the model alone");
                Vec::new()
            });
        let mut best_hit: Vec<Option<(usize, f32)>> = vec![None; n];
        let mut entry_hits: Vec<(usize, usize, f32)> = Vec::new();
        for hit in &hits {
            if let Some(&(entry, class)) = self.docs.get(hit.ord as usize) {
                best_hit[class].get_or_insert((entry, hit.score));
                // Hits come best first: an entry's first is its best.
                if !entry_hits.iter().any(|&(e, _, _)| e == entry) {
                    entry_hits.push((entry, class, hit.score));
                }
            }
        }
        if let Some(top) = hits.first().map(|h| h.score).filter(|s| *s > 0.0) {
            let mut retrieval: Vec<f32> = best_hit
                .iter()
                .map(|h| h.map_or(0.0, |(_, s)| s / top) * RETRIEVAL_SHARPNESS)
                .collect();
            softmax(&mut retrieval);
            probs
                .iter_mut()
                .zip(&retrieval)
                .for_each(|(p, r)| *p = (1.0 - RETRIEVAL_WEIGHT) * *p + RETRIEVAL_WEIGHT * r);
        }
        Scores {
            probs,
            best_hit,
            entry_hits,
            vetoed,
        }
    }

    fn entry_for(&self, class: usize, best_hit: &[Option<(usize, f32)>]) -> Option<EntryId> {
        best_hit[class]
            .map(|(e, _)| e)
            .or(self.default_entry[class])
            .map(|e| self.catalog.entries[e].id.clone())
    }

    fn decide(
        &self,
        probs: &[f32],
        best_hit: &[Option<(usize, f32)>],
        vetoed: &[bool],
    ) -> Classification {
        let mut ranked: Vec<usize> = (0..probs.len()).collect();
        ranked.sort_by(|&a, &b| probs[b].total_cmp(&probs[a]));
        let candidates: Vec<Candidate> = ranked
            .iter()
            .filter(|&&c| c != self.fallback)
            .take(self.settings.candidates)
            .map(|&c| Candidate {
                intent: self.classes[c].clone(),
                entry: self.entry_for(c, best_hit),
                score: round(probs[c]),
            })
            .collect();
        let top = ranked[0];
        let confidence = probs[top];
        // A winner the message itself rules out (refusing a message about heating) gives way:
        // the resident is asked to choose among the others, never refused or answered on it.
        let overruled = vetoed[top]
            .then(|| ranked.iter().copied().find(|&c| !vetoed[c]))
            .flatten();
        // A rejected message has no entry: no out-of-scope reply was chosen for it.
        let (class, decision, confidence, entry) = if let Some(next) = overruled {
            (
                next,
                Decision::Clarify,
                probs[next],
                self.entry_for(next, best_hit),
            )
        } else if top == self.fallback {
            (
                top,
                Decision::OutOfScope,
                confidence,
                self.entry_for(top, best_hit),
            )
        } else if confidence < self.settings.reject_below && !vetoed[self.fallback] {
            (self.fallback, Decision::OutOfScope, 1.0 - confidence, None)
        } else if confidence < self.settings.clarify_below {
            (
                top,
                Decision::Clarify,
                confidence,
                self.entry_for(top, best_hit),
            )
        } else {
            (
                top,
                Decision::Answer,
                confidence,
                self.entry_for(top, best_hit),
            )
        };
        Classification {
            intent: self.classes[class].clone(),
            entry,
            confidence: round(confidence),
            decision,
            candidates,
        }
    }
}

/// The model over the kept texts; its vocabulary is theirs, since features the model
/// never saw carry no weight.
fn train(
    analyzer: &Analyzer,
    texts: &[&str],
    docs: &[(usize, usize)],
    keep: &[bool],
    classes: usize,
) -> (Vectorizer, SoftmaxModel) {
    let (features, labels): (Vec<Vec<String>>, Vec<usize>) = texts
        .iter()
        .zip(docs)
        .zip(keep)
        .filter(|(_, &k)| k)
        .map(|((t, &(_, c)), _)| (analyzer.features(t), c))
        .unzip();
    let vectorizer = Vectorizer::fit(&features);
    let samples: Vec<_> = features
        .iter()
        .zip(labels)
        .map(|(f, c)| (vectorizer.transform(f), c))
        .collect();
    let keys: Vec<u64> = texts
        .iter()
        .zip(docs)
        .zip(keep)
        .filter(|(_, &k)| k)
        .map(|((t, &(_, c)), _)| {
            use std::hash::{Hash, Hasher};
            let mut h = std::collections::hash_map::DefaultHasher::new();
            (t, c).hash(&mut h);
            h.finish()
        })
        .collect();
    let model = SoftmaxModel::train_keyed(
        &samples,
        &keys,
        vectorizer.len(),
        classes,
        TrainParams::default(),
    );
    (vectorizer, model)
}

/// Training texts per intent beyond which more add little to the model but time to the
/// build: a large phrasebook keeps every text in the index, and an even spread of each
/// intent's texts in the model.
const MODEL_TEXTS_PER_INTENT: usize = 600;

fn training_subset(docs: &[(usize, usize)], classes: usize) -> Vec<bool> {
    let mut per_class = vec![0usize; classes];
    docs.iter().for_each(|&(_, c)| per_class[c] += 1);
    let mut seen = vec![0usize; classes];
    docs.iter()
        .map(|&(_, c)| {
            let (n, i) = (per_class[c], seen[c]);
            seen[c] += 1;
            // Keep the i-th of n when it is the first to cross a multiple of n/cap.
            n <= MODEL_TEXTS_PER_INTENT
                || (i * MODEL_TEXTS_PER_INTENT) / n != ((i + 1) * MODEL_TEXTS_PER_INTENT) / n
        })
        .collect()
}

fn round(x: f32) -> f32 {
    (x * 10_000.0).round() / 10_000.0
}
