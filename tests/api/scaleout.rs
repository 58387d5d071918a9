//! Several instances on one PostgreSQL database, one resident: a message whose instance
//! dies is answered by a retry exactly once, two messages racing on two instances end
//! consistent, instances started at once all start, and retry records stay bounded.

#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::extract::Request;
use axum::middleware::Next;
use chrono::Utc;
use heatdesk::app::AppState;
use heatdesk::config::Secret;
use heatdesk::dialogue::{Dialogue, Inbound, Turn};
use heatdesk::service::{AccountNo, RequestKind};
use heatdesk::wechat::DbStores;
use wechat_mp::dedup::{DedupKey, DedupStore, Outcome};
use wechat_mp::testing::{CallbackClient, FakeWeChat, FAKE_APPID, FAKE_SECRET};
use wechat_mp::Config;

use crate::helpers::{fresh_postgres, repo, settings};

pub(crate) const TOKEN: &str = "scale-token";
pub(crate) const ACCOUNT: &str = "30030001";

/// The conversation that brings a resident to the confirmation of an inspection booking.
pub(crate) const TO_CONFIRMATION: [&str; 7] = [
    "暖气不热",
    "是",
    "户号30030001，明天上午有人在家",
    "海南区拉僧庙小区2号楼1单元101",
    "13904737007",
    "卧室暖气片不热",
    "跳过",
];

pub(crate) fn inspections(requests: &[heatdesk::service::ServiceRequest]) -> usize {
    requests
        .iter()
        .filter(|r| r.kind == RequestKind::Inspection)
        .count()
}

// ---------------------------------------------------------------- instances in one process

async fn instance(url: &str, dir: &std::path::Path, demo: bool) -> anyhow::Result<AppState> {
    let mut s = settings(dir);
    s.database_url = Secret::new(url);
    s.demo = demo;
    AppState::build(s).await
}

/// Three instances started at the same moment on a fresh database, demo data on: all start,
/// and the demo data is there once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_started_at_once_on_a_fresh_database_all_start() {
    let Some(url) = fresh_postgres().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (a, b, c) = tokio::join!(
        instance(&url, dir.path(), true),
        instance(&url, dir.path(), true),
        instance(&url, dir.path(), true)
    );
    let states: Vec<AppState> = [a, b, c]
        .into_iter()
        .map(|r| r.unwrap_or_else(|e| panic!("an instance did not start: {e:#}")))
        .collect();
    let halls = states[0].service.halls().await.unwrap();
    let again = states[2].service.halls().await.unwrap();
    assert!(!halls.is_empty());
    assert_eq!(halls.len(), again.len(), "demo halls loaded once");
}

/// "确认" on one instance and "取消" on another at the same moment, twenty times: the
/// resident is told "cancelled" exactly when nothing was made.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn confirm_and_cancel_racing_on_two_instances_end_consistent() {
    let Some(url) = fresh_postgres().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let first = instance(&url, dir.path(), true).await.unwrap();
    let second = instance(&url, dir.path(), true).await.unwrap();
    let (a, b) = (first.dialogue().unwrap(), second.dialogue().unwrap());
    let cancelled = first.locales.text("zh-CN", "dialogue-cancelled", &[]);
    let user = "o-racer";
    let turn = |text: &str| Turn {
        user: user.to_owned(),
        inbound: Inbound::Text(text.to_owned()),
        at: Utc::now(),
        locale: "zh-CN".to_owned(),
        message: None,
    };
    async fn say(d: &Dialogue, t: Turn) -> String {
        d.handle(t).await.unwrap().replies.join("\n")
    }
    let no = AccountNo::parse(ACCOUNT).unwrap();
    let confirm_prompt = first.locales.text("zh-CN", "slot-confirm", &[]);
    let mut outcomes = (0, 0);
    for round in 0..20 {
        let mut last = String::new();
        for text in TO_CONFIRMATION {
            last = say(&a, turn(text)).await;
            if text.starts_with("户号") && round == 0 {
                // The first time the account is verified.
                last = say(&a, turn("赵军")).await;
            }
        }
        assert!(
            last.contains(&confirm_prompt),
            "round {round} did not reach the confirmation: {last}"
        );
        let made_before = inspections(&first.service.requests(&no).await.unwrap());
        // The two instances race; which one wins varies.
        let (yes, no_) = if round % 2 == 0 { (&a, &b) } else { (&b, &a) };
        let (confirmed, cancel) = tokio::join!(say(yes, turn("确认")), say(no_, turn("取消")));
        let made = inspections(&first.service.requests(&no).await.unwrap()) - made_before;
        let told_cancelled = confirmed.contains(&cancelled) || cancel.contains(&cancelled);
        assert!(made <= 1, "round {round}: {made} requests");
        assert_eq!(
            told_cancelled,
            made == 0,
            "round {round}: told cancelled = {told_cancelled}, requests made = {made}\n\
             confirm got: {confirmed}\ncancel got: {cancel}"
        );
        if made == 1 {
            outcomes.0 += 1;
        } else {
            outcomes.1 += 1;
        }
    }
    eprintln!(
        "confirm/cancel race: {} rounds made the request, {} were cancelled",
        outcomes.0, outcomes.1
    );
}

