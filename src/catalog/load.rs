//! Reading the data files, with every problem reported as `file:line: message`.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use sha2::{Digest, Sha256};
use toml::Spanned;

use super::files::FileSet;
use super::model::*;
use crate::diag::{line_of, Diagnostic, Diagnostics, Severity};
use crate::domain::{EntryId, EscalationReason, IntentId, CONTRACT_INTENTS};
use crate::i18n;

/// Where the catalogue's files are, and the facts the settings own.
#[derive(Debug, Clone)]
pub struct Sources {
    pub intents_dir: PathBuf,
    pub phrasebook_dir: PathBuf,
    pub locales_dir: PathBuf,
    /// Facts rendered from the settings (deadlines, fees, desk hours): one source for each
    /// number. `facts.toml` must not define them too.
    pub owned_facts: BTreeMap<String, String>,
}

/// The entity dictionaries' file in the intents directory.
pub const LEXICON_FILE: &str = "lexicon.toml";

/// The dialogue's own data (menu keys, skip words) in the intents directory.
pub const DIALOGUE_FILE: &str = "dialogue.toml";

/// Longest `wechat` reply, in characters, that still reads well in a chat bubble.
pub const WECHAT_MAX_CHARS: usize = 600;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIntent {
    id: Spanned<String>,
    title: BTreeMap<String, String>,
    kind: IntentKind,
    description: String,
    escalation: Escalation,
    #[serde(default)]
    priority: Priority,
    #[serde(default)]
    patterns: Vec<Spanned<String>>,
    #[serde(default)]
    not_when: Vec<Spanned<String>>,
    form: Option<Form>,
    #[serde(default)]
    action: Option<Action>,
    #[serde(default)]
    handoff_reason: Option<EscalationReason>,
    #[serde(default)]
    retired: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntryFile {
    #[serde(default)]
    entries: Vec<RawEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    id: Spanned<String>,
    intent: Spanned<String>,
    status: EntryStatus,
    version: u32,
    question: Spanned<String>,
    #[serde(default)]
    paraphrases: Vec<Spanned<String>>,
    reply: Spanned<Replies>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFacts {
    #[serde(default)]
    sample: bool,
    facts: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSynonyms {
    #[serde(default)]
    sets: Vec<Spanned<RawSynonymSet>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSynonymSet {
    canonical: String,
    words: Vec<String>,
}

/// A source file kept in memory with its path, for line numbers.
struct Source {
    path: PathBuf,
    text: String,
    /// Where each line after the first starts: a big file has thousands of findings' lines
    /// to look up, and scanning from the top for each was quadratic.
    newlines: Vec<usize>,
}

impl Source {
    fn new(path: PathBuf, text: String) -> Self {
        let newlines = text
            .bytes()
            .enumerate()
            .filter(|(_, b)| *b == b'\n')
            .map(|(i, _)| i)
            .collect();
        Self {
            path,
            text,
            newlines,
        }
    }

    /// The 1-based line of a byte offset (as `diag::line_of`).
    fn line(&self, offset: usize) -> usize {
        let end = offset.min(self.text.len());
        self.newlines.partition_point(|&n| n < end) + 1
    }
}

struct Loader<'f> {
    files: &'f FileSet,
    diags: Diagnostics,
    hasher: Sha256,
}

impl Loader<'_> {
    fn read(&mut self, path: &Path) -> Option<Source> {
        match self.files.get(path).map(<[u8]>::to_vec) {
            Some(bytes) => {
                self.hasher.update(
                    path.file_name()
                        .map(|n| n.as_encoded_bytes())
                        .unwrap_or_default(),
                );
                self.hasher.update(&bytes);
                match String::from_utf8(bytes) {
                    Ok(text) => Some(Source::new(path.to_path_buf(), text)),
                    Err(e) => {
                        let line = line_of(
                            &String::from_utf8_lossy(e.as_bytes()),
                            e.utf8_error().valid_up_to(),
                        );
                        self.diags.error(path, line, "file is not valid UTF-8");
                        None
                    }
                }
            }
            None => {
                self.diags.error(path, 0, "cannot read: no such file");
                None
            }
        }
    }

    fn parse<T: for<'de> Deserialize<'de>>(&mut self, src: &Source) -> Option<T> {
        toml::from_str(&src.text)
            .map_err(|e| {
                let line = e.span().map_or(1, |s| src.line(s.start));
                self.diags
                    .error(&src.path, line, e.message().trim().to_owned());
            })
            .ok()
    }

    fn files(&mut self, dir: &Path, ext: &str) -> Vec<PathBuf> {
        if !self.files.has_dir(dir) {
            self.diags
                .error(dir, 0, "cannot list directory: no files there");
        }
        self.files.list(dir, ext)
    }

    fn exists(&self, path: &Path) -> bool {
        self.files.contains(path)
    }
}

/// Reads and validates every data file. Returns the catalogue when there is no error, and
/// every finding (errors and warnings) either way.
pub fn load(sources: &Sources) -> (Option<Catalog>, Vec<Diagnostic>) {
    match FileSet::read_dirs(&[&sources.intents_dir, &sources.phrasebook_dir]) {
        Ok(files) => load_files(sources, &files),
        Err(e) => {
            let mut diags = Diagnostics::default();
            diags.error(&sources.phrasebook_dir, 0, format!("cannot read: {e}"));
            (None, diags.into_vec())
        }
    }
}

/// As [`load`], with the intents' and phrasebook's files taken from `files` (at their paths
/// under `sources`' directories) instead of the disk.
pub fn load_files(sources: &Sources, files: &FileSet) -> (Option<Catalog>, Vec<Diagnostic>) {
    let mut l = Loader {
        files,
        diags: Diagnostics::default(),
        hasher: Sha256::new(),
    };
    let intents = load_intents(&mut l, &sources.intents_dir);
    let (mut facts, facts_sample) = load_facts(&mut l, &sources.phrasebook_dir);
    add_owned_facts(
        &mut l,
        &sources.phrasebook_dir,
        &mut facts,
        &sources.owned_facts,
    );
    let entries = load_entries(&mut l, &sources.phrasebook_dir, &intents, &facts);
    let synonyms = load_synonyms(&mut l, &sources.phrasebook_dir);
    let userdict_path = sources.phrasebook_dir.join("userdict.txt");
    let userdict = if l.exists(&userdict_path) {
        l.read(&userdict_path).map(|s| s.text).unwrap_or_default()
    } else {
        String::new()
    };
    check_menu(&mut l, &sources.intents_dir, &intents);
    let locales_ok = check_locales(&mut l, &sources.locales_dir, &intents);
    let version = hex::encode(&l.hasher.finalize_reset()[..8]);
    let catalog = (!l.diags.has_errors() && locales_ok).then(|| Catalog {
        intents: intents.into_iter().map(|(i, _)| i).collect(),
        entries,
        facts,
        facts_sample,
        synonyms,
        userdict,
        version,
    });
    (catalog, l.diags.into_vec())
}

fn load_intents(l: &mut Loader, dir: &Path) -> Vec<(Intent, PathBuf)> {
    let mut intents: Vec<(Intent, PathBuf)> = Vec::new();
    // lexicon.toml and dialogue.toml sit beside the intents but hold other data.
    let files = l
        .files(dir, "toml")
        .into_iter()
        .filter(|p| !p.ends_with(LEXICON_FILE) && !p.ends_with(DIALOGUE_FILE));
    for path in files.collect::<Vec<_>>() {
        let Some(src) = l.read(&path) else { continue };
        let Some(raw) = l.parse::<RawIntent>(&src) else {
            continue;
        };
        let id_line = src.line(raw.id.span().start);
        let id = match IntentId::parse(raw.id.get_ref().clone()) {
            Ok(id) => id,
            Err(e) => {
                l.diags.error(&path, id_line, e.to_string());
                continue;
            }
        };
        if path.file_stem().and_then(|s| s.to_str()) != Some(id.as_str()) {
            l.diags.error(
                &path,
                id_line,
                format!("intent `{id}` must be in a file named {id}.toml"),
            );
        }
        if let Some((_, other)) = intents.iter().find(|(i, _)| i.id == id) {
            l.diags.error(
                &path,
                id_line,
                format!("duplicate intent id `{id}` (also in {})", other.display()),
            );
            continue;
        }
        for p in raw.patterns.iter().chain(&raw.not_when) {
            if let Err(e) = regex::Regex::new(p.get_ref()) {
                let msg = format!(
                    "pattern does not compile: {}",
                    e.to_string().replace('\n', " ")
                );
                l.diags.error(&path, src.line(p.span().start), msg);
            }
        }
        for (mode, re) in raw.form.iter().flat_map(|f| &f.modes) {
            if let Err(e) = regex::Regex::new(re) {
                let msg = format!("mode `{mode}` does not compile: {e}").replace('\n', " ");
                l.diags.error(&path, id_line, msg);
            }
        }
        if raw.title.is_empty() {
            l.diags.error(&path, id_line, "intent has no title");
        }
        intents.push((
            Intent {
                id,
                title: raw.title,
                kind: raw.kind,
                description: raw.description,
                escalation: raw.escalation,
                priority: raw.priority,
                patterns: raw.patterns.into_iter().map(Spanned::into_inner).collect(),
                not_when: raw.not_when.into_iter().map(Spanned::into_inner).collect(),
                form: raw.form,
                action: raw.action,
                handoff_reason: raw.handoff_reason,
                retired: raw.retired,
            },
            path,
        ));
    }
    for required in CONTRACT_INTENTS {
        if let Some((i, path)) = intents
            .iter()
            .find(|(i, _)| i.id.as_str() == required && i.retired)
        {
            l.diags.error(
                path,
                1,
                format!(
                    "intent `{}` is part of the contract and cannot be retired",
                    i.id
                ),
            );
        }
        if !intents.iter().any(|(i, _)| i.id.as_str() == required) {
            l.diags
                .error(dir, 0, format!("required intent `{required}` is missing"));
        }
    }
    intents
}

#[derive(Deserialize)]
struct RawDialogue {
    #[serde(default)]
    menu: BTreeMap<String, Spanned<String>>,
}

/// Every menu key in dialogue.toml must start a known intent (the rest of the file is the
/// dialogue's own business).
fn check_menu(l: &mut Loader, dir: &Path, intents: &[(Intent, PathBuf)]) {
    let path = dir.join(DIALOGUE_FILE);
    if !l.exists(&path) {
        return;
    }
    let Some(src) = l.read(&path) else { return };
    let Some(raw) = l.parse::<RawDialogue>(&src) else {
        return;
    };
    for (key, intent) in raw.menu {
        if !intents
            .iter()
            .any(|(i, _)| i.id.as_str() == intent.get_ref())
        {
            let line = src.line(intent.span().start);
            let msg = format!(
                "menu key `{key}` names unknown intent `{}`",
                intent.get_ref()
            );
            l.diags.error(&path, line, msg);
        }
    }
}

fn load_facts(l: &mut Loader, dir: &Path) -> (BTreeMap<String, String>, bool) {
    let path = dir.join("facts.toml");
    if !l.exists(&path) {
        return (BTreeMap::new(), false);
    }
    l.read(&path)
        .and_then(|src| l.parse::<RawFacts>(&src))
        .map(|f| (f.facts, f.sample))
        .unwrap_or_default()
}

/// The settings' facts join the file's; one defined in both is an error at the file's line,
/// since its number would then have two sources.
fn add_owned_facts(
    l: &mut Loader,
    dir: &Path,
    facts: &mut BTreeMap<String, String>,
    owned: &BTreeMap<String, String>,
) {
    let path = dir.join("facts.toml");
    let text = l
        .files
        .get(&path)
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .unwrap_or_default();
    for (name, value) in owned {
        if facts.contains_key(name) {
            let line = text
                .lines()
                .position(|l| {
                    l.trim_start().starts_with(&format!("{name} "))
                        || l.trim_start().starts_with(&format!("{name}="))
                })
                .map_or(1, |i| i + 1);
            l.diags.error(
                &path,
                line,
                format!("`{name}` is rendered from the settings; remove it from this file"),
            );
        }
        // The settings change what residents read, so they are part of the version.
        l.hasher.update(name.as_bytes());
        l.hasher.update(value.as_bytes());
        facts.insert(name.clone(), value.clone());
    }
}

fn load_synonyms(l: &mut Loader, dir: &Path) -> Vec<SynonymSet> {
    let path = dir.join("synonyms.toml");
    if !l.exists(&path) {
        return Vec::new();
    }
    let Some(src) = l.read(&path) else {
        return Vec::new();
    };
    let Some(raw) = l.parse::<RawSynonyms>(&src) else {
        return Vec::new();
    };
    let mut owner: HashMap<String, String> = HashMap::new();
    let mut sets = Vec::new();
    for set in raw.sets {
        let line = src.line(set.span().start);
        let set = set.into_inner();
        for word in std::iter::once(&set.canonical).chain(&set.words) {
            if word.trim().is_empty() {
                l.diags.error(&path, line, "empty word in a synonym set");
            } else if let Some(other) = owner.insert(word.clone(), set.canonical.clone()) {
                if other != set.canonical || word != &set.canonical {
                    l.diags.error(
                        &path,
                        line,
                        format!(
                            "`{word}` is in two synonym sets (`{other}` and `{}`)",
                            set.canonical
                        ),
                    );
                }
            }
        }
        sets.push(SynonymSet {
            canonical: set.canonical,
            words: set.words,
        });
    }
    sets
}

/// Text as compared for collisions: case, width, spaces and punctuation do not matter.
pub fn collision_key(text: &str) -> String {
    crate::domain::normalize(text)
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect()
}

struct EntryCheck<'a> {
    intents: &'a [(Intent, PathBuf)],
    facts: &'a BTreeMap<String, String>,
    ids: HashMap<String, PathBuf>,
    texts: HashMap<String, (String, PathBuf, usize)>,
}

fn load_entries(
    l: &mut Loader,
    dir: &Path,
    intents: &[(Intent, PathBuf)],
    facts: &BTreeMap<String, String>,
) -> Vec<Entry> {
    let mut check = EntryCheck {
        intents,
        facts,
        ids: HashMap::new(),
        texts: HashMap::new(),
    };
    let mut entries = Vec::new();
    for path in l.files(dir, "toml") {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if name == "facts.toml" || name == "synonyms.toml" {
            continue;
        }
        let Some(src) = l.read(&path) else { continue };
        let Some(raw) = l.parse::<RawEntryFile>(&src) else {
            continue;
        };
        for raw_entry in raw.entries {
            if let Some(entry) = check_entry(l, &mut check, &src, raw_entry) {
                entries.push(entry);
            }
        }
    }
    for (intent, ipath) in intents.iter().filter(|(i, _)| !i.retired) {
        let published = entries
            .iter()
            .any(|e| e.intent == intent.id && e.status == EntryStatus::Published);
        if !published {
            l.diags.error(
                ipath,
                1,
                format!("intent `{}` has no published phrasebook entry", intent.id),
            );
        }
    }
    entries
}

fn check_entry(
    l: &mut Loader,
    c: &mut EntryCheck<'_>,
    src: &Source,
    raw: RawEntry,
) -> Option<Entry> {
    let path = &src.path;
    let line = src.line(raw.id.span().start);
    let id = EntryId::parse(raw.id.get_ref().clone())
        .map_err(|e| l.diags.error(path, line, e.to_string()))
        .ok()?;
    if let Some(other) = c.ids.insert(id.to_string(), path.clone()) {
        l.diags.error(
            path,
            line,
            format!("duplicate entry id `{id}` (also in {})", other.display()),
        );
    }
    let intent_line = src.line(raw.intent.span().start);
    let intent = match c
        .intents
        .iter()
        .find(|(i, _)| i.id.as_str() == raw.intent.get_ref())
    {
        Some((i, _)) => i.id.clone(),
        None => {
            l.diags.error(
                path,
                intent_line,
                format!("unknown intent id `{}`", raw.intent.get_ref()),
            );
            return None;
        }
    };
    if raw.question.get_ref().trim().is_empty() {
        l.diags.error(
            path,
            src.line(raw.question.span().start),
            "empty canonical question",
        );
    }
    if raw.status == EntryStatus::Published && raw.paraphrases.is_empty() {
        l.diags
            .warning(path, line, format!("entry `{id}` has no paraphrases"));
    }
    let texts = std::iter::once(&raw.question).chain(&raw.paraphrases);
    for text in texts.filter(|_| raw.status != EntryStatus::Retired) {
        let tline = src.line(text.span().start);
        let key = collision_key(text.get_ref());
        if key.is_empty() {
            l.diags
                .error(path, tline, "paraphrase has no letters or digits");
            continue;
        }
        match c.texts.get(&key) {
            Some((other, opath, oline)) if other != intent.as_str() => l.diags.error(
                path,
                tline,
                format!(
                    "paraphrase `{}` collides with intent `{other}` ({}:{oline})",
                    text.get_ref(),
                    opath.display()
                ),
            ),
            Some((_, opath, oline)) => l.diags.warning(
                path,
                tline,
                format!(
                    "paraphrase `{}` repeats {}:{oline}",
                    text.get_ref(),
                    opath.display()
                ),
            ),
            None => {
                c.texts
                    .insert(key, (intent.to_string(), path.clone(), tline));
            }
        }
    }
    check_replies(l, c, src, &raw.reply);
    Some(Entry {
        id,
        intent,
        status: raw.status,
        version: raw.version,
        question: raw.question.into_inner(),
        paraphrases: raw
            .paraphrases
            .into_iter()
            .map(Spanned::into_inner)
            .collect(),
        reply: raw.reply.into_inner(),
    })
}

fn check_replies(l: &mut Loader, c: &EntryCheck<'_>, src: &Source, reply: &Spanned<Replies>) {
    let line = src.line(reply.span().start);
    for f in reply_findings(reply.get_ref(), c.facts) {
        match f.severity {
            Severity::Error => l.diags.error(&src.path, line, f.message),
            Severity::Warning => l.diags.warning(&src.path, line, f.message),
        }
    }
}

/// What is wrong with one field of an entry, for the office's editor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldFinding {
    /// `question`, `paraphrases`, `wechat`, `counter`, `hotline.greeting`, …
    pub field: &'static str,
    pub severity: Severity,
    /// In English, as `phrasebook check` prints it.
    pub message: String,
    /// What the check found, for a page to say in its reader's language
    /// (`missing-reply`, `unknown-fact`, `too-long`, …), with the values it names.
    pub code: &'static str,
    pub args: Vec<(&'static str, String)>,
}

/// The checks of an entry's replies, shared by the file loader (which adds the line) and the
/// office's editor (which shows each at its field).
pub fn reply_findings(r: &Replies, facts: &BTreeMap<String, String>) -> Vec<FieldFinding> {
    let mut found = Vec::new();
    let channels = [
        ("wechat", &r.wechat),
        ("counter", &r.counter),
        ("hotline.greeting", &r.hotline.greeting),
        ("hotline.answer", &r.hotline.answer),
        ("hotline.closing", &r.hotline.closing),
    ];
    for (name, text) in channels {
        if text.trim().is_empty() {
            found.push(FieldFinding {
                field: name,
                severity: Severity::Error,
                message: format!("missing `{name}` reply"),
                code: "missing-reply",
                args: vec![("field", name.to_owned())],
            });
        }
        for p in placeholders(text) {
            if !facts.contains_key(p) {
                found.push(FieldFinding {
                    field: name,
                    severity: Severity::Error,
                    message: format!("`{name}` reply cites unknown fact `{{{p}}}`"),
                    code: "unknown-fact",
                    args: vec![("fact", format!("{{{p}}}"))],
                });
            }
        }
    }
    let rendered = render(&r.wechat, facts).chars().count();
    if rendered > WECHAT_MAX_CHARS {
        found.push(FieldFinding {
            field: "wechat",
            severity: Severity::Warning,
            message: format!(
                "`wechat` reply is {rendered} characters; keep it under {WECHAT_MAX_CHARS}"
            ),
            code: "too-long",
            args: vec![
                ("count", rendered.to_string()),
                ("max", WECHAT_MAX_CHARS.to_string()),
            ],
        });
    }
    found
}

fn check_locales(l: &mut Loader, dir: &Path, intents: &[(Intent, PathBuf)]) -> bool {
    // Prompts, offers, and for forms that are confirmed the label of every slot.
    let mut cited: Vec<(String, &Path)> = Vec::new();
    for (form, path) in intents
        .iter()
        .filter_map(|(i, p)| i.form.as_ref().map(|f| (f, p.as_path())))
    {
        cited.extend(form.offer.iter().map(|o| (o.clone(), path)));
        for s in &form.slots {
            cited.push((s.prompt.clone(), path));
            if form.confirm {
                cited.push((format!("field-{}", s.name.replace('_', "-")), path));
            }
        }
    }
    let prompts: Vec<(&str, &Path)> = cited.iter().map(|(id, p)| (id.as_str(), *p)).collect();
    match i18n::check_dir(dir, &prompts) {
        Ok(found) => {
            let ok = found.is_empty();
            for d in found {
                l.diags.error(&d.file, d.line, d.message);
            }
            ok
        }
        Err(e) => {
            l.diags.error(dir, 0, e.to_string());
            false
        }
    }
}
