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
mod follow_up;
mod form;
mod interruption;
mod lookups;
mod owed;
mod port;
mod requests;
mod runs;
mod state;
mod triage;
mod turn;
mod types;

use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::IntentId;
use crate::entities::Lexicon;
use crate::i18n::Locales;
use crate::nlu::Classifier;
use crate::service::{Outbox, OutboxResult, Rules, ServiceApi};
use crate::transcript::{
    Answered, ConversationStore, Direction, EscalationRecord, SavedTurn, Snapshot,
    StoredConversation, TranscriptLine, TurnStart, Understood,
};

pub use data::DialogueData;
pub use port::{
    Complaint, Contradicted, Escalate, EscalateError, Handover, LodgeComplaint, Lodged,
    OpenHandoff, Unhappy,
};
pub use requests::REQUEST_KEY_PREFIX;
pub use state::{Conversation, FormInstance, Pending, SlotValue, State};
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

/// When the dialogue gives up on understanding a resident (from `[handoff]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EscalationLimits {
    /// Failed clarifications in a row after which a person is offered.
    pub failed_clarifications: u32,
    /// Messages with negative words in one conversation that hand it over (0: never).
    pub negative_messages: u32,
}

/// What a dialogue works with: its stores, the classifier, the service API, the port to
/// the people who take over, and its settings. Nothing else of the application.
#[derive(Clone)]
pub struct DialogueDeps {
    pub conversations: Arc<dyn ConversationStore>,
    pub classifier: Classifier,
    pub locales: Arc<Locales>,
    pub service: Arc<dyn ServiceApi>,
    /// Service writes waiting for the API to come back.
    pub outbox: Outbox,
    pub escalate: Arc<dyn Escalate>,
    /// Told of answers a resident contradicted at once (none: nobody listens).
    pub contradicted: Option<Arc<dyn Contradicted>>,
    /// Makes a complaint a case with a number and deadlines (none: complaints are only
    /// handed over).
    pub complaints: Option<Arc<dyn LodgeComplaint>>,
    pub settings: DialogueSettings,
    pub rules: Rules,
    pub limits: EscalationLimits,
    /// Where the lexicon and the dialogue's own data live (beside the intents).
    pub intents_dir: PathBuf,
    /// Interruptions in effect, told first to residents of their scope (none: never).
    pub incidents: Option<crate::incident::Incidents>,
    /// Inspection deadlines, measurements and what an account is owed (none: request status
    /// shows no deadlines and the question of what is owed gets the standard reply only).
    pub compensation: Option<crate::compensation::Compensation>,
}

/// The transcript of a turn: the resident's message (with what was understood of it) and
/// the answer's lines.
fn transcript_lines(
    turn: &Turn,
    outcome: &Outcome,
    understood: Option<&(IntentId, f32)>,
) -> Vec<TranscriptLine> {
    let mut inbound = TranscriptLine::new(turn.at, Direction::In, inbound_text(&turn.inbound));
    if let Some((intent, confidence)) = understood {
        inbound.intent = Some(intent.clone());
        inbound.confidence = Some(*confidence);
    }
    let mut lines = vec![inbound];
    lines.extend(
        outcome
            .replies
            .iter()
            .map(|r| TranscriptLine::new(turn.at, Direction::Out, r.clone())),
    );
    lines
}

/// Attempts of one turn when another instance changes the same conversation meanwhile.
const ATTEMPTS: usize = 4;

pub struct Dialogue {
    deps: DialogueDeps,
    store: Arc<dyn ConversationStore>,
    lexicon: Arc<Lexicon>,
    data: Arc<DialogueData>,
    /// The standard reply told after an interruption's data.
    meanwhile: crate::incident::Meanwhile,
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
    pub fn new(deps: DialogueDeps) -> Result<Self, DialogueError> {
        let dir = &deps.intents_dir;
        let lexicon = Lexicon::load(&dir.join(crate::catalog::LEXICON_FILE))
            .map_err(|e| DialogueError::Data(e.to_string()))?;
        let data = DialogueData::load(&dir.join(crate::catalog::DIALOGUE_FILE))
            .map_err(DialogueError::Data)?;
        data.check(deps.classifier.engine().current().catalog())
            .map_err(DialogueError::Data)?;
        let meanwhile =
            crate::incident::Meanwhile::new(deps.classifier.engine().clone(), data.meanwhile());
        Ok(Self {
            store: deps.conversations.clone(),
            deps,
            lexicon: Arc::new(lexicon),
            data: Arc::new(data),
            meanwhile,
        })
    }

    pub fn store(&self) -> &Arc<dyn ConversationStore> {
        &self.store
    }

