//! The published phrasebook in service: the latest version in the database, built into the
//! engine every query reads. A new version is swapped in beside running queries; other
//! instances hear of it (PostgreSQL notification, and a poll as a safety net) and swap too.

use std::sync::Arc;
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use chrono::Utc;

use super::model::{Version, VersionMeta};
use super::store::OfficeStore;
use super::OfficeError;
use crate::catalog::{self, Catalog, FileSet, OfficeDoc, Sources};
use crate::nlu::{Engine, EngineHandle, NluSettings, Reload};
use crate::storage::Database;

/// The PostgreSQL channel a publication is announced on.
const CHANNEL: &str = "heatdesk_phrasebook";

/// The version in service.
#[derive(Debug, Clone)]
pub struct Live {
    pub meta: VersionMeta,
    pub doc: Arc<OfficeDoc>,
}

pub struct Library {
    store: Arc<dyn OfficeStore>,
    sources: Sources,
    nlu: NluSettings,
    engine: Arc<EngineHandle>,
    live: ArcSwap<Live>,
    /// One rebuild at a time per process.
    syncing: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for Library {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Library")
            .field("live", &self.live.load().meta.number)
            .finish_non_exhaustive()
    }
}

/// Builds a catalogue's engine off the async runtime.
pub async fn build_engine(catalog: Catalog, nlu: &NluSettings) -> Result<Engine, OfficeError> {
    let nlu = nlu.clone();
    Ok(tokio::task::spawn_blocking(move || Engine::build(Arc::new(catalog), nlu)).await??)
}

impl Library {
    /// Serves the latest published version; on first start (no version yet) the files are
    /// imported as version 1. Intents that engineering added to `intents/` since (with their
    /// entries from `phrasebook/`) are adopted into a new version.
    pub async fn open(
        store: Arc<dyn OfficeStore>,
        sources: Sources,
        nlu: NluSettings,
    ) -> Result<Self, OfficeError> {
        let seed = || -> Result<OfficeDoc, OfficeError> {
            let (catalog, diags) = catalog::load(&sources);
            let catalog = catalog.ok_or(OfficeError::Invalid(diags))?;
            Ok(OfficeDoc::from_catalog(&catalog, &sources.owned_facts))
        };
        let engineering = engineering(&sources)?;
        let mut version = match store.latest_number().await? {
            Some(n) => store.version(n).await?.ok_or(OfficeError::NoVersion(n))?,
            None => {
                let doc = seed()?;
                let meta = publish_meta(1, &doc, &sources, &engineering, "seed", "files")?;
                store.insert_version(&meta, &doc).await?;
                tracing::info!("phrasebook files imported as version 1");
                Version { meta, doc }
            }
        };
        let missing: Vec<String> = new_engineering_intents(&version.doc, &engineering, &sources);
        if !missing.is_empty() {
            let seed = seed()?;
            let mut doc = version.doc.clone();
            for id in &missing {
                if let Some(i) = seed.intents.iter().find(|i| i.id.as_str() == id) {
                    doc.put_intent(i.clone());
                }
                for e in seed.entries.iter().filter(|e| e.intent.as_str() == id) {
                    doc.put_entry(e.clone());
                }
            }
            let summary = format!("new intents from the files: {}", missing.join(", "));
            let meta = publish_meta(
                version.meta.number + 1,
                &doc,
                &sources,
                &engineering,
                "system",
                &summary,
            )?;
            store.insert_version(&meta, &doc).await?;
            tracing::info!(version = meta.number, %summary, "phrasebook version published");
            version = Version { meta, doc };
        }
        let catalog = compose(&version.doc, &sources, &engineering)?;
        let engine = build_engine(catalog, &nlu).await?;
        crate::telemetry::phrasebook_version(version.meta.number);
        Ok(Self {
            store,
            engine: Arc::new(EngineHandle::new(engine, nlu.clone())),
            sources,
            nlu,
            live: ArcSwap::from_pointee(Live {
                meta: version.meta,
                doc: Arc::new(version.doc),
            }),
            syncing: tokio::sync::Mutex::new(()),
        })
    }

    pub fn engine(&self) -> &Arc<EngineHandle> {
        &self.engine
    }

    pub fn live(&self) -> Arc<Live> {
        self.live.load_full()
    }

    pub fn sources(&self) -> &Sources {
        &self.sources
    }

    pub fn nlu(&self) -> &NluSettings {
        &self.nlu
    }

    /// Catalogue of a document, checked; the intents' engineering files are read afresh.
    pub fn compose(&self, doc: &OfficeDoc) -> Result<Catalog, OfficeError> {
        compose(doc, &self.sources, &engineering(&self.sources)?)
    }

    /// As [`Library::compose`], off the async runtime: rendering and checking a big
    /// phrasebook takes a while, and reads the intents' files.
    pub async fn compose_off(&self, doc: OfficeDoc) -> Result<(Catalog, OfficeDoc), OfficeError> {
        let sources = self.sources.clone();
        tokio::task::spawn_blocking(move || {
            let catalog = compose(&doc, &sources, &engineering(&sources)?)?;
            Ok((catalog, doc))
        })
        .await?
    }

