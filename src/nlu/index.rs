//! The tantivy index of the published phrasebook: one document per canonical question or
//! paraphrase, searched with BM25 over Chinese words and over character bigrams (which
//! survive typos the segmenter splits badly).
//!
//! tantivy builds the index and holds the postings; the search walks them itself
//! (`top_texts`), ranking as tantivy's union of term queries does (a test holds the two
//! to the same ranking). The index never changes after build, so BM25's length table,
//! which tantivy builds again for every term of every query, is computed once.

use std::collections::BinaryHeap;
use std::sync::Arc;

use tantivy::fieldnorm::FieldNormReader;
use tantivy::postings::{Postings, SegmentPostings};
use tantivy::schema::{Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, FAST};
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};
use tantivy::{
    doc, DocId, DocSet, Index, IndexReader, IndexWriter, InvertedIndexReader, ReloadPolicy, Score,
    Searcher, SegmentReader, Term, TERMINATED,
};

use super::text::Analyzer;

const WORDS: &str = "zh_words";
const GRAMS: &str = "zh_bigrams";

#[derive(Debug, thiserror::Error)]
#[error("phrasebook index: {0}")]
pub struct IndexError(#[from] tantivy::TantivyError);

impl From<std::io::Error> for IndexError {
    fn from(e: std::io::Error) -> Self {
        Self(e.into())
    }
}

/// Which view of the text a tokenizer produces.
#[derive(Clone, Copy)]
enum View {
    Words,
    Bigrams,
}

/// A tantivy tokenizer backed by the shared `Analyzer`, so the index, the classifier and
/// the queries agree on what a word is.
#[derive(Clone)]
struct ZhTokenizer {
    analyzer: Arc<Analyzer>,
    view: View,
}

impl ZhTokenizer {
    fn terms(&self, text: &str) -> Vec<String> {
        let canonical = self.analyzer.canonical(text);
        match self.view {
            View::Words => self.analyzer.words(&canonical),
            View::Bigrams => bigrams(&canonical),
        }
    }
}

/// The character bigrams of canonical text's letters and digits (the one character of a
/// text of one).
fn bigrams(canonical: &str) -> Vec<String> {
    let chars: Vec<char> = canonical.chars().filter(|c| c.is_alphanumeric()).collect();
    if chars.len() == 1 {
        return vec![chars[0].to_string()];
    }
    chars.windows(2).map(|w| w.iter().collect()).collect()
}

struct VecStream {
    tokens: Vec<Token>,
    at: usize,
}

impl TokenStream for VecStream {
    fn advance(&mut self) -> bool {
        self.at += 1;
        self.at <= self.tokens.len()
    }
    fn token(&self) -> &Token {
        &self.tokens[self.at - 1]
    }
    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.at - 1]
    }
}

impl Tokenizer for ZhTokenizer {
    type TokenStream<'a> = VecStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> VecStream {
        let tokens = self
            .terms(text)
            .into_iter()
            .enumerate()
            .map(|(position, text)| Token {
                position,
                text,
                ..Token::default()
            })
            .collect();
        VecStream { tokens, at: 0 }
    }
}

/// A hit: the position of the matching text in the order it was added, and its score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    pub ord: u64,
    pub score: f32,
}

/// The index; none when there is nothing to index (tantivy then writes no segment).
pub struct PhraseIndex(Option<Segment>);

/// The one segment of the index and what scoring it needs, read once at build: the index
/// never changes afterwards.
struct Segment {
    /// Holds the segment's files open for the readers below.
    _searcher: Searcher,
    /// Doc id → `ord`: read once, since the index never changes after build.
    ords: Vec<u64>,
    words: FieldScoring,
    grams: FieldScoring,
    /// Texts in the index (BM25's N).
    docs: u64,
}