    /// Handles one message of one resident. One turn of a resident runs at a time, whichever
    /// instance took the message; the stored version stays a safety net (a turn that lost
    /// the race runs again on the newer state).
    #[tracing::instrument(name = "turn", skip_all, fields(kind = inbound_kind(&turn.inbound)))]
    pub async fn handle(&self, turn: Turn) -> Result<Outcome, DialogueError> {
        let mut lock = self.store.lock(&turn.user).await?;
        let start = lock.take_start();
        let outcome = self.handle_locked(&turn, start).await;
        lock.release().await;
        outcome
    }

    /// `start`: what the store read as it took the lock, if it did (then fresh: the
    /// conversation needs no second read, and what it says waits for nobody is not asked).
    async fn handle_locked(
        &self,
        turn: &Turn,
        mut start: Option<TurnStart>,
    ) -> Result<Outcome, DialogueError> {
        let notices_held = start.as_ref().is_none_or(|s| s.notices_held);
        let outbox_settled = start.as_ref().is_none_or(|s| s.outbox_settled);
        let read = start
            .as_ref()
            .filter(|_| self.deps.escalate.kept_in_handoffs_table());
        let handoff = match read {
            Some(s) => s
                .open_handoff
                .map(|(id, claimed)| OpenHandoff { id, claimed }),
            None => self
                .deps
                .escalate
                .open_handoff(&turn.user)
                .await
                .unwrap_or_else(|e| {
                    tracing::error!(error = %e, "cannot read the resident's handoff");
                    None
                }),
        };
        if let Some(h) = handoff.as_ref().filter(|h| h.claimed) {
            // An agent owns the conversation: the bot only keeps the record, with what it
            // understood (for the agent, and for the office's log).
            let mut line = TranscriptLine::new(turn.at, Direction::In, inbound_text(&turn.inbound));
            if let Inbound::Text(t) = &turn.inbound {
                if let Ok(c) = self
                    .deps
                    .classifier
                    .classify_in_turn(t, crate::domain::Channel::Wechat)
                    .await
                {
                    line.intent = Some(c.intent);
                    line.confidence = Some(c.confidence);
                }
            }
            self.store.append(&turn.user, &[line]).await?;
            self.deps.escalate.resident_wrote(h.id);
            return Ok(Outcome::default());
        }
        let mut notices: Option<Vec<String>> = None;
        for _ in 0..ATTEMPTS {
            let stored = match start.take() {
                Some(read) => read.conversation,
                None => self.store.load(&turn.user).await?,
            };
            if let Some(answer) = stored.as_ref().and_then(|s| answered(s, turn)) {
                // The turn ran to its end before (on an instance that then died, say): the
                // resident gets what it answered, and nothing is done again.
                tracing::info!("message answered before; the same answer again");
                // The turn that stored it may have died before its flush.
                self.store.sync().await?;
                return Ok(answer);
            }
            if notices.is_none() {
                let mut held = Vec::new();
                if notices_held {
                    held.extend(self.held_notices(turn).await);
                }
                if outbox_settled {
                    held.extend(self.finished_requests(turn).await);
                }
                notices = Some(held);
            }
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
                catalog: self.deps.classifier.engine().current().catalog().clone(),
                replies: Vec::new(),
                escalation: None,
                next_seq: conv.next_seq,
                understood: std::sync::Mutex::new(None),
                negative: false,
                handoff_reply: None,
                promised: false,
                interruption_checked: false,
                triaged: false,
                closed_form: None,
            };
            let mut current = conv.state;
            let started_in = current.clone();
            if self.timed_out(&current, idle_since, turn.at) {
                cx.say("dialogue-timeout-restart", &[]);
                current = State::Idle;
            }
            let before = current.clone();
            let next = turn::step(&mut cx, current, &turn.inbound).await?;
            let promised = cx.promised || cx.escalation.is_some();
            let negative = conv.negative + u32::from(cx.negative);
            let limit = self.deps.limits.negative_messages;
            if limit > 0 && negative >= limit {
                cx.escalate(EscalationReason::Negative, None, None);
            }
            let saved = Conversation {
                state: next,
                next_seq: cx.next_seq,
                negative: if cx.escalation.is_some() { 0 } else { negative },
            };
            let json =
                serde_json::to_string(&saved).map_err(|e| DialogueError::Data(e.to_string()))?;
            let understood = cx.understood.lock().ok().and_then(|mut u| u.take());
            let mut replies: Vec<String> = notices.clone().unwrap_or_default();
            let standard = cx.handoff_reply.map(|i| i + replies.len());
            replies.extend(cx.replies);
            // What the escalation means for the resident is part of the answer, so it is
            // decided before the answer is stored with the state.
            let transfer = match &cx.escalation {
                Some(e) => {
                    self.escalated(
                        turn,
                        e,
                        &before,
                        understood.as_ref(),
                        &mut replies,
                        standard,
                    )
                    .await?
                }
                None => None,
            };
            let outcome = Outcome {
                replies,
                escalation: cx.escalation,
                transfer,
            };
            let answer = StoredAnswer::of(&outcome);
            let answered = turn.message.as_deref().map(|message| Answered {
                message,
                outcome: &answer,
            });
            let lines = transcript_lines(turn, &outcome, understood.as_ref());
            let closed = cx.closed_form.as_ref();
            let runs = runs::runs(&cx.catalog, &started_in, &saved.state, closed, turn.at);
            let saving = SavedTurn {
                state: &json,
                expected: version,
                at: turn.at,
                answered,
            };
            // The turn's lines and forms go with its state: one write where the backend can.
            if self
                .store
                .finish_turn(&turn.user, saving, &lines, &runs)
                .await?
            {
                if promised {
                    // What the answer reports (the request, the handoff, the turn's own
                    // save) must survive a crash once the resident has read it.
                    self.store.sync().await?;
                }
                tracing::info!(
                    state = state_name(&saved.state),
                    replies = outcome.replies.len(),
                    "turn done"
                );
                self.tell_desk(turn, &outcome, handoff).await;
                return Ok(outcome);
            }
            tracing::info!("conversation changed meanwhile; running the turn again");
        }
        Err(DialogueError::Contended)
    }

    fn timed_out(&self, state: &State, since: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
        let limit = chrono::Duration::minutes(self.deps.settings.timeout_minutes.max(1));
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
        let done = match self.deps.outbox.take_finished(&turn.user).await {
            Ok(done) => done,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read finished outbox items");
                return Vec::new();
            }
        };
        let locales = &self.deps.locales;
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

    /// Records the escalation and hands it over; what the resident is told joins
    /// `replies` (the intent's standard reply at `standard`, when it has one). Returns the customer-service account to transfer to, if that is the way.
    async fn escalated(
        &self,
        turn: &Turn,
        e: &Escalation,
        before: &State,
        understood: Option<&(IntentId, f32)>,
        replies: &mut Vec<String>,
        standard: Option<usize>,
    ) -> Result<Option<String>, DialogueError> {
        tracing::info!(reason = e.reason.as_str(), "conversation escalated");
        let record = EscalationRecord {
            at: turn.at,
            reason: e.reason,
            intent: e.intent.clone(),
            confidence: e.confidence,
        };
        self.store.record_escalation(&turn.user, &record).await?;
        if e.reason == EscalationReason::Complaint {
            if let Some(told) = self.lodge(turn).await {
                match standard.and_then(|i| replies.get_mut(i)) {
                    Some(reply) => {
                        reply.push('\n');
                        reply.push_str(&told);
                    }
                    None => replies.push(told),
                }
            }
        }
        let snapshot = self.snapshot(turn, before, understood).await;
        match self
            .deps
            .escalate
            .escalated(&turn.user, e, snapshot, turn.at, &turn.locale)
            .await
        {
            Ok(Handover::Queued { told }) => match standard.and_then(|i| replies.get_mut(i)) {
                // Asked for a person: the notice says all the standard reply said, and the
                // place in the queue.
                Some(reply) if e.reason == EscalationReason::Requested => *reply = told,
                // A complaint or a leak keeps its standard reply (what to do meanwhile),
                // with the place in the queue in the same message.
                Some(reply) => {
                    reply.push('\n');
                    reply.push_str(&told);
                }
                None => replies.push(told),
            },
            Ok(Handover::Transfer { account }) => return Ok(Some(account)),
            Ok(Handover::Unchanged) => {}
            Err(err) => tracing::error!(error = %err, "cannot open the handoff"),
        }
        Ok(None)
    }

    /// Makes the resident's complaint a case; what they are told of it (its number and
    /// deadlines), or nothing when there is nowhere to lodge it.
    async fn lodge(&self, turn: &Turn) -> Option<String> {
        let desk = self.deps.complaints.as_ref()?;
        let key = match &turn.message {
            Some(m) => format!("wechat:{}:{m}", turn.user),
            None => format!("turn:{}:{}", turn.user, turn.at.timestamp_micros()),
        };
        let complaint = Complaint {
            user: turn.user.clone(),
            words: inbound_text(&turn.inbound),
            key,
            at: turn.at,
        };
        match desk.lodge(&complaint).await {
            Ok(l) => {
                let local = |t: DateTime<Utc>| {
                    t.with_timezone(&crate::entities::UTILITY_TZ)
                        .format("%Y-%m-%d %H:%M")
                        .to_string()
                };
                Some(self.deps.locales.text(
                    &turn.locale,
                    "complaint-lodged",
                    &[
                        ctx::arg("number", &l.number),
                        ctx::arg("contact_by", local(l.contact_by)),
                        ctx::arg("resolve_by", local(l.resolve_by)),
                    ],
                ))
            }
            Err(err) => {
                tracing::error!(error = %err, "cannot open the complaint case");
                None
            }
        }
    }

    /// The turn's lines in the transcript; the desk hears of a resident it is serving.
    /// An open handoff hears that its resident wrote.
    async fn tell_desk(&self, turn: &Turn, outcome: &Outcome, handoff: Option<OpenHandoff>) {
        let open = match handoff {
            Some(h) => Some(h.id),
            None if outcome.escalation.is_some() => self
                .deps
                .escalate
                .open_handoff(&turn.user)
                .await
                .ok()
                .flatten()
                .map(|h| h.id),
            None => None,
        };
        if let Some(id) = open {
            self.deps.escalate.resident_wrote(id);
        }
    }

    /// What the agent should know that the transcript does not say plainly.
    async fn snapshot(
        &self,
        turn: &Turn,
        before: &State,
        now: Option<&(IntentId, f32)>,
    ) -> Snapshot {
        let mut intents: Vec<Understood> = self
            .store
            .recent_transcript(&turn.user, LOOK_BACK)
            .await
            .unwrap_or_default()
            .into_iter()
            .filter_map(|l| {
                Some(Understood {
                    intent: l.intent?,
                    confidence: l.confidence?,
                    at: l.at,
                })
            })
            .collect();
        if let Some((intent, confidence)) = now {
            intents.push(Understood {
                intent: intent.clone(),
                confidence: *confidence,
                at: turn.at,
            });
        }
        let form = match before {
            State::Filling { form, .. }
            | State::Confirming { form }
            | State::Offering { form }
            | State::ChoosingAccount { form, .. } => Some(form),
            _ => None,
        };
        Snapshot {
            intents,
            form: form.map(|f| f.intent.clone()),
            slots: form
                .map(|f| {
                    f.slots
                        .iter()
                        .map(|(k, v)| (k.clone(), v.display()))
                        .collect()
                })
                .unwrap_or_default(),
            accounts: form
                .map(|f| f.accounts.iter().map(|a| a.to_string()).collect())
                .unwrap_or_default(),
        }
    }
}

