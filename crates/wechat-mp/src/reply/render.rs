use super::{Article, Music, Reply, MAX_NEWS_ARTICLES};
use crate::xml::XmlWriter;

pub(super) fn render(
    reply: &Reply,
    to_user: &str,
    account: &str,
    create_time: i64,
    for_message: bool,
) -> Option<String> {
    let msg_type = match reply {
        Reply::Success => return None,
        Reply::Text(_) => "text",
        Reply::Image { .. } => "image",
        Reply::Voice { .. } => "voice",
        Reply::Video { .. } => "video",
        Reply::Music(_) => "music",
        Reply::News(_) => "news",
        Reply::TransferCustomerService { .. } => "transfer_customer_service",
    };
    let mut w = XmlWriter::new();
    w.text("ToUserName", to_user)
        .text("FromUserName", account)
        .number("CreateTime", create_time)
        .text("MsgType", msg_type);
    match reply {
        Reply::Success => {}
        Reply::Text(content) => {
            w.text("Content", content);
        }
        Reply::Image { media_id } => {
            w.open("Image").text("MediaId", media_id).close("Image");
        }
        Reply::Voice { media_id } => {
            w.open("Voice").text("MediaId", media_id).close("Voice");
        }
        Reply::Video {
            media_id,
            title,
            description,
        } => {
            w.open("Video").text("MediaId", media_id);
            optional(&mut w, "Title", title.as_deref());
            optional(&mut w, "Description", description.as_deref());
            w.close("Video");
        }
        Reply::Music(music) => music_body(&mut w, music),
        Reply::News(articles) => news_body(&mut w, articles, for_message),
        Reply::TransferCustomerService { kf_account } => {
            if let Some(account) = kf_account {
                w.open("TransInfo")
                    .text("KfAccount", account)
                    .close("TransInfo");
            }
        }
    }
    Some(w.finish())
}

fn optional(w: &mut XmlWriter, name: &str, value: Option<&str>) {
    if let Some(value) = value {
        w.text(name, value);
    }
}

fn music_body(w: &mut XmlWriter, music: &Music) {
    w.open("Music");
    optional(w, "Title", music.title.as_deref());
    optional(w, "Description", music.description.as_deref());
    optional(w, "MusicUrl", music.music_url.as_deref());
    optional(w, "HQMusicUrl", music.hq_music_url.as_deref());
    w.text("ThumbMediaId", &music.thumb_media_id).close("Music");
}

fn news_body(w: &mut XmlWriter, articles: &[Article], for_message: bool) {
    let limit = if for_message { 1 } else { MAX_NEWS_ARTICLES };
    if articles.len() > limit {
        // Sending more makes WeChat reject the whole reply (errcode 45008).
        tracing::warn!(articles = articles.len(), limit, "news reply truncated");
    }
    let articles = &articles[..articles.len().min(limit)];
    let count = i64::try_from(articles.len()).unwrap_or(0);
    w.number("ArticleCount", count).open("Articles");
    for a in articles {
        w.open("item")
            .text("Title", &a.title)
            .text("Description", &a.description)
            .text("PicUrl", &a.pic_url)
            .text("Url", &a.url)
            .close("item");
    }
    w.close("Articles");
}
