//! Passive replies: the answer carried in the callback's HTTP response.

mod parse;
mod render;

pub use parse::{ParsedReply, ReplyParseError};

/// What a handler answers. Anything but [`Reply::Success`] is rendered as XML
/// (and encrypted in safe mode); `Success` is the literal `success` WeChat
/// takes as "no reply, do not retry".
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub enum Reply {
    /// No visible reply.
    Success,
    /// A text message.
    Text(String),
    /// An image previously uploaded with the media API.
    Image {
        /// Media id.
        media_id: String,
    },
    /// A voice clip previously uploaded.
    Voice {
        /// Media id.
        media_id: String,
    },
    /// A video previously uploaded.
    Video {
        /// Media id.
        media_id: String,
        /// Title shown with the video.
        title: Option<String>,
        /// Description shown with the video.
        description: Option<String>,
    },
    /// A music card.
    Music(Music),
    /// News articles. WeChat accepts one article in reply to a user message
    /// (extra articles are dropped with a warning) and up to eight for events.
    News(Vec<Article>),
    /// Hand the conversation to the customer-service (multi-agent) system.
    TransferCustomerService {
        /// A specific agent, `account@alias`; any online agent when `None`.
        kf_account: Option<String>,
    },
}

/// A music card.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Music {
    /// Title.
    pub title: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Music URL.
    pub music_url: Option<String>,
    /// Better-quality URL used on Wi-Fi.
    pub hq_music_url: Option<String>,
    /// Media id of the thumbnail.
    pub thumb_media_id: String,
}

/// One news article.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Article {
    /// Title.
    pub title: String,
    /// Summary.
    pub description: String,
    /// Cover picture URL.
    pub pic_url: String,
    /// Link opened on tap.
    pub url: String,
}

/// Most articles a passive news reply may carry outside user-message contexts.
pub const MAX_NEWS_ARTICLES: usize = 8;

impl Reply {
    /// A text reply.
    pub fn text(content: impl Into<String>) -> Self {
        Self::Text(content.into())
    }

    /// A single-article news reply.
    pub fn article(article: Article) -> Self {
        Self::News(vec![article])
    }

    /// Hands the user over to any available agent.
    pub fn transfer_to_agent() -> Self {
        Self::TransferCustomerService { kf_account: None }
    }

    /// Renders the reply document addressed to `to_user` from `account`.
    /// `for_message` applies the one-article rule for replies to user messages.
    /// Returns `None` for [`Reply::Success`], which has no document.
    pub fn to_xml(
        &self,
        to_user: &str,
        account: &str,
        create_time: i64,
        for_message: bool,
    ) -> Option<String> {
        render::render(self, to_user, account, create_time, for_message)
    }

    /// Parses a reply document back; used to check what a callback answered.
    pub fn from_xml(body: &[u8]) -> Result<ParsedReply, ReplyParseError> {
        parse::parse(body)
    }
}
