//! The dialogue hands conversations to people only through its `Escalate` port: driven with
//! a stand-in port, it escalates, tells what the port says, falls silent while an agent owns
//! the conversation and passes a rating on, with nothing of the desk or the queue involved.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use heatdesk::dialogue::{
    Dialogue, DialogueDeps, Escalate, EscalateError, Handover, Inbound, OpenHandoff, Turn,
};
use heatdesk::domain::EscalationReason;
use heatdesk::transcript::{Escalation, Snapshot};

use super::Chat;

/// Records what the dialogue asks; an agent "owns" the conversation when `claimed` is set.
#[derive(Default)]
struct StandIn {
    claimed: AtomicBool,
    calls: Mutex<Vec<String>>,
}

impl StandIn {
    fn calls(&self) -> Vec<String> {
        self.calls.lock().unwrap().clone()
    }
    fn record(&self, call: String) {
        self.calls.lock().unwrap().push(call);
    }
}

#[async_trait]
impl Escalate for StandIn {
    async fn open_handoff(&self, _user: &str) -> Result<Option<OpenHandoff>, EscalateError> {
        Ok(self.claimed.load(Ordering::SeqCst).then_some(OpenHandoff {
            id: 7,
            claimed: true,
        }))
    }

    async fn escalated(
        &self,
        user: &str,
        e: &Escalation,
        _snapshot: Snapshot,
        _at: DateTime<Utc>,
        _locale: &str,
    ) -> Result<Handover, EscalateError> {
        self.record(format!("escalated {user} {}", e.reason.as_str()));
        Ok(Handover::Queued {
            told: "QUEUED-BY-STAND-IN".to_owned(),
        })
    }

    fn resident_wrote(&self, handoff: i64) {
        self.record(format!("resident_wrote {handoff}"));
    }

    async fn rate(
        &self,
        handoff: i64,
        rating: i64,
        _at: DateTime<Utc>,
    ) -> Result<bool, EscalateError> {
        self.record(format!("rate {handoff} {rating}"));
        Ok(true)
    }
}

#[tokio::test]
async fn the_dialogue_hands_over_through_its_port_alone() {
    let c = Chat::start(None).await;
    let port = Arc::new(StandIn::default());
    let dialogue = Dialogue::new(DialogueDeps {
        escalate: port.clone(),
        contradicted: None,
        ..c.deps.clone()
    })
    .unwrap();
    let turn = |text: &str| Turn {
        user: "o-port".to_owned(),
        inbound: Inbound::Text(text.to_owned()),
        at: Utc::now(),
        locale: "zh-CN".to_owned(),
        message: None,
    };

    let asked = dialogue.handle(turn("转人工")).await.unwrap();
    assert_eq!(
        asked.escalation.as_ref().map(|e| e.reason),
        Some(EscalationReason::Requested)
    );
    assert_eq!(
        asked.replies.last().map(String::as_str),
        Some("QUEUED-BY-STAND-IN"),
        "the resident is told what the port says: {:?}",
        asked.replies
    );
    assert_eq!(port.calls(), vec!["escalated o-port requested"]);

    port.claimed.store(true, Ordering::SeqCst);
    let silent = dialogue.handle(turn("有人吗")).await.unwrap();
    assert!(silent.replies.is_empty(), "the bot is silent: {silent:?}");
    assert_eq!(
        port.calls().last().map(String::as_str),
        Some("resident_wrote 7")
    );

    // The agent closed it: the conversation waits for the rating, which goes to the port.
    port.claimed.store(false, Ordering::SeqCst);
    heatdesk::dialogue::await_rating(c.deps.conversations.as_ref(), "o-port", 7, Utc::now())
        .await
        .unwrap();
    dialogue.handle(turn("5")).await.unwrap();
    assert_eq!(port.calls().last().map(String::as_str), Some("rate 7 5"));
}