/// What scoring a field needs.
struct FieldScoring {
    field: Field,
    inverted: Arc<InvertedIndexReader>,
    norms: FieldNormReader,
    /// BM25's length part per fieldnorm id, for this field's average length (tantivy's).
    length_part: [Score; 256],
}

/// tantivy's BM25 constants; the scores below are tantivy's, computed the same way.
const K1: Score = 1.2;
const B: Score = 0.75;

fn idf(doc_freq: u64, docs: u64) -> Score {
    let x = ((docs - doc_freq) as Score + 0.5) / (doc_freq as Score + 0.5);
    (1.0 + x).ln()
}

impl FieldScoring {
    fn read(segment: &SegmentReader, field: Field) -> Result<Self, IndexError> {
        let inverted = segment.inverted_index(field)?;
        let norms = segment.get_fieldnorms_reader(field)?;
        let average = inverted.total_num_tokens() as Score / segment.max_doc().max(1) as Score;
        let mut length_part = [0.0; 256];
        for (id, part) in length_part.iter_mut().enumerate() {
            let norm = FieldNormReader::id_to_fieldnorm(id as u8) as Score;
            *part = K1 * (1.0 - B + B * norm / average);
        }
        Ok(Self {
            field,
            inverted,
            norms,
            length_part,
        })
    }
}

/// One query term's postings, walked in doc order.
struct Cursor<'a> {
    postings: SegmentPostings,
    field: &'a FieldScoring,
    /// idf × (k1 + 1).
    weight: Score,
}

impl Cursor<'_> {
    fn score(&self) -> Score {
        let tf = self.postings.term_freq() as Score;
        let id = self.field.norms.fieldnorm_id(self.postings.doc());
        self.weight * (tf / (tf + self.field.length_part[id as usize]))
    }
}

/// A kept hit; the greatest is the worst (lowest score, then latest doc), so a max-heap
/// has the one to drop on top.
#[derive(PartialEq)]
struct Kept {
    score: Score,
    doc: DocId,
}

impl Eq for Kept {}

impl Ord for Kept {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        other
            .score
            .total_cmp(&self.score)
            .then(self.doc.cmp(&other.doc))
    }
}

