use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::domain::{Channel, EntryId, EscalationReason, IntentId};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IntentKind {
    Smalltalk,
    Handoff,
    Faq,
    GuidedFaq,
    Lookup,
    Troubleshoot,
    Urgent,
    Booking,
    Transaction,
    Fallback,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Escalation {
    None,
    OfferHuman,
    HandOff,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    #[default]
    Normal,
    High,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SlotType {
    AccountNo,
    Phone,
    Name,
    Date,
    TimeOfDay,
    Area,
    District,
    Estate,
    Money,
    Text,
    /// An e-mail address (`name@domain.tld`).
    Email,
    /// A home's address: it names a building and a door.
    Address,
    Choice,
    Image,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Slot {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: SlotType,
    /// A Fluent message id.
    pub prompt: String,
    #[serde(default = "yes")]
    pub required: bool,
    /// Allowed values of a `choice` slot (or of a `district` slot answered by number).
    #[serde(default)]
    pub choices: Vec<String>,
    /// Words residents use for each choice (the word for "work unit" for `company`),
    /// besides its number.
    #[serde(default)]
    pub words: BTreeMap<String, Vec<String>>,
    /// Asked when missing; `false` keeps an optional slot for values the resident offers.
    #[serde(default = "yes")]
    pub ask: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Form {
    #[serde(default)]
    pub confirm: bool,
    /// Send the matched standard reply (the explanation, the advice) before the form.
    #[serde(default)]
    pub intro: bool,
    /// A Fluent id asking whether to start the form at all ("book an inspection?"); without
    /// it the form starts at once.
    #[serde(default)]
    pub offer: Option<String>,
    /// Variants of the transaction, each recognised by a regex on the message (`unbind`).
    #[serde(default)]
    pub modes: BTreeMap<String, String>,
    #[serde(default)]
    pub slots: Vec<Slot>,
}

/// The transaction an intent's form ends in: a small closed set of handlers, chosen by data
/// (`action = "…"` in the intent file) so no code matches on an intent's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    AccountBinding,
    PaymentLookup,
    HallInfo,
    RequestStatus,
    Suspension,
    Resumption,
    Inspection,
    Repair,
    Leak,
    Invoice,
    AreaChange,
}

#[derive(Debug, Clone, Serialize)]
pub struct Intent {
    pub id: IntentId,
    /// Locale → title.
    pub title: BTreeMap<String, String>,
    pub kind: IntentKind,
    pub description: String,
    pub escalation: Escalation,
    pub priority: Priority,
    pub patterns: Vec<String>,
    /// Words of another domain's business that keep this intent from winning unless one of
    /// its own `patterns` matches too: the out-of-scope intent must not refuse a message
    /// that speaks of heating without naming gas, water or power.
    pub not_when: Vec<String>,
    pub form: Option<Form>,
    pub action: Option<Action>,
    /// Why a hand-off intent goes to a person; by default `urgent` for urgent intents and
    /// `curator_marked` for the others.
    pub handoff_reason: Option<EscalationReason>,
    /// Retired by the office: kept for the record, no longer recognised or answered.
    pub retired: bool,
}

impl Intent {
    /// The reason a person takes over when this intent is recognised, if it is handed off.
    pub fn handoff(&self) -> Option<EscalationReason> {
        if self.escalation != Escalation::HandOff {
            return None;
        }
        Some(
            self.handoff_reason
                .unwrap_or(if self.kind == IntentKind::Urgent {
                    EscalationReason::Urgent
                } else {
                    EscalationReason::CuratorMarked
                }),
        )
    }

    /// The title in `locale`, falling back to any title there is.
    pub fn title(&self, locale: &str) -> &str {
        self.title
            .get(locale)
            .or_else(|| self.title.values().next())
            .map_or(self.id.as_str(), String::as_str)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryStatus {
    Draft,
    Review,
    Published,
    Retired,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HotlineScript {
    pub greeting: String,
    pub answer: String,
    pub closing: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Replies {
    pub wechat: String,
    pub counter: String,
    pub hotline: HotlineScript,
}

impl Replies {
    /// The reply for one channel as a single text (the hotline script joined in order).
    pub fn for_channel(&self, channel: Channel) -> String {
        match channel {
            Channel::Wechat => self.wechat.clone(),
            Channel::Counter => self.counter.clone(),
            Channel::Hotline => {
                let h = &self.hotline;
                format!("{}\n{}\n{}", h.greeting, h.answer, h.closing)
            }
        }
    }

    fn map(&self, f: impl Fn(&str) -> String) -> Self {
        Self {
            wechat: f(&self.wechat),
            counter: f(&self.counter),
            hotline: HotlineScript {
                greeting: f(&self.hotline.greeting),
                answer: f(&self.hotline.answer),
                closing: f(&self.hotline.closing),
            },
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    pub id: EntryId,
    pub intent: IntentId,
    pub status: EntryStatus,
    pub version: u32,
    pub question: String,
    pub paraphrases: Vec<String>,
    /// Replies as written, with `{fact}` placeholders.
    pub reply: Replies,
}

impl Entry {
    /// The canonical question first, then every paraphrase.
    pub fn texts(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.question.as_str()).chain(self.paraphrases.iter().map(String::as_str))
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct SynonymSet {
    pub canonical: String,
    pub words: Vec<String>,
}

/// The whole validated catalogue: what the engine indexes and the office publishes.
#[derive(Debug, Clone, Serialize)]
pub struct Catalog {
    pub intents: Vec<Intent>,
    pub entries: Vec<Entry>,
    pub facts: BTreeMap<String, String>,
    /// The facts file says its values are invented samples.
    pub facts_sample: bool,
    pub synonyms: Vec<SynonymSet>,
    /// The word segmenter's user dictionary, in its own text format.
    #[serde(skip)]
    pub userdict: String,
    /// A digest of every source file: equal digests, equal catalogues.
    pub version: String,
}

impl Catalog {
    pub fn intent(&self, id: &IntentId) -> Option<&Intent> {
        self.intents.iter().find(|i| &i.id == id)
    }

    pub fn entry(&self, id: &EntryId) -> Option<&Entry> {
        self.entries.iter().find(|e| &e.id == id)
    }

    /// Entries that are answered with and indexed.
    pub fn published(&self) -> impl Iterator<Item = &Entry> {
        self.entries
            .iter()
            .filter(|e| e.status == EntryStatus::Published)
    }

    /// An entry's replies with every `{fact}` filled in.
    pub fn rendered_reply(&self, entry: &Entry) -> Replies {
        entry.reply.map(|text| render(text, &self.facts))
    }
}

/// Fills `{name}` placeholders from `facts`; an unknown name is left as written (the
/// check refuses such data before it is published).
pub fn render(text: &str, facts: &BTreeMap<String, String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}').map(|close| (close, &after[..close])) {
            Some((close, name)) if facts.contains_key(name) => {
                out.push_str(&facts[name]);
                rest = &after[close + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The `{name}` placeholders a text cites.
pub fn placeholders(text: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                found.push(&after[..close]);
                rest = &after[close + 1..];
            }
            None => break,
        }
    }
    found
}
