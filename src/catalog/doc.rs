//! What the office owns, as one document: the intents' office fields, the entries, the
//! facts, the synonyms and the segmenter's dictionary. A published version is one of these;
//! the forms and actions of transactions stay engineering data in `intents/`.
//!
//! A document becomes a catalogue by being rendered into the same files the seed is made
//! of and read by the same loader, so one set of checks holds for files and versions.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::files::FileSet;
use super::load::{self, collision_key, reply_findings, FieldFinding, Sources};
use super::model::*;
use crate::diag::{Diagnostic, Severity};
use crate::domain::{EntryId, EscalationReason, IntentId};

/// The office's part of an intent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntentText {
    pub id: IntentId,
    pub title: BTreeMap<String, String>,
    pub description: String,
    pub escalation: Escalation,
    #[serde(default)]
    pub handoff_reason: Option<EscalationReason>,
    #[serde(default)]
    pub retired: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryText {
    pub id: EntryId,
    pub intent: IntentId,
    pub status: EntryStatus,
    pub version: u32,
    pub question: String,
    #[serde(default)]
    pub paraphrases: Vec<String>,
    pub reply: Replies,
}

impl EntryText {
    pub fn texts(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.question.as_str()).chain(self.paraphrases.iter().map(String::as_str))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Synonyms {
    pub canonical: String,
    pub words: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfficeDoc {
    pub intents: Vec<IntentText>,
    pub entries: Vec<EntryText>,
    /// The facts the office owns (those the settings own are not here).
    pub facts: BTreeMap<String, String>,
    /// The facts are invented sample values (the demo's).
    #[serde(default)]
    pub facts_sample: bool,
    pub synonyms: Vec<Synonyms>,
    pub userdict: String,
}

/// Files the phrasebook directory holds besides one file of entries per intent.
const FACTS_FILE: &str = "facts.toml";
const SYNONYMS_FILE: &str = "synonyms.toml";
const USERDICT_FILE: &str = "userdict.txt";

impl OfficeDoc {
    /// The office's part of a loaded catalogue; `owned` are the facts the settings render.
    pub fn from_catalog(catalog: &Catalog, owned: &BTreeMap<String, String>) -> Self {
        let mut doc = Self {
            intents: catalog
                .intents
                .iter()
                .map(|i| IntentText {
                    id: i.id.clone(),
                    title: i.title.clone(),
                    description: i.description.clone(),
                    escalation: i.escalation,
                    handoff_reason: i.handoff_reason,
                    retired: i.retired,
                })
                .collect(),
            entries: catalog
                .entries
                .iter()
                .map(|e| EntryText {
                    id: e.id.clone(),
                    intent: e.intent.clone(),
                    status: e.status,
                    version: e.version,
                    question: e.question.clone(),
                    paraphrases: e.paraphrases.clone(),
                    reply: e.reply.clone(),
                })
                .collect(),
            facts: catalog
                .facts
                .iter()
                .filter(|(k, _)| !owned.contains_key(*k))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            facts_sample: catalog.facts_sample,
            synonyms: catalog
                .synonyms
                .iter()
                .map(|s| Synonyms {
                    canonical: s.canonical.clone(),
                    words: s.words.clone(),
                })
                .collect(),
            userdict: catalog.userdict.clone(),
        };
        doc.normalize();
        doc
    }

    /// One order for equal documents: intents by id, entries grouped by intent (as files
    /// hold them) keeping their order within an intent.
    pub fn normalize(&mut self) {
        self.intents.sort_by(|a, b| a.id.cmp(&b.id));
        self.entries.sort_by(|a, b| a.intent.cmp(&b.intent));
    }

    pub fn intent(&self, id: &IntentId) -> Option<&IntentText> {
        self.intents.iter().find(|i| &i.id == id)
    }

    pub fn entry(&self, id: &EntryId) -> Option<&EntryText> {
        self.entries.iter().find(|e| &e.id == id)
    }

    /// Replaces the entry with the same id, or adds it.
    pub fn put_entry(&mut self, entry: EntryText) {
        match self.entries.iter_mut().find(|e| e.id == entry.id) {
            Some(e) => *e = entry,
            None => self.entries.push(entry),
        }
        self.normalize();
    }

    pub fn put_intent(&mut self, intent: IntentText) {
        match self.intents.iter_mut().find(|i| i.id == intent.id) {
            Some(i) => *i = intent,
            None => self.intents.push(intent),
        }
        self.normalize();
    }

    /// Every fact a reply may cite: the office's and those the settings own.
    pub fn all_facts(&self, owned: &BTreeMap<String, String>) -> BTreeMap<String, String> {
        let mut all = self.facts.clone();
        all.extend(owned.iter().map(|(k, v)| (k.clone(), v.clone())));
        all
    }

    /// Entries whose replies cite `{fact}`.
    pub fn citing(&self, fact: &str) -> Vec<&EntryText> {
        self.entries
            .iter()
            .filter(|e| {
                let r = &e.reply;
                [
                    &r.wechat,
                    &r.counter,
                    &r.hotline.greeting,
                    &r.hotline.answer,
                    &r.hotline.closing,
                ]
                .iter()
                .any(|t| placeholders(t).contains(&fact))
            })
            .collect()
    }

    /// The checks of one entry, each at its field, as the editor shows them before the entry
    /// is submitted: its replies, an empty question, texts that collide with another intent.
    pub fn entry_findings(
        &self,
        entry: &EntryText,
        owned: &BTreeMap<String, String>,
    ) -> Vec<FieldFinding> {
        let mut found = Vec::new();
        if entry.question.trim().is_empty() {
            found.push(FieldFinding {
                field: "question",
                severity: Severity::Error,
                message: "empty canonical question".into(),
                code: "empty-question",
                args: Vec::new(),
            });
        }
        if self.intent(&entry.intent).is_none_or(|i| i.retired) {
            found.push(FieldFinding {
                field: "intent",
                severity: Severity::Error,
                message: format!("unknown intent id `{}`", entry.intent),
                code: "unknown-intent",
                args: vec![("intent", entry.intent.to_string())],
            });
        }
        if entry.status != EntryStatus::Retired {
            let mut others: HashMap<String, (&IntentId, &EntryId)> = HashMap::new();
            for e in self
                .entries
                .iter()
                .filter(|e| e.id != entry.id && e.status != EntryStatus::Retired)
            {
                for t in e.texts() {
                    others.entry(collision_key(t)).or_insert((&e.intent, &e.id));
                }
            }
            let mut seen = HashMap::new();
            for (i, text) in entry.texts().enumerate() {
                let field = if i == 0 { "question" } else { "paraphrases" };
                let key = collision_key(text);
                if key.is_empty() {
                    found.push(FieldFinding {
                        field,
                        severity: Severity::Error,
                        message: format!("`{text}` has no letters or digits"),
                        code: "no-letters",
                        args: vec![("text", text.to_owned())],
                    });
                    continue;
                }
                if let Some((intent, id)) = others.get(&key) {
                    if **intent != entry.intent {
                        found.push(FieldFinding {
                            field,
                            severity: Severity::Error,
                            message: format!(
                                "paraphrase `{text}` collides with intent `{intent}` (entry `{id}`)"
                            ),
                            code: "collides",
                            args: vec![
                                ("text", text.to_owned()),
                                ("intent", intent.to_string()),
                                ("entry", id.to_string()),
                            ],
                        });
                    }
                }
                if seen.insert(key, ()).is_some() {
                    found.push(FieldFinding {
                        field,
                        severity: Severity::Warning,
                        message: format!("paraphrase `{text}` is there twice"),
                        code: "repeated",
                        args: vec![("text", text.to_owned())],
                    });
                }
            }
        }
        found.extend(reply_findings(&entry.reply, &self.all_facts(owned)));
        found
    }

    /// The document as the seed's files: the intents' files (engineering data from
    /// `engineering`, the office's fields from here) and the phrasebook's.
    pub fn render(&self, sources: &Sources, engineering: &FileSet) -> FileSet {
        let mut files = FileSet::default();
        for (path, bytes) in engineering.iter() {
            files.insert(path.to_path_buf(), bytes.to_vec());
        }
        for intent in &self.intents {
            let path = sources.intents_dir.join(format!("{}.toml", intent.id));
            let table = engineering
                .get(&path)
                .and_then(|b| std::str::from_utf8(b).ok())
                .and_then(|t| t.parse::<toml::Table>().ok());
            files.insert(path, render_intent(intent, table));
        }
        let mut by_intent: BTreeMap<&IntentId, Vec<&EntryText>> = BTreeMap::new();
        for e in &self.entries {
            by_intent.entry(&e.intent).or_default().push(e);
        }
        for (intent, entries) in by_intent {
            #[derive(Serialize)]
            struct File<'a> {
                entries: Vec<&'a EntryText>,
            }
            let text = toml::to_string(&File { entries }).unwrap_or_default();
            files.insert(sources.phrasebook_dir.join(format!("{intent}.toml")), text);
        }
        #[derive(Serialize)]
        struct Facts<'a> {
            #[serde(skip_serializing_if = "std::ops::Not::not")]
            sample: bool,
            facts: &'a BTreeMap<String, String>,
        }
        let facts = Facts {
            sample: self.facts_sample,
            facts: &self.facts,
        };
        files.insert(
            sources.phrasebook_dir.join(FACTS_FILE),
            toml::to_string(&facts).unwrap_or_default(),
        );
        #[derive(Serialize)]
        struct Sets<'a> {
            sets: &'a [Synonyms],
        }
        files.insert(
            sources.phrasebook_dir.join(SYNONYMS_FILE),
            toml::to_string(&Sets {
                sets: &self.synonyms,
            })
            .unwrap_or_default(),
        );
        files.insert(
            sources.phrasebook_dir.join(USERDICT_FILE),
            self.userdict.clone(),
        );
        files
    }

    /// Loads and checks the document as a catalogue, with `engineering` the intents'
    /// directory as read from disk.
    pub fn compose(
        &self,
        sources: &Sources,
        engineering: &FileSet,
    ) -> (Option<Catalog>, Vec<Diagnostic>) {
        load::load_files(sources, &self.render(sources, engineering))
    }

    /// Writes the document as files under `dir/intents` and `dir/phrasebook`.
    pub fn export(
        &self,
        sources: &Sources,
        engineering: &FileSet,
        dir: &Path,
    ) -> std::io::Result<()> {
        let files = self.render(sources, engineering);
        for (path, bytes) in files.iter() {
            let to = if let Ok(rel) = path.strip_prefix(&sources.intents_dir) {
                dir.join("intents").join(rel)
            } else if let Ok(rel) = path.strip_prefix(&sources.phrasebook_dir) {
                dir.join("phrasebook").join(rel)
            } else {
                continue;
            };
            if let Some(parent) = to.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(to, bytes)?;
        }
        Ok(())
    }

    /// Every difference between two documents, field by field, `self` before `after`.
    pub fn diff(&self, after: &OfficeDoc) -> Vec<Change> {
        let mut out = Vec::new();
        let ids: std::collections::BTreeSet<&IntentId> = self
            .intents
            .iter()
            .chain(&after.intents)
            .map(|i| &i.id)
            .collect();
        for id in ids {
            let subject = Subject::Intent(id.to_string());
            let fields = |i: Option<&IntentText>| -> Vec<(&'static str, String)> {
                i.map(|i| {
                    vec![
                        ("title", format_map(&i.title)),
                        ("description", i.description.clone()),
                        ("escalation", enum_text(&i.escalation)),
                        (
                            "handoff_reason",
                            i.handoff_reason.map(|r| enum_text(&r)).unwrap_or_default(),
                        ),
                        ("retired", i.retired.to_string()),
                    ]
                })
                .unwrap_or_default()
            };
            diff_fields(
                &mut out,
                &subject,
                fields(self.intent(id)),
                fields(after.intent(id)),
            );
        }
        let ids: std::collections::BTreeSet<&EntryId> = self
            .entries
            .iter()
            .chain(&after.entries)
            .map(|e| &e.id)
            .collect();
        for id in ids {
            let subject = Subject::Entry(id.to_string());
            let fields = |e: Option<&EntryText>| -> Vec<(&'static str, String)> {
                e.map(|e| {
                    vec![
                        ("intent", e.intent.to_string()),
                        ("status", enum_text(&e.status)),
                        ("question", e.question.clone()),
                        ("paraphrases", e.paraphrases.join("\n")),
                        ("wechat", e.reply.wechat.clone()),
                        ("counter", e.reply.counter.clone()),
                        ("hotline.greeting", e.reply.hotline.greeting.clone()),
                        ("hotline.answer", e.reply.hotline.answer.clone()),
                        ("hotline.closing", e.reply.hotline.closing.clone()),
                    ]
                })
                .unwrap_or_default()
            };
            diff_fields(
                &mut out,
                &subject,
                fields(self.entry(id)),
                fields(after.entry(id)),
            );
        }
        let names: std::collections::BTreeSet<&String> =
            self.facts.keys().chain(after.facts.keys()).collect();
        for name in names {
            let (a, b) = (self.facts.get(name), after.facts.get(name));
            if a != b {
                out.push(Change {
                    subject: Subject::Fact(name.clone()),
                    field: "value",
                    before: a.cloned(),
                    after: b.cloned(),
                });
            }
        }
        let sets = |d: &OfficeDoc| {
            d.synonyms
                .iter()
                .map(|s| format!("{}: {}", s.canonical, s.words.join(", ")))
                .collect::<Vec<_>>()
                .join("\n")
        };
        let (a, b) = (sets(self), sets(after));
        if a != b {
            out.push(Change {
                subject: Subject::Synonyms,
                field: "sets",
                before: Some(a),
                after: Some(b),
            });
        }
        if self.userdict != after.userdict {
            out.push(Change {
                subject: Subject::Userdict,
                field: "words",
                before: Some(self.userdict.clone()),
                after: Some(after.userdict.clone()),
            });
        }
        out
    }
}

