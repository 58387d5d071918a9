use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{Method, Uri};
use axum::Json;
use axum::Router;
use serde_json::{json, Value};

use super::state::{FakeState, RecordedCall, SentMessage};
use super::{FAKE_APPID, FAKE_SECRET};

pub(super) fn router(state: Arc<FakeState>) -> Router {
    Router::new().fallback(handle).with_state(state)
}

fn error(code: i64, message: &str) -> Value {
    json!({ "errcode": code, "errmsg": message })
}

fn ok() -> Value {
    error(0, "ok")
}

async fn handle(
    State(state): State<Arc<FakeState>>,
    method: Method,
    uri: Uri,
    Query(mut query): Query<HashMap<String, String>>,
    body: Bytes,
) -> Json<Value> {
    let latency = state.with(|s| s.latency);
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let path = uri.path().to_owned();
    let json_body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let answer = match path.as_str() {
        "/cgi-bin/stable_token" => {
            state.with(|s| token(s, json_body.get("appid"), json_body.get("secret"), false))
        }
        "/cgi-bin/token" => state.with(|s| {
            let appid = query.get("appid").map(|a| json!(a));
            let secret = query.get("secret").map(|a| json!(a));
            token(s, appid.as_ref(), secret.as_ref(), true)
        }),
        _ => {
            let access_token = query.remove("access_token");
            let answer = state.with(|s| {
                s.calls.push(RecordedCall {
                    method: method.to_string(),
                    path: path.clone(),
                    query: query.clone(),
                    body: json_body.clone(),
                });
                match s.check_token(access_token.as_deref()) {
                    0 => {}
                    code => {
                        return error(
                            code,
                            "invalid credential, access_token is invalid or not latest",
                        )
                    }
                }
                if let Some(code) = s.fail_next.pop_front().or(s.fail_all) {
                    return error(code, "injected failure");
                }
                api(s, &path, &query, &json_body)
            });
            state.changed.notify_waiters();
            answer
        }
    };
    Json(answer)
}

fn token(
    s: &mut super::state::Inner,
    appid: Option<&Value>,
    secret: Option<&Value>,
    classic: bool,
) -> Value {
    s.token_requests += 1;
    if appid.and_then(Value::as_str) != Some(FAKE_APPID) {
        return error(40013, "invalid appid");
    }
    if secret.and_then(Value::as_str) != Some(FAKE_SECRET) {
        return error(40125, "invalid appsecret");
    }
    // Like the real stable_token in normal mode, hand out the current token
    // until it expires; the classic endpoint always issues a new one.
    let token = match (&s.current, classic) {
        (Some(current), false) => current.clone(),
        _ => s.issue_token(),
    };
    json!({ "access_token": token, "expires_in": 7200 })
}

fn api(
    s: &mut super::state::Inner,
    path: &str,
    query: &HashMap<String, String>,
    body: &Value,
) -> Value {
    let openid = |v: &Value, key: &str| {
        v.get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    match path {
        "/cgi-bin/message/custom/send" => {
            let touser = openid(body, "touser");
            match s.admit(&touser) {
                0 => {
                    s.sent.push(SentMessage {
                        touser,
                        msgtype: openid(body, "msgtype"),
                        body: body.clone(),
                    });
                    ok()
                }
                45015 => error(
                    45015,
                    "response out of time limit or subscription is canceled",
                ),
                code => error(code, "out of response count limit"),
            }
        }
        "/cgi-bin/message/custom/typing" => {
            if s.interactions.contains_key(&openid(body, "touser")) {
                ok()
            } else {
                error(45080, "typing without recent interaction")
            }
        }
        "/cgi-bin/menu/create" => {
            s.menu = Some(body.clone());
            ok()
        }
        "/cgi-bin/menu/get" => match &s.menu {
            Some(menu) => json!({ "menu": menu }),
            None => error(46003, "menu no exist"),
        },
        "/cgi-bin/menu/delete" => {
            s.menu = None;
            ok()
        }
        "/cgi-bin/message/template/send" => s.templates.send(body, &mut s.next_id),
        "/cgi-bin/media/upload" => {
            s.next_id += 1;
            let kind = query.get("type").cloned().unwrap_or_default();
            json!({ "type": kind, "media_id": format!("fake-media-{}", s.next_id), "created_at": 1_700_000_000 })
        }
        "/customservice/kfsession/create" => {
            s.kf_sessions
                .insert(openid(body, "openid"), openid(body, "kf_account"));
            ok()
        }
        "/customservice/kfsession/close" => {
            s.kf_sessions.remove(&openid(body, "openid"));
            ok()
        }
        "/customservice/kfsession/getsession" => {
            let user = query.get("openid").cloned().unwrap_or_default();
            let account = s.kf_sessions.get(&user).cloned().unwrap_or_default();
            json!({ "errcode": 0, "errmsg": "ok", "kf_account": account, "createtime": 1_700_000_000 })
        }
        "/cgi-bin/user/info" => {
            let user = query.get("openid").cloned().unwrap_or_default();
            json!({ "subscribe": 1, "openid": user, "language": "zh_CN", "subscribe_time": 1_700_000_000,
                    "remark": "", "tagid_list": [], "subscribe_scene": "ADD_SCENE_QR_CODE",
                    "qr_scene": 0, "qr_scene_str": "" })
        }
        "/cgi-bin/customservice/getkflist" => json!({ "kf_list": [] }),
        "/cgi-bin/customservice/getonlinekflist" => json!({ "kf_online_list": [] }),
        _ => ok(),
    }
}
