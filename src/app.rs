//! Building the application from settings: storage, locales, the engine. Kept apart from
//! serving so tests build the same application on port 0.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use chrono::Utc;
use tokio::net::TcpListener;
use tower_http::trace::TraceLayer;

use crate::catalog::Sources;
use crate::config::Settings;
use crate::desk::users::UserStore;
use crate::desk::DeskState;
use crate::dialogue::{Dialogue, DialogueDeps, EscalationLimits};
use crate::handoff::{Events, Handoffs};
use crate::i18n::Locales;
use crate::nlu::{Classifier, EngineHandle};
use crate::notify::Notifier;
use crate::service::http::ServiceHttp;
use crate::service::{Outbox, ServiceApi};
use crate::storage::{Database, Storage};
use crate::transcript::ConversationStore;
use crate::wechat::{DbStores, WeChatDeps};

/// The built parts of the application, each made once. Only this module and the command
/// line see it: every capability gets the handles it needs, not this.
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
    pub events: Events,
    pub conversations: Arc<dyn ConversationStore>,
    pub users: Arc<dyn UserStore>,
    pub classifier: Classifier,
    pub handoffs: Handoffs,
    pub notifier: Notifier,
    /// `/readyz`: false once shutdown has begun.
    pub readiness: crate::http::Readiness,
    /// The office's work and the published phrasebook in service.
    pub office: crate::office::Office,
}

impl Settings {
    /// Where the catalogue comes from, with the facts these settings own rendered in.
    pub fn sources(&self) -> anyhow::Result<Sources> {
        let locales =
            Locales::load(&self.locales_dir, &self.default_locale).context("loading locales")?;
        Ok(Sources {
            intents_dir: self.intents_dir.clone(),
            phrasebook_dir: self.phrasebook_dir.clone(),
            locales_dir: self.locales_dir.clone(),
            owned_facts: self.owned_facts(&locales),
        })
    }
}

impl AppState {
    /// Opens the database, loads locales and builds the engine (off the async runtime).
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let db = Database::open(settings.database_url.expose())
            .await
            .context("opening the database")?;
        let storage = db.phrasebook_store();
        let start = db
            .start_lock()
            .await
            .context("waiting for other instances to start")?;
        let bot = match crate::wechat::config(&settings.wechat) {
            Some(wechat) => {
                wechat.validate().context("WeChat settings")?;
                // Without an AppID only passive replies are possible: no API client.
                (!wechat.appid.is_empty())
                    .then(|| crate::wechat::bot(&wechat, &DbStores::new(db.clone())))
            }
            None => None,
        };
        refuse_an_open_service_api(&settings)?;
        settings
            .handoff
            .hours
            .validate()
            .map_err(anyhow::Error::msg)
            .context("handoff settings")?;
        let service =
            crate::service::from_settings(&settings.service, &settings.rules, settings.demo, &db)
                .await
                .context("setting up the service API")?;
        let outbox = Outbox::new(db.clone());
        let locales = Arc::new(
            Locales::load(&settings.locales_dir, &settings.default_locale)
                .context("loading locales")?,
        );
        let office = crate::office::open(
            &db,
            storage.clone(),
            settings.sources()?,
            settings.nlu.clone(),
            settings.office.clone(),
        )
        .await
        .context("opening the published phrasebook")?;
        let engine = office.library.engine().clone();
        let conversations = crate::transcript::store_for(&db);
        let events = Events::default();
        let handoffs = Handoffs {
            store: crate::handoff::store_for(&db),
            conversations: conversations.clone(),
            events: events.clone(),
            bot: bot.clone(),
            locales: locales.clone(),
            service: service.clone(),
            settings: Arc::new(settings.handoff.clone()),
        };
        let notifier = Notifier {
            conversations: conversations.clone(),
            bot: bot.clone(),
            locales: locales.clone(),
        };
        let state = Self {
            classifier: Classifier::new(engine.clone(), storage.clone()),
            users: crate::desk::users::store_for(&db),
            settings: Arc::new(settings),
            engine,
            db,
            storage,
            locales,
            service,
            outbox,
            bot,
            events,
            conversations,
            handoffs,
            notifier,
            readiness: crate::http::Readiness::default(),
            office,
        };
        state
            .events
            .share(&state.db)
            .await
            .context("listening for other instances' desk events")?;
        if state.settings.demo {
            crate::desk::demo::load_users(&state.db)
                .await
                .context("creating the sample desk users")?;
        }
        start.release().await;
        // Every instance follows the published phrasebook from the start.
        state.spawn_watcher();
        // Refuse to start on broken dialogue data rather than fail on the first message.
        state.dialogue().context("loading the dialogue data")?;
        Ok(state)
    }

    /// What a dialogue is built from.
    pub fn dialogue_deps(&self) -> DialogueDeps {
        let s = &self.settings;
        DialogueDeps {
            conversations: self.conversations.clone(),
            classifier: self.classifier.clone(),
            locales: self.locales.clone(),
            service: self.service.clone(),
            outbox: self.outbox.clone(),
            escalate: Arc::new(self.handoffs.clone()),
            contradicted: Some(Arc::new(self.office.clone())),
            settings: s.dialogue.clone(),
            rules: s.rules.clone(),
            limits: EscalationLimits {
                failed_clarifications: s.handoff.failed_clarifications,
                negative_messages: s.handoff.negative_messages,
            },
            intents_dir: s.intents_dir.clone(),
        }
    }

    pub fn dialogue(&self) -> Result<Dialogue, crate::dialogue::DialogueError> {
        Dialogue::new(self.dialogue_deps())
    }

    pub fn desk_state(&self) -> DeskState {
        DeskState {
            users: self.users.clone(),
            handoffs: self.handoffs.clone(),
            conversations: self.conversations.clone(),
            classifier: self.classifier.clone(),
            engine: self.engine.clone(),
            storage: self.storage.clone(),
            locales: self.locales.clone(),
            events: self.events.clone(),
            service: self.service.clone(),
            notifier: self.notifier.clone(),
            settings: self.settings.desk.clone(),
            office: self.office.clone(),
            demo: self.settings.demo,
        }
    }

    /// Sends the service writes kept while the API was down; forgets expired desk sessions.
    pub fn spawn_background(&self) {
        let every = Duration::from_secs(self.settings.service.outbox_interval_secs.max(1));
        self.outbox.spawn_worker(self.service.clone(), every);
        if self.settings.wechat.purge_interval_secs > 0 {
            let every = Duration::from_secs(self.settings.wechat.purge_interval_secs);
            DbStores::new(self.db.clone()).spawn_purger(every);
        }
        let users = self.users.clone();
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

    /// Keeps this instance on the latest published phrasebook version.
    pub fn spawn_watcher(&self) {
        let every = Duration::from_secs(self.settings.office.sync_interval_secs.max(1));
        self.office.library.spawn_sync(&self.db, every);
    }
}