/// What a change is about.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", content = "key", rename_all = "snake_case")]
pub enum Subject {
    Intent(String),
    Entry(String),
    Fact(String),
    Synonyms,
    Userdict,
}

impl std::fmt::Display for Subject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Intent(k) => write!(f, "intent {k}"),
            Self::Entry(k) => write!(f, "entry {k}"),
            Self::Fact(k) => write!(f, "fact {k}"),
            Self::Synonyms => f.write_str("synonyms"),
            Self::Userdict => f.write_str("userdict"),
        }
    }
}

/// One field that differs; `None` where the object does not exist on that side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    pub subject: Subject,
    pub field: &'static str,
    pub before: Option<String>,
    pub after: Option<String>,
}

fn diff_fields(
    out: &mut Vec<Change>,
    subject: &Subject,
    before: Vec<(&'static str, String)>,
    after: Vec<(&'static str, String)>,
) {
    let a: BTreeMap<_, _> = before.into_iter().collect();
    let b: BTreeMap<_, _> = after.into_iter().collect();
    let fields: std::collections::BTreeSet<&&str> = a.keys().chain(b.keys()).collect();
    let order = [
        "intent",
        "status",
        "title",
        "description",
        "escalation",
        "handoff_reason",
        "retired",
        "question",
        "paraphrases",
        "wechat",
        "counter",
        "hotline.greeting",
        "hotline.answer",
        "hotline.closing",
    ];
    let mut fields: Vec<&str> = fields.into_iter().copied().collect();
    fields.sort_by_key(|f| order.iter().position(|o| o == f));
    for field in fields {
        let (x, y) = (a.get(field), b.get(field));
        if x != y {
            out.push(Change {
                subject: subject.clone(),
                field,
                before: x.cloned(),
                after: y.cloned(),
            });
        }
    }
}

fn format_map(m: &BTreeMap<String, String>) -> String {
    m.iter()
        .map(|(k, v)| format!("{k}: {v}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A unit enum's serde name (`hand_off`, `published`).
fn enum_text<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// An intent's file with the office's fields from `intent` and everything else from the
/// engineering file, if there is one; an intent the office added is a plain FAQ.
fn render_intent(intent: &IntentText, engineering: Option<toml::Table>) -> String {
    let mut t = engineering.unwrap_or_else(|| {
        let mut t = toml::Table::new();
        t.insert("id".into(), intent.id.to_string().into());
        t.insert("kind".into(), "faq".into());
        t
    });
    let title: toml::Table = intent
        .title
        .iter()
        .map(|(k, v)| (k.clone(), toml::Value::from(v.clone())))
        .collect();
    t.insert("title".into(), toml::Value::Table(title));
    t.insert("description".into(), intent.description.clone().into());
    t.insert("escalation".into(), enum_text(&intent.escalation).into());
    match intent.handoff_reason {
        Some(r) => {
            t.insert("handoff_reason".into(), enum_text(&r).into());
        }
        None => {
            t.remove("handoff_reason");
        }
    }
    if intent.retired {
        t.insert("retired".into(), true.into());
    } else {
        t.remove("retired");
    }
    toml::to_string(&t).unwrap_or_default()
}

/// The engineering part of the intents' directory: every file there (forms, actions,
/// lexicon, dialogue data).
pub fn engineering_files(sources: &Sources) -> std::io::Result<FileSet> {
    FileSet::read_dirs(&[&sources.intents_dir])
}

/// Where an exported or imported directory keeps its two parts.
pub fn split_dir(dir: &Path) -> (PathBuf, PathBuf) {
    (dir.join("intents"), dir.join("phrasebook"))
}
