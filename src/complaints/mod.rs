//! Complaints as cases: a number, the resident's account and words, a category, an owner
//! and two deadlines from the settings (contact the resident, give the outcome). The
//! dialogue lodges a resident's complaint through its `LodgeComplaint` port; agents open
//! one from a conversation, work it (take, note, contacted, category), close it with an
//! outcome, and record the follow-up call (satisfaction 1–5 and a note). Cases past a
//! deadline are announced to the desk once.

mod follow_up;
mod model;
mod store;

use std::sync::{Arc, RwLock};
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::Channel;
use crate::handoff::{DeskEvent, Events};
use crate::service::ServiceApi;
use crate::transcript::ConversationStore;

pub use model::{
    case_number, parse_number, Case, CaseEvent, CaseStatus, Category, EventKind, NewCase, Standing,
};
pub use store::{store_for, Bind, ComplaintError, ComplaintStore, Listing};

/// Deadlines and follow-up of complaints (`[complaints]`, `HEATDESK_COMPLAINTS_*`). The
/// complaint replies' `{complaint_response_time}` is rendered from these.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ComplaintSettings {
    /// Hours within which the resident is contacted after lodging a complaint.
    pub contact_within_hours: i64,
    /// Days within which the resident has the outcome.
    pub resolve_within_days: i64,
    /// Hours before a deadline from which the desk lists a case as due soon.
    pub due_soon_hours: i64,
    /// Days after closing when the follow-up call is due.
    pub follow_up_after_days: i64,
    /// Seconds between looks for cases that went past a deadline (0: never).
    pub overdue_check_secs: u64,
}

impl Default for ComplaintSettings {
    fn default() -> Self {
        Self {
            contact_within_hours: 24,
            resolve_within_days: 7,
            due_soon_hours: 12,
            follow_up_after_days: 3,
            overdue_check_secs: 60,
        }
    }
}

impl ComplaintSettings {
    /// What `config check` refuses.
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        for (key, v) in [
            ("complaints.contact_within_hours", self.contact_within_hours),
            ("complaints.resolve_within_days", self.resolve_within_days),
            ("complaints.follow_up_after_days", self.follow_up_after_days),
        ] {
            if v < 1 {
                out.push((key, format!("{v} is not a positive number")));
            }
        }
        if self.due_soon_hours < 0 {
            out.push((
                "complaints.due_soon_hours",
                format!("{} is negative", self.due_soon_hours),
            ));
        }
        out
    }
}

/// What time it is for deadlines: the system's clock, unless pinned. Tests pin and move
/// it to see cases become due and overdue without waiting days.
#[derive(Debug, Clone, Default)]
pub struct Clock(Arc<RwLock<Option<DateTime<Utc>>>>);

impl Clock {
    pub fn now(&self) -> DateTime<Utc> {
        self.0
            .read()
            .ok()
            .and_then(|pinned| *pinned)
            .unwrap_or_else(Utc::now)
    }

    /// From now on the clock says `at`.
    pub fn pin(&self, at: DateTime<Utc>) {
        if let Ok(mut pinned) = self.0.write() {
            *pinned = Some(at);
        }
    }
}

/// Who does something to a case at the desk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub id: i64,
    pub name: String,
}

/// What the desk can do to a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// The actor owns the case from now on.
    Take,
    Note(String),
    /// The resident was contacted (the first deadline).
    Contacted(String),
    Categorise(Category),
    /// Closed with the outcome told to the resident; the follow-up call is scheduled.
    Close(String),
    /// The follow-up call: the resident's satisfaction 1–5 and a note.
    FollowUp {
        satisfaction: i64,
        note: String,
    },
}

/// Longest text kept from a desk form (outcome, note).
pub const TEXT_MAX: usize = 2000;

/// The complaints capability: its store, its clock, what it tells the desk.
#[derive(Clone)]
pub struct Complaints {
    pub store: Arc<dyn ComplaintStore>,
    pub conversations: Arc<dyn ConversationStore>,
    pub service: Arc<dyn ServiceApi>,
    pub events: Events,
    pub settings: Arc<ComplaintSettings>,
    pub clock: Clock,
    /// Tells the resident the outcome (and asks the follow-up question).
    pub notifier: crate::notify::Notifier,
}

impl std::fmt::Debug for Complaints {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Complaints")
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}

impl Complaints {
    pub fn due_soon(&self) -> Duration {
        Duration::hours(self.settings.due_soon_hours.max(0))
    }

    /// The deadlines of a case opened at `at`.
    fn deadlines(&self, at: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
        let s = &self.settings;
        (
            at + Duration::hours(s.contact_within_hours.max(1)),
            at + Duration::days(s.resolve_within_days.max(1)),
        )
    }

