use super::MsgId;

/// A message the user sent.
#[derive(Clone, Debug, PartialEq)]
pub struct Message {
    /// `MsgId`, the key WeChat's retries share.
    pub id: Option<MsgId>,
    /// What was sent.
    pub kind: MessageKind,
}

/// Every message type the platform documents, and a catch-all.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum MessageKind {
    /// `text`; stickers also arrive as text with a placeholder content.
    Text(Text),
    /// `image`.
    Image(Image),
    /// `voice`.
    Voice(Voice),
    /// `video`.
    Video(Video),
    /// `shortvideo`.
    ShortVideo(Video),
    /// `location`.
    Location(Location),
    /// `link`.
    Link(Link),
    /// `file`.
    File(File),
    /// Any other `MsgType`; fields are in [`super::Update::raw`].
    Unknown {
        /// The `MsgType` value.
        msg_type: String,
    },
}

/// A text message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Text {
    /// What the user typed, exactly.
    pub content: String,
    /// `bizmsgmenuid` when the text came from tapping a message menu.
    pub menu_id: Option<String>,
}

/// An image message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Image {
    /// Where WeChat hosts the picture.
    pub pic_url: String,
    /// Media id for the media download API.
    pub media_id: String,
}

/// A voice message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Voice {
    /// Media id for the media download API.
    pub media_id: String,
    /// Audio format, usually `amr`.
    pub format: String,
    /// Speech recognition result; often absent or empty, as the platform is
    /// retiring the feature, so do not rely on it.
    pub recognition: Option<String>,
}

/// A video or short video message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Video {
    /// Media id of the video.
    pub media_id: String,
    /// Media id of the thumbnail.
    pub thumb_media_id: String,
}

/// A shared location.
#[derive(Clone, Debug, PartialEq)]
pub struct Location {
    /// Latitude (`Location_X`).
    pub latitude: f64,
    /// Longitude (`Location_Y`).
    pub longitude: f64,
    /// Map zoom level.
    pub scale: Option<i64>,
    /// Place description.
    pub label: String,
}

/// A shared link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Target URL.
    pub url: String,
}

/// A shared file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct File {
    /// File name.
    pub title: String,
    /// Description (often the size).
    pub description: String,
    /// Platform file key.
    pub file_key: String,
    /// MD5 of the content.
    pub file_md5: String,
    /// Size in bytes.
    pub file_total_len: Option<u64>,
}
