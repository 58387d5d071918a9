//! The standardization office's work on the phrasebook: edits gathered in change sets,
//! review by another curator, publication through the regression gate, versions and
//! rollback, the inbox of questions the bot did not answer well, and the audit log.
//!
//! The published phrasebook lives in the database as versions (`Library`); the files in
//! `intents/` and `phrasebook/` are the seed and the exchange format.

pub mod gate;
mod inbox;
mod library;
mod model;
mod objects;
mod settings;
mod store;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use chrono::Utc;

pub use gate::Labelled;
pub use inbox::InboxGroup;
pub use library::{announce, build_engine, Library, Live};
pub use model::*;
pub use objects::{apply, object_of};
pub use settings::OfficeSettings;
pub use store::{store_for, OfficeStore, StoreError};

use crate::catalog::{self, collision_key, Diagnostic, OfficeDoc, Severity, Subject};
use crate::domain::mask_personal;
use crate::nlu::{eval, Engine, LoadError, NluError};
use crate::storage::{Database, Storage};

#[derive(Debug, thiserror::Error)]
pub enum OfficeError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the phrasebook has errors:\n{}", .0.iter().filter(|d| d.severity == Severity::Error).map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Invalid(Vec<Diagnostic>),
    #[error(transparent)]
    Build(#[from] NluError),
    #[error("the engine build task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
    #[error("cannot read the data files: {0}")]
    Files(String),
    #[error("version {0} does not exist")]
    NoVersion(i64),
    #[error("no such change set, entry or intent")]
    NotFound,
    #[error("someone changed it meanwhile")]
    Conflict(Box<Conflict>),
    #[error("the change set is not in a state that allows this")]
    State,
    #[error("nobody approves their own change")]
    OwnChange,
    #[error("a reason is needed")]
    NoReason,
    #[error("the change set has no edits")]
    Empty,
    #[error("the regression gate refused the change")]
    Refused(Box<GateReport>),
    #[error("published meanwhile by someone else: {}", .0.join(", "))]
    Moved(Vec<String>),
    #[error("{0}")]
    Bad(String),
}

impl From<LoadError> for OfficeError {
    fn from(e: LoadError) -> Self {
        match e {
            LoadError::Invalid(d) => Self::Invalid(d),
            LoadError::Build(b) => Self::Build(b),
            LoadError::Task(t) => Self::Task(t),
        }
    }
}

/// Where the text an editor shows comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum Origin {
    Live,
    /// The viewer's own open change set.
    Mine(i64),
    /// Another curator's open change set.
    Theirs {
        changeset: i64,
        author: String,
    },
}

/// An object as the office currently sees it: the newest open edit, else the live version.
#[derive(Debug, Clone, PartialEq)]
pub struct Current {
    pub value: Option<serde_json::Value>,
    pub digest: String,
    pub origin: Origin,
}

/// A save that started from an older text: what is there now, kept beside what was typed.
#[derive(Debug, Clone, PartialEq)]
pub struct Conflict {
    pub current: Current,
    pub yours: Option<serde_json::Value>,
}

/// The office's operations, shared by its pages and the command line.
#[derive(Clone)]
pub struct Office {
    pub store: Arc<dyn OfficeStore>,
    pub library: Arc<Library>,
    pub settings: OfficeSettings,
    /// The classification log the inbox reads.
    pub log: Arc<dyn Storage>,
    pub db: Database,
    /// Engines of drafts the try-it box asked about, by catalogue digest (a few).
    drafts: Arc<std::sync::Mutex<DraftEngines>>,
}

/// Engines of drafts, by the digest of their catalogue, oldest first.
type DraftEngines = Vec<(String, Arc<Engine>)>;

/// Draft engines kept for the try-it box.
const DRAFT_ENGINES: usize = 4;

impl std::fmt::Debug for Office {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Office")
            .field("library", &self.library)
            .finish_non_exhaustive()
    }
}

impl Office {
    pub fn live(&self) -> Arc<Live> {
        self.library.live()
    }

