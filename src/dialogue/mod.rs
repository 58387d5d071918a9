//! The conversation with a resident: one per WeChat user, stored in the database so it
//! survives restarts and is shared by every instance.
//!
//! A turn reads the stored state, understands the message (entities at the edge, the
//! classifier when needed), moves the state on (clarify, fill a form's slots, confirm,
//! carry out the transaction through the service API) and stores the new state. Intents
//! behave by their data (`[form]` and `action` in `intents/*.toml`); every reply comes from
//! the phrasebook or the locales.

mod account;
mod actions;
mod attach;
mod clarify;
mod ctx;
mod data;
mod form;
mod lookups;
mod requests;
mod state;
mod store;
mod store_sql;
mod turn;
mod types;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::app::AppState;
use crate::entities::Lexicon;
use crate::service::OutboxResult;

pub use data::DialogueData;
pub use state::{Conversation, FormInstance, Pending, SlotValue, State};
pub use store::{
    store_for, Binding, ConversationStore, Direction, EscalationRecord, StoreError,
    StoredConversation, TranscriptLine,
};
pub use types::{DialogueError, Escalation, EscalationReason, Inbound, Outcome, Turn};

/// Settings of the conversation (`[dialogue]`, `HEATDESK_DIALOGUE_*`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct DialogueSettings {
    /// Minutes of silence after which an unfinished conversation starts afresh.
    pub timeout_minutes: i64,
    /// Accounts one WeChat user may bind.
    pub max_bindings: usize,
}

impl Default for DialogueSettings {
    fn default() -> Self {
        Self {
            timeout_minutes: 30,
            max_bindings: 5,
        }
    }
}

/// Attempts of one turn when another instance changes the same conversation meanwhile.
const ATTEMPTS: usize = 4;

pub struct Dialogue {
    state: AppState,
    store: Arc<dyn ConversationStore>,
    lexicon: Arc<Lexicon>,
    data: Arc<DialogueData>,
}

impl std::fmt::Debug for Dialogue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dialogue")
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}

impl Dialogue {
    /// Reads the lexicon and the dialogue's data next to the intents.
    pub fn new(state: &AppState) -> Result<Self, DialogueError> {
        let dir = &state.settings.intents_dir;
        let lexicon = Lexicon::load(&dir.join(crate::catalog::LEXICON_FILE))
            .map_err(|e| DialogueError::Data(e.to_string()))?;
        let data = DialogueData::load(&dir.join(crate::catalog::DIALOGUE_FILE))
            .map_err(DialogueError::Data)?;
        data.check(state.engine.current().catalog())
            .map_err(DialogueError::Data)?;
        Ok(Self {
            store: store::store_for(&state.db),
            state: state.clone(),
            lexicon: Arc::new(lexicon),
            data: Arc::new(data),
        })
    }

    pub fn store(&self) -> &Arc<dyn ConversationStore> {
        &self.store
    }

    /// Handles one message of one resident. Turns of the same resident are serialised by the
    /// stored version: a turn that lost the race runs again on the newer state.
    #[tracing::instrument(name = "turn", skip_all, fields(kind = inbound_kind(&turn.inbound)))]
    pub async fn handle(&self, turn: Turn) -> Result<Outcome, DialogueError> {
        let mut notices = self.held_notices(&turn).await;
        notices.extend(self.finished_requests(&turn).await);
        for _ in 0..ATTEMPTS {
            let stored = self.store.load(&turn.user).await?;
            let (conv, version, idle_since) = match &stored {
                Some(s) => (
                    serde_json::from_str::<Conversation>(&s.state).unwrap_or_else(|e| {
                        tracing::warn!(error = %e, "stored conversation unreadable; starting afresh");
                        Conversation::default()
                    }),
                    Some(s.version),
                    Some(s.updated_at),
                ),
                None => (Conversation::default(), None, None),
            };
            let mut cx = ctx::Ctx {
                d: self,
                user: &turn.user,
                locale: &turn.locale,
                at: turn.at,
                catalog: self.state.engine.current().catalog().clone(),
                replies: Vec::new(),
                escalation: None,
                next_seq: conv.next_seq,
            };
            let mut current = conv.state;
            if self.timed_out(&current, idle_since, turn.at) {
                cx.say("dialogue-timeout-restart", &[]);
                current = State::Idle;
            }
            let next = turn::step(&mut cx, current, &turn.inbound).await?;
            let saved = Conversation {
                state: next,
                next_seq: cx.next_seq,
            };
            let json =
                serde_json::to_string(&saved).map_err(|e| DialogueError::Data(e.to_string()))?;
            if self.store.save(&turn.user, &json, version, turn.at).await? {
                tracing::info!(
                    state = state_name(&saved.state),
                    replies = cx.replies.len(),
                    "turn done"
                );
                let replies = notices.into_iter().chain(cx.replies).collect();
                return self.finish(&turn, replies, cx.escalation).await;
            }
            tracing::info!("conversation changed meanwhile; running the turn again");
        }
        Err(DialogueError::Contended)
    }

