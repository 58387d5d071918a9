//! Standard replies for agents: a hotline or counter agent types what the caller says and
//! gets the standard replies that could answer it, ranked, in the form their channel uses.
//! Pure: the route and the page build on it.

use serde::{Deserialize, Serialize};

use crate::catalog::{render, Replies};
use crate::domain::{Channel, EntryId, IntentId};
use crate::nlu::{Decision, Engine};

/// The answer to one message: what the classifier understood and the ranked replies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assist {
    pub intent: IntentId,
    pub confidence: f32,
    /// How sure the classifier is (the bot answers only on `answer`). Agents get the
    /// suggestions whatever it is, since they decide.
    pub decision: Decision,
    pub channel: Channel,
    pub suggestions: Vec<Suggestion>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Suggestion {
    pub entry: EntryId,
    pub intent: IntentId,
    pub score: f32,
    /// The entry's canonical question, so the agent sees what the reply answers.
    pub question: String,
    pub reply: Reply,
}

/// A standard reply with its facts filled in, as the channel uses it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reply {
    /// The hotline's script: agents read its parts at different moments of the call.
    Script {
        greeting: String,
        answer: String,
        closing: String,
    },
    /// WeChat's or the counter's text.
    Text { text: String },
}

impl Reply {
    fn of(replies: Replies, channel: Channel) -> Self {
        match channel {
            Channel::Hotline => Self::Script {
                greeting: replies.hotline.greeting,
                answer: replies.hotline.answer,
                closing: replies.hotline.closing,
            },
            Channel::Wechat => Self::Text {
                text: replies.wechat,
            },
            Channel::Counter => Self::Text {
                text: replies.counter,
            },
        }
    }
}

/// The top `limit` standard replies for `text` on `channel`, best first.
pub fn suggest(engine: &Engine, text: &str, channel: Channel, limit: usize) -> Assist {
    let (classification, ranked) = engine.classify_with_entries(text, limit);
    let catalog = engine.catalog();
    let suggestions = ranked
        .into_iter()
        .filter_map(|r| {
            let entry = catalog.entry(&r.entry)?;
            Some(Suggestion {
                question: render(&entry.question, &catalog.facts),
                reply: Reply::of(catalog.rendered_reply(entry), channel),
                entry: r.entry,
                intent: r.intent,
                score: r.score,
            })
        })
        .collect();
    Assist {
        intent: classification.intent,
        confidence: classification.confidence,
        decision: classification.decision,
        channel,
        suggestions,
    }
}