    /// The object as the next editor should start from it.
    pub async fn current(&self, subject: &Subject, viewer: &str) -> Result<Current, OfficeError> {
        // What another instance published is the base of every new edit.
        self.library.sync().await?;
        let edits = self.store.open_edits_of(subject).await?;
        let mine = self.store.open_changeset_id(viewer).await?;
        // The viewer's own edit wins; otherwise the newest anyone made.
        let edit = edits
            .iter()
            .find(|e| Some(e.changeset) == mine)
            .or_else(|| edits.first());
        Ok(match edit {
            Some(e) => Current {
                digest: digest(e.body.as_ref()),
                value: e.body.clone(),
                origin: if Some(e.changeset) == mine {
                    Origin::Mine(e.changeset)
                } else {
                    Origin::Theirs {
                        changeset: e.changeset,
                        author: e.author.clone(),
                    }
                },
            },
            None => {
                let value = object_of(&self.live().doc, subject);
                Current {
                    digest: digest(value.as_ref()),
                    value,
                    origin: Origin::Live,
                }
            }
        })
    }

    /// Saves an object into the author's change set, unless it changed since the editor
    /// loaded it (`base`): then nothing is saved and both texts come back.
    pub async fn save(
        &self,
        author: &str,
        subject: Subject,
        value: Option<serde_json::Value>,
        base: &str,
    ) -> Result<ChangeSet, OfficeError> {
        let current = self.current(&subject, author).await?;
        if current.digest != base {
            return Err(OfficeError::Conflict(Box::new(Conflict {
                current,
                yours: value,
            })));
        }
        let set = self.store.open_changeset(author).await?;
        let live = object_of(&self.live().doc, &subject);
        if value == live {
            // Back to the published text: nothing left to change.
            self.store.drop_edit(set.id, &subject).await?;
        } else {
            self.store
                .put_edit(&Edit {
                    changeset: set.id,
                    subject: subject.clone(),
                    body: value.clone(),
                    base: base.to_owned(),
                    author: author.to_owned(),
                    at: Utc::now(),
                })
                .await?;
        }
        self.audit(
            author,
            "edit",
            &subject.to_string(),
            current.value.as_ref(),
            value.as_ref(),
            None,
        )
        .await;
        Ok(set)
    }

    /// The live document with a change set's edits applied.
    pub async fn working_doc(&self, changeset: i64) -> Result<OfficeDoc, OfficeError> {
        let mut doc = (*self.live().doc).clone();
        for e in self.store.edits(changeset).await? {
            apply(&mut doc, &e.subject, e.body.as_ref()).map_err(OfficeError::Bad)?;
        }
        Ok(doc)
    }

    /// The engine the viewer's draft would make (built once per draft text).
    pub async fn draft_engine(&self, viewer: &str) -> Result<Arc<Engine>, OfficeError> {
        let doc = self.draft_doc(viewer).await?;
        let (catalog, _) = self.library.compose_off(doc).await?;
        let key = catalog.version.clone();
        if let Some(e) = self.cached_draft(&key) {
            return Ok(e);
        }
        let engine = Arc::new(build_engine(catalog, self.library.nlu()).await?);
        let mut cache = self.drafts.lock().unwrap_or_else(|p| p.into_inner());
        cache.retain(|(k, _)| *k != key);
        cache.push((key, engine.clone()));
        if cache.len() > DRAFT_ENGINES {
            cache.remove(0);
        }
        Ok(engine)
    }

    fn cached_draft(&self, key: &str) -> Option<Arc<Engine>> {
        let cache = self.drafts.lock().unwrap_or_else(|p| p.into_inner());
        cache.iter().find(|(k, _)| k == key).map(|(_, e)| e.clone())
    }

    /// The viewer's own open change set's document, or the live one.
    pub async fn draft_doc(&self, viewer: &str) -> Result<OfficeDoc, OfficeError> {
        match self.store.open_changeset_id(viewer).await? {
            Some(id) => self.working_doc(id).await,
            None => Ok((*self.live().doc).clone()),
        }
    }

    /// Moves a change set between statuses and records it; `State` when it was not in `from`.
    #[allow(clippy::too_many_arguments)]
    async fn transition(
        &self,
        actor: &str,
        id: i64,
        from: &[ChangeStatus],
        to: ChangeStatus,
        update: StatusUpdate<'_>,
        action: &str,
        reason: Option<&str>,
    ) -> Result<(), OfficeError> {
        if !self.store.set_status(id, from, to, update).await? {
            return Err(OfficeError::State);
        }
        let after = update
            .summary
            .map(|s| serde_json::Value::String(s.to_owned()));
        self.audit(
            actor,
            action,
            &format!("change {id}"),
            None,
            after.as_ref(),
            reason,
        )
        .await;
        Ok(())
    }