/// The built-in service API is served at `/api/service/v1`; outside demo mode it must not
/// answer strangers (accounts, bills, requests).
fn refuse_an_open_service_api(settings: &Settings) -> anyhow::Result<()> {
    let builtin = settings.service.url.is_empty();
    if builtin && !settings.demo && settings.service.token.is_empty() {
        anyhow::bail!(
            "the built-in service API (/api/service/v1) would answer anyone: set service.token \
             (HEATDESK_SERVICE_TOKEN), point service.url at the utility's system, or run with demo = true"
        );
    }
    Ok(())
}

/// Builds and serves until a shutdown signal.
pub async fn run(settings: Settings) -> anyhow::Result<()> {
    let listen = settings.listen;
    let state = AppState::build(settings).await?;
    state.spawn_background();
    let listener = TcpListener::bind(listen)
        .await
        .with_context(|| format!("binding {listen}"))?;
    tracing::info!(address = %listener.local_addr()?, database = ?state.storage.backend(), "heatdesk is listening");
    let (events, readiness) = (state.events.clone(), state.readiness.clone());
    crate::http::serve_with(listener, router(&state), move || {
        readiness.drain();
        events.close();
    })
    .await?;
    Ok(())
}

/// The whole application's routes, without a socket (tests drive it directly too): each
/// capability's router, built from its own handles, merged here.
pub fn router(state: &AppState) -> Router {
    let api = Router::new()
        .merge(crate::nlu::http::router(state.classifier.clone()))
        .merge(crate::service::http::router(ServiceHttp {
            service: state.service.clone(),
            token: state.settings.service.token.clone(),
            notifier: state.notifier.clone(),
        }));
    let api = crate::http::api(
        api,
        state.locales.clone(),
        state.engine.clone(),
        state.storage.clone(),
        state.readiness.clone(),
    );
    let mut app = api.merge(crate::desk::router(state.desk_state()));
    // The callback speaks WeChat's protocol, not the API's JSON errors: mounted beside it.
    if crate::wechat::config(&state.settings.wechat).is_none() {
        tracing::info!("WeChat not configured (no callback token); /wechat not mounted");
        return app.layer(TraceLayer::new_for_http());
    }
    let wechat = state.dialogue().map(|dialogue| {
        crate::wechat::router(WeChatDeps {
            settings: state.settings.wechat.clone(),
            dialogue: Arc::new(dialogue),
            locales: state.locales.clone(),
            engine: state.engine.clone(),
            bot: state.bot.clone(),
            stores: DbStores::new(state.db.clone()),
        })
    });
    match wechat {
        Ok(Ok(Some(wechat))) => app = app.nest_service("/wechat", wechat),
        Ok(Ok(None)) => {}
        Ok(Err(e)) => tracing::error!(error = %e, "WeChat callback not mounted"),
        Err(e) => tracing::error!(error = %e, "WeChat callback not mounted: dialogue data"),
    }
    app.layer(TraceLayer::new_for_http())
}