    fn timed_out(&self, state: &State, since: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
        let limit = chrono::Duration::minutes(self.state.settings.dialogue.timeout_minutes.max(1));
        !matches!(state, State::Idle) && since.is_some_and(|t| now - t > limit)
    }

    /// Progress of requests that could not be sent as a message when it happened.
    async fn held_notices(&self, turn: &Turn) -> Vec<String> {
        self.store
            .take_notices(&turn.user)
            .await
            .unwrap_or_else(|e| {
                tracing::warn!(error = %e, "cannot read held notices");
                Vec::new()
            })
    }

    /// Requests sent later by the outbox, told once to their owner.
    async fn finished_requests(&self, turn: &Turn) -> Vec<String> {
        let done = match self.state.outbox.take_finished(&turn.user).await {
            Ok(done) => done,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read finished outbox items");
                return Vec::new();
            }
        };
        let locales = &self.state.locales;
        done.into_iter()
            .map(|o| match o.result {
                OutboxResult::Created(req) => locales.text(
                    &turn.locale,
                    "outbox-created",
                    &[
                        ctx::arg("id", &req.id),
                        ctx::arg("account", o.account.as_str()),
                    ],
                ),
                OutboxResult::Failed { code } => {
                    let why = locales.text(&turn.locale, &code, &[]);
                    locales.text(&turn.locale, "outbox-failed", &[ctx::arg("reason", why)])
                }
            })
            .collect()
    }

    async fn finish(
        &self,
        turn: &Turn,
        replies: Vec<String>,
        escalation: Option<Escalation>,
    ) -> Result<Outcome, DialogueError> {
        let mut lines = vec![TranscriptLine {
            at: turn.at,
            direction: Direction::In,
            text: inbound_text(&turn.inbound),
        }];
        lines.extend(replies.iter().map(|r| TranscriptLine {
            at: turn.at,
            direction: Direction::Out,
            text: r.clone(),
        }));
        self.store.append(&turn.user, &lines).await?;
        if let Some(e) = &escalation {
            tracing::info!(reason = e.reason.as_str(), "conversation escalated");
            let record = EscalationRecord {
                at: turn.at,
                reason: e.reason,
                intent: e.intent.clone(),
                confidence: e.confidence,
            };
            self.store.record_escalation(&turn.user, &record).await?;
        }
        Ok(Outcome {
            replies,
            escalation,
        })
    }
}

fn inbound_kind(i: &Inbound) -> &'static str {
    match i {
        Inbound::Text(_) => "text",
        Inbound::Voice { .. } => "voice",
        Inbound::Click { .. } => "click",
        Inbound::Location { .. } => "location",
        Inbound::Image { .. } => "image",
        Inbound::Subscribe => "subscribe",
        Inbound::Other { .. } => "other",
    }
}

fn state_name(s: &State) -> &'static str {
    match s {
        State::Idle => "idle",
        State::Clarifying { .. } => "clarifying",
        State::Offering { .. } => "offering",
        State::Filling { .. } => "filling",
        State::ChoosingAccount { .. } => "choosing_account",
        State::Confirming { .. } => "confirming",
    }
}

/// The inbound message as an agent reads it in the transcript.
fn inbound_text(i: &Inbound) -> String {
    match i {
        Inbound::Text(t) => t.clone(),
        Inbound::Voice { recognition } => {
            format!("[voice] {}", recognition.as_deref().unwrap_or(""))
        }
        Inbound::Click { key } => format!("[click] {key}"),
        Inbound::Location { lat, lon, label } => {
            format!(
                "[location] {lat:.5},{lon:.5} {}",
                label.as_deref().unwrap_or("")
            )
        }
        Inbound::Image { media_id, .. } => format!("[image] {media_id}"),
        Inbound::Subscribe => "[subscribe]".to_owned(),
        Inbound::Other { kind } => format!("[{kind}]"),
    }
}