    pub async fn submit(&self, author: &str, id: i64, summary: &str) -> Result<(), OfficeError> {
        let set = self
            .store
            .changeset(id)
            .await?
            .ok_or(OfficeError::NotFound)?;
        if set.author != author {
            return Err(OfficeError::State);
        }
        if summary.trim().is_empty() {
            return Err(OfficeError::NoReason);
        }
        if self.store.edits(id).await?.is_empty() {
            return Err(OfficeError::Empty);
        }
        let doc = self.working_doc(id).await?;
        self.library.compose_off(doc).await?;
        let update = StatusUpdate {
            summary: Some(summary.trim()),
            ..StatusUpdate::default()
        };
        let from = [ChangeStatus::Draft, ChangeStatus::Returned];
        self.transition(
            author,
            id,
            &from,
            ChangeStatus::Review,
            update,
            "submit",
            None,
        )
        .await
    }

    pub async fn approve(&self, reviewer: &str, id: i64) -> Result<(), OfficeError> {
        let set = self
            .store
            .changeset(id)
            .await?
            .ok_or(OfficeError::NotFound)?;
        if self.settings.require_review && set.author == reviewer {
            return Err(OfficeError::OwnChange);
        }
        let update = StatusUpdate {
            reviewer: Some(reviewer),
            ..StatusUpdate::default()
        };
        let from = [ChangeStatus::Review];
        self.transition(
            reviewer,
            id,
            &from,
            ChangeStatus::Approved,
            update,
            "approve",
            None,
        )
        .await
    }

    pub async fn send_back(
        &self,
        reviewer: &str,
        id: i64,
        comment: &str,
    ) -> Result<(), OfficeError> {
        if comment.trim().is_empty() {
            return Err(OfficeError::NoReason);
        }
        let update = StatusUpdate {
            comment: Some(comment.trim()),
            reviewer: Some(reviewer),
            ..StatusUpdate::default()
        };
        let from = [ChangeStatus::Review, ChangeStatus::Approved];
        let to = ChangeStatus::Returned;
        self.transition(reviewer, id, &from, to, update, "send_back", Some(comment))
            .await
    }

    pub async fn withdraw(&self, author: &str, id: i64) -> Result<(), OfficeError> {
        let set = self
            .store
            .changeset(id)
            .await?
            .ok_or(OfficeError::NotFound)?;
        if set.author != author {
            return Err(OfficeError::State);
        }
        let from = [
            ChangeStatus::Draft,
            ChangeStatus::Review,
            ChangeStatus::Approved,
            ChangeStatus::Returned,
        ];
        let to = ChangeStatus::Withdrawn;
        self.transition(
            author,
            id,
            &from,
            to,
            StatusUpdate::default(),
            "withdraw",
            None,
        )
        .await
    }

    /// Publishes an approved change set (a draft too when review is not required) through
    /// the gate. `override_reason` (admins) publishes past a refusing gate, recorded.
    pub async fn publish(
        &self,
        actor: &str,
        id: i64,
        override_reason: Option<&str>,
    ) -> Result<(i64, GateReport), OfficeError> {
        let set = self
            .store
            .changeset(id)
            .await?
            .ok_or(OfficeError::NotFound)?;
        let allowed = match set.status {
            ChangeStatus::Approved => true,
            ChangeStatus::Draft | ChangeStatus::Review | ChangeStatus::Returned => {
                !self.settings.require_review
            }
            _ => false,
        };
        if !allowed {
            return Err(OfficeError::State);
        }
        self.library.sync().await?;
        let live = self.live();
        let edits = self.store.edits(id).await?;
        if edits.is_empty() {
            return Err(OfficeError::Empty);
        }
        // An object published by someone else since this edit began cannot be overwritten
        // unseen; the curator reopens it and saves on top.
        let moved: Vec<String> = edits
            .iter()
            .filter(|e| {
                let now = digest(object_of(&live.doc, &e.subject).as_ref());
                now != e.base && now != digest(e.body.as_ref())
            })
            .map(|e| e.subject.to_string())
            .collect();
        if !moved.is_empty() {
            return Err(OfficeError::Moved(moved));
        }
        let mut doc = (*live.doc).clone();
        for e in &edits {
            apply(&mut doc, &e.subject, e.body.as_ref()).map_err(OfficeError::Bad)?;
        }
        let summary = if set.summary.is_empty() {
            format!("change {id}")
        } else {
            set.summary.clone()
        };
        let number = self
            .publish_doc(
                actor,
                doc,
                &summary,
                set.reviewer.as_deref(),
                Some(id),
                override_reason,
            )
            .await;
        match number {
            Ok((number, report)) => {
                self.store.set_gate(id, &report).await?;
                Ok((number, report))
            }
            Err(OfficeError::Refused(report)) => {
                self.store.set_gate(id, &report).await?;
                Err(OfficeError::Refused(report))
            }
            Err(e) => Err(e),
        }
    }

