//! What IT sees of a running desk: `/metrics` after real traffic, request ids, and logs
//! that carry the ids but nothing personal and no secret. The server is a `heatdesk serve`
//! process (one Prometheus recorder and one log per process), WeChat the fake server.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use axum::http::header;
use chrono::Utc;
use serde_json::Value;
use wechat_mp::testing::{CallbackClient, FakeWeChat, FAKE_APPID, FAKE_SECRET};
use wechat_mp::{Config, Mode};

use crate::desk::DeskClient;
use crate::e2e::{start_serve_with, Server, AES_KEY, TOKEN};
use crate::helpers::{server_logs_dir, spawn_app_with};

const METRICS_TOKEN: &str = "metrics-scrape-token-9f81c2";
const RESIDENT: &str = "o-obs-resident-5d2e71c4a9";
const DEMO_PASSWORD: &str = "heatdesk-demo";
const WRONG_PASSWORD: &str = "not-the-password-4471";

struct Live {
    _server: Server,
    base: String,
    log: PathBuf,
    fake: FakeWeChat,
    client: reqwest::Client,
    pushes: CallbackClient,
    _dir: tempfile::TempDir,
}

/// A server that answers every push late (a 1 ms deadline): each reply goes out through
/// the customer-service API, so the deferred path, the API calls and the token are used.
async fn start(rust_log: &str) -> Live {
    let fake = FakeWeChat::start().await;
    fake.touch_user(RESIDENT);
    // Every reply is a message here: more than the five WeChat allows per resident message.
    fake.set_quota(100);
    let dir = tempfile::tempdir().unwrap();
    let env = [
        ("RUST_LOG", rust_log),
        ("HEATDESK_METRICS_ENABLED", "true"),
        ("HEATDESK_METRICS_TOKEN", METRICS_TOKEN),
        // No time at all: a turn may finish within 1 ms, and would then answer passively.
        ("HEATDESK_WECHAT_HANDLER_DEADLINE_MS", "0"),
    ];
    let (server, port, log) = start_serve_with(dir.path(), &fake.base_url(), &env).await;
    let mut config = Config::new(FAKE_APPID, FAKE_SECRET, TOKEN);
    config.mode = Mode::Safe;
    config.encoding_aes_key = Some(AES_KEY.into());
    Live {
        _server: server,
        base: format!("http://127.0.0.1:{port}"),
        log,
        fake,
        client: reqwest::Client::new(),
        pushes: CallbackClient::new(&config).at("/wechat"),
        _dir: dir,
    }
}

impl Live {
    /// The resident writes; returns once the (late) reply reached the fake WeChat.
    async fn says(&self, text: &str, msg_id: u64) {
        let before = self.fake.sent_messages().len();
        let xml = CallbackClient::text_message(RESIDENT, text, msg_id, Utc::now().timestamp());
        let (parts, body) = self.pushes.push(&xml).into_parts();
        let body = axum::body::to_bytes(body, usize::MAX).await.unwrap();
        let res = self
            .client
            .post(format!("{}{}", self.base, parts.uri))
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{text}");
        let sent = self
            .fake
            .wait_for_messages(before + 1, Duration::from_secs(20))
            .await;
        assert!(
            sent.len() > before,
            "a reply to {text} reaches the resident"
        );
    }

    async fn scrape(&self, token: Option<&str>) -> reqwest::Response {
        let mut req = self.client.get(format!("{}/metrics", self.base));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        req.send().await.unwrap()
    }

    async fn metrics(&self) -> String {
        let res = self.scrape(Some(METRICS_TOKEN)).await;
        assert_eq!(res.status(), 200);
        res.text().await.unwrap()
    }

    /// A day at the desk: a resident proves an account with the holder's name, gives a
    /// phone number, asks for a person; an agent mistypes the password, signs in, takes
    /// the conversation and answers with a phone number.
    async fn a_day(&self) {
        self.says("查一下我家欠多少暖气费", 7_001).await;
        self.says("10010002", 7_002).await;
        self.says("李秀兰", 7_003).await;
        self.says("我的电话是13847302002", 7_004).await;
        self.says("转人工", 7_005).await;
        assert!(
            DeskClient::try_login_at(&self.base, "agent", WRONG_PASSWORD)
                .await
                .is_none()
        );
        let agent = DeskClient::try_login_at(&self.base, "agent", DEMO_PASSWORD)
            .await
            .unwrap();
        let queue = agent.page("/desk/queue/list?show=unassigned").await;
        let id = queue
            .split("/desk/handoffs/")
            .nth(1)
            .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
            .unwrap()
            .to_owned();
        let claimed = agent.post(&format!("/desk/handoffs/{id}/claim"), &[]).await;
        assert_eq!(claimed.status(), 303);
        let before = self.fake.sent_messages().len();
        let text = "您好，请拨打13847302002确认，李秀兰女士";
        let replied = agent
            .post(&format!("/desk/handoffs/{id}/reply"), &[("text", text)])
            .await;
        assert_eq!(replied.status(), 303);
        self.fake
            .wait_for_messages(before + 1, Duration::from_secs(20))
            .await;
        assert!(self.fake.texts_to(RESIDENT).iter().any(|t| t == text));
    }
}