    /// The resident's first bound account and its district, when there is one.
    async fn account_of(&self, user: &str) -> (Option<String>, Option<String>) {
        let bindings = self.conversations.bindings(user).await.unwrap_or_default();
        let Some(b) = bindings.into_iter().next() else {
            return (None, None);
        };
        let district = match self.service.account(&b.account).await {
            Ok(a) => Some(a.district),
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the complaint's account");
                None
            }
        };
        (Some(b.account.to_string()), district)
    }

    /// Opens a case for a resident of WeChat (`author`: the desk user who opened it;
    /// `None`: the resident through the bot).
    pub async fn open(
        &self,
        user: &str,
        words: &str,
        key: &str,
        owner: Option<&Actor>,
        handoff: Option<i64>,
        at: DateTime<Utc>,
    ) -> Result<(Case, bool), ComplaintError> {
        let (account, district) = self.account_of(user).await;
        let (contact_by, resolve_by) = self.deadlines(at);
        let new = NewCase {
            source_key: key.to_owned(),
            user: Some(user.to_owned()),
            account,
            district,
            words: words.chars().take(TEXT_MAX).collect(),
            category: Category::Unsorted,
            channel: Channel::Wechat,
            owner: owner.map(|a| a.id),
            handoff,
            opened_at: at,
            contact_by,
            resolve_by,
            author: owner.map(|a| a.name.clone()),
        };
        let (case, created) = self.store.open(&new).await?;
        if created {
            tracing::info!(case = case.id, "complaint case opened");
            self.events.publish(DeskEvent::Complaints);
        }
        Ok((case, created))
    }

    /// Does `action` to case `id`; `Conflict` when the case's state does not allow it.
    pub async fn act(&self, id: i64, who: &Actor, action: Action) -> Result<(), ComplaintError> {
        let now = self.clock.now();
        let closing = matches!(action, Action::Close(_));
        let event = |kind: EventKind, note: Option<String>| CaseEvent {
            at: now,
            kind,
            author: Some(who.name.clone()),
            note,
        };
        let clip = |t: &str| -> Result<String, ComplaintError> {
            let t: String = t.trim().chars().take(TEXT_MAX).collect();
            if t.is_empty() {
                Err(ComplaintError::Invalid("empty text".to_owned()))
            } else {
                Ok(t)
            }
        };
        let done = match action {
            Action::Take => {
                self.store
                    .change(
                        id,
                        store::TAKE,
                        store::OPEN,
                        &[Bind::Int(who.id)],
                        &event(EventKind::Taken, None),
                    )
                    .await?
            }
            Action::Note(text) => {
                let text = clip(&text)?;
                if self.store.get(id).await?.is_none() {
                    return Err(ComplaintError::NotFound);
                }
                self.store
                    .add_event(id, &event(EventKind::Note, Some(text)))
                    .await?;
                true
            }
            Action::Contacted(note) => {
                let note = note.trim().chars().take(TEXT_MAX).collect::<String>();
                self.store
                    .change(
                        id,
                        store::CONTACTED,
                        store::NOT_CONTACTED,
                        &[Bind::At(now)],
                        &event(EventKind::Contacted, (!note.is_empty()).then_some(note)),
                    )
                    .await?
            }
            Action::Categorise(c) => {
                self.store
                    .change(
                        id,
                        store::CATEGORISE,
                        store::OPEN,
                        &[Bind::Text(c.as_str().to_owned())],
                        &event(EventKind::Categorised, Some(c.as_str().to_owned())),
                    )
                    .await?
            }
            Action::Close(outcome) => {
                let outcome = clip(&outcome)?;
                let due = now + Duration::days(self.settings.follow_up_after_days.max(1));
                self.store
                    .change(
                        id,
                        store::CLOSE,
                        store::OPEN,
                        &[
                            Bind::At(now),
                            Bind::Int(who.id),
                            Bind::Text(outcome.clone()),
                            Bind::At(due),
                        ],
                        &event(EventKind::Closed, Some(outcome)),
                    )
                    .await?
            }
            Action::FollowUp { satisfaction, note } => {
                if !(1..=5).contains(&satisfaction) {
                    return Err(ComplaintError::Invalid(format!(
                        "satisfaction {satisfaction}"
                    )));
                }
                let note = note.trim().chars().take(TEXT_MAX).collect::<String>();
                self.store
                    .change(
                        id,
                        store::FOLLOW_UP,
                        store::AWAITING_FOLLOW_UP,
                        &[
                            Bind::At(now),
                            Bind::Int(satisfaction),
                            Bind::Text(note.clone()),
                        ],
                        &event(
                            EventKind::FollowedUp,
                            Some(format!("{satisfaction}/5 {note}").trim().to_owned()),
                        ),
                    )
                    .await?
            }
        };
        if !done {
            return match self.store.get(id).await? {
                None => Err(ComplaintError::NotFound),
                Some(_) => Err(ComplaintError::Conflict),
            };
        }
        if closing {
            self.tell_outcome(id, now).await?;
        }
        self.events.publish(DeskEvent::Complaints);
        Ok(())
    }

    /// Marks the open cases past a deadline and tells the desk of each, once.
    pub async fn sweep_overdue(&self) -> Result<Vec<i64>, ComplaintError> {
        let ids = self.store.mark_overdue(self.clock.now()).await?;
        for id in &ids {
            tracing::warn!(case = id, "complaint case overdue");
            self.events.publish(DeskEvent::ComplaintOverdue(*id));
        }
        if !ids.is_empty() {
            self.events.publish(DeskEvent::Complaints);
        }
        Ok(ids)
    }

    /// Looks for overdue cases every `complaints.overdue_check_secs`.
    pub fn spawn_sweeper(&self) {
        let secs = self.settings.overdue_check_secs;
        if secs == 0 {
            return;
        }
        let me = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(StdDuration::from_secs(secs));
            loop {
                tick.tick().await;
                if let Err(e) = me.sweep_overdue().await {
                    tracing::warn!(error = %e, "cannot look for overdue complaints");
                }
            }
        });
    }
}