    /// Publishes an earlier version's document anew, gated like any other publication.
    pub async fn rollback(
        &self,
        actor: &str,
        to: i64,
        override_reason: Option<&str>,
    ) -> Result<(i64, GateReport), OfficeError> {
        self.library.sync().await?;
        let version = self
            .store
            .version(to)
            .await?
            .ok_or(OfficeError::NoVersion(to))?;
        let summary = format!("rollback to version {to}");
        self.publish_doc(actor, version.doc, &summary, None, None, override_reason)
            .await
    }

    /// Builds, gates and stores a document as the next version, then serves it. The stored
    /// row is the one step that makes it published: a crash before it leaves the previous
    /// version serving, everywhere.
    async fn publish_doc(
        &self,
        actor: &str,
        mut doc: OfficeDoc,
        summary: &str,
        reviewer: Option<&str>,
        changeset: Option<i64>,
        override_reason: Option<&str>,
    ) -> Result<(i64, GateReport), OfficeError> {
        let live = self.live();
        bump_entry_versions(&live.doc, &mut doc);
        let started = Instant::now();
        let (catalog, doc) = self.library.compose_off(doc).await?;
        let digest = catalog.version.clone();
        let candidate = build_engine(catalog, self.library.nlu()).await?;
        let build_ms = started.elapsed().as_millis() as u64;
        let labelled = self.labelled().await?;
        let running = self.library.engine().current();
        let candidate = Arc::new(candidate);
        let report = tokio::task::spawn_blocking({
            let candidate = candidate.clone();
            move || gate::run(&running, &candidate, &labelled, build_ms)
        })
        .await?;
        let override_reason = override_reason.map(str::trim).filter(|r| !r.is_empty());
        if !report.passed && override_reason.is_none() {
            self.audit(actor, "refused", summary, None, Some(&serde_json::json!({
                "broken": report.broken.len(), "before": report.before_correct, "after": report.after_correct,
            })), None)
            .await;
            return Err(OfficeError::Refused(Box::new(report)));
        }
        let meta = VersionMeta {
            number: live.meta.number + 1,
            digest,
            author: actor.to_owned(),
            reviewer: reviewer.map(str::to_owned),
            summary: summary.to_owned(),
            override_reason: override_reason
                .filter(|_| !report.passed)
                .map(str::to_owned),
            changeset,
            published_at: Utc::now(),
        };
        match self.store.insert_version(&meta, &doc).await {
            Ok(()) => {}
            Err(StoreError::Taken(_)) => {
                return Err(OfficeError::Moved(vec![format!("version {}", meta.number)]))
            }
            Err(e) => return Err(e.into()),
        }
        let number = meta.number;
        let changes = live.doc.diff(&doc);
        let before: Vec<_> = changes.iter().map(|c| serde_json::json!({"subject": c.subject.to_string(), "field": c.field, "value": c.before})).collect();
        let after: Vec<_> = changes.iter().map(|c| serde_json::json!({"subject": c.subject.to_string(), "field": c.field, "value": c.after})).collect();
        let action = if meta.override_reason.is_some() {
            "override"
        } else {
            "publish"
        };
        self.audit(
            actor,
            action,
            &format!("version {number}: {summary}"),
            Some(&before.into()),
            Some(&after.into()),
            meta.override_reason.as_deref(),
        )
        .await;
        self.library.install(Version { meta, doc }, candidate);
        announce(&self.db, number).await;
        Ok((number, report))
    }

