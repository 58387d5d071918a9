//! One turn's working context: who, when, in which language, and the replies so far.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use fluent_bundle::FluentValue;

use super::state::FormInstance;
use super::types::{Escalation, EscalationReason};
use super::{Dialogue, DialogueError};
use crate::catalog::{Catalog, Form, Intent};
use crate::domain::{Channel, EntryId, IntentId};
use crate::entities::UTILITY_TZ;
use crate::nlu::Classification;
use crate::service::ServiceError;

/// A Fluent argument; every value goes in as text so numbers print as written.
pub(super) type Arg = (&'static str, FluentValue<'static>);

pub(super) fn arg(name: &'static str, value: impl ToString) -> Arg {
    (name, FluentValue::from(value.to_string()))
}

pub(super) struct Ctx<'a> {
    pub d: &'a Dialogue,
    pub user: &'a str,
    pub locale: &'a str,
    pub at: DateTime<Utc>,
    pub catalog: Arc<Catalog>,
    pub replies: Vec<String>,
    pub escalation: Option<Escalation>,
    pub next_seq: u64,
    /// The first thing the classifier made of this turn's message, for the transcript.
    pub understood: std::sync::Mutex<Option<(IntentId, f32)>>,
    /// The message had a word of an unhappy resident.
    pub negative: bool,
    /// Where in `replies` the standard reply of an intent that hands over stands: the
    /// handoff's notice joins it, so the resident reads one message.
    pub handoff_reply: Option<usize>,
    /// The turn made something the resident will be told of (a request, a binding, a
    /// rating): its answer waits until the database has it on disk.
    pub promised: bool,
    /// Interruptions were looked at this turn (or the resident insists on the repair): the
    /// intent's own handling follows.
    pub interruption_checked: bool,
    /// Triage before a visit ran this turn (or the resident insists): the form follows.
    pub triaged: bool,
    /// The form this turn carried out, or a rule of its transaction ended (for the reports:
    /// a form that ends otherwise was abandoned).
    pub closed_form: Option<FormInstance>,
}

impl Ctx<'_> {
    pub fn text(&self, id: &str, args: &[Arg]) -> String {
        self.d.deps.locales.text(self.locale, id, args)
    }

    /// A message id that may not exist (a refusal code from the service): `fallback` then.
    pub fn text_or(&self, id: &str, fallback: &str) -> String {
        let t = self.text(id, &[]);
        if t == id {
            self.text(fallback, &[])
        } else {
            t
        }
    }

    pub fn say(&mut self, id: &str, args: &[Arg]) {
        let t = self.text(id, args);
        self.replies.push(t);
    }

    pub fn push(&mut self, text: String) {
        if !text.trim().is_empty() {
            self.replies.push(text);
        }
    }

    fn fact(&self, name: &str) -> String {
        self.catalog.facts.get(name).cloned().unwrap_or_default()
    }

    /// The arguments every "call us" message takes.
    pub fn contact_args(&self) -> Vec<Arg> {
        vec![
            arg("company", self.fact("company")),
            arg("hotline", self.fact("hotline")),
            arg("emergency", self.fact("emergency_hotline")),
        ]
    }

    pub fn say_with_contacts(&mut self, id: &str) {
        let args = self.contact_args();
        self.say(id, &args);
    }

    pub fn not_understood(&mut self) {
        self.say_with_contacts("bot-not-understood");
    }

    pub fn unsupported(&mut self, kind: &str) {
        let label = self.text_or(&format!("kind-{kind}"), "kind-unknown");
        self.say("bot-unsupported-kind", &[arg("kind", label)]);
    }

    /// A failure of the service API, told plainly.
    pub fn service_error(&mut self, e: &ServiceError) {
        match e {
            ServiceError::NotFound => self.say("service-account-not-found", &[]),
            ServiceError::Refused { code } => {
                let t = self.text_or(code, "service-refused");
                self.push(t);
                self.escalate(EscalationReason::ServiceRefused, None, None);
            }
            ServiceError::Invalid(_) => self.say("service-invalid", &[]),
            ServiceError::Unavailable(_) => {
                tracing::warn!(error = %e, "service API unavailable during a turn");
                self.say_with_contacts("bot-service-unavailable");
            }
        }
    }

    pub fn escalate(
        &mut self,
        reason: EscalationReason,
        intent: Option<IntentId>,
        conf: Option<f32>,
    ) {
        // The first reason of a turn is the one an agent needs to see.
        self.escalation.get_or_insert(Escalation {
            reason,
            intent,
            confidence: conf,
        });
    }

    pub fn intent(&self, id: &IntentId) -> Option<&Intent> {
        self.catalog.intent(id)
    }

    /// The intent and form a form instance runs.
    pub fn form_of(&self, f: &FormInstance) -> Result<(Intent, Form), DialogueError> {
        let intent = self
            .intent(&f.intent)
            .ok_or_else(|| DialogueError::Data(format!("intent `{}` is gone", f.intent)))?;
        let form = intent
            .form
            .clone()
            .ok_or_else(|| DialogueError::Data(format!("intent `{}` has no form", f.intent)))?;
        Ok((intent.clone(), form))
    }

    /// The standard reply of `entry` (or of the intent's first published entry), as sent on
    /// WeChat.
    pub fn entry_reply(&mut self, intent: &IntentId, entry: Option<&EntryId>) {
        let catalog = self.catalog.clone();
        let found = entry
            .and_then(|e| catalog.entry(e))
            .filter(|e| &e.intent == intent)
            .or_else(|| catalog.published().find(|e| &e.intent == intent));
        if let Some(e) = found {
            self.push(catalog.rendered_reply(e).for_channel(Channel::Wechat));
            let hands_over = catalog.intent(intent).and_then(|i| i.handoff()).is_some();
            if hands_over && !self.replies.is_empty() {
                self.handoff_reply = Some(self.replies.len() - 1);
            }
        }
    }

    pub async fn classify(&self, text: &str) -> Option<Classification> {
        let c = self
            .d
            .deps
            .classifier
            .classify_in_turn(text, Channel::Wechat)
            .await
            .ok()?;
        if let Ok(mut u) = self.understood.lock() {
            u.get_or_insert((c.intent.clone(), c.confidence));
        }
        Some(c)
    }

    pub fn next_seq(&mut self) -> u64 {
        self.next_seq += 1;
        self.next_seq
    }

    /// A day and time in the utility's zone, as residents read them.
    pub fn local_time(&self, at: DateTime<Utc>) -> String {
        at.with_timezone(&UTILITY_TZ)
            .format("%Y-%m-%d %H:%M")
            .to_string()
    }

    /// A closed value's label from the locale (`request-kind-repair`), or the value itself.
    pub fn label(&self, prefix: &str, value: &str) -> String {
        let id = format!("{prefix}-{}", value.replace('_', "-"));
        let t = self.text(&id, &[]);
        if t == id {
            value.to_owned()
        } else {
            t
        }
    }
}
