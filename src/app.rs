//! Building the application from settings: storage, locales, the engine. Kept apart from
//! serving so tests build the same application on port 0.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use chrono::Utc;
use tokio::net::TcpListener;

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
    /// Complaint cases, their deadlines and follow-up calls.
    pub complaints: crate::complaints::Complaints,
    /// Interruptions of the heat supply, held in memory.
    pub incidents: crate::incident::Incidents,
    /// Measurements below the standard and what is owed for them.
    pub compensation: crate::compensation::Compensation,
    /// The standard reply told after an interruption's data (the public page, the desk).
    pub meanwhile: crate::incident::Meanwhile,
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
        let db = open_database(&settings).await?;
        Self::build_on(settings, db).await
    }

    /// As `build`, on a database already opened (and migrated, or checked to be current).
    pub async fn build_on(settings: Settings, db: Database) -> anyhow::Result<Self> {
        // Installed before anything is recorded, whether or not /metrics is served.
        crate::telemetry::metrics();
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
            queue: crate::handoff::QueueViews::default(),
        };
        let notifier = Notifier {
            conversations: conversations.clone(),
            store: crate::notify::store_for(&db),
            bot: bot.clone(),
            locales: locales.clone(),
            settings: Arc::new(settings.notices.clone()),
        };
        let complaints = crate::complaints::Complaints {
            store: crate::complaints::store_for(&db),
            conversations: conversations.clone(),
            service: service.clone(),
            events: events.clone(),
            settings: Arc::new(settings.complaints.clone()),
            clock: crate::complaints::Clock::default(),
            notifier: notifier.clone(),
        };
        let incidents = incidents(&settings, &db, Some(&notifier), &locales)
            .await
            .context("reading the interruptions")?;
        let compensation = crate::compensation::Compensation {
            store: crate::compensation::store_for(&db),
            service: service.clone(),
            incidents: incidents.clone(),
            rules: Arc::new(settings.rules.clone()),
            commitments: Arc::new(settings.commitments.clone()),
            settings: Arc::new(settings.compensation.clone()),
        };
        let meanwhile = meanwhile(&settings, &engine).context("loading the dialogue data")?;
        let state = Self {
            complaints,
            compensation,
            incidents,
            meanwhile,
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
            complaints: Some(Arc::new(self.complaints.clone())),
            settings: s.dialogue.clone(),
            rules: s.rules.clone(),
            limits: EscalationLimits {
                failed_clarifications: s.handoff.failed_clarifications,
                negative_messages: s.handoff.negative_messages,
            },
            intents_dir: s.intents_dir.clone(),
            incidents: Some(self.incidents.clone()),
            compensation: Some(self.compensation.clone()),
        }
    }

    pub fn dialogue(&self) -> Result<Dialogue, crate::dialogue::DialogueError> {
        Dialogue::new(self.dialogue_deps())
    }

    pub fn desk_state(&self) -> DeskState {
        DeskState::new(crate::desk::DeskParts {
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
            complaints: self.complaints.clone(),
            reports: crate::reports::Reports::new(
                self.db.clone(),
                self.settings.commitments.clone(),
            )
            .with_form_timeout(self.settings.dialogue.timeout_minutes),
            demo: self.settings.demo,
            incidents: self.incidents.clone(),
            compensation: self.compensation.clone(),
            meanwhile: self.meanwhile.clone(),
            queue_lists: crate::desk::RenderedLists::default(),
        })
    }

    /// What `/metrics` reads at scrape time.
    pub fn scrape(&self) -> crate::http::metrics::Scrape {
        crate::http::metrics::Scrape {
            handle: crate::telemetry::metrics().clone(),
            token: self.settings.metrics.token.clone(),
            handoffs: self.handoffs.store.clone(),
            outbox: self.outbox.clone(),
            db: self.db.clone(),
            agents: Arc::default(),
        }
    }

    /// Sends the service writes kept while the API was down; forgets expired desk sessions;
    /// purges personal data past its retention.
    pub fn spawn_background(&self) {
        let every = Duration::from_secs(self.settings.service.outbox_interval_secs.max(1));
        self.outbox.spawn_worker(self.service.clone(), every);
        if self.settings.wechat.purge_interval_secs > 0 {
            let every = Duration::from_secs(self.settings.wechat.purge_interval_secs);
            DbStores::new(self.db.clone()).spawn_purger(every);
        }
        if self.settings.retention.interval_secs > 0 {
            crate::privacy::Privacy::new(self.db.clone())
                .spawn_retention(self.settings.retention.clone());
        }
        self.complaints.spawn_sweeper();
        // Changes made elsewhere (another instance, the command line) reach this one, and
        // their subscribers are told.
        let every = Duration::from_secs(self.settings.incident.sync_interval_secs.max(1));
        self.incidents.spawn_sync(every);
        self.notifier.spawn_redelivery();
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

/// The interruptions on `db`, with the places the settings' lexicon knows. With a
/// `notifier`, changes made here are told to subscribers at once (the command line has none:
/// a serving instance tells them).
pub async fn incidents(
    settings: &Settings,
    db: &Database,
    notifier: Option<&Notifier>,
    locales: &Arc<Locales>,
) -> anyhow::Result<crate::incident::Incidents> {
    let lexicon =
        crate::entities::Lexicon::load(&settings.intents_dir.join(crate::catalog::LEXICON_FILE))
            .context("loading the lexicon")?;
    let store = crate::incident::store_for(db);
    let notices = notifier.map(|n| crate::incident::NoticeRun {
        store: store.clone(),
        notifier: n.clone(),
        locales: locales.clone(),
        lease: chrono::Duration::seconds(settings.incident.claim_lease_secs.max(1) as i64),
    });
    Ok(crate::incident::Incidents::new(
        store,
        crate::incident::Places::new(Arc::new(lexicon)),
        db.clone(),
        notices,
    )
    .await?)
}

/// The standard reply told after an interruption's data: the entry the dialogue data names
/// (`[interruptions] meanwhile`), read from `engine`'s published catalogue at every use.
pub fn meanwhile(
    settings: &Settings,
    engine: &Arc<EngineHandle>,
) -> anyhow::Result<crate::incident::Meanwhile> {
    let data = crate::dialogue::DialogueData::load(
        &settings.intents_dir.join(crate::catalog::DIALOGUE_FILE),
    )
    .map_err(anyhow::Error::msg)?;
    data.check(engine.current().catalog())
        .map_err(anyhow::Error::msg)?;
    Ok(crate::incident::Meanwhile::new(
        engine.clone(),
        data.meanwhile(),
    ))
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
    let db = open_database(&settings).await?;
    run_on(settings, db).await
}

/// The configured database, migrated to this build's schema.
async fn open_database(settings: &Settings) -> anyhow::Result<Database> {
    Database::open(settings.database_url.expose())
        .await
        .context("opening the database")
}

/// As `run`, on a database already opened (`serve --no-migrate` checked its schema).
pub async fn run_on(settings: Settings, db: Database) -> anyhow::Result<()> {
    let listen = settings.listen;
    let state = AppState::build_on(settings, db).await?;
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
    // Answers that say something was done wait for it to be on disk; classifying is a
    // question, and its log is not a promise.
    let durable =
        axum::middleware::from_fn_with_state(state.db.clone(), crate::http::durable_writes);
    let incident = crate::incident::http::IncidentHttp {
        incidents: state.incidents.clone(),
        token: state.settings.incident.token.clone(),
        locales: state.locales.clone(),
        meanwhile: state.meanwhile.clone(),
    };
    let api = Router::new()
        .merge(crate::nlu::http::router(state.classifier.clone()))
        .merge(crate::incident::http::api_router(incident.clone()).layer(durable.clone()))
        .merge(
            crate::service::http::router(ServiceHttp {
                service: state.service.clone(),
                token: state.settings.service.token.clone(),
                notifier: state.notifier.clone(),
            })
            .layer(durable.clone()),
        );
    let api = crate::http::api(
        api,
        state.locales.clone(),
        state.engine.clone(),
        state.storage.clone(),
        state.readiness.clone(),
    );
    let mut app = api
        .merge(crate::desk::router(state.desk_state()).layer(durable))
        .merge(crate::incident::http::page_router(incident));
    if state.settings.metrics.enabled {
        app = app.merge(crate::http::metrics::router(state.scrape()));
    }
    // Outermost, so every log line of a request carries its id.
    let request_ids = axum::middleware::from_fn(crate::http::request_id::layer);
    // The callback speaks WeChat's protocol, not the API's JSON errors: mounted beside it.
    if crate::wechat::config(&state.settings.wechat).is_none() {
        tracing::info!("WeChat not configured (no callback token); /wechat not mounted");
        return app.layer(request_ids);
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
    app.layer(request_ids)
}
