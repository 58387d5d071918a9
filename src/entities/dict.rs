//! Word lists compiled into one regex each, so a message is scanned once per list rather
//! than once per word.

use std::collections::HashMap;
use std::ops::Range;

use regex::Regex;

/// Words with a meaning each. Matches are leftmost, and among words starting at the same
/// place the longest wins, so "in three days" beats the "in two days" it contains.
#[derive(Debug, Clone)]
pub(crate) struct Dict<T> {
    re: Option<Regex>,
    values: HashMap<String, T>,
    words: Vec<String>,
}

impl<T: Clone> Dict<T> {
    /// The first value given to a word wins; the lexicon check reports the conflict.
    pub(crate) fn new(
        entries: impl IntoIterator<Item = (String, T)>,
    ) -> Result<Self, regex::Error> {
        let mut values = HashMap::new();
        for (word, value) in entries {
            if !word.is_empty() {
                values.entry(word).or_insert(value);
            }
        }
        let mut words: Vec<String> = values.keys().cloned().collect();
        words.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        let re = if words.is_empty() {
            None
        } else {
            Some(Regex::new(&alternation(&words))?)
        };
        Ok(Self { re, values, words })
    }

    /// Every non-overlapping match, left to right, with its byte range.
    pub(crate) fn find_iter<'a>(
        &'a self,
        text: &'a str,
    ) -> impl Iterator<Item = (Range<usize>, T)> + 'a {
        self.re.iter().flat_map(move |re| {
            re.find_iter(text)
                .filter_map(|m| Some((m.range(), self.values.get(m.as_str())?.clone())))
        })
    }

    pub(crate) fn get(&self, word: &str) -> Option<T> {
        self.values.get(word).cloned()
    }

    /// Longest first, so a regex built from them prefers the longest word.
    pub(crate) fn words(&self) -> &[String] {
        &self.words
    }
}

/// `(?:w1|w2|…)` with the words escaped, in the order given; with no words, a pattern
/// that never matches (an empty group would match everywhere).
pub(crate) fn alternation(words: &[String]) -> String {
    if words.is_empty() {
        return "[a&&b]".to_owned();
    }
    let escaped: Vec<String> = words.iter().map(|w| regex::escape(w)).collect();
    format!("(?:{})", escaped.join("|"))
}

/// Words sorted longest first, for building regexes by hand.
pub(crate) fn longest_first(mut words: Vec<String>) -> Vec<String> {
    words.retain(|w| !w.is_empty());
    words.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    words.dedup();
    words
}
