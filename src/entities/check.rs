//! Checks on the lexicon that its shape cannot express: ranges, a word given two meanings,
//! an estate in an unknown district.

use std::collections::HashMap;
use std::path::Path;

use toml::Spanned;

use super::lexicon::{parse, RawLexicon, Source, Words};
use crate::catalog::{Diagnostic, Diagnostics};
use crate::nlu::text::normalize;

/// Reads and checks the file; an empty list means it loads cleanly.
pub fn check(path: &Path) -> Vec<Diagnostic> {
    let mut diags = Diagnostics::default();
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let src = Source {
                path: path.to_path_buf(),
                text,
            };
            if let Some(raw) = parse(&src, &mut diags) {
                validate(&raw, &src, &mut diags);
            }
        }
        Err(e) => diags.error(path, 0, format!("cannot read: {e}")),
    }
    diags.into_vec()
}

/// Collects word → meaning pairs and reports a word given two meanings.
struct Meanings<'a> {
    src: &'a Source,
    seen: HashMap<String, (String, usize)>,
}

impl<'a> Meanings<'a> {
    fn new(src: &'a Source) -> Self {
        Self {
            src,
            seen: HashMap::new(),
        }
    }

    fn add(&mut self, diags: &mut Diagnostics, words: &Words, meaning: &str) {
        for w in words {
            let line = self.src.line(w);
            let word = normalize(w.get_ref());
            if word.is_empty() {
                diags.error(&self.src.path, line, "empty word");
                continue;
            }
            match self.seen.get(&word) {
                Some((other, first)) if other != meaning => diags.error(
                    &self.src.path,
                    line,
                    format!("`{word}` means {meaning} here but {other} on line {first}"),
                ),
                Some(_) => {}
                None => {
                    self.seen.insert(word, (meaning.to_owned(), line));
                }
            }
        }
    }
}

fn in_range(
    src: &Source,
    diags: &mut Diagnostics,
    v: &Spanned<i64>,
    what: &str,
    range: std::ops::RangeInclusive<i64>,
) {
    if !range.contains(v.get_ref()) {
        let (lo, hi) = (range.start(), range.end());
        let msg = format!("{what} {} is outside {lo}..={hi}", v.get_ref());
        diags.error(&src.path, src.line(v), msg);
    }
}

/// The checks `serde` cannot make: ranges, words with two meanings, references.
pub(crate) fn validate(raw: &RawLexicon, src: &Source, diags: &mut Diagnostics) {
    let mut days = Meanings::new(src);
    for g in raw.day.iter().chain(&raw.week) {
        in_range(src, diags, &g.offset, "offset", -30..=30);
    }
    for g in &raw.day {
        days.add(
            diags,
            &g.words,
            &format!("day offset {}", g.offset.get_ref()),
        );
    }
    for g in &raw.week {
        days.add(
            diags,
            &g.words,
            &format!("week offset {}", g.offset.get_ref()),
        );
    }
    for g in &raw.weekday {
        in_range(src, diags, &g.day, "weekday", 1..=7);
        days.add(diags, &g.words, &format!("weekday {}", g.day.get_ref()));
    }
    let t = &raw.time_of_day;
    let mut tod = Meanings::new(src);
    for (words, what) in [
        (&t.morning, "morning"),
        (&t.noon, "noon"),
        (&t.afternoon, "afternoon"),
        (&t.evening, "evening"),
        (&t.all_day, "all day"),
    ] {
        tod.add(diags, words, what);
    }
    let a = &raw.answers;
    let mut answers = Meanings::new(src);
    for (words, what) in [(&a.yes, "yes"), (&a.no, "no"), (&a.cancel, "cancel")] {
        answers.add(diags, words, what);
    }
    validate_places(raw, src, diags);
    validate_numbers(raw, src, diags);
}

fn validate_places(raw: &RawLexicon, src: &Source, diags: &mut Diagnostics) {
    let mut places = Meanings::new(src);
    for d in &raw.district {
        let name = normalize(d.name.get_ref());
        places.add(diags, &vec![d.name.clone()], &format!("district {name}"));
        places.add(diags, &d.aliases, &format!("district {name}"));
    }
    for e in &raw.estate {
        let name = normalize(e.name.get_ref());
        places.add(diags, &vec![e.name.clone()], &format!("estate {name}"));
        places.add(diags, &e.aliases, &format!("estate {name}"));
        let district = normalize(e.district.get_ref());
        if !raw
            .district
            .iter()
            .any(|d| normalize(d.name.get_ref()) == district)
        {
            let msg = format!("estate `{name}` is in `{district}`, which is not a district");
            diags.error(&src.path, src.line(&e.district), msg);
        }
    }
}

fn validate_numbers(raw: &RawLexicon, src: &Source, diags: &mut Diagnostics) {
    for (word, value) in raw.numerals.get_ref() {
        if word.chars().count() != 1 {
            let msg = format!("numeral `{word}` must be one character");
            diags.error(&src.path, src.line(value), msg);
        }
        in_range(src, diags, value, "numeral", 0..=10);
    }
    if !raw.numerals.get_ref().values().any(|v| *v.get_ref() == 10) {
        let msg = "no numeral is worth 10, so numbers above ten written in words are not read";
        diags.warning(&src.path, src.line(&raw.numerals), msg);
    }
    let mut choices = Meanings::new(src);
    for c in &raw.choice {
        in_range(src, diags, &c.n, "choice", 1..=20);
        choices.add(diags, &c.words, &format!("choice {}", c.n.get_ref()));
        choices.add(diags, &c.bare, &format!("choice {}", c.n.get_ref()));
    }
    let mut ratings = Meanings::new(src);
    for r in &raw.satisfaction {
        in_range(src, diags, &r.score, "satisfaction score", 1..=5);
        ratings.add(
            diags,
            &r.words,
            &format!("satisfaction {}", r.score.get_ref()),
        );
    }
    for (words, what) in [
        (&raw.units.area, "area units"),
        (&raw.units.money, "money units"),
        (&raw.date.day, "day words"),
        (&raw.date.month, "month words"),
    ] {
        if words.is_empty() {
            diags.warning(&src.path, 1, format!("{what}: the list is empty"));
        }
    }
}
