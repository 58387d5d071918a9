//! The dialogue's data file, `intents/dialogue.toml`: menu keys and skip words.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::catalog::Catalog;
use crate::domain::{EntryId, IntentId};

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DialogueData {
    /// CLICK event key → intent id.
    #[serde(default)]
    pub menu: BTreeMap<String, String>,
    #[serde(default)]
    pub words: Words,
    /// What an address must name, as regexes: each of `building` and `door` must match.
    #[serde(default)]
    pub address: AddressPatterns,
    /// Which questions an interruption in the resident's scope answers first.
    #[serde(default)]
    pub interruptions: InterruptionWords,
    /// Which questions are triaged before a visit is booked, and the self-check's answers.
    #[serde(default)]
    pub triage: TriageWords,
    /// Which questions of which intent ask what the resident is owed.
    #[serde(default)]
    pub compensation: OwedWords,
    #[serde(skip)]
    address_re: Vec<regex::Regex>,
    #[serde(skip)]
    heat_re: Option<regex::Regex>,
    #[serde(skip)]
    owed_re: Option<regex::Regex>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OwedWords {
    /// The intent whose questions may ask it (the fee intent covers reductions).
    #[serde(default)]
    pub intent: String,
    /// A regex over the normalised message: it asks what is owed.
    #[serde(default)]
    pub asks: String,
    /// The entry whose standard reply states the rules (told with "nothing owed" and to
    /// residents who have not bound an account).
    #[serde(default)]
    pub entry: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InterruptionWords {
    /// Intents whose question an interruption answers first (cold radiators, repairs).
    #[serde(default)]
    pub intents: Vec<String>,
    /// Intents an interruption answers first only when the message is about the heat
    /// (`heat`): a complaint about the heating, not about a clerk.
    #[serde(default)]
    pub about_heat: Vec<String>,
    /// A regex: the message is about the heat.
    #[serde(default)]
    pub heat: String,
    /// Words that ask to be told when heat is back.
    #[serde(default)]
    pub subscribe: Vec<String>,
    /// Words that ask for the repair all the same.
    #[serde(default)]
    pub insist: Vec<String>,
    /// The phrasebook entry (of one of `intents`) whose standard reply follows an
    /// interruption's data: what to do until heat is back. Empty: the data alone.
    #[serde(default)]
    pub meanwhile: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TriageWords {
    /// Intents that book a visit for "not warm": triaged first.
    #[serde(default)]
    pub intents: Vec<String>,
    /// The intent whose standard reply tells how to pay (told with arrears).
    #[serde(default)]
    pub pay_intent: String,
    /// Self-check answers: done, and still cold (book the visit).
    #[serde(default)]
    pub still_cold: Vec<String>,
    /// Self-check answers: warm again.
    #[serde(default)]
    pub warm_now: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddressPatterns {
    #[serde(default)]
    pub building: String,
    #[serde(default)]
    pub door: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Words {
    /// Answers that skip an optional question.
    #[serde(default)]
    pub skip: Vec<String>,
}

impl DialogueData {
    /// Reads the file; a missing file means no menu and no skip words.
    pub fn load(path: &Path) -> Result<Self, String> {
        if !path.exists() {
            return Ok(Self::default());
        }
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut data: Self =
            toml::from_str(&text).map_err(|e| format!("{}: {}", path.display(), e.message()))?;
        for (name, p) in [
            ("building", &data.address.building),
            ("door", &data.address.door),
        ] {
            if p.is_empty() {
                continue;
            }
            let re = regex::Regex::new(p)
                .map_err(|e| format!("{}: address.{name}: {e}", path.display()))?;
            data.address_re.push(re);
        }
        let heat = &data.interruptions.heat;
        if !heat.is_empty() {
            let re = regex::Regex::new(heat)
                .map_err(|e| format!("{}: interruptions.heat: {e}", path.display()))?;
            data.heat_re = Some(re);
        }
        let asks = &data.compensation.asks;
        if !asks.is_empty() {
            let re = regex::Regex::new(asks)
                .map_err(|e| format!("{}: compensation.asks: {e}", path.display()))?;
            data.owed_re = Some(re);
        }
        Ok(data)
    }

    /// An address a technician can find: every address pattern matches (no patterns: any).
    pub fn is_address(&self, text: &str) -> bool {
        let t = crate::domain::normalize(text);
        self.address_re.iter().all(|re| re.is_match(&t))
    }

    /// Every menu key must start a known intent.
    pub fn check(&self, catalog: &Catalog) -> Result<(), String> {
        for (key, intent) in &self.menu {
            let known = IntentId::parse(intent.clone())
                .ok()
                .is_some_and(|id| catalog.intent(&id).is_some());
            if !known {
                return Err(format!("menu key `{key}` names unknown intent `{intent}`"));
            }
        }
        let w = &self.interruptions;
        let t = &self.triage;
        let pay = (!t.pay_intent.is_empty()).then_some(&t.pay_intent);
        let c = &self.compensation;
        let owed = (!c.intent.is_empty()).then_some(&c.intent);
        let named = w.intents.iter().chain(&w.about_heat).chain(&t.intents);
        for intent in named.chain(pay).chain(owed) {
            let known = IntentId::parse(intent.clone())
                .ok()
                .is_some_and(|id| catalog.intent(&id).is_some());
            if !known {
                return Err(format!(
                    "interruptions, triage or compensation name unknown intent `{intent}`"
                ));
            }
        }
        if !c.entry.is_empty() {
            let found = EntryId::parse(c.entry.clone())
                .ok()
                .and_then(|e| catalog.entry(&e).map(|e| e.intent.as_str() == c.intent));
            if found != Some(true) {
                return Err(format!(
                    "compensation.entry `{}` is no entry of `{}`",
                    c.entry, c.intent
                ));
            }
        }
        if !w.meanwhile.is_empty() {
            let entry = EntryId::parse(w.meanwhile.clone())
                .ok()
                .and_then(|id| catalog.entry(&id))
                .ok_or_else(|| {
                    format!(
                        "interruptions.meanwhile names unknown phrasebook entry `{}`",
                        w.meanwhile
                    )
                })?;
            if !w.intents.iter().any(|i| i == entry.intent.as_str()) {
                return Err(format!(
                    "interruptions.meanwhile: entry `{}` belongs to intent `{}`, not to one of interruptions.intents",
                    w.meanwhile, entry.intent
                ));
            }
        }
        Ok(())
    }

    /// The phrasebook entry told after an interruption's data (`[interruptions] meanwhile`).
    pub fn meanwhile(&self) -> Option<EntryId> {
        EntryId::parse(self.interruptions.meanwhile.clone()).ok()
    }

    /// Whether an interruption covering the resident answers this question first.
    pub fn interruption_first(&self, intent: &IntentId, text: &str) -> bool {
        let w = &self.interruptions;
        let named = |list: &[String]| list.iter().any(|i| i == intent.as_str());
        named(&w.intents)
            || (named(&w.about_heat)
                && self
                    .heat_re
                    .as_ref()
                    .is_some_and(|re| re.is_match(&crate::domain::normalize(text))))
    }

    /// The message, understood as `intent`, asks what the resident is owed.
    pub fn asks_owed(&self, intent: &IntentId, text: &str) -> bool {
        self.compensation.intent == intent.as_str()
            && self
                .owed_re
                .as_ref()
                .is_some_and(|re| re.is_match(&crate::domain::normalize(text)))
    }

    /// The message asks to be told when heat is back.
    pub fn asks_to_be_told(&self, text: &str) -> bool {
        contains_any(text, &self.interruptions.subscribe)
    }

    /// The message asks for the repair although an interruption was told.
    pub fn insists(&self, text: &str) -> bool {
        contains_any(text, &self.interruptions.insist)
    }

    /// Whether a visit for this question is triaged first.
    pub fn triaged(&self, intent: &IntentId) -> bool {
        self.triage.intents.iter().any(|i| i == intent.as_str())
    }

    /// A self-check answer: done, still cold. Checked before `warm_now`, which it may
    /// contain (the words for "still not warm" hold the word for "warm").
    pub fn still_cold(&self, text: &str) -> bool {
        contains_any(text, &self.triage.still_cold)
    }

    pub fn warm_now(&self, text: &str) -> bool {
        contains_any(text, &self.triage.warm_now)
    }

    pub fn menu_intent(&self, key: &str) -> Option<IntentId> {
        self.menu
            .get(key.trim())
            .and_then(|i| IntentId::parse(i.clone()).ok())
    }

    /// The whole message is a skip word (after trimming punctuation).
    pub fn is_skip(&self, text: &str) -> bool {
        let t = text
            .trim()
            .trim_matches(|c: char| c.is_ascii_punctuation() || !c.is_alphanumeric())
            .to_lowercase();
        !t.is_empty() && self.words.skip.iter().any(|w| w.to_lowercase() == t)
    }
}

fn contains_any(text: &str, words: &[String]) -> bool {
    let t = crate::domain::normalize(text);
    words
        .iter()
        .any(|w| !w.is_empty() && t.contains(&crate::domain::normalize(w)))
}
