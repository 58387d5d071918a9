//! `heatdesk serve` processes on one database, as a utility runs them: three instances
//! on PostgreSQL share one access token, pass handoffs and agents' replies between them
//! and survive one of them being killed under load; and one instance killed at any moment
//! during a stream of confirmations and started again on the same database (SQLite or
//! PostgreSQL) tells every resident what was done, once.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use heatdesk::service::{AccountNo, RequestKind};
use rand::{Rng, SeedableRng};
use reqwest::header;
use wechat_mp::testing::{CallbackClient, FakeWeChat, FAKE_APPID, FAKE_SECRET};
use wechat_mp::Config;

use crate::desk::{DeskClient, DEMO_PASSWORD};
use crate::helpers::fresh_postgres;
use crate::scaleout::{
    free_port, push, send, send_with_failover, serve_with, slow_system, wait_ready, Child,
    SlowSystem, ACCOUNT, TOKEN, TO_CONFIRMATION,
};

/// Three instances on `db`, each given `extra` settings.
async fn three(
    db: &str,
    system: &SlowSystem,
    fake: &FakeWeChat,
    extra: &[(&str, &str)],
) -> Vec<Child> {
    let http = reqwest::Client::new();
    let mut children: Vec<Child> = (0..3)
        .map(|_| serve_with(db, system.addr, fake, free_port(), extra))
        .collect();
    for c in &mut children {
        wait_ready(&http, c).await;
    }
    children
}

fn callback() -> CallbackClient {
    CallbackClient::new(&Config::new(FAKE_APPID, FAKE_SECRET, TOKEN)).at("/wechat")
}

/// Waits until the fake WeChat server has received `count` customer-service messages.
async fn delivered(fake: &FakeWeChat, count: usize) -> usize {
    fake.wait_for_messages(count, Duration::from_secs(60))
        .await
        .len()
}

/// Every reply is late (a deadline already past), so every instance sends customer-service
/// messages at once and needs the access token: WeChat is asked for it once; when it
/// expires under that load, once more.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_instances_fetch_the_access_token_once_also_when_it_expires_under_load() {
    let Some(db) = fresh_postgres().await else {
        return;
    };
    let fake = FakeWeChat::start().await;
    let system = slow_system(Duration::ZERO).await;
    let late = [("HEATDESK_WECHAT_HANDLER_DEADLINE_MS", "0")];
    let children = three(&db, &system, &fake, &late).await;
    let (http, cb) = (reqwest::Client::new(), callback());
    let users: Vec<String> = (0..12).map(|n| format!("o-token-{n}")).collect();
    for u in &users {
        fake.touch_user(u);
    }
    for (round, question) in ["暖气费怎么交", "营业厅在哪里"].into_iter().enumerate() {
        let sends = users.iter().enumerate().map(|(n, u)| {
            let (http, cb, base) = (&http, &cb, children[n % 3].base.clone());
            async move {
                let p = push(cb, u, question, 1_000 * round as u64 + n as u64).await;
                send(http, cb, &base, &p).await
            }
        });
        futures_util::future::join_all(sends).await;
        let expected = users.len() * (round + 1);
        assert_eq!(
            delivered(&fake, expected).await,
            expected,
            "every late reply was sent"
        );
        assert_eq!(
            fake.token_requests(),
            round + 1,
            "round {round}: one token request across three instances"
        );
        // The token WeChat issued expires while the instances keep sending.
        fake.expire_tokens();
    }
}