    /// Gates a document against the live version without publishing it.
    pub async fn gate_doc(&self, doc: &OfficeDoc) -> Result<GateReport, OfficeError> {
        let started = Instant::now();
        let (catalog, _) = self.library.compose_off(doc.clone()).await?;
        let candidate = build_engine(catalog, self.library.nlu()).await?;
        let build_ms = started.elapsed().as_millis() as u64;
        let labelled = self.labelled().await?;
        let running = self.library.engine().current();
        Ok(tokio::task::spawn_blocking(move || {
            gate::run(&running, &candidate, &labelled, build_ms)
        })
        .await?)
    }

    /// Turns a document (an imported directory) into the author's change set: one edit per
    /// object that differs from the live version.
    pub async fn import(
        &self,
        author: &str,
        doc: &OfficeDoc,
    ) -> Result<(Option<ChangeSet>, usize), OfficeError> {
        self.library.compose_off(doc.clone()).await?;
        let live = self.live();
        let mut subjects: Vec<Subject> =
            live.doc.diff(doc).into_iter().map(|c| c.subject).collect();
        subjects.dedup();
        if subjects.is_empty() {
            return Ok((None, 0));
        }
        let set = self.store.open_changeset(author).await?;
        for subject in &subjects {
            let before = object_of(&live.doc, subject);
            self.store
                .put_edit(&Edit {
                    changeset: set.id,
                    subject: subject.clone(),
                    body: object_of(doc, subject),
                    base: digest(before.as_ref()),
                    author: author.to_owned(),
                    at: Utc::now(),
                })
                .await?;
        }
        self.audit(
            author,
            "import",
            &format!("change {}", set.id),
            None,
            Some(&subjects.len().into()),
            None,
        )
        .await;
        Ok((Some(set), subjects.len()))
    }

    /// The gate's questions: the held-out set shipped with heatdesk, then every question
    /// the office labelled (a later label of the same question wins).
    pub async fn labelled(&self) -> Result<Vec<Labelled>, OfficeError> {
        let mut by_key: BTreeMap<String, Labelled> = BTreeMap::new();
        let mut order = Vec::new();
        for l in held_out(&self.settings.labelled_file) {
            let key = collision_key(&l.text);
            if by_key.insert(key.clone(), l).is_none() {
                order.push(key);
            }
        }
        for l in self.store.labels().await? {
            let q = Labelled {
                text: l.text,
                intent: l.intent,
            };
            if by_key.insert(l.key.clone(), q).is_none() {
                order.push(l.key);
            }
        }
        Ok(order
            .into_iter()
            .filter_map(|k| by_key.remove(&k))
            .collect())
    }

    /// Records what a question means, for the gate from now on.
    pub async fn label(
        &self,
        text: &str,
        intent: &str,
        source: &str,
        by: &str,
    ) -> Result<(), OfficeError> {
        let text = mask_personal(text.trim());
        let key = collision_key(&text);
        if key.is_empty() {
            return Err(OfficeError::Bad("empty question".into()));
        }
        self.store
            .add_label(&Label {
                key,
                text: text.clone(),
                intent: intent.to_owned(),
                source: source.to_owned(),
                by: by.to_owned(),
                at: Utc::now(),
            })
            .await?;
        self.audit(by, "label", &text, None, Some(&intent.into()), None)
            .await;
        Ok(())
    }

    /// Changes one object as it currently stands (`change` may refuse) and saves it on that
    /// text, into the author's change set; the changed object comes back too.
    pub async fn update<T>(
        &self,
        author: &str,
        subject: Subject,
        change: impl FnOnce(&mut T) -> Result<(), OfficeError>,
    ) -> Result<(ChangeSet, T), OfficeError>
    where
        T: serde::Serialize + serde::de::DeserializeOwned,
    {
        let bad = |e: serde_json::Error| OfficeError::Bad(e.to_string());
        let current = self.current(&subject, author).await?;
        let mut object: T = current
            .value
            .clone()
            .map(serde_json::from_value)
            .transpose()
            .map_err(bad)?
            .ok_or(OfficeError::NotFound)?;
        change(&mut object)?;
        let value = serde_json::to_value(&object).map_err(bad)?;
        let set = self
            .save(author, subject, Some(value), &current.digest)
            .await?;
        Ok((set, object))
    }

