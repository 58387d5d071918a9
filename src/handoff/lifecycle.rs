//! The steps of a handoff that touch more than its row: telling the resident, sending an
//! agent's words through WeChat, giving the conversation back to the bot.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use fluent_bundle::FluentValue;
use wechat_mp::{Bot, OpenId};

use super::store::{Handoff, HandoffError, HandoffStore, NewHandoff, Status};
use super::store::{QueueFilter, QueueView};
use super::{DeskEvent, Events, HandoffSettings, QueueViews};
use crate::dialogue::{Escalate, EscalateError, Handover, OpenHandoff};
use crate::entities::UTILITY_TZ;
use crate::i18n::Locales;
use crate::service::ServiceApi;
use crate::transcript::{ConversationStore, Direction, Escalation, Snapshot, TranscriptLine};

/// The handoffs and everything their steps touch: the queue, the residents' transcripts,
/// the desk's screens, WeChat and the service API (for the account state agents see).
/// Cheap to clone.
#[derive(Clone)]
pub struct Handoffs {
    pub store: Arc<dyn HandoffStore>,
    pub conversations: Arc<dyn ConversationStore>,
    pub events: Events,
    pub bot: Option<Bot>,
    pub locales: Arc<Locales>,
    pub service: Arc<dyn ServiceApi>,
    pub settings: Arc<HandoffSettings>,
    /// The queue as agents' screens last read it.
    pub queue: QueueViews,
}

/// WeChat's customer-service window of one resident, as the desk shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub last_inbound: Option<DateTime<Utc>>,
    /// When messages stop being accepted (`None`: the resident never wrote).
    pub closes_at: Option<DateTime<Utc>>,
    /// Messages still allowed before the resident writes again.
    pub left: i64,
}

impl Window {
    pub fn is_open(&self, now: DateTime<Utc>) -> bool {
        self.closes_at.is_some_and(|c| now < c) && self.left > 0
    }
}

/// The delivery of a transcript line that is a private note (never sent, never counted).
pub const NOTE: &str = "note";

impl Handoffs {
    /// The top of the queue for a desk screen: read again after any desk event.
    pub async fn queue_view(
        &self,
        filter: QueueFilter,
        limit: i64,
    ) -> Result<Arc<QueueView>, HandoffError> {
        self.queue
            .read(self.store.as_ref(), &self.events, filter, limit)
            .await
    }

    pub async fn window(&self, user: &str) -> Result<Window, HandoffError> {
        let store = &self.conversations;
        let s = &self.settings;
        let last = store.last_inbound(user).await.map_err(store_err)?;
        let Some(last) = last else {
            return Ok(Window {
                last_inbound: None,
                closes_at: None,
                left: 0,
            });
        };
        let used = store.sent_since(user, last).await.map_err(store_err)?;
        Ok(Window {
            last_inbound: Some(last),
            closes_at: Some(last + Duration::hours(i64::from(s.kf_window_hours))),
            left: (i64::from(s.kf_quota) - used).max(0),
        })
    }

