//! A push becomes a dialogue turn; the dialogue's replies become the passive reply.

use std::sync::Arc;

use chrono::Utc;
use wechat_mp::update::{Event, MessageKind};
use wechat_mp::{HandlerResult, Reply, Update, UpdateKind};

use crate::dialogue::{Dialogue, DialogueError, Inbound, Outcome, Turn};
use crate::i18n::Locales;
use crate::nlu::EngineHandle;

/// The dialogue's view of a push; `None` for events that need no answer.
fn inbound(update: &Update) -> Option<Inbound> {
    let other = |kind: &str| {
        Some(Inbound::Other {
            kind: kind.to_owned(),
        })
    };
    match &update.kind {
        UpdateKind::Message(m) => match &m.kind {
            MessageKind::Text(t) => Some(Inbound::Text(t.content.clone())),
            MessageKind::Voice(v) => Some(Inbound::Voice {
                recognition: v.recognition.clone(),
            }),
            MessageKind::Image(i) => Some(Inbound::Image {
                media_id: i.media_id.clone(),
                url: Some(i.pic_url.clone()).filter(|u| !u.is_empty()),
            }),
            MessageKind::Location(l) => Some(Inbound::Location {
                lat: l.latitude,
                lon: l.longitude,
                label: Some(l.label.clone()).filter(|s| !s.is_empty()),
            }),
            MessageKind::Video(_) => other("video"),
            MessageKind::ShortVideo(_) => other("shortvideo"),
            MessageKind::Link(_) => other("link"),
            MessageKind::File(_) => other("file"),
            _ => other("unknown"),
        },
        UpdateKind::Event(Event::Subscribe { .. }) => Some(Inbound::Subscribe),
        UpdateKind::Event(Event::Click { key }) => Some(Inbound::Click { key: key.clone() }),
        // Unfollow, template receipts, agent sessions, location reports: nothing to say.
        _ => None,
    }
}

/// The `kind` label of a message in the metrics.
fn kind_label(inbound: &Inbound) -> String {
    match inbound {
        Inbound::Text(_) => "text",
        Inbound::Voice { .. } => "voice",
        Inbound::Click { .. } => "click",
        Inbound::Location { .. } => "location",
        Inbound::Image { .. } => "image",
        Inbound::Subscribe => "subscribe",
        Inbound::Other { kind } => kind,
    }
    .to_owned()
}

/// The `decision` label: what the desk did with the message.
fn decision_label(outcome: &Result<Outcome, DialogueError>) -> &'static str {
    match outcome {
        Err(_) => "failed",
        Ok(o) if o.transfer.is_some() => "transferred",
        Ok(o) if o.escalation.is_some() => "escalated",
        Ok(o) if o.replies.is_empty() => "silent",
        Ok(_) => "answered",
    }
}

pub async fn reply(
    locales: &Locales,
    engine: &EngineHandle,
    dialogue: &Arc<Dialogue>,
    update: &Update,
) -> HandlerResult {
    let Some(inbound) = inbound(update) else {
        return Ok(Reply::Success);
    };
    let kind = kind_label(&inbound);
    let locale = locales.default_locale().to_owned();
    let turn = Turn {
        user: update.from.as_str().to_owned(),
        inbound,
        at: Utc::now(),
        locale,
        message: Some(wechat_mp::dedup::DedupKey::of(update).as_str().to_owned()),
    };
    let outcome = dialogue.handle(turn).await;
    metrics::counter!("heatdesk_messages_total", "channel" => "wechat", "kind" => kind, "decision" => decision_label(&outcome)).increment(1);
    match outcome {
        Ok(outcome) => {
            if let Some(e) = &outcome.escalation {
                tracing::info!(reason = ?e.reason, "conversation escalated");
            }
            if let Some(account) = outcome.transfer {
                // The utility answers in WeChat's own customer-service tool.
                return Ok(Reply::TransferCustomerService {
                    kf_account: Some(account).filter(|a| !a.is_empty()),
                });
            }
            // A passive reply carries one message: the turn's lines go out together.
            Ok(match outcome.replies.is_empty() {
                true => Reply::Success,
                false => Reply::text(outcome.replies.join("\n\n")),
            })
        }
        Err(e) => {
            tracing::error!(error = %e, "dialogue turn failed");
            let hotline = engine
                .current()
                .catalog()
                .facts
                .get("hotline")
                .cloned()
                .unwrap_or_default();
            let args = [("hotline", fluent_bundle::FluentValue::from(hotline))];
            Ok(Reply::text(locales.text(
                locales.default_locale(),
                "bot-service-unavailable",
                &args,
            )))
        }
    }
}