/// Lines of the transcript a turn looks back on (the intents a handoff's snapshot lists,
/// the answer a resident contradicts): the conversation at hand, not years of history,
/// and a read that costs the same however long that history is.
pub(crate) const LOOK_BACK: usize = 100;

/// A turn's answer as stored with the state, for a retry of its message.
#[derive(Debug, Serialize, Deserialize)]
struct StoredAnswer {
    replies: Vec<String>,
    #[serde(default)]
    transfer: Option<String>,
}

impl StoredAnswer {
    fn of(outcome: &Outcome) -> String {
        let answer = StoredAnswer {
            replies: outcome.replies.clone(),
            transfer: outcome.transfer.clone(),
        };
        serde_json::to_string(&answer).unwrap_or_default()
    }
}

/// What the last turn answered, when it answered this turn's message.
fn answered(stored: &StoredConversation, turn: &Turn) -> Option<Outcome> {
    let message = turn.message.as_deref()?;
    if stored.last_message.as_deref() != Some(message) {
        return None;
    }
    let answer: StoredAnswer = serde_json::from_str(stored.last_outcome.as_deref()?).ok()?;
    Some(Outcome {
        replies: answer.replies,
        escalation: None,
        transfer: answer.transfer,
    })
}

/// Gives the conversation back to the bot after an agent closed it, waiting for the
/// resident's rating of `handoff`.
pub async fn await_rating(
    store: &dyn ConversationStore,
    user: &str,
    handoff: i64,
    at: DateTime<Utc>,
) -> Result<(), DialogueError> {
    let lock = store.lock(user).await?;
    let done = set_rating_state(store, user, handoff, at).await;
    lock.release().await;
    done
}

async fn set_rating_state(
    store: &dyn ConversationStore,
    user: &str,
    handoff: i64,
    at: DateTime<Utc>,
) -> Result<(), DialogueError> {
    for _ in 0..ATTEMPTS {
        let stored = store.load(user).await?;
        let mut conv = stored
            .as_ref()
            .and_then(|s| serde_json::from_str::<Conversation>(&s.state).ok())
            .unwrap_or_default();
        conv.state = State::Rating { handoff };
        conv.negative = 0;
        let json = serde_json::to_string(&conv).map_err(|e| DialogueError::Data(e.to_string()))?;
        if store
            .save(user, &json, stored.map(|s| s.version), at)
            .await?
        {
            return Ok(());
        }
    }
    Err(DialogueError::Contended)
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
        State::Rating { .. } => "rating",
        State::InterruptionTold { .. } => "interruption_told",
        State::AskingEstate { .. } => "asking_estate",
        State::SelfCheck { .. } => "self_check",
        State::Explained { .. } => "explained",
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
