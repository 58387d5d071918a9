//! Building the application from settings: storage, locales, the engine. Kept apart from
//! serving so tests build the same application on port 0.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use chrono::Utc;
use tokio::net::TcpListener;

use crate::catalog::Sources;
use crate::config::Settings;
use crate::i18n::Locales;
use crate::nlu::{self, EngineHandle, Reload};
use crate::service::{Outbox, ServiceApi};
use crate::storage::{Database, Publication, Storage};

/// What every handler may use. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub settings: Arc<Settings>,
    pub engine: Arc<EngineHandle>,
    pub db: Database,
    pub storage: Arc<dyn Storage>,
    pub locales: Arc<Locales>,
    /// The utility's service API (built-in or remote).
    pub service: Arc<dyn ServiceApi>,
    /// Service writes waiting for the API to come back.
    pub outbox: Outbox,
    /// The WeChat API client, when the official account is configured.
    pub bot: Option<wechat_mp::Bot>,
    /// What open desk screens are told (new handoffs, new lines, moved work orders).
    pub events: crate::handoff::Events,
}

impl Settings {
    pub fn sources(&self) -> Sources {
        Sources {
            intents_dir: self.intents_dir.clone(),
            phrasebook_dir: self.phrasebook_dir.clone(),
            locales_dir: self.locales_dir.clone(),
        }
    }
}

impl AppState {
    /// Opens the database, loads locales and builds the engine (off the async runtime).
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let db = Database::open(settings.database_url.expose())
            .await
            .context("opening the database")?;
        let storage = db.phrasebook_store();
        let bot = match crate::wechat::config(&settings.wechat) {
            Some(wechat) => {
                wechat.validate().context("WeChat settings")?;
                Some(crate::wechat::bot(
                    &wechat,
                    &crate::wechat::DbStores::new(db.clone()),
                ))
            }
            None => None,
        };
        settings
            .handoff
            .hours
            .validate()
            .map_err(anyhow::Error::msg)
            .context("handoff settings")?;
        let service = crate::service::from_settings(&settings, &db)
            .await
            .context("setting up the service API")?;
        let outbox = Outbox::new(db.clone());
        let locales = Locales::load(&settings.locales_dir, &settings.default_locale)
            .context("loading locales")?;
        let sources = settings.sources();
        let nlu_settings = settings.nlu.clone();
        let engine = tokio::task::spawn_blocking({
            let sources = sources.clone();
            move || nlu::build_from(&sources, &nlu_settings)
        })
        .await?
        .context("building the phrasebook engine")?;
        let handle = EngineHandle::new(engine, sources, settings.nlu.clone());
        let state = Self {
            settings: Arc::new(settings),
            engine: Arc::new(handle),
            db,
            storage,
            locales: Arc::new(locales),
            service,
            outbox,
            bot,
            events: crate::handoff::Events::default(),
        };
        state
            .events
            .share(&state.db)
            .await
            .context("listening for other instances' desk events")?;
        state.record_publication().await;
        if state.settings.demo {
            crate::desk::demo::load_users(&state.db)
                .await
                .context("creating the sample desk users")?;
        }
        // Refuse to start on broken dialogue data rather than fail on the first message.
        crate::dialogue::Dialogue::new(&state).context("loading the dialogue data")?;
        Ok(state)
    }

    async fn record_publication(&self) {
        let engine = self.engine.current();
        let catalog = engine.catalog();
        let p = Publication {
            version: catalog.version.clone(),
            entries: catalog.published().count() as i64,
            published_at: Utc::now(),
        };
        match self.storage.record_publication(&p).await {
            Ok(true) => {
                tracing::info!(version = %p.version, entries = p.entries, "phrasebook version published")
            }
            Ok(false) => {}
            Err(e) => tracing::error!(error = %e, "cannot record the phrasebook version"),
        }
    }

    /// Sends the service writes kept while the API was down; forgets expired desk sessions.
    pub fn spawn_background(&self) {
        let every = Duration::from_secs(self.settings.service.outbox_interval_secs.max(1));
        self.outbox.spawn_worker(self.service.clone(), every);
        let users = crate::desk::users::store_for(&self.db);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(3600));
            loop {
                tick.tick().await;
                match users.purge_sessions(Utc::now()).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(sessions = n, "expired desk sessions forgotten"),
                    Err(e) => tracing::warn!(error = %e, "cannot forget expired sessions"),
                }
            }
        });
    }

    /// Watches the data files and swaps in a rebuilt engine when they change.
    pub fn spawn_watcher(&self) {
        let every = self.settings.nlu.watch_interval_secs;
        if every == 0 {
            return;
        }
        let state = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(every));
            tick.tick().await;
            loop {
                tick.tick().await;
                match state.engine.reload().await {
                    Ok(Reload::Unchanged) => {}
                    Ok(Reload::Swapped { from, to }) => {
                        tracing::info!(%from, %to, "phrasebook changed; engine swapped");
                        state.record_publication().await;
                    }
                    Err(e) => tracing::warn!(error = %e, "phrasebook change not applied"),
                }
            }
        });
    }
}

/// Builds and serves until a shutdown signal.
pub async fn run(settings: Settings) -> anyhow::Result<()> {
    let listen = settings.listen;
    let state = AppState::build(settings).await?;
    state.spawn_watcher();
    state.spawn_background();
    let listener = TcpListener::bind(listen)
        .await
        .with_context(|| format!("binding {listen}"))?;
    tracing::info!(address = %listener.local_addr()?, database = ?state.storage.backend(), "heatdesk is listening");
    let events = state.events.clone();
    crate::http::serve_with(listener, crate::http::router(state), move || events.close()).await?;
    Ok(())
}
