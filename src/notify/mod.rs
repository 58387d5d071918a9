//! Residents hear of what concerns them without asking: a request moved on (the station
//! opened the valve, the repair is done), their complaint case was closed. Each notice is
//! kept before it is sent (an outbox, `store.rs`) and then delivered once: as a WeChat
//! customer-service message inside the 48-hour window; outside it as a template message
//! when its purpose has a template id (`[notices]`); otherwise held and told at the
//! resident's next message. Nothing is dropped: a notice an instance began and did not
//! finish is delivered by another (or after a restart) when its claim runs out.

mod settings;
mod store;
mod texts;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{Duration, Utc};
use wechat_mp::bot::TemplateMessage;
use wechat_mp::{Bot, OpenId, RequestError};

use crate::i18n::Locales;
use crate::service::ServiceRequest;
use crate::transcript::{ConversationStore, Direction, TranscriptLine};

pub use settings::{Field, NoticeSettings, Purpose, Template, TemplateKeys};
pub use store::{store_for, Claimed, Done, NoticeError, NoticeRecord, NoticeStore};
pub use texts::InterruptionChange;

/// Notices looked at per round of redelivery.
const DUE_BATCH: i64 = 100;

/// Something to tell one resident.
#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    /// What is told (`request:R1:3`, `complaint:7:outcome`): with the resident, made once.
    pub key: String,
    /// The resident's OpenID.
    pub user: String,
    pub purpose: Purpose,
    /// The customer-service message, and what is told at the next message.
    pub text: String,
    /// What a template message carries.
    pub fields: BTreeMap<Field, String>,
}

/// How a notice sent with [`Notifier::send_now`] reached one resident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// A customer-service message, inside the 48-hour window.
    Sent { user: String },
    /// A template message, outside it.
    Template { user: String },
    /// Neither could: told at the resident's next message.
    Held { user: String },
}

/// Tells residents. Cheap to clone.
#[derive(Clone)]
pub struct Notifier {
    pub conversations: Arc<dyn ConversationStore>,
    pub store: Arc<dyn NoticeStore>,
    pub bot: Option<Bot>,
    pub locales: Arc<Locales>,
    pub settings: Arc<NoticeSettings>,
}

impl Notifier {
    /// Tells every resident bound to the request's account of its latest step; returns
    /// the notices' ids. They are on disk when this returns and delivered in the
    /// background.
    pub async fn request_changed(&self, request: &ServiceRequest) -> Vec<i64> {
        let users = match self.conversations.users_bound_to(&request.account).await {
            Ok(users) => users,
            Err(e) => {
                tracing::error!(error = %e, request = %request.id, "cannot find whom to notify");
                return Vec::new();
            }
        };
        let notices = self.request_notices(request, &users);
        self.tell(&notices).await
    }

    /// Tells every resident bound to the inspection's account that a room was below the
    /// standard and by when it is put right; the notices' ids.
    pub async fn measurement_below(
        &self,
        request: &ServiceRequest,
        measurement: i64,
        lowest_celsius: f64,
        min_celsius: f64,
        visit_due: chrono::DateTime<Utc>,
        rectify_by: chrono::DateTime<Utc>,
    ) -> Vec<i64> {
        let users = match self.conversations.users_bound_to(&request.account).await {
            Ok(users) => users,
            Err(e) => {
                tracing::error!(error = %e, request = %request.id, "cannot find whom to notify");
                return Vec::new();
            }
        };
        let notices = self.measurement_below_notices(
            request,
            measurement,
            &users,
            lowest_celsius,
            min_celsius,
            visit_due,
            rectify_by,
        );
        self.tell(&notices).await
    }

    /// Keeps the notices, then delivers them in the background; their ids.
    pub async fn tell(&self, notices: &[Notice]) -> Vec<i64> {
        let ids = self.keep(notices).await;
        self.deliver_in_background(ids.clone());
        ids
    }

    /// Keeps the notices and waits until they are on disk (with the change they tell of),
    /// so a crash from here on delays them but loses none.
    pub async fn keep(&self, notices: &[Notice]) -> Vec<i64> {
        let mut ids = Vec::with_capacity(notices.len());
        for n in notices {
            match self.store.enqueue(n, Utc::now()).await {
                Ok(id) => ids.push(id),
                Err(e) => tracing::error!(error = %e, key = %n.key, "notice lost"),
            }
        }
        if !ids.is_empty() {
            if let Err(e) = self.conversations.sync().await {
                tracing::error!(error = %e, "notices kept but not yet on disk");
            }
        }
        ids
    }

    pub fn deliver_in_background(&self, ids: Vec<i64>) {
        if ids.is_empty() {
            return;
        }
        let me = self.clone();
        tokio::spawn(async move {
            for id in ids {
                me.deliver(id).await;
            }
        });
    }

    /// Delivers notice `id` unless it is delivered already or another instance is at it;
    /// how it went, when this call delivered it.
    pub async fn deliver(&self, id: i64) -> Option<Done> {
        let now = Utc::now();
        let lease = Duration::seconds(i64::try_from(self.settings.lease_secs).unwrap_or(60));
        let claimed = match self
            .store
            .claim(id, (now + lease).timestamp_millis(), now.timestamp_millis())
            .await
        {
            Ok(claimed) => claimed?,
            Err(e) => {
                tracing::warn!(error = %e, notice = id, "cannot claim a notice; later");
                return None;
            }
        };
        let (done, detail) = self.route(&claimed).await;
        match self
            .store
            .finish(id, done, detail.as_deref(), Utc::now())
            .await
        {
            Ok(true) => {}
            Ok(false) => tracing::warn!(notice = id, "notice finished meanwhile elsewhere"),
            Err(e) => tracing::error!(error = %e, notice = id, "notice delivered, not recorded"),
        }
        self.count_and_keep(&claimed, done).await;
        Some(done)
    }

