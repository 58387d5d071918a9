//! Template messages (verified service accounts only).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Bot, Payload, RequestError};
use crate::update::OpenId;

/// A template message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TemplateMessage {
    /// Recipient.
    pub touser: OpenId,
    /// Template id from the template library.
    pub template_id: String,
    /// Page opened on tap.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Mini-program page opened on tap (takes precedence over `url`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub miniprogram: Option<TemplateMiniProgram>,
    /// Values keyed by the template's placeholders (without `.DATA`).
    pub data: BTreeMap<String, TemplateValue>,
    /// Idempotency key: WeChat drops a second send with the same id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_msg_id: Option<String>,
}

/// A mini-program target.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TemplateMiniProgram {
    /// Mini-program AppID.
    pub appid: String,
    /// Page path.
    pub pagepath: String,
}

/// One placeholder value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TemplateValue {
    /// The text.
    pub value: String,
    /// Colour such as `#173177`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
}

impl TemplateMessage {
    /// A message with no link and no values yet.
    pub fn new(touser: OpenId, template_id: impl Into<String>) -> Self {
        Self {
            touser,
            template_id: template_id.into(),
            url: None,
            miniprogram: None,
            data: BTreeMap::new(),
            client_msg_id: None,
        }
    }

    /// Sets a placeholder.
    pub fn value(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.data.insert(
            key.into(),
            TemplateValue {
                value: value.into(),
                color: None,
            },
        );
        self
    }

    /// Sets a placeholder, cut to what WeChat accepts for a key of its kind
    /// ([`value_limit`]), so a long text does not make the whole message fail with 47003.
    pub fn value_clipped(self, key: impl Into<String>, value: &str) -> Self {
        let key = key.into();
        let value = match value_limit(&key) {
            Some(max) if value.chars().count() > max => clip(value, max),
            _ => value.to_owned(),
        };
        self.value(key, value)
    }

    /// The page opened when the user taps the message.
    pub fn url(mut self, url: impl Into<String>) -> Self {
        self.url = Some(url.into());
        self
    }

    /// The idempotency key (`client_msg_id`): a second send with the same id is dropped.
    pub fn client_msg_id(mut self, id: impl Into<String>) -> Self {
        self.client_msg_id = Some(id.into());
        self
    }
}

/// Cut to `max` characters, the last one an ellipsis.
fn clip(value: &str, max: usize) -> String {
    let mut out: String = value.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// The longest value (in characters) WeChat accepts for a template key, by the kind its
/// name starts with (`thing1`: at most 20 characters); `None` for kinds without a
/// documented limit (the classic `first`, `keywordN`, `remark`).
///
/// The kinds and limits are those of subscription notifications
/// (`doc/service/api/notify/notify/api_sendnewsubscribemsg`), which the newer template
/// messages share.
pub fn value_limit(key: &str) -> Option<usize> {
    let kind = key.trim_end_matches(|c: char| c.is_ascii_digit());
    match kind {
        "thing" => Some(20),
        "character_string" | "number" | "letter" => Some(32),
        "symbol" | "phrase" => Some(5),
        "name" => Some(10),
        "car_number" => Some(8),
        _ => None,
    }
}

/// Answer of the send call.
#[derive(Deserialize)]
pub struct TemplateSent {
    /// The id that the delivery report (`TEMPLATESENDJOBFINISH`) will carry.
    pub msgid: u64,
}

impl Payload for TemplateMessage {
    type Output = TemplateSent;
    const PATH: &'static str = "/cgi-bin/message/template/send";
    const METHOD: http::Method = http::Method::POST;
}

impl Bot {
    /// Sends a template message and returns its `msgid`.
    pub async fn send_template(&self, message: &TemplateMessage) -> Result<u64, RequestError> {
        Ok(self.execute(message).await?.msgid)
    }
}
