use super::{Article, Music, Reply};
use crate::xml::{self, Fields, XmlError};

/// A reply document read back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParsedReply {
    /// `ToUserName`: the user.
    pub to_user: String,
    /// `FromUserName`: the account.
    pub from_user: String,
    /// `CreateTime`.
    pub create_time: i64,
    /// The reply.
    pub reply: Reply,
}

/// Why a reply document could not be read back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReplyParseError {
    /// Not XML.
    #[error(transparent)]
    Xml(#[from] XmlError),
    /// A required element is missing or malformed.
    #[error("missing or malformed <{0}>")]
    Field(&'static str),
    /// A `MsgType` that is not a passive reply type.
    #[error("unknown reply type {0:?}")]
    Type(String),
}

pub(super) fn parse(body: &[u8]) -> Result<ParsedReply, ReplyParseError> {
    if body == b"success" || body.is_empty() {
        return Ok(ParsedReply {
            to_user: String::new(),
            from_user: String::new(),
            create_time: 0,
            reply: Reply::Success,
        });
    }
    let f = xml::parse(body)?;
    let need = |name: &'static str| {
        f.get(name)
            .map(str::to_owned)
            .ok_or(ReplyParseError::Field(name))
    };
    let create_time = need("CreateTime")?
        .parse()
        .map_err(|_| ReplyParseError::Field("CreateTime"))?;
    let msg_type = need("MsgType")?;
    let reply = match msg_type.as_str() {
        "text" => Reply::Text(need("Content")?),
        "image" => Reply::Image {
            media_id: need("Image/MediaId")?,
        },
        "voice" => Reply::Voice {
            media_id: need("Voice/MediaId")?,
        },
        "video" => Reply::Video {
            media_id: need("Video/MediaId")?,
            title: opt(&f, "Video/Title"),
            description: opt(&f, "Video/Description"),
        },
        "music" => Reply::Music(Music {
            title: opt(&f, "Music/Title"),
            description: opt(&f, "Music/Description"),
            music_url: opt(&f, "Music/MusicUrl"),
            hq_music_url: opt(&f, "Music/HQMusicUrl"),
            thumb_media_id: need("Music/ThumbMediaId")?,
        }),
        "news" => Reply::News(articles(&f)),
        "transfer_customer_service" => Reply::TransferCustomerService {
            kf_account: opt(&f, "TransInfo/KfAccount"),
        },
        other => return Err(ReplyParseError::Type(other.to_owned())),
    };
    Ok(ParsedReply {
        to_user: need("ToUserName")?,
        from_user: need("FromUserName")?,
        create_time,
        reply,
    })
}

fn opt(f: &Fields, name: &str) -> Option<String> {
    f.get(name).map(str::to_owned)
}

fn articles(f: &Fields) -> Vec<Article> {
    let mut out: Vec<Article> = Vec::new();
    for (path, value) in f.iter() {
        let Some(field) = path.strip_prefix("Articles/item/") else {
            continue;
        };
        if field == "Title" {
            out.push(Article::default());
        }
        let Some(article) = out.last_mut() else {
            continue;
        };
        let value = value.to_owned();
        match field {
            "Title" => article.title = value,
            "Description" => article.description = value,
            "PicUrl" => article.pic_url = value,
            "Url" => article.url = value,
            _ => {}
        }
    }
    out
}
