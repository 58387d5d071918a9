//! The lexicon compiled for matching: every regex is built once, at load.

use std::collections::HashMap;
use std::path::Path;

use regex::Regex;

use super::check::validate;
use super::dict::{alternation, longest_first, Dict};
use super::lexicon::{norm, parse, RawLexicon, Source, Words};
use super::TimeOfDay;
use crate::catalog::{Diagnostic, Diagnostics, Severity};

#[derive(Debug, thiserror::Error)]
pub enum LexiconError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("the lexicon has errors:\n{}", list(.0))]
    Invalid(Vec<Diagnostic>),
    #[error("building a matcher: {0}")]
    Regex(#[from] regex::Error),
}

fn list(diags: &[Diagnostic]) -> String {
    diags
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

/// Where a weekday word points: a week relative to this one, or (none) the next occurrence.
pub(crate) type WeekdayRef = (Option<i64>, u32);

/// The entity dictionaries, ready to read messages with. Cheap to share behind an `Arc`.
#[derive(Debug, Clone)]
pub struct Lexicon {
    pub(crate) days: Dict<i64>,
    pub(crate) weekdays: Dict<WeekdayRef>,
    pub(crate) time_of_day: Dict<TimeOfDay>,
    pub(crate) yes: Regex,
    pub(crate) no: Regex,
    pub(crate) cancel: Dict<()>,
    pub(crate) negative: Dict<()>,
    pub(crate) correction_cues: Dict<()>,
    pub(crate) negators: Vec<String>,
    pub(crate) absent: Vec<String>,
    pub(crate) name: Regex,
    pub(crate) name_stops: Dict<()>,
    pub(crate) account_cues: Vec<String>,
    pub(crate) last4: Regex,
    pub(crate) full_date: Regex,
    pub(crate) numeric_date: Regex,
    pub(crate) day_only: Regex,
    pub(crate) day_exclusions: Vec<String>,
    pub(crate) districts: Dict<String>,
    pub(crate) estates: Dict<usize>,
    pub(crate) estate_names: Vec<(String, String)>,
    pub(crate) area: Regex,
    pub(crate) money: Regex,
    pub(crate) landline: Regex,
    pub(crate) digits: Regex,
    pub(crate) numerals: HashMap<char, u32>,
    pub(crate) choices: Dict<usize>,
    pub(crate) bare_choices: Dict<usize>,
    pub(crate) satisfaction: Dict<usize>,
}

impl Lexicon {
    /// Reads, checks and compiles the file. Warnings do not stop loading; `check` shows them.
    pub fn load(path: &Path) -> Result<Lexicon, LexiconError> {
        let text = std::fs::read_to_string(path).map_err(|source| LexiconError::Io {
            path: path.display().to_string(),
            source,
        })?;
        let src = Source {
            path: path.to_path_buf(),
            text,
        };
        let mut diags = Diagnostics::default();
        let raw = parse(&src, &mut diags);
        if let Some(raw) = &raw {
            validate(raw, &src, &mut diags);
        }
        match raw {
            Some(raw) if !diags.has_errors() => compile(&raw),
            _ => Err(LexiconError::Invalid(
                diags
                    .into_vec()
                    .into_iter()
                    .filter(|d| d.severity == Severity::Error)
                    .collect(),
            )),
        }
    }

    /// The district a known estate is in, for filling one slot from the other.
    pub fn district_of_estate(&self, estate: &str) -> Option<&str> {
        self.estate_names
            .iter()
            .find(|(name, _)| name == estate)
            .map(|(_, district)| district.as_str())
    }
}

fn words_of<T: Clone>(words: &Words, value: T) -> impl Iterator<Item = (String, T)> {
    norm(words).into_iter().map(move |w| (w, value.clone()))
}

/// `(?:fillers)*(?:answer)(?:answer|fillers)*` over a whole clause, so "hao de" (fine) is a yes
/// but "hao xiang" (seems) is not.
fn clause(answers: &Words, fillers: &Words) -> Result<Regex, regex::Error> {
    let a = alternation(&longest_first(norm(answers)));
    let f = alternation(&longest_first(norm(fillers)));
    re(&format!("^{f}*{a}(?:{a}|{f})*$"))
}

/// A modifier and a weekday may overlap: "xia zhou" + "zhou yi" is said "xia zhou yi".
fn join_overlapping(modifier: &str, weekday: &str) -> String {
    let overlap = (1..=weekday.len())
        .rev()
        .filter(|&k| weekday.is_char_boundary(k))
        .find(|&k| modifier.ends_with(&weekday[..k]))
        .unwrap_or(0);
    format!("{modifier}{}", &weekday[overlap..])
}

fn weekdays(raw: &RawLexicon) -> Result<Dict<WeekdayRef>, regex::Error> {
    let mut entries = Vec::new();
    for wd in &raw.weekday {
        let day = u32::try_from(*wd.day.get_ref()).unwrap_or(0);
        entries.extend(words_of(&wd.words, (None, day)));
        for week in &raw.week {
            for m in norm(&week.words) {
                for w in norm(&wd.words) {
                    let r = (Some(*week.offset.get_ref()), day);
                    entries.push((join_overlapping(&m, &w), r));
                }
            }
        }
    }
    Dict::new(entries)
}

fn time_of_day(raw: &RawLexicon) -> Result<Dict<TimeOfDay>, regex::Error> {
    let t = &raw.time_of_day;
    Dict::new(
        words_of(&t.morning, TimeOfDay::Morning)
            .chain(words_of(&t.noon, TimeOfDay::Noon))
            .chain(words_of(&t.afternoon, TimeOfDay::Afternoon))
            .chain(words_of(&t.evening, TimeOfDay::Evening))
            .chain(words_of(&t.all_day, TimeOfDay::AllDay)),
    )
}

/// ASCII digits only: `\d` would also take digits of other scripts that `parse` rejects.
fn re(pattern: &str) -> Result<Regex, regex::Error> {
    Regex::new(&pattern.replace(r"\d", "[0-9]"))
}

fn set(words: &Words) -> Result<Dict<()>, regex::Error> {
    Dict::new(words_of(words, ()))
}

fn alt(words: &Words) -> String {
    alternation(&longest_first(norm(words)))
}

pub(crate) fn compile(raw: &RawLexicon) -> Result<Lexicon, LexiconError> {
    let days = Dict::new(
        raw.day
            .iter()
            .flat_map(|g| words_of(&g.words, *g.offset.get_ref())),
    )?;
    let time_of_day = time_of_day(raw)?;
    let weekdays = weekdays(raw)?;
    let mut stops: Vec<(String, ())> = words_of(&raw.name.stops, ()).collect();
    stops.extend(days.words().iter().map(|w| (w.clone(), ())));
    stops.extend(weekdays.words().iter().map(|w| (w.clone(), ())));
    stops.extend(time_of_day.words().iter().map(|w| (w.clone(), ())));
    let numerals: HashMap<char, u32> = raw
        .numerals
        .get_ref()
        .iter()
        .filter_map(|(w, v)| Some((w.chars().next()?, u32::try_from(*v.get_ref()).ok()?)))
        .collect();
    let num_chars: String = numerals
        .keys()
        .map(|c| regex::escape(&c.to_string()))
        .collect();
    let num = if num_chars.is_empty() {
        r"\d{1,2}".to_owned()
    } else {
        format!(r"(?:\d{{1,2}}|[{num_chars}]{{1,3}})")
    };
    let d = &raw.date;
    let (year, month, day) = (alt(&d.year), alt(&d.month), alt(&d.day));
    let mut districts = Vec::new();
    for dist in &raw.district {
        let name = crate::nlu::text::normalize(dist.name.get_ref());
        districts.push((name.clone(), name.clone()));
        districts.extend(words_of(&dist.aliases, name));
    }
    let mut estates = Vec::new();
    let mut estate_names = Vec::new();
    for (i, e) in raw.estate.iter().enumerate() {
        let name = crate::nlu::text::normalize(e.name.get_ref());
        estates.push((name.clone(), i));
        estates.extend(words_of(&e.aliases, i));
        estate_names.push((name, crate::nlu::text::normalize(e.district.get_ref())));
    }
    let choice = |bare: bool| {
        Dict::new(raw.choice.iter().flat_map(move |c| {
            let n = usize::try_from(*c.n.get_ref()).unwrap_or(0);
            words_of(if bare { &c.bare } else { &c.words }, n)
        }))
    };
    Ok(Lexicon {
        yes: clause(&raw.answers.yes, &raw.answers.fillers)?,
        no: clause(&raw.answers.no, &raw.answers.fillers)?,
        cancel: set(&raw.answers.cancel)?,
        negative: set(&raw.answers.negative)?,
        correction_cues: set(&raw.correction.cues)?,
        negators: longest_first(norm(&raw.correction.negators)),
        absent: longest_first(norm(&raw.correction.absent)),
        name: re(&format!(
            r"(?:{}\s*:?\s*)+(\p{{Han}}{{2,4}})",
            alt(&raw.name.cues)
        ))?,
        name_stops: Dict::new(stops)?,
        account_cues: longest_first(norm(&raw.account.cues)),
        last4: re(&format!(r"{}\s*:?\s*(\d{{4}})", alt(&raw.phone.last4_cues)))?,
        full_date: re(&format!(
            r"(?:(\d{{4}})\s*{year}\s*)?({num})\s*{month}\s*({num})\s*{day}?"
        ))?,
        numeric_date: re(r"(?:(\d{4})[-/.])?(\d{1,2})[-/](\d{2})|(\d{4})\.(\d{1,2})\.(\d{1,2})")?,
        day_only: re(&format!(r"({num})\s*{day}"))?,
        day_exclusions: longest_first(norm(&d.day_exclusions)),
        districts: Dict::new(districts)?,
        estates: Dict::new(estates)?,
        estate_names,
        area: re(&format!(r"(\d+(?:\.\d+)?)\s*{}", alt(&raw.units.area)))?,
        money: re(&format!(
            r"(\d+(?:\.\d{{1,2}})?)\s*{}",
            alt(&raw.units.money)
        ))?,
        landline: re(r"0\d{2,3}[- ]\d{7,8}")?,
        digits: re(r"\d+")?,
        numerals,
        choices: choice(false)?,
        bare_choices: choice(true)?,
        satisfaction: Dict::new(
            raw.satisfaction
                .iter()
                .flat_map(|r| words_of(&r.words, usize::try_from(*r.score.get_ref()).unwrap_or(0))),
        )?,
        days,
        time_of_day,
        weekdays,
    })
}