    /// Opens (or joins) a handoff for an escalation the settings hand over. Returns what the
    /// resident is told: the wait, or what happens out of hours. `None` when nothing changes
    /// for them (the reason is only recorded, or they are already in the queue).
    pub async fn escalated(
        &self,
        user: &str,
        e: &Escalation,
        snapshot: Snapshot,
        at: DateTime<Utc>,
        locale: &str,
    ) -> Result<Option<String>, HandoffError> {
        let s = &self.settings;
        if !s.opens(e.reason) {
            return Ok(None);
        }
        let store = &self.store;
        let opened = store
            .open(&NewHandoff {
                user: user.to_owned(),
                reason: e.reason,
                priority: s.priority_of(e.reason),
                intent: e.intent.clone(),
                confidence: e.confidence,
                snapshot,
                at,
            })
            .await?;
        self.events.publish_from_resident(DeskEvent::Queue);
        if !opened.created {
            return Ok(None);
        }
        tracing::info!(
            handoff = opened.id,
            reason = e.reason.as_str(),
            "handoff opened"
        );
        let text = if s.hours.is_open(at) {
            let position = store.position(opened.id).await?;
            let minutes = position * i64::from(s.minutes_per_case.max(1));
            self.locales.text(
                locale,
                "handoff-queued",
                &[
                    ("position", FluentValue::from(position.to_string())),
                    ("minutes", FluentValue::from(minutes.to_string())),
                ],
            )
        } else {
            let opens = s
                .hours
                .next_opening(at)
                .map(|t| t.format("%m-%d %H:%M").to_string())
                .unwrap_or_default();
            self.locales.text(
                locale,
                "handoff-after-hours",
                &[
                    ("opens", FluentValue::from(opens)),
                    ("open", FluentValue::from(s.hours.open.clone())),
                    ("close", FluentValue::from(s.hours.close.clone())),
                ],
            )
        };
        Ok(Some(text))
    }

    /// A resident's message reached an open handoff: the screens showing it refresh. It
    /// changes the card's last words and unread count, not the handoff's state: queue
    /// screens take it as a conversation's line, which may reach them a moment late
    /// (`QueueViews`).
    pub fn resident_wrote(&self, handoff: i64) {
        self.events
            .publish_from_resident(DeskEvent::Conversation(handoff));
    }

    /// Sends `text` to the handoff's resident as a customer-service message and records it in
    /// the transcript with how it fared: `sent`, or `failed:<why>` (`window`, `quota`,
    /// `not_configured`, `error`). A failure is shown on the desk, never dropped.
    /// A private note for colleagues: a transcript line the resident never receives.
    pub async fn note(
        &self,
        handoff: &Handoff,
        author: &str,
        text: &str,
        now: DateTime<Utc>,
    ) -> Result<(), HandoffError> {
        let mut line = TranscriptLine::new(now, Direction::Out, text);
        line.author = Some(author.to_owned());
        line.delivery = Some(NOTE.to_owned());
        self.conversations
            .append_line(&handoff.user, &line)
            .await
            .map_err(store_err)?;
        self.events.publish(DeskEvent::Conversation(handoff.id));
        Ok(())
    }

    pub async fn deliver(
        &self,
        handoff: &Handoff,
        author: Option<&str>,
        text: &str,
        now: DateTime<Utc>,
    ) -> Result<String, HandoffError> {
        let store = &self.conversations;
        let mut line = TranscriptLine::new(now, Direction::Out, text);
        line.author = author.map(str::to_owned);
        line.delivery = Some("pending".to_owned());
        let id = store
            .append_line(&handoff.user, &line)
            .await
            .map_err(store_err)?;
        self.events.publish(DeskEvent::Conversation(handoff.id));
        if author.is_some() {
            // A person answered: the queue's card has nothing unanswered any more.
            self.events.publish(DeskEvent::Queue);
        }
        let w = self.window(&handoff.user).await?;
        let outcome = if w.closes_at.is_none_or(|c| now >= c) {
            "failed:window".to_owned()
        } else if w.left <= 0 {
            "failed:quota".to_owned()
        } else {
            self.send(&handoff.user, text).await
        };
        store.set_delivery(id, &outcome).await.map_err(store_err)?;
        if outcome != "sent" {
            tracing::warn!(handoff = handoff.id, outcome, "agent message not delivered");
        }
        self.events.publish(DeskEvent::Conversation(handoff.id));
        Ok(outcome)
    }

    async fn send(&self, user: &str, text: &str) -> String {
        let (Some(bot), Ok(openid)) = (&self.bot, OpenId::parse(user)) else {
            return "failed:not_configured".to_owned();
        };
        match bot.send_text(&openid, text).await {
            Ok(_) => "sent".to_owned(),
            Err(e) if e.is_outside_window() => "failed:window".to_owned(),
            Err(e) if e.is_quota_exceeded() => "failed:quota".to_owned(),
            Err(e) => {
                tracing::warn!(error = %e, "customer-service message failed");
                "failed:error".to_owned()
            }
        }
    }