    /// Swaps in the latest published version if it is not the one in service.
    pub async fn sync(&self) -> Result<Option<(i64, i64)>, OfficeError> {
        let _one = self.syncing.lock().await;
        let Some(latest) = self.store.latest_number().await? else {
            return Ok(None);
        };
        let running = self.live().meta.number;
        if latest <= running {
            return Ok(None);
        }
        let version = self
            .store
            .version(latest)
            .await?
            .ok_or(OfficeError::NoVersion(latest))?;
        let started = Instant::now();
        let (catalog, doc) = self.compose_off(version.doc).await?;
        let version = Version {
            meta: version.meta,
            doc,
        };
        let engine = build_engine(catalog, &self.nlu).await?;
        self.install(version, Arc::new(engine));
        tracing::info!(
            from = running,
            to = latest,
            ms = started.elapsed().as_millis() as u64,
            "phrasebook version swapped in"
        );
        Ok(Some((running, latest)))
    }

    /// Puts a version this process built into service (after publishing it).
    pub fn install(&self, version: Version, engine: Arc<Engine>) {
        let number = version.meta.number;
        if number < self.live().meta.number {
            return;
        }
        crate::telemetry::phrasebook_version(number);
        if let Reload::Swapped { from, to } = self.engine.swap(engine) {
            tracing::debug!(%from, %to, number, "engine swapped");
        }
        self.live.store(Arc::new(Live {
            meta: version.meta,
            doc: Arc::new(version.doc),
        }));
    }

    /// Keeps this instance on the latest version: a notification from the publishing
    /// instance on PostgreSQL, and a poll every `every` as a safety net.
    pub fn spawn_sync(self: &Arc<Self>, db: &Database, every: Duration) {
        let me = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                if let Err(e) = me.sync().await {
                    tracing::warn!(error = %e, "published phrasebook not swapped in");
                }
            }
        });
        if let Database::Postgres(pool) = db {
            let (me, pool) = (self.clone(), pool.clone());
            tokio::spawn(async move {
                loop {
                    if let Err(e) = me.listen(&pool).await {
                        tracing::warn!(error = %e, "phrasebook notifications interrupted; reconnecting");
                    }
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            });
        }
    }

    async fn listen(&self, pool: &sqlx::PgPool) -> Result<(), sqlx::Error> {
        let mut listener = sqlx::postgres::PgListener::connect_with(pool).await?;
        listener.listen(CHANNEL).await?;
        loop {
            listener.recv().await?;
            if let Err(e) = self.sync().await {
                tracing::warn!(error = %e, "published phrasebook not swapped in");
            }
        }
    }
}

/// Tells the other instances that a version was published (PostgreSQL only: on SQLite the
/// one process already serves it).
pub async fn announce(db: &Database, number: i64) {
    if let Database::Postgres(pool) = db {
        let sent = sqlx::query("SELECT pg_notify($1, $2)")
            .bind(CHANNEL)
            .bind(number.to_string())
            .execute(pool)
            .await;
        if let Err(e) = sent {
            tracing::warn!(error = %e, "cannot announce the publication; others find it by polling");
        }
    }
}

fn engineering(sources: &Sources) -> Result<FileSet, OfficeError> {
    catalog::engineering_files(sources).map_err(|e| OfficeError::Files(e.to_string()))
}

fn compose(
    doc: &OfficeDoc,
    sources: &Sources,
    engineering: &FileSet,
) -> Result<Catalog, OfficeError> {
    let (catalog, diags) = doc.compose(sources, engineering);
    catalog.ok_or(OfficeError::Invalid(diags))
}

/// A version's record, with the digest of the catalogue it makes.
pub fn publish_meta(
    number: i64,
    doc: &OfficeDoc,
    sources: &Sources,
    engineering: &FileSet,
    author: &str,
    summary: &str,
) -> Result<VersionMeta, OfficeError> {
    let catalog = compose(doc, sources, engineering)?;
    Ok(VersionMeta {
        number,
        digest: catalog.version,
        author: author.to_owned(),
        reviewer: None,
        summary: summary.to_owned(),
        override_reason: None,
        changeset: None,
        published_at: Utc::now(),
    })
}

/// Intents with an engineering file that the document does not know.
fn new_engineering_intents(doc: &OfficeDoc, files: &FileSet, sources: &Sources) -> Vec<String> {
    files
        .list(&sources.intents_dir, "toml")
        .iter()
        .filter_map(|p| p.file_stem().and_then(|s| s.to_str()).map(str::to_owned))
        .filter(|stem| {
            *stem != catalog::LEXICON_FILE.trim_end_matches(".toml")
                && *stem != catalog::DIALOGUE_FILE.trim_end_matches(".toml")
        })
        .filter(|stem| !doc.intents.iter().any(|i| i.id.as_str() == stem))
        .collect()
}