/// Expired retry records are purged in the background, in batches: under a long stream of
/// pushes the table stays bounded, and records still in their time are kept.
#[tokio::test]
async fn retry_records_stay_bounded_under_a_long_run() {
    let dir = tempfile::tempdir().unwrap();
    for db in crate::helpers::all_databases(dir.path()).await {
        let stores = DbStores::new(db);
        let keep = DedupKey::of(
            &wechat_mp::Update::from_xml(
                CallbackClient::text_message("o-keep", "hi", 1, 1_700_000_000).as_bytes(),
            )
            .unwrap(),
        );
        stores.claim(&keep, Duration::from_secs(600)).await.unwrap();
        stores
            .complete(&keep, &Outcome::Empty, Duration::from_secs(600))
            .await
            .unwrap();
        let purger = stores.spawn_purger(Duration::from_millis(50));
        for n in 0..1500u64 {
            let xml = CallbackClient::text_message("o-long", "hi", n + 10, 1_700_000_000);
            let key = DedupKey::of(&wechat_mp::Update::from_xml(xml.as_bytes()).unwrap());
            stores.claim(&key, Duration::from_millis(20)).await.unwrap();
            stores
                .complete(&key, &Outcome::Empty, Duration::from_millis(20))
                .await
                .unwrap();
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        let left = stores.retry_records().await.unwrap();
        purger.abort();
        assert_eq!(left, 1, "only the record still in its time is kept");
    }
}

// ---------------------------------------------------------------- instances as processes

/// The utility's system on loopback: heatdesk's reference service, answering request
/// creations late (after making them), so an instance can die between the two.
pub(crate) struct SlowSystem {
    pub(crate) addr: SocketAddr,
    pub(crate) state: AppState,
    _task: tokio::task::JoinHandle<()>,
    _dir: tempfile::TempDir,
}

pub(crate) async fn slow_system(delay: Duration) -> SlowSystem {
    let dir = tempfile::tempdir().unwrap();
    let s = settings(dir.path());
    let state = AppState::build(s).await.unwrap();
    let router = heatdesk::app::router(&state).layer(axum::middleware::from_fn(
        move |req: Request, next: Next| async move {
            let create =
                req.method() == axum::http::Method::POST && req.uri().path().ends_with("/requests");
            let res = next.run(req).await;
            if create {
                tokio::time::sleep(delay).await;
            }
            res
        },
    ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    SlowSystem {
        addr,
        state,
        _task: task,
        _dir: dir,
    }
}

/// `heatdesk serve` as a child process; killed when dropped.
pub(crate) struct Child {
    pub(crate) process: tokio::process::Child,
    pub(crate) base: String,
}

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.process.start_kill();
    }
}

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub(crate) fn serve(db: &str, system: SocketAddr, fake: &FakeWeChat) -> Child {
    serve_on(db, system, fake, free_port())
}

pub(crate) fn serve_on(db: &str, system: SocketAddr, fake: &FakeWeChat, port: u16) -> Child {
    serve_with(db, system, fake, port, &[])
}

/// As [`serve_on`], with more settings (`--config FILE` and environment variables).
pub(crate) fn serve_with(
    db: &str,
    system: SocketAddr,
    fake: &FakeWeChat,
    port: u16,
    extra: &[(&str, &str)],
) -> Child {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_heatdesk"));
    cmd.arg("serve").current_dir(repo());
    for (k, v) in extra {
        if *k == "--config" {
            cmd.arg("--config").arg(v);
        }
    }
    cmd.env("HEATDESK_LISTEN", format!("127.0.0.1:{port}"))
        .env("HEATDESK_LISTEN", format!("127.0.0.1:{port}"))
        .env("HEATDESK_DATABASE_URL", db)
        .env("HEATDESK_DEMO", "true")
        .env(
            "HEATDESK_SERVICE_URL",
            format!("http://{system}/api/service/v1"),
        )
        .env("HEATDESK_WECHAT_TOKEN", TOKEN)
        .env("HEATDESK_WECHAT_APPID", FAKE_APPID)
        .env("HEATDESK_WECHAT_APP_SECRET", FAKE_SECRET)
        .env("HEATDESK_WECHAT_API_BASE", fake.base_url())
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .kill_on_drop(true);
    for (k, v) in extra.iter().filter(|(k, _)| *k != "--config") {
        cmd.env(k, v);
    }
    crate::helpers::server_log(cmd.as_std_mut(), "scaleout");
    let process = cmd.spawn().unwrap();
    Child {
        process,
        base: format!("http://127.0.0.1:{port}"),
    }
}

pub(crate) async fn wait_ready(client: &reqwest::Client, child: &mut Child) {
    for _ in 0..600 {
        if let Ok(Some(status)) = child.process.try_wait() {
            panic!("an instance exited at start: {status}");
        }
        if let Ok(r) = client.get(format!("{}/healthz", child.base)).send().await {
            if r.status().is_success() {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("an instance did not become ready in 60 s");
}

/// One push as WeChat sends it: the same body, timestamp and nonce on every retry.
pub(crate) struct Push {
    pub(crate) body: Vec<u8>,
    pub(crate) uri: String,
}

pub(crate) async fn push(client: &CallbackClient, user: &str, text: &str, msg_id: u64) -> Push {
    let ts = Utc::now().timestamp();
    let xml = CallbackClient::text_message(user, text, msg_id, ts);
    let req = client.push_at(&xml, ts, &format!("{msg_id}"));
    let uri = req.uri().to_string();
    let body = axum::body::to_bytes(req.into_body(), usize::MAX)
        .await
        .unwrap()
        .to_vec();
    Push { body, uri }
}

/// Sends `p` to the instance at `base`; the reply's text (`""` for `success`).
pub(crate) async fn send(
    http: &reqwest::Client,
    cb: &CallbackClient,
    base: &str,
    p: &Push,
) -> String {
    let res = http
        .post(format!("{base}{}", p.uri))
        .body(p.body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body = res.bytes().await.unwrap();
    if body.as_ref() == b"success" || body.is_empty() {
        return String::new();
    }
    match cb.read_reply(&body).unwrap().reply {
        wechat_mp::Reply::Text(content) => content,
        other => format!("{other:?}"),
    }
}

/// Residents in flight on the instance that is killed.
const IN_FLIGHT: usize = 5;

/// Brings `user` to the confirmation of an inspection booking through the instance at
/// `base`; message ids from `first_msg`.
pub(crate) async fn to_confirmation(
    http: &reqwest::Client,
    cb: &CallbackClient,
    base: &str,
    user: &str,
    first_msg: u64,
) -> String {
    let mut msg = first_msg;
    let mut last = String::new();
    for text in TO_CONFIRMATION {
        last = send(http, cb, base, &push(cb, user, text, msg).await).await;
        msg += 1;
        if text.starts_with("户号") {
            // A new resident proves the account first.
            last = send(http, cb, base, &push(cb, user, "赵军", msg).await).await;
            msg += 1;
        }
    }
    last
}

/// Three `heatdesk serve` processes on one fresh database, started at once. Five residents
/// at the confirmation of an inspection booking send "确认" to C, and C is killed (SIGKILL)
/// while the utility's system is answering; WeChat retries each on A after 1 s and again,
/// then on B. Every retry gets "submitted, number R…", each request exists once, nothing is
/// sent twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_whose_instance_died_is_answered_by_a_retry_exactly_once() {
    let Some(db) = fresh_postgres().await else {
        return;
    };
    let fake = FakeWeChat::start().await;
    let system = slow_system(Duration::from_millis(800)).await;
    let http = reqwest::Client::new();
    let mut children: Vec<Child> = (0..3).map(|_| serve(&db, system.addr, &fake)).collect();
    for c in &mut children {
        wait_ready(&http, c).await;
    }
    let cb = CallbackClient::new(&Config::new(FAKE_APPID, FAKE_SECRET, TOKEN)).at("/wechat");
    let (a, b) = (children[0].base.clone(), children[1].base.clone());
    let prompt = system.state.locales.text("zh-CN", "slot-confirm", &[]);
    let users: Vec<String> = (0..IN_FLIGHT).map(|n| format!("o-survivor-{n}")).collect();
    let mut confirms = Vec::new();
    for (n, user) in users.iter().enumerate() {
        let first = 1_000 * (n as u64 + 1);
        let last = to_confirmation(&http, &cb, &a, user, first).await;
        assert!(
            last.contains(&prompt),
            "{user} not at the confirmation: {last}"
        );
        confirms.push(push(&cb, user, "确认", first + 100).await);
    }

    let mut to_c = Vec::new();
    for p in &confirms {
        let (http, base) = (http.clone(), children[2].base.clone());
        let (uri, body) = (p.uri.clone(), p.body.clone());
        to_c.push(tokio::spawn(async move {
            let _ = http.post(format!("{base}{uri}")).body(body).send().await;
        }));
    }
    tokio::time::sleep(Duration::from_millis(150)).await;
    children[2].process.start_kill().unwrap();
    let _ = children[2].process.wait().await;
    for t in to_c {
        let _ = t.await;
    }

    tokio::time::sleep(Duration::from_millis(850)).await;
    // WeChat's retries of the five pushes, at once, on A; then again on A and on B.
    let retries = confirms.iter().map(|p| send(&http, &cb, &a, p));
    let first: Vec<String> = futures_util::future::join_all(retries).await;
    let mut again = Vec::new();
    let mut on_b = Vec::new();
    for p in &confirms {
        again.push(send(&http, &cb, &a, p).await);
        on_b.push(send(&http, &cb, &b, p).await);
    }

    let no = AccountNo::parse(ACCOUNT).unwrap();
    let requests = system.state.service.requests(&no).await.unwrap();
    let made: Vec<String> = requests
        .iter()
        .filter(|r| r.kind == RequestKind::Inspection)
        .map(|r| r.id.to_string())
        .collect();
    assert_eq!(
        made.len(),
        IN_FLIGHT,
        "one request per resident, none twice: {made:?}"
    );
    let (mut passive, mut by_message, mut duplicated) = (0, 0, 0);
    for (n, user) in users.iter().enumerate() {
        let mine: Vec<&String> = made
            .iter()
            .filter(|id| first[n].contains(id.as_str()))
            .collect();
        // A retry that answered `success` hands the confirmation to the asynchronous path:
        // wait for that message instead of reading the fake at one instant.
        let told = |sent: &[String]| sent.iter().any(|t| made.iter().any(|id| t.contains(id)));
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        while mine.len() != 1
            && !told(&fake.texts_to(user))
            && tokio::time::Instant::now() < deadline
        {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let sent = fake.texts_to(user);
        let messages = sent
            .iter()
            .filter(|t| made.iter().any(|id| t.contains(id.as_str())));
        let messages = messages.count();
        assert!(
            mine.len() == 1 || messages == 1,
            "{user}: the retry carries the confirmation: passive {:?}, messages {sent:?}",
            first[n]
        );
        assert!(messages <= 1, "{user} told once: {sent:?}");
        if mine.len() == 1 {
            passive += 1;
            assert_eq!(
                again[n], first[n],
                "{user}: a later retry gets the same answer"
            );
            assert_eq!(
                on_b[n], first[n],
                "{user}: a retry on B gets the same answer"
            );
        } else {
            by_message += 1;
        }
        duplicated += messages.saturating_sub(1) + usize::from(mine.len() > 1);
    }
    eprintln!(
        "killed instance: {IN_FLIGHT} messages in flight, {} answered ({passive} by the retry's \
         passive reply, {by_message} by message), {duplicated} duplicated; {} requests made",
        passive + by_message,
        made.len()
    );
}

/// Sends `p` to the instances from `first` on, as a load balancer and WeChat's retries
/// would: an instance that does not answer (stopped, restarting) passes the push to the next.
/// `None` when no instance answered within 60 s.
pub(crate) async fn send_with_failover(
    http: &reqwest::Client,
    cb: &CallbackClient,
    bases: &[String],
    first: usize,
    p: &Push,
) -> Option<String> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let mut i = first;
    while tokio::time::Instant::now() < deadline {
        let base = &bases[i % bases.len()];
        let res = http
            .post(format!("{base}{}", p.uri))
            .body(p.body.clone())
            .timeout(Duration::from_secs(6))
            .send()
            .await;
        if let Ok(res) = res {
            if res.status() == 200 {
                let body = res.bytes().await.ok()?;
                if body.as_ref() == b"success" || body.is_empty() {
                    return Some(String::new());
                }
                return cb.read_reply(&body).ok().map(|r| format!("{:?}", r.reply));
            }
        }
        i += 1;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    None
}

pub(crate) fn terminate(child: &Child) {
    use rustix::process::{kill_process, Pid, Signal};
    let pid = child.process.id().and_then(|id| Pid::from_raw(id as i32));
    if let Some(pid) = pid {
        let _ = kill_process(pid, Signal::TERM);
    }
}

/// Three instances under a steady stream of residents' questions are replaced one after the
/// other (SIGTERM, wait for the exit, start again on the same port): every push is answered,
/// none is lost, and every instance came back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rolling_restart_under_load_loses_nothing() {
    let Some(db) = fresh_postgres().await else {
        return;
    };
    let fake = FakeWeChat::start().await;
    let system = slow_system(Duration::ZERO).await;
    let http = reqwest::Client::new();
    let mut children: Vec<Child> = (0..3).map(|_| serve(&db, system.addr, &fake)).collect();
    for c in &mut children {
        wait_ready(&http, c).await;
    }
    let bases: Vec<String> = children.iter().map(|c| c.base.clone()).collect();
    let cb = CallbackClient::new(&Config::new(FAKE_APPID, FAKE_SECRET, TOKEN)).at("/wechat");
    let stop = std::sync::Arc::new(AtomicBool::new(false));
    let questions = [
        "暖气费怎么交",
        "营业厅在哪里",
        "什么时候开始供暖",
        "暖气不热怎么办",
    ];
    let mut load = Vec::new();
    for r in 0..6usize {
        let (http, cb, bases, stop) = (http.clone(), cb.clone(), bases.clone(), stop.clone());
        load.push(tokio::spawn(async move {
            let (mut sent, mut lost) = (0u64, 0u64);
            let user = format!("o-rolling-{r}");
            while !stop.load(Ordering::SeqCst) {
                let n = sent;
                let p = push(
                    &cb,
                    &user,
                    questions[(n as usize) % questions.len()],
                    10_000 + n,
                )
                .await;
                let answer = send_with_failover(&http, &cb, &bases, r + n as usize, &p).await;
                sent += 1;
                if answer.is_none() {
                    lost += 1;
                }
            }
            (sent, lost)
        }));
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    for (i, child) in children.iter_mut().enumerate() {
        terminate(child);
        let status = tokio::time::timeout(Duration::from_secs(30), child.process.wait())
            .await
            .expect("an instance did not stop within 30 s of SIGTERM")
            .unwrap();
        assert!(status.success(), "instance {i} stopped with {status}");
        let port = child
            .base
            .rsplit(':')
            .next()
            .unwrap()
            .parse::<u16>()
            .unwrap();
        *child = serve_on(&db, system.addr, &fake, port);
        wait_ready(&http, child).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    stop.store(true, Ordering::SeqCst);
    let (mut sent, mut lost) = (0, 0);
    for l in load {
        let (s, l) = l.await.unwrap();
        sent += s;
        lost += l;
    }
    eprintln!("rolling restart: {sent} pushes, {lost} lost");
    assert!(sent > 0);
    assert_eq!(lost, 0, "pushes lost during the rolling restart");
}