    /// Closes a handoff its agent owns: the bot takes the conversation back and asks for a
    /// rating. `false` when the agent does not own it (any more).
    pub async fn close(
        &self,
        handoff: &Handoff,
        agent: i64,
        resolution: &str,
        note: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, HandoffError> {
        if !self
            .store
            .close(handoff.id, agent, resolution, note, now)
            .await?
        {
            return Ok(false);
        }
        tracing::info!(handoff = handoff.id, resolution, "handoff closed");
        crate::dialogue::await_rating(self.conversations.as_ref(), &handoff.user, handoff.id, now)
            .await
            .map_err(|e| HandoffError::Decode(e.to_string()))?;
        let locale = self.locales.default_locale();
        let prompt = self.locales.text(locale, "handoff-rating-prompt", &[]);
        let outcome = self.deliver(handoff, None, &prompt, now).await?;
        if outcome != "sent" {
            // Told at the resident's next message instead.
            self.conversations
                .hold_notice(&handoff.user, &prompt, now)
                .await
                .map_err(store_err)?;
        }
        self.events.publish(DeskEvent::Queue);
        Ok(true)
    }

    /// The resident's rating, 1 to 5, stored once.
    pub async fn rate(
        &self,
        handoff: i64,
        rating: i64,
        at: DateTime<Utc>,
    ) -> Result<bool, HandoffError> {
        if !(1..=5).contains(&rating) {
            return Ok(false);
        }
        let done = self.store.rate(handoff, rating, at).await?;
        if done {
            tracing::info!(handoff, rating, "handoff rated");
        }
        Ok(done)
    }
}

fn store_err(e: crate::transcript::StoreError) -> HandoffError {
    match e {
        crate::transcript::StoreError::Database(e) => HandoffError::Database(e),
        crate::transcript::StoreError::Decode(s) => HandoffError::Decode(s),
        crate::transcript::StoreError::Storage(e) => HandoffError::Decode(e.to_string()),
    }
}

fn port_err(e: HandoffError) -> EscalateError {
    EscalateError(e.to_string())
}

#[async_trait]
impl Escalate for Handoffs {
    async fn open_handoff(&self, user: &str) -> Result<Option<OpenHandoff>, EscalateError> {
        let open = self.store.open_status(user).await.map_err(port_err)?;
        Ok(open.map(|(id, status)| OpenHandoff {
            id,
            claimed: status == Status::Claimed,
        }))
    }

    fn kept_in_handoffs_table(&self) -> bool {
        true
    }

    async fn escalated(
        &self,
        user: &str,
        escalation: &Escalation,
        snapshot: Snapshot,
        at: DateTime<Utc>,
        locale: &str,
    ) -> Result<Handover, EscalateError> {
        let s = &self.settings;
        if s.transfer_customer_service && s.opens(escalation.reason) {
            return Ok(Handover::Transfer {
                account: s.kf_account.clone(),
            });
        }
        let told = Handoffs::escalated(self, user, escalation, snapshot, at, locale)
            .await
            .map_err(port_err)?;
        Ok(told.map_or(Handover::Unchanged, |told| Handover::Queued { told }))
    }

    fn resident_wrote(&self, handoff: i64) {
        Handoffs::resident_wrote(self, handoff);
    }

    async fn rate(
        &self,
        handoff: i64,
        rating: i64,
        at: DateTime<Utc>,
    ) -> Result<bool, EscalateError> {
        Handoffs::rate(self, handoff, rating, at)
            .await
            .map_err(port_err)
    }
}

/// A time as the desk and residents read it, in the utility's zone.
pub fn local(at: DateTime<Utc>) -> String {
    at.with_timezone(&UTILITY_TZ)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}
