use super::MsgId;

/// Something that happened in the conversation other than a user message.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// The user followed the account, possibly by scanning a parametric QR code.
    Subscribe {
        /// Scene of the QR code (`EventKey` without its `qrscene_` prefix).
        scene: Option<String>,
        /// Raw `EventKey`, for keys that are not QR scenes.
        event_key: Option<String>,
        /// QR code ticket.
        ticket: Option<String>,
    },
    /// The user unfollowed; WeChat may push this more than once.
    Unsubscribe,
    /// A follower scanned a parametric QR code.
    Scan {
        /// Scene id.
        scene: String,
        /// QR code ticket.
        ticket: Option<String>,
    },
    /// Periodic location report.
    Location {
        /// Latitude.
        latitude: f64,
        /// Longitude.
        longitude: f64,
        /// Accuracy.
        precision: f64,
    },
    /// A click-type menu button.
    Click {
        /// The button key.
        key: String,
    },
    /// A view-type menu button.
    View {
        /// Target URL.
        url: String,
        /// Menu id, when personalised menus are in use.
        menu_id: Option<String>,
    },
    /// Delivery report of a template message.
    TemplateSendJobFinish {
        /// The id returned by the send call (sent as `MsgID`).
        msg_id: MsgId,
        /// Delivery result.
        status: TemplateStatus,
    },
    /// An agent took the conversation.
    KfCreateSession {
        /// The agent account.
        kf_account: String,
    },
    /// An agent closed the conversation.
    KfCloseSession {
        /// The agent account.
        kf_account: String,
    },
    /// The conversation moved between agents.
    KfSwitchSession {
        /// Previous agent.
        from_kf_account: String,
        /// New agent.
        to_kf_account: String,
    },
    /// Any other event; fields are in [`super::Update::raw`].
    Unknown {
        /// The `Event` value as sent.
        event: String,
    },
}

/// Outcome of a template message delivery.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TemplateStatus {
    /// Delivered.
    Success,
    /// The user refuses messages from the account.
    UserBlock,
    /// Platform failure.
    SystemFailed,
    /// Any other status text, e.g. `failed:freq limit`.
    Other(String),
}

impl TemplateStatus {
    pub(crate) fn parse(status: &str) -> Self {
        let compact: String = status.chars().filter(|c| !c.is_whitespace()).collect();
        match compact.to_ascii_lowercase().as_str() {
            "success" => Self::Success,
            "failed:userblock" => Self::UserBlock,
            "failed:systemfailed" => Self::SystemFailed,
            _ => Self::Other(status.to_owned()),
        }
    }
}

impl Event {
    /// The key that tells retries of this event apart from new events of the
    /// same kind at the same second.
    pub(crate) fn dedup_discriminator(&self) -> String {
        match self {
            Self::Subscribe { event_key, .. } => {
                format!("subscribe:{}", event_key.as_deref().unwrap_or(""))
            }
            Self::Unsubscribe => "unsubscribe".into(),
            Self::Scan { scene, .. } => format!("SCAN:{scene}"),
            Self::Location { .. } => "LOCATION".into(),
            Self::Click { key } => format!("CLICK:{key}"),
            Self::View { url, .. } => format!("VIEW:{url}"),
            Self::TemplateSendJobFinish { msg_id, .. } => format!("TEMPLATESENDJOBFINISH:{msg_id}"),
            Self::KfCreateSession { kf_account } => format!("kf_create_session:{kf_account}"),
            Self::KfCloseSession { kf_account } => format!("kf_close_session:{kf_account}"),
            Self::KfSwitchSession { to_kf_account, .. } => {
                format!("kf_switch_session:{to_kf_account}")
            }
            Self::Unknown { event } => event.clone(),
        }
    }
}
