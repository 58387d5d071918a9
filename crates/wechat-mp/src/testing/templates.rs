//! Template messages in the fake: the account's templates, the checks WeChat makes on a
//! send, and what was delivered.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde_json::{json, Value};

use crate::bot::value_limit;

/// A template message the fake accepted.
#[derive(Clone, Debug, PartialEq)]
pub struct SentTemplate {
    /// Recipient OpenID.
    pub touser: String,
    pub template_id: String,
    pub url: Option<String>,
    /// Each key's value.
    pub data: BTreeMap<String, String>,
    pub client_msg_id: Option<String>,
    /// The `msgid` the fake answered with.
    pub msgid: u64,
}

/// The account's templates and the users who cannot get them.
#[derive(Debug, Default)]
pub(super) struct Templates {
    /// Template id → the keys its content declares.
    pub(super) declared: HashMap<String, Vec<String>>,
    pub(super) sent: Vec<SentTemplate>,
    /// `client_msg_id` → the `msgid` of its first send.
    pub(super) by_client_id: HashMap<String, u64>,
    pub(super) unfollowed: HashSet<String>,
    pub(super) refusing: HashSet<String>,
}

fn error(code: i64, message: &str) -> Value {
    json!({ "errcode": code, "errmsg": message })
}

impl Templates {
    /// Checks a send as WeChat does and records it; the answer's JSON.
    pub(super) fn send(&mut self, body: &Value, next_id: &mut u64) -> Value {
        let text = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).map(str::to_owned);
        let touser = text(body, "touser").unwrap_or_default();
        let template_id = text(body, "template_id").unwrap_or_default();
        let Some(keys) = self.declared.get(&template_id) else {
            return error(40037, "invalid template_id");
        };
        if self.unfollowed.contains(&touser) {
            return error(43004, "require subscribe");
        }
        if self.refusing.contains(&touser) {
            return error(43101, "user refuse to accept the msg");
        }
        let mut data = BTreeMap::new();
        for key in keys {
            let value = body
                .pointer(&format!("/data/{key}/value"))
                .and_then(Value::as_str)
                .unwrap_or_default();
            if value.is_empty() {
                return error(
                    47003,
                    &format!("argument invalid! data.{key}.value is empty"),
                );
            }
            if value_limit(key).is_some_and(|max| value.chars().count() > max) {
                return error(
                    47003,
                    &format!("argument invalid! data.{key}.value exceeds the limit"),
                );
            }
            data.insert(key.clone(), value.to_owned());
        }
        let client_msg_id = text(body, "client_msg_id");
        if let Some(first) = client_msg_id
            .as_ref()
            .and_then(|id| self.by_client_id.get(id))
        {
            // A second send with the same id is dropped, as WeChat does.
            return json!({ "errcode": 0, "errmsg": "ok", "msgid": first });
        }
        *next_id += 1;
        let msgid = *next_id;
        if let Some(id) = &client_msg_id {
            self.by_client_id.insert(id.clone(), msgid);
        }
        self.sent.push(SentTemplate {
            touser,
            template_id,
            url: text(body, "url"),
            data,
            client_msg_id,
            msgid,
        });
        json!({ "errcode": 0, "errmsg": "ok", "msgid": msgid })
    }
}