    /// Counts how a notice went and keeps what went out in the transcript, so agents see
    /// what the resident was told and it counts against WeChat's quota.
    async fn count_and_keep(&self, n: &Claimed, done: Done) {
        metrics::counter!("notices_total", "purpose" => n.purpose.as_str(), "delivery" => done.as_str())
            .increment(1);
        if done == Done::Held {
            return;
        }
        let mut line = TranscriptLine::new(Utc::now(), Direction::Out, n.text.clone());
        line.delivery = Some(done.as_str().to_owned());
        if let Err(e) = self.conversations.append(&n.user, &[line]).await {
            tracing::warn!(error = %e, "notice sent but not kept in the transcript");
        }
    }

    /// Sends `notice` now the way every notice goes (a customer-service message inside the
    /// 48-hour window, a template message after it where the purpose has one) and keeps
    /// what went out in the transcript; `Held` when neither can reach the resident: the
    /// caller holds it. For callers with their own once-only record (interruption
    /// notices; `once` is that record's id, which WeChat also uses to drop a second send
    /// of the same template message); everything else goes through [`Notifier::tell`].
    pub async fn send_now(&self, notice: &Notice, once: i64) -> Delivery {
        let claimed = Claimed {
            id: once,
            key: notice.key.clone(),
            user: notice.user.clone(),
            purpose: notice.purpose,
            text: notice.text.clone(),
            fields: notice.fields.clone(),
        };
        let (done, detail) = self.route(&claimed).await;
        self.count_and_keep(&claimed, done).await;
        let user = claimed.user;
        match done {
            Done::Held => {
                tracing::info!(detail = detail.as_deref().unwrap_or(""), "notice held");
                Delivery::Held { user }
            }
            Done::Template => Delivery::Template { user },
            Done::Sent => Delivery::Sent { user },
        }
    }

    /// A customer-service message first; a template message when that cannot reach the
    /// resident and the purpose has one; held otherwise. The detail says what failed.
    async fn route(&self, n: &Claimed) -> (Done, Option<String>) {
        let (Some(bot), Ok(openid)) = (&self.bot, OpenId::parse(&n.user)) else {
            return (Done::Held, None);
        };
        let failed = match bot.send_text(&openid, &n.text).await {
            Ok(_) => return (Done::Sent, None),
            Err(e) => {
                tracing::info!(error = %e, notice = n.id, "no customer-service message");
                format!("customer service: {}", reason(&e))
            }
        };
        let Some(template) = self.settings.template(n.purpose) else {
            return (Done::Held, Some(failed));
        };
        match bot
            .send_template(&self.template_message(openid, &template, n))
            .await
        {
            Ok(_) => (Done::Template, None),
            Err(e) => {
                if e.is_template_rejected() {
                    tracing::error!(error = %e, purpose = n.purpose.as_str(), "WeChat refuses the template: check [notices]");
                } else {
                    tracing::warn!(error = %e, notice = n.id, "template message not sent");
                }
                (
                    Done::Held,
                    Some(format!("{failed}; template: {}", reason(&e))),
                )
            }
        }
    }

    fn template_message(&self, to: OpenId, t: &Template, n: &Claimed) -> TemplateMessage {
        // WeChat drops a second send with the same id: a notice sent just before its
        // instance died is not sent twice by the instance that takes it over.
        let once = format!("hd-{}-{}", n.key.replace(':', "-"), n.id);
        let mut message = TemplateMessage::new(to, t.id.clone()).client_msg_id(once);
        if !self.settings.template_url.is_empty() {
            message = message.url(self.settings.template_url.clone());
        }
        for (key, field) in &t.keys {
            let value = n.fields.get(field).map_or("", String::as_str);
            message = message.value_clipped(key.clone(), value);
        }
        message
    }

    /// Delivers the notices nobody is delivering (their instance stopped, or this one
    /// restarted); how many it delivered.
    pub async fn redeliver_due(&self) -> usize {
        let due = match self
            .store
            .due(Utc::now().timestamp_millis(), DUE_BATCH)
            .await
        {
            Ok(ids) => ids,
            Err(e) => {
                tracing::warn!(error = %e, "cannot look for undelivered notices");
                return 0;
            }
        };
        let mut delivered = 0;
        for id in due {
            if self.deliver(id).await.is_some() {
                delivered += 1;
            }
        }
        delivered
    }

    /// Looks for undelivered notices every `notices.redeliver_secs`, from the start.
    pub fn spawn_redelivery(&self) {
        let secs = self.settings.redeliver_secs;
        if secs == 0 {
            return;
        }
        let me = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(StdDuration::from_secs(secs));
            loop {
                tick.tick().await;
                let n = me.redeliver_due().await;
                if n > 0 {
                    tracing::info!(notices = n, "undelivered notices delivered");
                }
            }
        });
    }
}

/// What failed, without WeChat's text (it may carry request ids, never needed here).
fn reason(e: &RequestError) -> String {
    e.code()
        .map_or_else(|| "no answer".to_owned(), |c| format!("errcode {c}"))
}