/// The value of the series `name{labels…}` (labels in any order), 0 when absent.
fn value(metrics: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    metrics
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.rsplit_once(' '))
        .filter(|(series, _)| {
            let (n, rest) = series.split_once('{').unwrap_or((series, ""));
            n == name
                && labels
                    .iter()
                    .all(|(k, v)| rest.contains(&format!("{k}=\"{v}\"")))
        })
        .map(|(_, v)| v.parse::<f64>().unwrap())
        .sum()
}

#[tokio::test]
async fn metrics_move_with_a_day_of_traffic() {
    let live = start("warn").await;
    let empty = live.metrics().await;
    assert_eq!(value(&empty, "heatdesk_messages_total", &[]), 0.0);
    assert_eq!(
        value(
            &empty,
            "heatdesk_build_info",
            &[("version", env!("CARGO_PKG_VERSION"))]
        ),
        1.0
    );
    assert_eq!(
        value(&empty, "heatdesk_phrasebook_version", &[("version", "1")]),
        1.0,
        "{empty}"
    );

    live.a_day().await;
    let m = live.metrics().await;
    let messages = |decision| {
        value(
            &m,
            "heatdesk_messages_total",
            &[
                ("channel", "wechat"),
                ("kind", "text"),
                ("decision", decision),
            ],
        )
    };
    assert_eq!(messages("answered"), 4.0, "{m}");
    assert_eq!(messages("escalated"), 1.0, "{m}");
    assert_eq!(messages("failed"), 0.0);
    assert_eq!(
        value(&m, "wechat_callback_duration_seconds_count", &[]),
        5.0,
        "one latency per push"
    );
    assert_eq!(
        value(&m, "wechat_deferred_replies_total", &[("result", "sent")]),
        5.0,
        "every push was answered late, as a message"
    );
    assert_eq!(
        value(&m, "wechat_access_token_refreshes_total", &[]),
        1.0,
        "one token for six messages"
    );
    assert_eq!(
        live.fake.token_requests(),
        1,
        "the counter is the fake's count"
    );
    assert_eq!(
        value(
            &m,
            "wechat_api_calls_total",
            &[("path", "/cgi-bin/message/custom/send")]
        ),
        6.0,
        "{m}"
    );
    assert_eq!(value(&m, "heatdesk_handoff_wait_seconds_count", &[]), 1.0);
    assert_eq!(value(&m, "heatdesk_handoff_queue_length", &[]), 0.0);
    assert_eq!(value(&m, "heatdesk_handoffs_open", &[]), 1.0, "{m}");
    assert!(
        value(
            &m,
            "heatdesk_classifications_total",
            &[("channel", "wechat")]
        ) >= 1.0
    );
    assert!(value(&m, "heatdesk_db_pool_connections", &[("state", "open")]) >= 1.0);
    assert_eq!(value(&m, "heatdesk_outbox_backlog", &[]), 0.0);
    assert!(m.contains("heatdesk_phrasebook_version{version=\"1\"} 1"));

    // Without the token, or with another, nothing is told.
    let refused = live.scrape(None).await;
    assert_eq!(refused.status(), 401);
    assert!(refused.text().await.unwrap().is_empty());
    assert_eq!(live.scrape(Some("guess")).await.status(), 401);
}

#[tokio::test]
async fn metrics_are_not_served_unless_enabled_and_ask_for_the_token() {
    let off = spawn_app_with(|_| {}).await;
    let res = off.client.get(off.url("/metrics")).send().await.unwrap();
    assert_eq!(res.status(), 404, "not served by default");

    let on = spawn_app_with(|s| {
        s.metrics.enabled = true;
        s.metrics.token = heatdesk::config::Secret::new(METRICS_TOKEN);
    })
    .await;
    let url = on.url("/metrics");
    assert_eq!(on.client.get(&url).send().await.unwrap().status(), 401);
    let res = on
        .client
        .get(&url)
        .bearer_auth(METRICS_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("# TYPE heatdesk_build_info gauge"));
}

