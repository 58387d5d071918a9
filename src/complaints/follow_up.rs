//! After closing: the resident of WeChat is told the outcome with the follow-up question
//! (a customer-service message, a template message outside the 48-hour window, or at
//! their next message), and their answer of 1 to 5 is the case's follow-up, like the
//! agent's call. Also the dialogue's `LodgeComplaint` port.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{store, Bind, CaseEvent, ComplaintError, Complaints, EventKind};
use crate::dialogue::{Complaint, EscalateError, LodgeComplaint, Lodged};
use crate::handoff::DeskEvent;

impl Complaints {
    /// Tells the resident of case `id` its outcome and asks how satisfied they are. The
    /// notice is kept before this returns (the desk's answer waits for the disk), so it
    /// is delivered once, whatever happens to this instance.
    pub(super) async fn tell_outcome(
        &self,
        id: i64,
        at: DateTime<Utc>,
    ) -> Result<(), ComplaintError> {
        let case = self.store.get(id).await?.ok_or(ComplaintError::NotFound)?;
        let (Some(user), Some(outcome)) = (&case.user, &case.outcome) else {
            return Ok(());
        };
        let notice = self
            .notifier
            .complaint_outcome(id, user, &case.number(), outcome, at);
        self.notifier.tell(&[notice]).await;
        Ok(())
    }

    /// The resident's answer to the follow-up question; `false` when the case has its
    /// follow-up already (an agent's call came first).
    pub async fn resident_followed_up(
        &self,
        id: i64,
        satisfaction: i64,
        words: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, ComplaintError> {
        if !(1..=5).contains(&satisfaction) {
            return Err(ComplaintError::Invalid(format!(
                "satisfaction {satisfaction}"
            )));
        }
        let words: String = words.trim().chars().take(super::TEXT_MAX).collect();
        let event = CaseEvent {
            at,
            kind: EventKind::FollowedUp,
            // The resident answered, not a desk user.
            author: None,
            note: Some(format!("{satisfaction}/5 {words}").trim().to_owned()),
        };
        let done = self
            .store
            .change(
                id,
                store::FOLLOW_UP,
                store::AWAITING_FOLLOW_UP,
                &[Bind::At(at), Bind::Int(satisfaction), Bind::Text(words)],
                &event,
            )
            .await?;
        if done {
            self.events.publish(DeskEvent::Complaints);
        }
        Ok(done)
    }
}

fn port(e: ComplaintError) -> EscalateError {
    EscalateError(e.to_string())
}

#[async_trait]
impl LodgeComplaint for Complaints {
    async fn lodge(&self, c: &Complaint) -> Result<Lodged, EscalateError> {
        let (case, _) = self
            .open(&c.user, &c.words, &c.key, None, None, c.at)
            .await
            .map_err(port)?;
        Ok(Lodged {
            number: case.number(),
            contact_by: case.contact_by,
            resolve_by: case.resolve_by,
        })
    }

    async fn awaiting_follow_up(&self, user: &str) -> Result<Option<i64>, EscalateError> {
        self.store.awaiting_follow_up(user).await.map_err(port)
    }

    async fn followed_up(
        &self,
        case: i64,
        satisfaction: i64,
        words: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, EscalateError> {
        self.resident_followed_up(case, satisfaction, words, at)
            .await
            .map_err(port)
    }
}
