use std::fmt;

/// A WeChat `errcode`. The codes a chat bot must react to have variants; the
/// rest are kept as [`ErrCode::Unknown`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrCode {
    /// -1: system busy, retry later.
    SystemBusy,
    /// 40001: wrong AppSecret, or the access token was superseded.
    InvalidCredential,
    /// 40014: malformed or unknown access token.
    InvalidAccessToken,
    /// 40033: the JSON body contains `\uXXXX` escapes.
    InvalidCharacters,
    /// 42001: the access token expired.
    AccessTokenExpired,
    /// 40037: the template id is not one of the account's templates.
    InvalidTemplateId,
    /// 43004: the user does not follow the account (template messages need a follower).
    RequireSubscribe,
    /// 43101: the user refused messages of this template.
    UserRefused,
    /// 47003: a template's `data` does not fit the template (a key missing, a value too
    /// long or of the wrong form).
    ArgumentInvalid,
    /// 45008: more than one article in a news message.
    TooManyArticles,
    /// 45015: the user has not written in the last 48 hours (or unfollowed),
    /// so customer-service messages cannot reach them.
    OutsideReplyWindow,
    /// 45047: the customer-service message quota for this window is used up.
    ReplyQuotaExceeded,
    /// 45080: typing status needs an interaction in the last 30 seconds.
    TypingWithoutInteraction,
    /// 45081: already typing.
    AlreadyTyping,
    /// 48001: the account is not authorised for this API.
    Unauthorized,
    /// 89503: the calling IP awaits the administrator's confirmation.
    RiskyIp,
    /// Any other code.
    Unknown(i64),
}

impl ErrCode {
    /// Maps a numeric code.
    pub fn from_code(code: i64) -> Self {
        match code {
            -1 => Self::SystemBusy,
            40001 => Self::InvalidCredential,
            40014 => Self::InvalidAccessToken,
            40033 => Self::InvalidCharacters,
            42001 => Self::AccessTokenExpired,
            40037 => Self::InvalidTemplateId,
            43004 => Self::RequireSubscribe,
            43101 => Self::UserRefused,
            47003 => Self::ArgumentInvalid,
            45008 => Self::TooManyArticles,
            45015 => Self::OutsideReplyWindow,
            45047 => Self::ReplyQuotaExceeded,
            45080 => Self::TypingWithoutInteraction,
            45081 => Self::AlreadyTyping,
            48001 => Self::Unauthorized,
            89503 => Self::RiskyIp,
            other => Self::Unknown(other),
        }
    }

    /// The numeric code.
    pub fn code(self) -> i64 {
        match self {
            Self::SystemBusy => -1,
            Self::InvalidCredential => 40001,
            Self::InvalidAccessToken => 40014,
            Self::InvalidCharacters => 40033,
            Self::AccessTokenExpired => 42001,
            Self::InvalidTemplateId => 40037,
            Self::RequireSubscribe => 43004,
            Self::UserRefused => 43101,
            Self::ArgumentInvalid => 47003,
            Self::TooManyArticles => 45008,
            Self::OutsideReplyWindow => 45015,
            Self::ReplyQuotaExceeded => 45047,
            Self::TypingWithoutInteraction => 45080,
            Self::AlreadyTyping => 45081,
            Self::Unauthorized => 48001,
            Self::RiskyIp => 89503,
            Self::Unknown(code) => code,
        }
    }

    /// Whether a fresh access token may fix the call.
    pub fn is_token_error(self) -> bool {
        matches!(
            self,
            Self::InvalidCredential | Self::InvalidAccessToken | Self::AccessTokenExpired
        )
    }
}

impl fmt::Display for ErrCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.code())
    }
}

/// Why an API call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    /// WeChat answered with a non-zero `errcode`.
    #[error("WeChat API error {code}: {message}")]
    Api {
        /// The code.
        code: ErrCode,
        /// `errmsg` as sent.
        message: String,
    },
    /// The request did not complete.
    #[error("network error: {0}")]
    Network(reqwest::Error),
    /// The server answered with an HTTP error status.
    #[error("HTTP status {0}")]
    Status(http::StatusCode),
    /// The response is not the JSON the call expects.
    #[error("unexpected response: {0}")]
    InvalidResponse(String),
    /// The token store failed.
    #[error("token store: {0}")]
    TokenStore(crate::dedup::StoreError),
}

/// The URL is dropped: its query carries the access token, and errors end up in logs.
impl From<reqwest::Error> for RequestError {
    fn from(error: reqwest::Error) -> Self {
        Self::Network(error.without_url())
    }
}

impl RequestError {
    /// The `errcode`, if WeChat sent one.
    pub fn code(&self) -> Option<ErrCode> {
        match self {
            Self::Api { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// The user is outside the 48-hour customer-service window (45015).
    pub fn is_outside_window(&self) -> bool {
        self.code() == Some(ErrCode::OutsideReplyWindow)
    }

    /// The customer-service message quota is exhausted (45047).
    pub fn is_quota_exceeded(&self) -> bool {
        self.code() == Some(ErrCode::ReplyQuotaExceeded)
    }

    /// The template message itself is wrong (40037 unknown template, 47003 data that does
    /// not fit it): sending it again will not help until the configuration changes.
    pub fn is_template_rejected(&self) -> bool {
        matches!(
            self.code(),
            Some(ErrCode::InvalidTemplateId | ErrCode::ArgumentInvalid)
        )
    }

    /// Worth sending again after a pause: WeChat busy (-1), a network or server failure,
    /// or a token rejected again after the refresh (another instance refreshed it at the
    /// same moment). Not errors about the message or the user.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Network(_) | Self::TokenStore(_) => true,
            Self::Status(status) => {
                status.is_server_error() || *status == http::StatusCode::TOO_MANY_REQUESTS
            }
            Self::Api { code, .. } => *code == ErrCode::SystemBusy || code.is_token_error(),
            Self::InvalidResponse(_) => false,
        }
    }

    /// The user cannot be reached by template messages (43004 not a follower, 43101
    /// refused them).
    pub fn is_recipient_refused(&self) -> bool {
        matches!(
            self.code(),
            Some(ErrCode::RequireSubscribe | ErrCode::UserRefused)
        )
    }
}
