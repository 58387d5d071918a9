use super::{
    Event, File, Image, Link, Location, Message, MessageKind, MsgId, OpenId, TemplateStatus, Text,
    Update, UpdateKind, Video, Voice,
};
use crate::xml::{Fields, XmlError};

/// Why a document is not a usable push.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UpdateError {
    /// The body is not a WeChat XML document.
    #[error(transparent)]
    Xml(#[from] XmlError),
    /// A field every push carries is missing.
    #[error("missing <{0}>")]
    Missing(&'static str),
    /// `CreateTime` is not an integer.
    #[error("CreateTime is not an integer")]
    CreateTime,
    /// `FromUserName` is not an OpenID.
    #[error("FromUserName is not an OpenID")]
    InvalidOpenId,
}

pub(super) fn update(fields: Fields) -> Result<Update, UpdateError> {
    let account = required(&fields, "ToUserName")?.to_owned();
    let from = OpenId::parse(required(&fields, "FromUserName")?)?;
    let create_time = required(&fields, "CreateTime")?
        .trim()
        .parse::<i64>()
        .map_err(|_| UpdateError::CreateTime)?;
    let msg_type = fields.get("MsgType").unwrap_or("").trim();
    let kind = match msg_type {
        "event" => UpdateKind::Event(event(&fields)),
        "" => UpdateKind::Unknown {
            msg_type: String::new(),
        },
        other => UpdateKind::Message(Message {
            id: fields
                .get("MsgId")
                .or_else(|| fields.get("MsgID"))
                .map(MsgId::new),
            kind: message(other, &fields),
        }),
    };
    Ok(Update {
        account,
        from,
        create_time,
        kind,
        raw: fields,
    })
}

fn required<'a>(fields: &'a Fields, name: &'static str) -> Result<&'a str, UpdateError> {
    fields
        .get(name)
        .filter(|v| !v.is_empty())
        .ok_or(UpdateError::Missing(name))
}

fn text(fields: &Fields, name: &str) -> String {
    fields.get(name).unwrap_or_default().to_owned()
}

fn optional(fields: &Fields, name: &str) -> Option<String> {
    fields
        .get(name)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

fn float(fields: &Fields, name: &str) -> Option<f64> {
    fields.get(name)?.trim().parse().ok()
}

fn message(msg_type: &str, f: &Fields) -> MessageKind {
    let unknown = || MessageKind::Unknown {
        msg_type: msg_type.to_owned(),
    };
    match msg_type {
        "text" => MessageKind::Text(Text {
            content: text(f, "Content"),
            menu_id: optional(f, "bizmsgmenuid"),
        }),
        "image" => MessageKind::Image(Image {
            pic_url: text(f, "PicUrl"),
            media_id: text(f, "MediaId"),
        }),
        "voice" => MessageKind::Voice(Voice {
            media_id: text(f, "MediaId"),
            format: text(f, "Format"),
            recognition: optional(f, "Recognition"),
        }),
        "video" | "shortvideo" => {
            let video = Video {
                media_id: text(f, "MediaId"),
                thumb_media_id: text(f, "ThumbMediaId"),
            };
            if msg_type == "video" {
                MessageKind::Video(video)
            } else {
                MessageKind::ShortVideo(video)
            }
        }
        "location" => match (float(f, "Location_X"), float(f, "Location_Y")) {
            (Some(latitude), Some(longitude)) => MessageKind::Location(Location {
                latitude,
                longitude,
                scale: f.get("Scale").and_then(|s| s.trim().parse().ok()),
                label: text(f, "Label"),
            }),
            _ => unknown(),
        },
        "link" => MessageKind::Link(Link {
            title: text(f, "Title"),
            description: text(f, "Description"),
            url: text(f, "Url"),
        }),
        "file" => MessageKind::File(File {
            title: text(f, "Title"),
            description: text(f, "Description"),
            file_key: text(f, "FileKey"),
            file_md5: text(f, "FileMd5"),
            file_total_len: f.get("FileTotalLen").and_then(|s| s.trim().parse().ok()),
        }),
        _ => unknown(),
    }
}

fn event(f: &Fields) -> Event {
    let name = f.get("Event").unwrap_or("").trim();
    let unknown = || Event::Unknown {
        event: name.to_owned(),
    };
    // Names are matched exactly as documented: lowercase for subscribe and
    // kf_*, uppercase for the rest. Other spellings stay Unknown, raw.
    match name {
        "subscribe" => {
            let event_key = optional(f, "EventKey");
            let scene = event_key
                .as_deref()
                .and_then(|k| k.strip_prefix("qrscene_"))
                .map(str::to_owned);
            Event::Subscribe {
                scene,
                event_key,
                ticket: optional(f, "Ticket"),
            }
        }
        "unsubscribe" => Event::Unsubscribe,
        "SCAN" => Event::Scan {
            scene: text(f, "EventKey"),
            ticket: optional(f, "Ticket"),
        },
        "LOCATION" => match (float(f, "Latitude"), float(f, "Longitude")) {
            (Some(latitude), Some(longitude)) => Event::Location {
                latitude,
                longitude,
                precision: float(f, "Precision").unwrap_or(0.0),
            },
            _ => unknown(),
        },
        "CLICK" => Event::Click {
            key: text(f, "EventKey"),
        },
        "VIEW" => Event::View {
            url: text(f, "EventKey"),
            menu_id: optional(f, "MenuId"),
        },
        "TEMPLATESENDJOBFINISH" => match f.get("MsgID").or_else(|| f.get("MsgId")) {
            Some(id) => Event::TemplateSendJobFinish {
                msg_id: MsgId::new(id.trim()),
                status: TemplateStatus::parse(f.get("Status").unwrap_or("")),
            },
            None => unknown(),
        },
        "kf_create_session" => Event::KfCreateSession {
            kf_account: text(f, "KfAccount"),
        },
        "kf_close_session" => Event::KfCloseSession {
            kf_account: text(f, "KfAccount"),
        },
        "kf_switch_session" => Event::KfSwitchSession {
            from_kf_account: text(f, "FromKfAccount"),
            to_kf_account: text(f, "ToKfAccount"),
        },
        _ => unknown(),
    }
}
