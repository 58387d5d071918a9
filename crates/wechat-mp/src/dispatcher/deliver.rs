//! Late replies go out through the customer-service API.

use std::time::Duration;

use async_trait::async_trait;

use crate::bot::{
    Bot, CustomBody, MediaBody, MusicBody, NewsArticle, NewsBody, RequestError, VideoBody,
};
use crate::reply::Reply;
use crate::update::OpenId;

/// Delivers a reply that missed the callback deadline.
#[async_trait]
pub trait DeferredDelivery: Send + Sync + 'static {
    /// Sends `reply` to `to`. Errors are the implementation's to report.
    async fn deliver(&self, to: &OpenId, reply: Reply);
}

/// Sends late replies as customer-service messages through a [`Bot`].
#[derive(Clone, Debug)]
pub struct KfDelivery {
    bot: Bot,
}

impl KfDelivery {
    /// Delivers through `bot`.
    pub fn new(bot: Bot) -> Self {
        Self { bot }
    }

    async fn send(&self, to: &OpenId, reply: Reply) -> Result<(), RequestError> {
        let body = match reply {
            Reply::Success => return Ok(()),
            Reply::TransferCustomerService { kf_account } => {
                // A hand-over cannot be sent as a message; open the session directly.
                return match kf_account {
                    Some(account) => self.bot.create_kf_session(&account, to).await,
                    None => {
                        tracing::warn!(user = %to.masked(), "late transfer to any agent cannot be delivered");
                        Ok(())
                    }
                };
            }
            other => match kf_body(other) {
                Some(body) => body,
                None => return Ok(()),
            },
        };
        self.bot.send_custom(to, body).await
    }
}

fn kf_body(reply: Reply) -> Option<CustomBody> {
    Some(match reply {
        Reply::Text(content) => CustomBody::Text {
            text: crate::bot::TextBody { content },
        },
        Reply::Image { media_id } => CustomBody::Image {
            image: MediaBody { media_id },
        },
        Reply::Voice { media_id } => CustomBody::Voice {
            voice: MediaBody { media_id },
        },
        Reply::Video {
            media_id,
            title,
            description,
        } => CustomBody::Video {
            video: VideoBody {
                media_id,
                thumb_media_id: String::new(),
                title,
                description,
            },
        },
        Reply::Music(m) => CustomBody::Music {
            music: MusicBody {
                title: m.title,
                description: m.description,
                musicurl: m.music_url.unwrap_or_default(),
                hqmusicurl: m.hq_music_url.unwrap_or_default(),
                thumb_media_id: m.thumb_media_id,
            },
        },
        Reply::News(articles) => CustomBody::News {
            news: NewsBody {
                articles: articles
                    .into_iter()
                    .take(1)
                    .map(|a| NewsArticle {
                        title: a.title,
                        description: a.description,
                        url: a.url,
                        picurl: a.pic_url,
                    })
                    .collect(),
            },
        },
        Reply::Success | Reply::TransferCustomerService { .. } => return None,
    })
}

/// Pauses before sending a late reply again after a transient failure. The resident has
/// already been told `success`; this message is all they will get, so a busy moment at
/// WeChat or a token refreshed by another instance must not lose it.
const RETRY_PAUSES: [Duration; 3] = [
    Duration::from_millis(250),
    Duration::from_secs(1),
    Duration::from_secs(4),
];

#[async_trait]
impl DeferredDelivery for KfDelivery {
    async fn deliver(&self, to: &OpenId, reply: Reply) {
        let mut result = self.send(to, reply.clone()).await;
        for pause in RETRY_PAUSES {
            match &result {
                Err(e) if e.is_transient() => {
                    tracing::info!(user = %to.masked(), error = %e, "late reply failed, sending again");
                    tokio::time::sleep(pause).await;
                    result = self.send(to, reply.clone()).await;
                }
                _ => break,
            }
        }
        let label = match &result {
            Ok(()) => "sent",
            Err(e) if e.is_outside_window() || e.is_quota_exceeded() => "undeliverable",
            Err(_) => "failed",
        };
        metrics::counter!("wechat_deferred_replies_total", "result" => label).increment(1);
        if let Err(error) = result {
            if label == "undeliverable" {
                tracing::warn!(user = %to.masked(), %error, "late reply could not reach the user");
            } else {
                tracing::error!(user = %to.masked(), %error, "late reply failed");
            }
        }
    }
}
