//! Customer-service messages, agent accounts and sessions.

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

/// An agent account.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct KfAccountInfo {
    /// `account@alias`.
    pub kf_account: String,
    /// Display name.
    pub kf_nick: String,
    /// Numeric id.
    pub kf_id: serde_json::Value,
    /// Avatar URL.
    pub kf_headimgurl: String,
}

/// An online agent.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct OnlineKf {
    /// `account@alias`.
    pub kf_account: String,
    /// 1 = web client online.
    pub status: i64,
    /// Conversations being served.
    pub accepted_case: i64,
}

/// The session a user is in.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct KfSession {
    /// The serving agent; empty when the user is not in a session.
    pub kf_account: String,
    /// Session start, seconds since the epoch.
    pub createtime: i64,
}

#[derive(Serialize)]
struct KfAccountAdd<'a> {
    kf_account: &'a str,
    nickname: &'a str,
}

impl Payload for KfAccountAdd<'_> {
    type Output = Ack;
    const PATH: &'static str = "/customservice/kfaccount/add";
    const METHOD: http::Method = http::Method::POST;
}

#[derive(Serialize)]
struct NoParams {}

#[derive(Deserialize)]
struct KfList {
    #[serde(default)]
    kf_list: Vec<KfAccountInfo>,
}

struct GetKfList;
impl Serialize for GetKfList {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        NoParams {}.serialize(s)
    }
}
impl Payload for GetKfList {
    type Output = KfList;
    const PATH: &'static str = "/cgi-bin/customservice/getkflist";
    const METHOD: http::Method = http::Method::GET;
}

#[derive(Deserialize)]
struct OnlineKfList {
    #[serde(default)]
    kf_online_list: Vec<OnlineKf>,
}

struct GetOnlineKfList;
impl Serialize for GetOnlineKfList {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        NoParams {}.serialize(s)
    }
}
impl Payload for GetOnlineKfList {
    type Output = OnlineKfList;
    const PATH: &'static str = "/cgi-bin/customservice/getonlinekflist";
    const METHOD: http::Method = http::Method::GET;
}

#[derive(Serialize)]
struct SessionChange<'a, const CREATE: bool> {
    kf_account: &'a str,
    openid: &'a OpenId,
}

impl Payload for SessionChange<'_, true> {
    type Output = Ack;
    const PATH: &'static str = "/customservice/kfsession/create";
    const METHOD: http::Method = http::Method::POST;
}

impl Payload for SessionChange<'_, false> {
    type Output = Ack;
    const PATH: &'static str = "/customservice/kfsession/close";
    const METHOD: http::Method = http::Method::POST;
}

#[derive(Serialize)]
struct GetSession<'a> {
    openid: &'a OpenId,
}

impl Payload for GetSession<'_> {
    type Output = KfSession;
    const PATH: &'static str = "/customservice/kfsession/getsession";
    const METHOD: http::Method = http::Method::GET;
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

    /// Adds an agent account (`account@alias`).
    pub async fn add_kf_account(
        &self,
        kf_account: &str,
        nickname: &str,
    ) -> Result<(), RequestError> {
        self.execute(&KfAccountAdd {
            kf_account,
            nickname,
        })
        .await
        .map(|_| ())
    }

    /// All agent accounts.
    pub async fn kf_accounts(&self) -> Result<Vec<KfAccountInfo>, RequestError> {
        Ok(self.execute(&GetKfList).await?.kf_list)
    }

    /// Agents currently online.
    pub async fn online_kf_accounts(&self) -> Result<Vec<OnlineKf>, RequestError> {
        Ok(self.execute(&GetOnlineKfList).await?.kf_online_list)
    }

    /// Puts `openid` in a session with `kf_account`.
    pub async fn create_kf_session(
        &self,
        kf_account: &str,
        openid: &OpenId,
    ) -> Result<(), RequestError> {
        self.execute(&SessionChange::<true> { kf_account, openid })
            .await
            .map(|_| ())
    }

    /// Ends the session between `kf_account` and `openid`.
    pub async fn close_kf_session(
        &self,
        kf_account: &str,
        openid: &OpenId,
    ) -> Result<(), RequestError> {
        self.execute(&SessionChange::<false> { kf_account, openid })
            .await
            .map(|_| ())
    }

    /// The session `openid` is in, if any.
    pub async fn kf_session(&self, openid: &OpenId) -> Result<Option<KfSession>, RequestError> {
        let session = self.execute(&GetSession { openid }).await?;
        Ok(Some(session).filter(|s| !s.kf_account.is_empty()))
    }
}
