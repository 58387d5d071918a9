//! Follower information.

use serde::{Deserialize, Serialize};

use super::{Bot, Payload, RequestError};
use crate::update::OpenId;

/// What WeChat tells about a follower. Nickname and avatar are no longer sent.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct UserInfo {
    /// 1 when following, 0 otherwise (the other fields are then absent).
    pub subscribe: i64,
    /// The OpenID.
    pub openid: String,
    /// Client language, e.g. `zh_CN`.
    pub language: String,
    /// Last follow time, seconds since the epoch.
    pub subscribe_time: i64,
    /// UnionID, when the account is bound to an open platform account.
    pub unionid: Option<String>,
    /// Remark set by the account.
    pub remark: String,
    /// Tag ids.
    pub tagid_list: Vec<i64>,
    /// How the user followed, e.g. `ADD_SCENE_QR_CODE`.
    pub subscribe_scene: String,
    /// QR scene id.
    pub qr_scene: i64,
    /// QR scene string.
    pub qr_scene_str: String,
}

#[derive(Serialize)]
struct UserInfoQuery<'a> {
    openid: &'a OpenId,
    lang: &'static str,
}

impl Payload for UserInfoQuery<'_> {
    type Output = UserInfo;
    const PATH: &'static str = "/cgi-bin/user/info";
    const METHOD: http::Method = http::Method::GET;
}

impl Bot {
    /// Information about a follower.
    pub async fn user_info(&self, openid: &OpenId) -> Result<UserInfo, RequestError> {
        self.execute(&UserInfoQuery {
            openid,
            lang: "zh_CN",
        })
        .await
    }
}