    /// Adds `text` to an entry's paraphrases in the author's change set, and labels it with
    /// the entry's intent (the inbox's "add as a paraphrase").
    pub async fn add_paraphrase(
        &self,
        author: &str,
        entry: &str,
        text: &str,
    ) -> Result<ChangeSet, OfficeError> {
        let text = text.trim();
        let subject = Subject::Entry(entry.to_owned());
        let (set, e) = self
            .update(author, subject, |e: &mut catalog::EntryText| {
                if !e.texts().any(|t| collision_key(t) == collision_key(text)) {
                    e.paraphrases.push(text.to_owned());
                }
                Ok(())
            })
            .await?;
        self.label(text, e.intent.as_str(), "paraphrase", author)
            .await?;
        Ok(set)
    }

    /// "Not our business": the question becomes an example of the out-of-scope entry.
    pub async fn not_ours(&self, author: &str, text: &str) -> Result<ChangeSet, OfficeError> {
        let live = self.live();
        let entry = live
            .doc
            .entries
            .iter()
            .find(|e| e.intent.is_out_of_scope() && e.status == catalog::EntryStatus::Published)
            .ok_or(OfficeError::NotFound)?;
        let set = self.add_paraphrase(author, entry.id.as_str(), text).await?;
        Ok(set)
    }

    pub async fn feedback(&self, mut f: Feedback) -> Result<(), OfficeError> {
        // The office keeps residents' words masked, whoever reports them.
        f.text_masked = mask_personal(&f.text_masked);
        self.store.add_feedback(&f).await?;
        Ok(())
    }

    /// Writes an audit line; a failure is logged, never fails the action it records.
    pub async fn audit(
        &self,
        actor: &str,
        action: &str,
        subject: &str,
        before: Option<&serde_json::Value>,
        after: Option<&serde_json::Value>,
        reason: Option<&str>,
    ) {
        let a = Audit {
            at: Utc::now(),
            actor: actor.to_owned(),
            action: action.to_owned(),
            subject: subject.to_owned(),
            before: before.map(ToString::to_string),
            after: after.map(ToString::to_string),
            reason: reason.map(str::to_owned),
        };
        if let Err(e) = self.store.audit(&a).await {
            tracing::error!(error = %e, action, "cannot write the audit log");
        }
    }
}

#[async_trait::async_trait]
impl crate::dialogue::Contradicted for Office {
    async fn contradicted(
        &self,
        question: &str,
        intent: &crate::domain::IntentId,
        how: crate::dialogue::Unhappy,
        at: chrono::DateTime<Utc>,
    ) {
        let f = Feedback {
            at,
            kind: match how {
                crate::dialogue::Unhappy::Contradicted => FeedbackKind::Contradicted,
                crate::dialogue::Unhappy::LowRating => FeedbackKind::LowRating,
            },
            text_masked: mask_personal(question),
            intent: Some(intent.to_string()),
            entry: None,
            by: None,
        };
        if let Err(e) = self.store.add_feedback(&f).await {
            tracing::warn!(error = %e, "cannot record a contradicted answer");
        }
    }
}

/// An entry whose text changes gets the next version number.
fn bump_entry_versions(live: &OfficeDoc, doc: &mut OfficeDoc) {
    for e in &mut doc.entries {
        match live.entry(&e.id) {
            Some(old) => {
                let mut same = old.clone();
                same.version = e.version;
                if same != *e {
                    e.version = old.version + 1;
                }
            }
            None => e.version = e.version.max(1),
        }
    }
}

/// The held-out questions shipped with heatdesk (`text<TAB>intent`); missing or unreadable,
/// the gate runs on the office's labels alone.
fn held_out(path: &Path) -> Vec<Labelled> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    match eval::parse_tsv(&text, &|_| true) {
        Ok(examples) => examples
            .into_iter()
            .map(|e| Labelled {
                text: e.text,
                intent: e.intent,
            })
            .collect(),
        Err(e) => {
            tracing::warn!(file = %path.display(), error = %e, "held-out questions not read");
            Vec::new()
        }
    }
}

/// Makes the office from its parts: the published phrasebook is opened (seeded on first
/// start) and its engine built.
pub async fn open(
    db: &Database,
    log: Arc<dyn Storage>,
    sources: catalog::Sources,
    nlu: crate::nlu::NluSettings,
    settings: OfficeSettings,
) -> Result<Office, OfficeError> {
    let store = store_for(db);
    let library = Arc::new(Library::open(store.clone(), sources, nlu).await?);
    Ok(Office {
        store,
        library,
        settings,
        log,
        db: db.clone(),
        drafts: Arc::default(),
    })
}
