//! The tantivy index of the published phrasebook: one document per canonical question or
//! paraphrase, searched with BM25 over Chinese words and over character bigrams (which
//! survive typos the segmenter splits badly).

use std::sync::Arc;

use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, FAST};
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};
use tantivy::{doc, Index, IndexReader, IndexWriter, ReloadPolicy, Term};

use super::text::Analyzer;

const WORDS: &str = "zh_words";
const GRAMS: &str = "zh_bigrams";

#[derive(Debug, thiserror::Error)]
#[error("phrasebook index: {0}")]
pub struct IndexError(#[from] tantivy::TantivyError);

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

pub struct PhraseIndex {
    reader: IndexReader,
    /// Per segment, doc id → `ord`: read once, since the index never changes after build.
    ords: Vec<Vec<u64>>,
    words: Field,
    grams: Field,
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
        let reader: IndexReader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        let mut ords = Vec::new();
        for segment in reader.searcher().segment_readers() {
            let column = segment.fast_fields().u64("ord")?;
            ords.push(
                (0..segment.max_doc())
                    .map(|d| column.first(d).unwrap_or_default())
                    .collect(),
            );
        }
        Ok(Self {
            reader,
            ords,
            words,
            grams,
        })
    }

    /// The `limit` best-matching texts for a query already made canonical and cut into
    /// `words` (as the index's tokenizers cut the texts), best first.
    pub fn search_analyzed(
        &self,
        canonical: &str,
        words: &[String],
        limit: usize,
    ) -> Result<Vec<Hit>, IndexError> {
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for (field, mut terms) in [
            (self.words, words.to_vec()),
            (self.grams, bigrams(canonical)),
        ] {
            terms.sort();
            terms.dedup();
            for t in terms {
                let term = Term::from_field_text(field, &t);
                clauses.push((
                    Occur::Should,
                    Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs)),
                ));
            }
        }
        if clauses.is_empty() {
            return Ok(Vec::new());
        }
        let searcher = self.reader.searcher();
        let top = searcher.search(&BooleanQuery::new(clauses), &TopDocs::with_limit(limit))?;
        Ok(top
            .into_iter()
            .filter_map(|(score, addr)| {
                let ord = *self
                    .ords
                    .get(addr.segment_ord as usize)?
                    .get(addr.doc_id as usize)?;
                Some(Hit { ord, score })
            })
            .collect())
    }
}
