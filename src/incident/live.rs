//! The interruptions in memory: what a resident's question reads, refreshed when the
//! version (the largest event id) moves, whichever process moved it.

use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use chrono::{DateTime, Utc};

use super::notices::NoticeRun;
use super::store::IncidentStore;
use super::triage::TriageLog;
use super::{check_eta, Event, IncidentError, Interruption, NewInterruption, Places};
use crate::storage::Database;

/// The PostgreSQL channel a change is announced on.
const CHANNEL: &str = "heatdesk_interruptions";

/// The interruptions not yet restored, as of `version`.
#[derive(Debug, Default)]
pub struct Snapshot {
    pub version: i64,
    pub unrestored: Vec<Interruption>,
}

/// Opens, changes and answers for interruptions. Cheap to clone.
#[derive(Clone)]
pub struct Incidents {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<dyn IncidentStore>,
    places: Places,
    db: Database,
    live: ArcSwap<Snapshot>,
    /// One reload at a time per process.
    syncing: tokio::sync::Mutex<()>,
    notices: Option<NoticeRun>,
    triage: Arc<dyn TriageLog>,
}

impl std::fmt::Debug for Incidents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Incidents")
            .field("version", &self.inner.live.load().version)
            .finish_non_exhaustive()
    }
}

impl Incidents {
    /// Reads the interruptions in effect. `notices`: who tells subscribers (none: changes
    /// made here are told by a serving instance).
    pub async fn new(
        store: Arc<dyn IncidentStore>,
        places: Places,
        db: Database,
        notices: Option<NoticeRun>,
    ) -> Result<Self, IncidentError> {
        let me = Self {
            inner: Arc::new(Inner {
                triage: super::triage::log_for(&db),
                store,
                places,
                db,
                live: ArcSwap::from_pointee(Snapshot {
                    version: -1,
                    unrestored: Vec::new(),
                }),
                syncing: tokio::sync::Mutex::new(()),
                notices,
            }),
        };
        me.refresh().await?;
        Ok(me)
    }

    pub fn places(&self) -> &Places {
        &self.inner.places
    }

    pub fn store(&self) -> &Arc<dyn IncidentStore> {
        &self.inner.store
    }

    /// Where triage records how each case ended.
    pub fn triage(&self) -> &Arc<dyn TriageLog> {
        &self.inner.triage
    }

    pub async fn open(
        &self,
        new: &NewInterruption,
        by: &str,
    ) -> Result<Interruption, IncidentError> {
        let now = Utc::now();
        let checked = self.inner.places.check(new, now)?;
        let opened = self.inner.store.open(&checked, by, now).await?;
        tracing::info!(
            id = opened.id,
            kind = opened.kind.as_str(),
            "interruption opened"
        );
        self.changed().await;
        Ok(opened)
    }

    pub async fn set_eta(
        &self,
        id: i64,
        eta: DateTime<Utc>,
        by: &str,
    ) -> Result<Interruption, IncidentError> {
        let now = Utc::now();
        let current = self
            .inner
            .store
            .get(id)
            .await?
            .ok_or(IncidentError::NotFound)?;
        if current.restored_at.is_some() {
            return Err(IncidentError::AlreadyRestored);
        }
        check_eta(current.starts_at, eta, now)?;
        let changed = self.inner.store.set_eta(id, eta, by, now).await?;
        tracing::info!(id, "interruption's expected restoration changed");
        self.changed().await;
        Ok(changed)
    }

    pub async fn restore(&self, id: i64, by: &str) -> Result<Interruption, IncidentError> {
        let restored = self.inner.store.restore(id, Utc::now(), by).await?;
        tracing::info!(id, "interruption restored");
        self.changed().await;
        Ok(restored)
    }

    pub async fn get(&self, id: i64) -> Result<Option<Interruption>, IncidentError> {
        self.inner.store.get(id).await
    }

    pub async fn events(&self, id: i64) -> Result<Vec<Event>, IncidentError> {
        self.inner.store.events(id).await
    }

    pub async fn recent(&self, limit: i64) -> Result<Vec<Interruption>, IncidentError> {
        self.inner.store.recent(limit).await
    }

