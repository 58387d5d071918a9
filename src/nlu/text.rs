//! From raw text to features: normalisation, synonyms, Chinese word segmentation and
//! character n-grams. Indexing, training and queries all go through one `Analyzer`, so
//! they see text the same way.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use jieba_rs::Jieba;

use crate::catalog::SynonymSet;

pub use crate::domain::normalize;

/// Digits runs this long are account or phone numbers: one feature for all of them.
const LONG_NUMBER: usize = 7;

#[derive(Debug, thiserror::Error)]
pub enum AnalyzerError {
    #[error("synonym sets: {0}")]
    Synonyms(#[from] aho_corasick::BuildError),
    #[error("user dictionary line {line}: {reason}")]
    UserDict { line: usize, reason: String },
}

/// Analyzers in use, by what they were built from. The segmenter's dictionary is about
/// 25 MB in memory: a new engine over the same synonyms and user dictionary (most
/// publications change only entries) shares its predecessor's analyzer rather than holding
/// a second copy, and once no engine uses one it is gone (weak references).
fn in_use() -> &'static std::sync::Mutex<InUse> {
    static IN_USE: std::sync::OnceLock<std::sync::Mutex<InUse>> = std::sync::OnceLock::new();
    IN_USE.get_or_init(Default::default)
}

/// What each analyzer was built from (synonyms and user dictionary), and the analyzer.
type InUse = Vec<(String, std::sync::Weak<Analyzer>)>;

pub struct Analyzer {
    jieba: Jieba,
    synonyms: Option<(AhoCorasick, Vec<String>)>,
}

impl std::fmt::Debug for Analyzer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Analyzer").finish_non_exhaustive()
    }
}

impl Analyzer {
    /// The analyzer for these synonyms and this user dictionary: the one an engine already
    /// uses, or a new one.
    pub fn shared(
        synonyms: &[SynonymSet],
        userdict: &str,
    ) -> Result<std::sync::Arc<Self>, AnalyzerError> {
        let key = format!("{userdict}\u{0}{synonyms:?}");
        let mut in_use = in_use().lock().unwrap_or_else(|e| e.into_inner());
        in_use.retain(|(_, a)| a.strong_count() > 0);
        if let Some(a) = in_use
            .iter()
            .find(|(k, _)| *k == key)
            .and_then(|(_, a)| a.upgrade())
        {
            return Ok(a);
        }
        // Built under the lock: engines built at once over the same words share one.
        let analyzer = std::sync::Arc::new(Self::new(synonyms, userdict)?);
        in_use.push((key, std::sync::Arc::downgrade(&analyzer)));
        Ok(analyzer)
    }

    pub fn new(synonyms: &[SynonymSet], userdict: &str) -> Result<Self, AnalyzerError> {
        let mut jieba = Jieba::new();
        for (n, line) in userdict.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut parts = line.split_whitespace();
            let word = parts.next().unwrap_or_default();
            let freq = match parts.next().map(str::parse::<usize>) {
                Some(Ok(f)) => Some(f),
                Some(Err(_)) => {
                    return Err(AnalyzerError::UserDict {
                        line: n + 1,
                        reason: "frequency is not a number".into(),
                    })
                }
                None => None,
            };
            jieba.add_word(word, freq, parts.next());
        }
        let mut patterns = Vec::new();
        let mut canon = Vec::new();
        for set in synonyms {
            let canonical = normalize(&set.canonical);
            // The canonical form must be a word the segmenter keeps whole.
            if !jieba.has_word(&canonical) {
                jieba.add_word(&canonical, Some(3000), None);
            }
            for w in &set.words {
                patterns.push(normalize(w));
                canon.push(canonical.clone());
            }
        }
        let synonyms = if patterns.is_empty() {
            None
        } else {
            let ac = AhoCorasickBuilder::new()
                .match_kind(MatchKind::LeftmostLongest)
                .build(&patterns)?;
            Some((ac, canon))
        };
        Ok(Self { jieba, synonyms })
    }

    /// Normalised text with every synonym replaced by its canonical word.
    pub fn canonical(&self, text: &str) -> String {
        let text = normalize(text);
        match &self.synonyms {
            Some((ac, canon)) => ac.replace_all(&text, canon),
            None => text,
        }
    }

    /// The words of canonical text; numbers folded into classes, punctuation dropped.
    pub fn words(&self, canonical: &str) -> Vec<String> {
        self.jieba
            .cut(canonical, true)
            .into_iter()
            .filter_map(|t| word_token(t.word))
            .collect()
    }

    /// Sparse features of a text (with repeats, so counts are term frequencies):
    /// words, word bigrams, and character 1- to 3-grams of the letters and digits.
    pub fn features(&self, text: &str) -> Vec<String> {
        let canonical = self.canonical(text);
        let words = self.words(&canonical);
        Self::features_of(&canonical, &words)
    }

    /// `features` of a text already made canonical and cut into `words`: a message is
    /// analysed once for the model, the rules and the index.
    pub fn features_of(canonical: &str, words: &[String]) -> Vec<String> {
        let mut out = Vec::with_capacity(words.len() * 2 + canonical.len());
        for w in words {
            out.push(format!("w:{w}"));
        }
        for pair in words.windows(2) {
            out.push(format!("b:{}|{}", pair[0], pair[1]));
        }
        let chars: Vec<char> = fold_digits(canonical);
        for n in 1..=3 {
            for gram in chars.windows(n) {
                let mut f = String::with_capacity(2 + 4 * n);
                f.push_str("c:");
                f.extend(gram);
                out.push(f);
            }
        }
        out
    }
}

fn word_token(word: &str) -> Option<String> {
    if !word.chars().any(char::is_alphanumeric) {
        return None;
    }
    if word.chars().all(|c| c.is_ascii_digit()) {
        return Some(if word.len() >= LONG_NUMBER {
            "#long_number".into()
        } else {
            "#number".into()
        });
    }
    Some(word.to_owned())
}

/// Letters and digits only, with every digit run shown as one `0` (short) or `#` (long).
fn fold_digits(text: &str) -> Vec<char> {
    let mut out = Vec::with_capacity(text.len());
    let mut run = 0usize;
    let flush = |run: &mut usize, out: &mut Vec<char>| {
        if *run > 0 {
            out.push(if *run >= LONG_NUMBER { '#' } else { '0' });
            *run = 0;
        }
    };
    for c in text.chars() {
        if c.is_ascii_digit() {
            run += 1;
        } else {
            flush(&mut run, &mut out);
            if c.is_alphanumeric() {
                out.push(c);
            }
        }
    }
    flush(&mut run, &mut out);
    out
}

#[cfg(test)]
#[path = "text_tests.rs"]
mod tests;
