//! What the bot answers on WeChat: the standard reply of the understood entry, a
//! clarification, a welcome, or a polite word for what it cannot read.

use fluent_bundle::FluentValue;
use wechat_mp::update::{Event, MessageKind};
use wechat_mp::{HandlerResult, Reply, Update, UpdateKind};

use crate::app::AppState;
use crate::domain::Channel;
use crate::nlu::{Classification, Decision};

pub async fn reply(state: &AppState, update: &Update) -> HandlerResult {
    let locale = state.locales.default_locale().to_owned();
    let text = match &update.kind {
        UpdateKind::Message(m) => match &m.kind {
            MessageKind::Text(t) => answer(state, &locale, &t.content).await,
            // The recognised speech is the message, when WeChat provides it.
            MessageKind::Voice(v) => {
                match v.recognition.as_deref().filter(|r| !r.trim().is_empty()) {
                    Some(said) => answer(state, &locale, said).await,
                    None => unsupported(state, &locale, "kind-voice"),
                }
            }
            MessageKind::Image(_) => unsupported(state, &locale, "kind-image"),
            MessageKind::Video(_) => unsupported(state, &locale, "kind-video"),
            MessageKind::ShortVideo(_) => unsupported(state, &locale, "kind-shortvideo"),
            MessageKind::Location(_) => unsupported(state, &locale, "kind-location"),
            MessageKind::Link(_) => unsupported(state, &locale, "kind-link"),
            MessageKind::File(_) => unsupported(state, &locale, "kind-file"),
            _ => unsupported(state, &locale, "kind-unknown"),
        },
        UpdateKind::Event(Event::Subscribe { .. }) => welcome(state, &locale),
        // Other events (unfollow, template receipts, agent sessions) need no answer.
        _ => return Ok(Reply::Success),
    };
    Ok(Reply::text(text))
}

fn fact<'a>(state: &'a AppState, name: &str) -> FluentValue<'a> {
    let engine = state.engine.current();
    FluentValue::from(
        engine
            .catalog()
            .facts
            .get(name)
            .cloned()
            .unwrap_or_default(),
    )
}

fn welcome(state: &AppState, locale: &str) -> String {
    let args = [
        ("company", fact(state, "company")),
        ("hotline", fact(state, "hotline")),
    ];
    state.locales.text(locale, "bot-welcome", &args)
}

fn unsupported(state: &AppState, locale: &str, kind_id: &str) -> String {
    let kind = state.locales.text(locale, kind_id, &[]);
    state.locales.text(
        locale,
        "bot-unsupported-kind",
        &[("kind", FluentValue::from(kind))],
    )
}

fn not_understood(state: &AppState, locale: &str) -> String {
    state.locales.text(
        locale,
        "bot-not-understood",
        &[("hotline", fact(state, "hotline"))],
    )
}

/// The standard reply for a text, or a clarification, or "not understood".
pub async fn answer(state: &AppState, locale: &str, text: &str) -> String {
    let result = match crate::nlu::http::classify_logged(state, text, Channel::Wechat).await {
        Ok(r) => r,
        Err(e) => {
            tracing::info!(error = %e, "message not classified");
            return not_understood(state, locale);
        }
    };
    match result.decision {
        Decision::Clarify => clarify(state, locale, &result),
        Decision::Answer | Decision::OutOfScope => {
            standard_reply(state, &result).unwrap_or_else(|| not_understood(state, locale))
        }
    }
}

/// The entry's WeChat reply; a message rejected for low confidence has no entry.
fn standard_reply(state: &AppState, result: &Classification) -> Option<String> {
    let engine = state.engine.current();
    let catalog = engine.catalog();
    let entry = catalog.entry(result.entry.as_ref()?)?;
    Some(catalog.rendered_reply(entry).wechat)
}

fn clarify(state: &AppState, locale: &str, result: &Classification) -> String {
    let engine = state.engine.current();
    let catalog = engine.catalog();
    let mut lines = vec![state.locales.text(locale, "bot-clarify-intro", &[])];
    for (n, c) in result.candidates.iter().enumerate() {
        let title = catalog
            .intent(&c.intent)
            .map_or(c.intent.as_str(), |i| i.title(locale));
        let args = [
            ("n", FluentValue::from(n + 1)),
            ("title", FluentValue::from(title.to_owned())),
        ];
        lines.push(state.locales.text(locale, "bot-clarify-option", &args));
    }
    lines.push(state.locales.text(locale, "bot-clarify-outro", &[]));
    lines.join("\n")
}