    /// Residents who asked to hear of the next change of `id`.
    pub async fn subscribe(
        &self,
        id: i64,
        user: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, IncidentError> {
        self.inner.store.subscribe(id, user, at).await
    }

    /// Not restored (in effect or planned), from memory.
    pub fn unrestored(&self) -> Vec<Interruption> {
        self.inner.live.load().unrestored.clone()
    }

    /// Whether anything is in effect at `now` (the dialogue's cheap first question).
    pub fn any_current(&self, now: DateTime<Utc>) -> bool {
        self.inner
            .live
            .load()
            .unrestored
            .iter()
            .any(|i| i.is_current(now))
    }

    /// In effect at `now` for an account at this district, estate and address.
    pub fn current_for(
        &self,
        district: &str,
        estate: &str,
        address: &str,
        now: DateTime<Utc>,
    ) -> Vec<Interruption> {
        self.inner
            .live
            .load()
            .unrestored
            .iter()
            .filter(|i| i.is_current(now) && i.scope.covers(district, estate, address))
            .cloned()
            .collect()
    }

    /// In effect at `now` anywhere in an estate (a resident who named only the estate).
    pub fn current_in_estate(&self, estate: &str, now: DateTime<Utc>) -> Vec<Interruption> {
        let Some(district) = self.inner.places.district_of(estate) else {
            return Vec::new();
        };
        self.inner
            .live
            .load()
            .unrestored
            .iter()
            .filter(|i| i.is_current(now) && i.scope.touches_estate(&district, estate))
            .cloned()
            .collect()
    }

    /// Reloads when the version moved. `true` when it did.
    pub async fn refresh(&self) -> Result<bool, IncidentError> {
        let _one = self.inner.syncing.lock().await;
        let version = self.inner.store.version().await?;
        if version == self.inner.live.load().version {
            return Ok(false);
        }
        let unrestored = self.inner.store.unrestored().await?;
        self.inner.live.store(Arc::new(Snapshot {
            version,
            unrestored,
        }));
        Ok(true)
    }

    /// After a change made here: this instance's copy, the other instances, the subscribers.
    async fn changed(&self) {
        if let Err(e) = self.refresh().await {
            tracing::warn!(error = %e, "interruptions not reloaded; the poll will");
        }
        announce(&self.inner.db).await;
        if let Some(run) = self.inner.notices.clone() {
            tokio::spawn(async move {
                run.deliver().await;
            });
        }
    }

    /// Tells subscribers of changes nobody told them of yet (also those made by the command
    /// line or an instance that stopped).
    pub async fn deliver(&self) -> Vec<crate::notify::Delivery> {
        match &self.inner.notices {
            Some(run) => run.deliver().await,
            None => Vec::new(),
        }
    }

    /// Keeps this instance's copy current and the subscribers told: a notification on
    /// PostgreSQL, and a poll every `every` as a safety net.
    pub fn spawn_sync(&self, every: Duration) {
        let me = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                me.sync_once().await;
            }
        });
        if let Database::Postgres(pool) = &self.inner.db {
            let (me, pool) = (self.clone(), pool.clone());
            tokio::spawn(async move {
                loop {
                    if let Err(e) = me.listen(&pool).await {
                        tracing::warn!(error = %e, "interruption notifications interrupted; reconnecting");
                    }
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            });
        }
    }

    async fn sync_once(&self) {
        if let Err(e) = self.refresh().await {
            tracing::warn!(error = %e, "interruptions not reloaded");
        }
        self.deliver().await;
    }

    async fn listen(&self, pool: &sqlx::PgPool) -> Result<(), sqlx::Error> {
        let mut listener = sqlx::postgres::PgListener::connect_with(pool).await?;
        listener.listen(CHANNEL).await?;
        loop {
            listener.recv().await?;
            self.sync_once().await;
        }
    }
}

/// Tells the other instances that something changed (PostgreSQL only: on SQLite one
/// process serves, and the command line's changes are found by the poll).
async fn announce(db: &Database) {
    if let Database::Postgres(pool) = db {
        let sent = sqlx::query("SELECT pg_notify($1, '')")
            .bind(CHANNEL)
            .execute(pool)
            .await;
        if let Err(e) = sent {
            tracing::warn!(error = %e, "cannot announce the change; others find it by polling");
        }
    }
}