/// A resident's "转人工" handled by instance A reaches an agent whose screen is connected
/// to B live; the agent claims it on B and replies through C: the resident gets the reply
/// once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handoff_on_one_instance_reaches_an_agent_on_another_and_a_reply_through_a_third_once() {
    let Some(db) = fresh_postgres().await else {
        return;
    };
    let fake = FakeWeChat::start().await;
    let system = slow_system(Duration::ZERO).await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("heatdesk.toml");
    // Agents are on duty around the clock, so the handoff is queued whenever this runs.
    std::fs::write(
        &config,
        "[handoff.hours]\nopen = \"00:00\"\nclose = \"00:00\"\n",
    )
    .unwrap();
    let config = config.display().to_string();
    let children = three(&db, &system, &fake, &[("--config", &config)]).await;
    let (a, b, c) = (&children[0].base, &children[1].base, &children[2].base);
    let (http, cb) = (reqwest::Client::new(), callback());

    let on_b = DeskClient::try_login_at(b, "agent", DEMO_PASSWORD)
        .await
        .unwrap();
    let mut events = on_b
        .client
        .get(format!("{b}/desk/events"))
        .header(header::COOKIE, &on_b.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(events.status(), 200);

    let user = "o-three-instances";
    fake.touch_user(user);
    send(&http, &cb, a, &push(&cb, user, "转人工", 1).await).await;
    let heard = tokio::time::timeout(Duration::from_secs(15), async {
        let mut seen = String::new();
        while let Some(chunk) = events.chunk().await.unwrap() {
            seen.push_str(&String::from_utf8_lossy(&chunk));
            if seen.contains("event: queue") {
                return;
            }
        }
    })
    .await;
    assert!(
        heard.is_ok(),
        "the agent's screen on B heard of A's handoff"
    );

    let store =
        heatdesk::handoff::store_for(&heatdesk::storage::Database::open(&db).await.unwrap());
    let h = store
        .open_for(user)
        .await
        .unwrap()
        .expect("a handoff is open");
    let claimed = on_b
        .post(&format!("/desk/handoffs/{}/claim", h.id), &[])
        .await;
    assert_eq!(claimed.status(), 303, "claimed on B");
    let on_c = DeskClient {
        base: c.clone(),
        client: on_b.client.clone(),
        cookie: on_b.cookie.clone(),
        csrf: on_b.csrf.clone(),
    };
    let reply = "您好，我是客服，马上为您查询。";
    let sent = on_c
        .post(
            &format!("/desk/handoffs/{}/reply", h.id),
            &[("text", reply)],
        )
        .await;
    assert!(
        sent.status().is_success() || sent.status().is_redirection(),
        "reply through C: {}",
        sent.status()
    );
    delivered(&fake, 1).await;
    // Anything sent twice would arrive within this time.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let told = fake.texts_to(user);
    assert_eq!(
        told.iter().filter(|t| t.as_str() == reply).count(),
        1,
        "the reply reached the resident once: {told:?}"
    );
}

/// What one resident's conversation left: answers (`None`: no instance answered).
struct Walk {
    user: String,
    confirm: Option<String>,
    lost: usize,
}

/// `user` walks to the confirmation of an inspection booking and confirms, every push
/// through the instances in turn from `first`, as a load balancer and WeChat's retries do.
async fn walk(
    http: reqwest::Client,
    cb: CallbackClient,
    bases: Vec<String>,
    first: usize,
    user: String,
) -> Walk {
    let mut msg = 1_000 * (first as u64 + 1);
    let mut lost = 0;
    let mut texts: Vec<&str> = Vec::new();
    for text in TO_CONFIRMATION {
        texts.push(text);
        if text.starts_with("户号") {
            // A new resident proves the account first.
            texts.push("赵军");
        }
    }
    for text in texts {
        let p = push(&cb, &user, text, msg).await;
        msg += 1;
        if send_with_failover(&http, &cb, &bases, first + msg as usize, &p)
            .await
            .is_none()
        {
            lost += 1;
        }
    }
    let p = push(&cb, &user, "确认", msg).await;
    let confirm = send_with_failover(&http, &cb, &bases, first + msg as usize, &p).await;
    lost += usize::from(confirm.is_none());
    Walk {
        user,
        confirm,
        lost,
    }
}

/// Inspection requests of the demo account, by id.
async fn inspection_ids(system: &SlowSystem) -> Vec<String> {
    let no = AccountNo::parse(ACCOUNT).unwrap();
    let requests = system.state.service.requests(&no).await.unwrap();
    requests
        .iter()
        .filter(|r| r.kind == RequestKind::Inspection)
        .map(|r| r.id.to_string())
        .collect()
}

/// Checks that every resident heard of exactly one request of theirs, by the reply or by
/// one customer-service message, and that no request was made twice.
fn everyone_told_once(walks: &[Walk], made: &[String], fake: &FakeWeChat) {
    assert_eq!(
        made.len(),
        walks.len(),
        "one request per resident: {made:?}"
    );
    for w in walks {
        let in_reply = made
            .iter()
            .filter(|id| {
                w.confirm
                    .as_deref()
                    .is_some_and(|r| r.contains(id.as_str()))
            })
            .count();
        let by_message = fake
            .texts_to(&w.user)
            .iter()
            .filter(|t| made.iter().any(|id| t.contains(id.as_str())))
            .count();
        assert!(
            in_reply + by_message == 1,
            "{}: told of one request once (reply {:?}, {by_message} messages)",
            w.user,
            w.confirm
        );
    }
}

