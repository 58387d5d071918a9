//! Customer-service agent accounts and sessions.

use serde::{Deserialize, Serialize};

use super::{Ack, Bot, Payload, RequestError};
use crate::update::OpenId;

/// An agent account.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct KfAccountInfo {
    /// `account@alias`.
    pub kf_account: String,
    /// Display name.
    pub kf_nick: String,
    /// Numeric id.
    pub kf_id: serde_json::Value,
    /// Avatar URL.
    pub kf_headimgurl: String,
}

/// An online agent.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct OnlineKf {
    /// `account@alias`.
    pub kf_account: String,
    /// 1 = web client online.
    pub status: i64,
    /// Conversations being served.
    pub accepted_case: i64,
}

/// The session a user is in.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct KfSession {
    /// The serving agent; empty when the user is not in a session.
    pub kf_account: String,
    /// Session start, seconds since the epoch.
    pub createtime: i64,
}

#[derive(Serialize)]
struct KfAccountAdd<'a> {
    kf_account: &'a str,
    nickname: &'a str,
}

impl Payload for KfAccountAdd<'_> {
    type Output = Ack;
    const PATH: &'static str = "/customservice/kfaccount/add";
    const METHOD: http::Method = http::Method::POST;
}

#[derive(Serialize)]
struct NoParams {}

#[derive(Deserialize)]
struct KfList {
    #[serde(default)]
    kf_list: Vec<KfAccountInfo>,
}

struct GetKfList;
impl Serialize for GetKfList {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        NoParams {}.serialize(s)
    }
}
impl Payload for GetKfList {
    type Output = KfList;
    const PATH: &'static str = "/cgi-bin/customservice/getkflist";
    const METHOD: http::Method = http::Method::GET;
}

#[derive(Deserialize)]
struct OnlineKfList {
    #[serde(default)]
    kf_online_list: Vec<OnlineKf>,
}

struct GetOnlineKfList;
impl Serialize for GetOnlineKfList {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        NoParams {}.serialize(s)
    }
}
impl Payload for GetOnlineKfList {
    type Output = OnlineKfList;
    const PATH: &'static str = "/cgi-bin/customservice/getonlinekflist";
    const METHOD: http::Method = http::Method::GET;
}

#[derive(Serialize)]
struct SessionChange<'a, const CREATE: bool> {
    kf_account: &'a str,
    openid: &'a OpenId,
}

impl Payload for SessionChange<'_, true> {
    type Output = Ack;
    const PATH: &'static str = "/customservice/kfsession/create";
    const METHOD: http::Method = http::Method::POST;
}

impl Payload for SessionChange<'_, false> {
    type Output = Ack;
    const PATH: &'static str = "/customservice/kfsession/close";
    const METHOD: http::Method = http::Method::POST;
}

#[derive(Serialize)]
struct GetSession<'a> {
    openid: &'a OpenId,
}

impl Payload for GetSession<'_> {
    type Output = KfSession;
    const PATH: &'static str = "/customservice/kfsession/getsession";
    const METHOD: http::Method = http::Method::GET;
}

impl Bot {
    /// Adds an agent account (`account@alias`).
    pub async fn add_kf_account(
        &self,
        kf_account: &str,
        nickname: &str,
    ) -> Result<(), RequestError> {
        self.execute(&KfAccountAdd {
            kf_account,
            nickname,
        })
        .await
        .map(|_| ())
    }

    /// All agent accounts.
    pub async fn kf_accounts(&self) -> Result<Vec<KfAccountInfo>, RequestError> {
        Ok(self.execute(&GetKfList).await?.kf_list)
    }

    /// Agents currently online.
    pub async fn online_kf_accounts(&self) -> Result<Vec<OnlineKf>, RequestError> {
        Ok(self.execute(&GetOnlineKfList).await?.kf_online_list)
    }

    /// Puts `openid` in a session with `kf_account`.
    pub async fn create_kf_session(
        &self,
        kf_account: &str,
        openid: &OpenId,
    ) -> Result<(), RequestError> {
        self.execute(&SessionChange::<true> { kf_account, openid })
            .await
            .map(|_| ())
    }

    /// Ends the session between `kf_account` and `openid`.
    pub async fn close_kf_session(
        &self,
        kf_account: &str,
        openid: &OpenId,
    ) -> Result<(), RequestError> {
        self.execute(&SessionChange::<false> { kf_account, openid })
            .await
            .map(|_| ())
    }

    /// The session `openid` is in, if any.
    pub async fn kf_session(&self, openid: &OpenId) -> Result<Option<KfSession>, RequestError> {
        let session = self.execute(&GetSession { openid }).await?;
        Ok(Some(session).filter(|s| !s.kf_account.is_empty()))
    }
}