impl PartialOrd for Kept {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// Texts scored together: a window of doc ids, as tantivy's union buffers them.
const WINDOW: usize = 4096;

/// The `limit` best texts by the sum of their terms' BM25 scores, best first, ties to the
/// earlier text: what tantivy's union of term queries returns, without its per-query
/// set-up (a BM25 table per term, two dictionary lookups per term) that made up most of
/// a short message's time. A window of texts at a time, each term adding to the texts it
/// has in the window in query order, so a text's score is always summed the same way.
fn top_texts(mut cursors: Vec<Cursor<'_>>, limit: usize) -> Vec<Kept> {
    if limit == 0 {
        return Vec::new();
    }
    let mut kept: BinaryHeap<Kept> = BinaryHeap::with_capacity(limit + 1);
    let mut sums = vec![0.0 as Score; WINDOW];
    let mut seen = [0u64; WINDOW / 64];
    loop {
        let start = cursors
            .iter()
            .map(|c| c.postings.doc())
            .min()
            .unwrap_or(TERMINATED);
        if start == TERMINATED {
            break;
        }
        let end = start.saturating_add(WINDOW as DocId);
        for c in &mut cursors {
            while c.postings.doc() < end {
                let at = (c.postings.doc() - start) as usize;
                sums[at] += c.score();
                seen[at / 64] |= 1 << (at % 64);
                c.postings.advance();
            }
        }
        for (word, bits) in seen.iter_mut().enumerate() {
            while *bits != 0 {
                let at = word * 64 + bits.trailing_zeros() as usize;
                *bits &= *bits - 1;
                let hit = Kept {
                    score: std::mem::take(&mut sums[at]),
                    doc: start + at as DocId,
                };
                if kept.len() < limit {
                    kept.push(hit);
                } else if kept.peek().is_some_and(|worst| hit < *worst) {
                    kept.pop();
                    kept.push(hit);
                }
            }
        }
    }
    kept.into_sorted_vec()
}

impl PhraseIndex {
    /// Indexes `texts` in order (the hit's `ord` is the position in this iterator).
    pub fn build<'a>(
        analyzer: Arc<Analyzer>,
        texts: impl Iterator<Item = &'a str>,
    ) -> Result<Self, IndexError> {
        let mut schema = Schema::builder();
        let options = |name: &str| {
            TextOptions::default().set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(name)
                    .set_index_option(IndexRecordOption::WithFreqs),
            )
        };
        let words = schema.add_text_field("words", options(WORDS));
        let grams = schema.add_text_field("grams", options(GRAMS));
        let ord = schema.add_u64_field("ord", FAST);
        let index = Index::create_in_ram(schema.build());
        let tokenizers = [
            ZhTokenizer {
                analyzer: analyzer.clone(),
                view: View::Words,
            },
            ZhTokenizer {
                analyzer,
                view: View::Bigrams,
            },
        ];
        index.tokenizers().register(WORDS, tokenizers[0].clone());
        index.tokenizers().register(GRAMS, tokenizers[1].clone());
        let mut writer: IndexWriter = index.writer_with_num_threads(1, 50_000_000)?;
        for (i, text) in texts.enumerate() {
            writer.add_document(doc!(words => text, grams => text, ord => i as u64))?;
        }
        writer.commit()?;
        // One segment: its counts (texts, each term's texts, lengths) are the index's.
        let segments = index.searchable_segment_ids()?;
        if segments.len() > 1 {
            writer.merge(&segments).wait()?;
        }
        writer.wait_merging_threads()?;
        let reader: IndexReader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        let searcher = reader.searcher();
        let segment = match searcher.segment_readers() {
            [] => return Ok(Self(None)),
            [one] => one.clone(),
            more => {
                return Err(IndexError(tantivy::TantivyError::InternalError(format!(
                    "{} segments after merging into one",
                    more.len()
                ))))
            }
        };
        let column = segment.fast_fields().u64("ord")?;
        let ords = (0..segment.max_doc())
            .map(|d| column.first(d).unwrap_or_default())
            .collect();
        Ok(Self(Some(Segment {
            ords,
            words: FieldScoring::read(&segment, words)?,
            grams: FieldScoring::read(&segment, grams)?,
            docs: u64::from(segment.max_doc()),
            _searcher: searcher,
        })))
    }

    /// The `limit` best-matching texts for a query already made canonical and cut into
    /// `words` (as the index's tokenizers cut the texts), best first.
    pub fn search_analyzed(
        &self,
        canonical: &str,
        words: &[String],
        limit: usize,
    ) -> Result<Vec<Hit>, IndexError> {
        let Some(index) = &self.0 else {
            return Ok(Vec::new());
        };
        let mut cursors = Vec::new();
        for (field, mut terms) in [
            (&index.words, words.to_vec()),
            (&index.grams, bigrams(canonical)),
        ] {
            terms.sort();
            terms.dedup();
            for t in terms {
                let term = Term::from_field_text(field.field, &t);
                // A term no text has scores nothing.
                let Some(info) = field.inverted.get_term_info(&term)? else {
                    continue;
                };
                let weight = idf(u64::from(info.doc_freq), index.docs) * (1.0 + K1);
                let postings = field
                    .inverted
                    .read_postings_from_terminfo(&info, IndexRecordOption::WithFreqs)?;
                cursors.push(Cursor {
                    postings,
                    field,
                    weight,
                });
            }
        }
        Ok(top_texts(cursors, limit)
            .into_iter()
            .filter_map(|kept| {
                let ord = *index.ords.get(kept.doc as usize)?;
                Some(Hit {
                    ord,
                    score: kept.score,
                })
            })
            .collect())
    }
}

#[cfg(test)]
#[path = "index_tests.rs"]
mod tests;
