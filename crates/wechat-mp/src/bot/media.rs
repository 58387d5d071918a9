//! Temporary media upload.

use serde::Deserialize;

use super::{Bot, RequestError};

/// Kind of temporary media.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MediaType {
    /// Image (≤ 10 MB, PNG/JPEG/JPG/GIF).
    Image,
    /// Voice (≤ 2 MB, ≤ 60 s, AMR/MP3).
    Voice,
    /// Video (≤ 10 MB, MP4).
    Video,
    /// Thumbnail (≤ 64 KB, JPG).
    Thumb,
}

impl MediaType {
    fn as_str(self) -> &'static str {
        match self {
            Self::Image => "image",
            Self::Voice => "voice",
            Self::Video => "video",
            Self::Thumb => "thumb",
        }
    }
}

/// A stored temporary medium; it expires after three days.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct UploadedMedia {
    /// Media id for replies and messages (`thumb_media_id` for thumbnails).
    #[serde(alias = "thumb_media_id")]
    pub media_id: String,
    /// Upload time, seconds since the epoch.
    #[serde(default)]
    pub created_at: i64,
}

impl Bot {
    /// Uploads a temporary medium.
    pub async fn upload_media(
        &self,
        kind: MediaType,
        file_name: &str,
        content: bytes::Bytes,
    ) -> Result<UploadedMedia, RequestError> {
        let url = format!("{}/cgi-bin/media/upload", self.api_base());
        self.with_token_retry(|token| {
            // Rebuilt per attempt: a multipart body cannot be replayed.
            let part =
                reqwest::multipart::Part::stream(content.clone()).file_name(file_name.to_owned());
            let form = reqwest::multipart::Form::new().part("media", part);
            self.inner
                .http
                .post(&url)
                .query(&[("access_token", token), ("type", kind.as_str())])
                .multipart(form)
        })
        .await
    }
}