#[tokio::test]
async fn a_request_id_is_kept_or_made_and_named_in_error_bodies() {
    let app = spawn_app_with(|_| {}).await;
    let res = app
        .client
        .get(app.url("/api/v1/nothing-here"))
        .header("x-request-id", "lb-7f3a.42")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(res.headers()["x-request-id"], "lb-7f3a.42");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["request_id"], "lb-7f3a.42");
    assert_eq!(body["error"]["code"], "error-not-found");

    // An id that could garble a log line is replaced by one of ours.
    let res = app
        .client
        .post(app.url("/api/v1/classify"))
        .header("x-request-id", "a b\"c")
        .header(header::CONTENT_TYPE, "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert_eq!(id.len(), 16);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["request_id"], id.as_str());
}

/// What no log line may hold: the sample residents' numbers and names, every secret of
/// the suite's servers, the resident's OpenID.
fn forbidden() -> Vec<String> {
    let demo: toml::Value = toml::from_str(
        &std::fs::read_to_string(crate::helpers::repo().join("demo/accounts.toml")).unwrap(),
    )
    .unwrap();
    let mut out: Vec<String> = demo["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|a| ["no", "holder", "phone"].map(|k| a[k].as_str().unwrap().to_owned()))
        .collect();
    out.extend(
        [
            TOKEN,
            AES_KEY,
            FAKE_SECRET,
            METRICS_TOKEN,
            DEMO_PASSWORD,
            WRONG_PASSWORD,
            RESIDENT,
            "fake-token-",
            "e2e-callback-token",
            "o-e2e-resident",
        ]
        .map(str::to_owned),
    );
    out
}

fn leaks(log: &str) -> Vec<(String, String)> {
    let forbidden = forbidden();
    log.lines()
        .flat_map(|line| {
            forbidden
                .iter()
                .filter(|f| line.contains(f.as_str()))
                .map(|f| (f.clone(), line.to_owned()))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The fields of the span named `name` on a JSON log line.
fn span<'a>(line: &'a Value, name: &str) -> Option<&'a Value> {
    line["spans"].as_array()?.iter().find(|s| s["name"] == name)
}

#[tokio::test]
async fn logs_are_json_with_ids_and_hold_nothing_personal_or_secret() {
    let live = start("debug").await;
    live.a_day().await;
    live.metrics().await;
    let res = live
        .client
        .get(format!("{}/api/v1/none", live.base))
        .header("x-request-id", "scan-req-1")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    // Lines of the last requests may still be on their way to the file.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let log = std::fs::read_to_string(&live.log).unwrap();

    let lines: Vec<Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    assert!(lines.len() > 50, "a verbose log: {} lines", lines.len());
    let leaked = leaks(&log);
    assert!(
        leaked.is_empty(),
        "personal data or secrets logged: {leaked:#?}"
    );

    // Every line of a request names it; the 404 above is findable by its id.
    assert!(lines
        .iter()
        .filter_map(|l| span(l, "request"))
        .all(|s| s["request_id"].as_str().is_some_and(|id| !id.is_empty())));
    assert!(lines
        .iter()
        .any(|l| span(l, "request").is_some_and(|s| s["request_id"] == "scan-req-1")));
    // Lines written while a push is handled (on the dispatcher's task too) name the
    // message and the masked resident.
    let classified: Vec<&Value> = lines
        .iter()
        .filter(|l| l["message"] == "classified")
        .collect();
    assert!(!classified.is_empty());
    for line in classified {
        let push = span(line, "wechat_push").unwrap_or_else(|| panic!("no push span: {line}"));
        assert!(push["msg_id"]
            .as_str()
            .is_some_and(|id| id.starts_with("700")));
        assert_eq!(push["user"], "…c4a9");
        assert!(span(line, "request").is_some(), "{line}");
    }
}

/// The logs of every `heatdesk serve` the suite started (this run's so far, and whole
/// earlier runs'), scanned the same way; finished runs' logs are removed once scanned.
#[tokio::test]
async fn no_server_log_holds_personal_data_or_secrets() {
    let root = server_logs_dir(0).parent().unwrap().to_owned();
    let Ok(runs) = std::fs::read_dir(&root) else {
        return;
    };
    let mut leaked = Vec::new();
    for run in runs.flatten() {
        let finished = run
            .file_name()
            .to_str()
            .and_then(|pid| pid.parse::<u32>().ok())
            .is_some_and(|pid| {
                pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists()
            });
        for file in std::fs::read_dir(run.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            let text = std::fs::read_to_string(file.path()).unwrap_or_default();
            leaked.extend(
                leaks(&text)
                    .into_iter()
                    .map(|(what, line)| (file.path().display().to_string(), what, line)),
            );
        }
        if finished && leaked.is_empty() {
            let _ = std::fs::remove_dir_all(run.path());
        }
    }
    assert!(
        leaked.is_empty(),
        "personal data or secrets logged: {leaked:#?}"
    );
}
