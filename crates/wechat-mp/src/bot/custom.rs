//! Customer-service messages: sent to a user within 48 hours of their last message.

use std::future::{Future, IntoFuture};
use std::pin::Pin;

use serde::{Deserialize, Serialize};

use super::{Ack, Bot, Payload, RequestError};
use crate::update::OpenId;

/// The message part of a customer-service message, tagged by `msgtype`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "msgtype", rename_all = "lowercase")]
#[non_exhaustive]
pub enum CustomBody {
    /// Text.
    Text {
        /// Body.
        text: TextBody,
    },
    /// Uploaded image.
    Image {
        /// Body.
        image: MediaBody,
    },
    /// Uploaded voice clip.
    Voice {
        /// Body.
        voice: MediaBody,
    },
    /// Uploaded video.
    Video {
        /// Body.
        video: VideoBody,
    },
    /// Music card.
    Music {
        /// Body.
        music: MusicBody,
    },
    /// External-link news; WeChat accepts a single article.
    News {
        /// Body.
        news: NewsBody,
    },
    /// Mini-program card.
    Miniprogrampage {
        /// Body.
        miniprogrampage: MiniProgramPage,
    },
}

/// Text body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextBody {
    /// The text.
    pub content: String,
}

/// Body referring to uploaded media.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaBody {
    /// Media id.
    pub media_id: String,
}

/// Video body.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VideoBody {
    /// Media id.
    pub media_id: String,
    /// Thumbnail media id.
    pub thumb_media_id: String,
    /// Title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// Music body.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MusicBody {
    /// Title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Music URL.
    pub musicurl: String,
    /// High-quality music URL.
    pub hqmusicurl: String,
    /// Thumbnail media id.
    pub thumb_media_id: String,
}

/// News body.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewsBody {
    /// The articles (one).
    pub articles: Vec<NewsArticle>,
}

/// A news article with an external link.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewsArticle {
    /// Title.
    pub title: String,
    /// Summary.
    pub description: String,
    /// Link.
    pub url: String,
    /// Cover picture URL.
    pub picurl: String,
}

/// Mini-program card.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MiniProgramPage {
    /// Card title.
    pub title: String,
    /// Mini-program AppID.
    pub appid: String,
    /// Page path.
    pub pagepath: String,
    /// Thumbnail media id.
    pub thumb_media_id: String,
}

/// A full customer-service message, as posted to `message/custom/send`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CustomMessage {
    /// Recipient.
    pub touser: OpenId,
    /// The message.
    #[serde(flatten)]
    pub body: CustomBody,
    /// Send as this agent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customservice: Option<KfAccountRef>,
}

/// The agent a message is sent as.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct KfAccountRef {
    /// `account@alias`.
    pub kf_account: String,
}

impl Payload for CustomMessage {
    type Output = Ack;
    const PATH: &'static str = "/cgi-bin/message/custom/send";
    const METHOD: http::Method = http::Method::POST;
}

/// A customer-service message ready to send; `.await` it.
///
/// Outside the 48-hour window the call fails with
/// [`super::ErrCode::OutsideReplyWindow`], after the window's quota with
/// [`super::ErrCode::ReplyQuotaExceeded`].
#[must_use = "a message is only sent when awaited"]
#[derive(Debug)]
pub struct SendCustom {
    bot: Bot,
    message: CustomMessage,
}

impl SendCustom {
    /// Sends the message as a named agent (`account@alias`).
    pub fn kf_account(mut self, account: impl Into<String>) -> Self {
        self.message.customservice = Some(KfAccountRef {
            kf_account: account.into(),
        });
        self
    }

    /// The payload that will be posted.
    pub fn payload(&self) -> &CustomMessage {
        &self.message
    }
}

impl IntoFuture for SendCustom {
    type Output = Result<(), RequestError>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move { self.bot.execute(&self.message).await.map(|_| ()) })
    }
}

#[derive(Serialize)]
struct Typing<'a> {
    touser: &'a OpenId,
    command: &'static str,
}

impl Payload for Typing<'_> {
    type Output = Ack;
    const PATH: &'static str = "/cgi-bin/message/custom/typing";
    const METHOD: http::Method = http::Method::POST;
}

impl Bot {
    /// A customer-service message with any body.
    pub fn send_custom(&self, to: &OpenId, body: CustomBody) -> SendCustom {
        SendCustom {
            bot: self.clone(),
            message: CustomMessage {
                touser: to.clone(),
                body,
                customservice: None,
            },
        }
    }

    /// A text message.
    pub fn send_text(&self, to: &OpenId, text: impl Into<String>) -> SendCustom {
        self.send_custom(
            to,
            CustomBody::Text {
                text: TextBody {
                    content: text.into(),
                },
            },
        )
    }

    /// An uploaded image.
    pub fn send_image(&self, to: &OpenId, media_id: impl Into<String>) -> SendCustom {
        self.send_custom(
            to,
            CustomBody::Image {
                image: MediaBody {
                    media_id: media_id.into(),
                },
            },
        )
    }

    /// An uploaded voice clip.
    pub fn send_voice(&self, to: &OpenId, media_id: impl Into<String>) -> SendCustom {
        self.send_custom(
            to,
            CustomBody::Voice {
                voice: MediaBody {
                    media_id: media_id.into(),
                },
            },
        )
    }

    /// One news article with an external link.
    pub fn send_news(&self, to: &OpenId, article: NewsArticle) -> SendCustom {
        self.send_custom(
            to,
            CustomBody::News {
                news: NewsBody {
                    articles: vec![article],
                },
            },
        )
    }

    /// A mini-program card.
    pub fn send_miniprogram_page(&self, to: &OpenId, page: MiniProgramPage) -> SendCustom {
        self.send_custom(
            to,
            CustomBody::Miniprogrampage {
                miniprogrampage: page,
            },
        )
    }

    /// Shows (`true`) or hides the "typing…" indicator. WeChat only accepts it
    /// within 30 seconds of the user's last message.
    pub async fn typing(&self, to: &OpenId, typing: bool) -> Result<(), RequestError> {
        let command = if typing { "Typing" } else { "CancelTyping" };
        self.execute(&Typing {
            touser: to,
            command,
        })
        .await
        .map(|_| ())
    }
}