/// Six residents book inspections through three instances while one instance is killed
/// (SIGKILL) at a random moment: every push is answered by an instance, every resident has
/// one request and hears of it once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_killed_under_load_loses_no_message_and_does_nothing_twice() {
    let Some(db) = fresh_postgres().await else {
        return;
    };
    let fake = FakeWeChat::start().await;
    let system = slow_system(Duration::from_millis(300)).await;
    let mut children = three(&db, &system, &fake, &[]).await;
    let bases: Vec<String> = children.iter().map(|c| c.base.clone()).collect();
    let seed: u64 = rand::rng().random();
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let kill_after = Duration::from_millis(rng.random_range(200..2_000));
    eprintln!("instance killed after {kill_after:?} (seed {seed})");
    let (http, cb) = (reqwest::Client::new(), callback());
    let residents: Vec<_> = (0..6)
        .map(|n| {
            let user = format!("o-killed-{n}");
            fake.touch_user(&user);
            tokio::spawn(walk(http.clone(), cb.clone(), bases.clone(), n, user))
        })
        .collect();
    tokio::time::sleep(kill_after).await;
    children[1].process.start_kill().unwrap();
    let _ = children[1].process.wait().await;
    let mut walks = Vec::new();
    for r in residents {
        walks.push(r.await.unwrap());
    }
    let lost: usize = walks.iter().map(|w| w.lost).sum();
    assert_eq!(lost, 0, "pushes no instance answered (seed {seed})");
    // A reply deferred past the deadline arrives as a message shortly after.
    tokio::time::sleep(Duration::from_secs(2)).await;
    everyone_told_once(&walks, &inspection_ids(&system).await, &fake);
}

/// One instance, three rounds: residents at the confirmation send "确认" together, the
/// instance is killed at a random moment while it works, started again on the same
/// database and port, and WeChat's retries of the pushes arrive: every retry is answered
/// with what was done ("已为您提交…编号R…") or the answer follows as one message, and
/// every resident has one request.
async fn confirmations_survive_a_kill_at_any_moment(db: &str) {
    let fake = FakeWeChat::start().await;
    let system = slow_system(Duration::from_millis(300)).await;
    let (http, cb) = (reqwest::Client::new(), callback());
    let seed: u64 = rand::rng().random();
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut all = Vec::new();
    for round in 0..3u64 {
        let mut child = serve_with(db, system.addr, &fake, free_port(), &[]);
        wait_ready(&http, &mut child).await;
        let base = child.base.clone();
        let users: Vec<String> = (0..4).map(|n| format!("o-crash-{round}-{n}")).collect();
        let mut confirms = Vec::new();
        for (n, user) in users.iter().enumerate() {
            fake.touch_user(user);
            let first = 10_000 * (round + 1) + 100 * n as u64;
            let mut msg = first;
            for text in TO_CONFIRMATION {
                send(&http, &cb, &base, &push(&cb, user, text, msg).await).await;
                msg += 1;
                if text.starts_with("户号") {
                    send(&http, &cb, &base, &push(&cb, user, "赵军", msg).await).await;
                    msg += 1;
                }
            }
            confirms.push(push(&cb, user, "确认", msg).await);
        }
        let first_tries: Vec<_> = confirms
            .iter()
            .map(|p| {
                let (http, url, body) = (http.clone(), format!("{base}{}", p.uri), p.body.clone());
                tokio::spawn(async move {
                    let _ = http.post(url).body(body).send().await;
                })
            })
            .collect();
        let kill_after = Duration::from_millis(rng.random_range(0..700));
        eprintln!("round {round}: killed after {kill_after:?} (seed {seed})");
        tokio::time::sleep(kill_after).await;
        child.process.start_kill().unwrap();
        let _ = child.process.wait().await;
        for t in first_tries {
            let _ = t.await;
        }
        // Started again on the same database (behind the same address, for WeChat).
        let mut child = serve_with(db, system.addr, &fake, free_port(), &[]);
        wait_ready(&http, &mut child).await;
        let again = [child.base.clone()];
        for (user, p) in users.iter().zip(&confirms) {
            let answer = send_with_failover(&http, &cb, &again, 0, p).await;
            all.push(Walk {
                user: user.clone(),
                lost: usize::from(answer.is_none()),
                confirm: answer,
            });
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
        drop(child);
    }
    assert_eq!(all.iter().map(|w| w.lost).sum::<usize>(), 0, "seed {seed}");
    everyone_told_once(&all, &inspection_ids(&system).await, &fake);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn confirmations_survive_a_kill_at_any_moment_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/heatdesk.db", dir.path().display());
    confirmations_survive_a_kill_at_any_moment(&db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn confirmations_survive_a_kill_at_any_moment_on_postgres() {
    let Some(db) = fresh_postgres().await else {
        return;
    };
    confirmations_survive_a_kill_at_any_moment(&db).await;
}
