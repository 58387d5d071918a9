//! A request moved on (the station opened the valve, the repair is done): every resident
//! who bound its account is told, as a WeChat customer-service message when the 48-hour
//! window and the quota allow, otherwise at their next message. Nothing is dropped.

use std::sync::Arc;

use chrono::Utc;
use fluent_bundle::FluentValue;
use wechat_mp::{Bot, OpenId};

use crate::i18n::Locales;
use crate::service::ServiceRequest;
use crate::transcript::{ConversationStore, Direction, TranscriptLine};

/// Tells residents of their requests' progress. Cheap to clone.
#[derive(Clone)]
pub struct Notifier {
    pub conversations: Arc<dyn ConversationStore>,
    pub bot: Option<Bot>,
    pub locales: Arc<Locales>,
}

/// How a notice reached one resident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    Sent { user: String },
    Held { user: String },
}

impl Notifier {
    fn text_for(&self, request: &ServiceRequest) -> String {
        let locale = self.locales.default_locale();
        let kind = self.locales.text(
            locale,
            &format!("request-kind-{}", crate::domain::fluent_part(&request.kind)),
            &[],
        );
        let status = self.locales.text(
            locale,
            &format!(
                "request-status-{}",
                crate::domain::fluent_part(&request.status)
            ),
            &[],
        );
        let note = request
            .timeline
            .last()
            .and_then(|e| e.note.clone())
            .filter(|n| !n.is_empty());
        let mut args = vec![
            ("id", FluentValue::from(request.id.to_string())),
            ("kind", FluentValue::from(kind)),
            ("status", FluentValue::from(status)),
        ];
        let id = match note {
            Some(note) => {
                args.push(("note", FluentValue::from(note)));
                "notify-request-progress-note"
            }
            None => "notify-request-progress",
        };
        self.locales.text(locale, id, &args)
    }

    /// Tells every resident bound to the request's account; returns how each was reached.
    pub async fn request_changed(&self, request: &ServiceRequest) -> Vec<Delivery> {
        let store = &self.conversations;
        let users = match store.users_bound_to(&request.account).await {
            Ok(users) => users,
            Err(e) => {
                tracing::error!(error = %e, request = %request.id, "cannot find whom to notify");
                return Vec::new();
            }
        };
        let text = self.text_for(request);
        let mut out = Vec::with_capacity(users.len());
        for user in users {
            if self.send(&user, &text).await {
                // In the transcript, so agents see it and it counts against WeChat's quota.
                let mut line = TranscriptLine::new(Utc::now(), Direction::Out, text.clone());
                line.delivery = Some("sent".to_owned());
                if let Err(e) = store.append(&user, &[line]).await {
                    tracing::warn!(error = %e, "notice sent but not kept in the transcript");
                }
                out.push(Delivery::Sent { user });
                continue;
            }
            match store.hold_notice(&user, &text, Utc::now()).await {
                Ok(()) => out.push(Delivery::Held { user }),
                Err(e) => tracing::error!(error = %e, request = %request.id, "notice lost"),
            }
        }
        out
    }

    /// `true` when WeChat took the message.
    async fn send(&self, user: &str, text: &str) -> bool {
        let (Some(bot), Ok(openid)) = (&self.bot, OpenId::parse(user)) else {
            return false;
        };
        match bot.send_text(&openid, text).await {
            Ok(_) => true,
            Err(e) if e.is_outside_window() || e.is_quota_exceeded() => {
                tracing::info!(error = %e, "notice held for the resident's next message");
                false
            }
            Err(e) => {
                tracing::warn!(error = %e, "notice not sent; held for the next message");
                false
            }
        }
    }
}
