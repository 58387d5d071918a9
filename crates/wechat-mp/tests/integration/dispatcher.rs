//! Deadline, retries and ordering.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::to_bytes;
use axum::Router;
use tokio::time::Instant;
use tower::ServiceExt;
use wechat_mp::dedup::Outcome;
use wechat_mp::testing::{CallbackClient, FakeWeChat};
use wechat_mp::update::Text;
use wechat_mp::{Config, Dispatcher, HandlerResult, Mode, Reply, Update, UpdateHandler};

use crate::{config, unix_now};

#[derive(Clone, Default)]
struct Calls(Arc<AtomicUsize>);

#[derive(Clone, Default)]
struct Seen(Arc<Mutex<Vec<String>>>);

/// Sleeps for the number of milliseconds given after "sleep ", counts calls
/// and records the texts in the order handlers finish.
fn slow_echo() -> UpdateHandler {
    dptree::entry().branch(Update::filter_text().endpoint(
        |text: Text, calls: Calls, seen: Seen| async move {
            calls.0.fetch_add(1, Ordering::SeqCst);
            let millis = text
                .content
                .split_whitespace()
                .nth(1)
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            tokio::time::sleep(Duration::from_millis(millis)).await;
            seen.0.lock().unwrap().push(text.content.clone());
            HandlerResult::Ok(Reply::text(format!("done: {}", text.content)))
        },
    ))
}

fn dispatcher(fake: &FakeWeChat, calls: &Calls, seen: &Seen) -> Dispatcher {
    Dispatcher::builder(fake.bot(), slow_echo())
        .dependencies(dptree::deps![calls.clone(), seen.clone()])
        .retry_poll_interval(Duration::from_millis(10))
        .build()
}

fn update(from: &str, content: &str, msg_id: u64, time: i64) -> Update {
    Update::from_xml(CallbackClient::text_message(from, content, msg_id, time).as_bytes()).unwrap()
}

fn in_ms(ms: u64) -> Instant {
    Instant::now() + Duration::from_millis(ms)
}

#[tokio::test]
async fn late_reply_goes_out_as_a_customer_service_message() {
    let fake = FakeWeChat::start().await;
    fake.touch_user("o-late");
    let (calls, seen) = (Calls::default(), Seen::default());
    let config = Config {
        handler_deadline: Duration::from_millis(100),
        ..config(Mode::Safe)
    };
    let app = Router::new()
        .merge(wechat_mp::axum::router(config.clone(), dispatcher(&fake, &calls, &seen)).unwrap());
    let client = CallbackClient::new(&config);
    let started = std::time::Instant::now();
    let response = app
        .oneshot(client.push(&CallbackClient::text_message(
            "o-late",
            "sleep 1000",
            1,
            unix_now(),
        )))
        .await
        .unwrap();
    let body = to_bytes(response.into_body(), usize::MAX).await.unwrap();
    assert_eq!(&body[..], b"success");
    assert!(
        started.elapsed() < Duration::from_millis(800),
        "answered at the deadline"
    );
    let sent = fake.wait_for_messages(1, Duration::from_secs(5)).await;
    assert_eq!(
        fake.texts_to("o-late"),
        vec!["done: sleep 1000"],
        "{sent:?}"
    );
}

#[tokio::test]
async fn a_retry_during_processing_waits_and_gets_the_same_reply() {
    let fake = FakeWeChat::start().await;
    let (calls, seen) = (Calls::default(), Seen::default());
    let d = dispatcher(&fake, &calls, &seen);
    let first = tokio::spawn({
        let d = d.clone();
        async move {
            d.dispatch(update("o-r", "sleep 150", 42, 1000), in_ms(2000))
                .await
        }
    });
    tokio::time::sleep(Duration::from_millis(30)).await;
    let retry = d
        .dispatch(update("o-r", "sleep 150", 42, 1000), in_ms(2000))
        .await;
    let first = first.await.unwrap();
    assert_eq!(calls.0.load(Ordering::SeqCst), 1, "handler ran once");
    assert_eq!(first, retry);
    let Outcome::Reply(xml) = first else {
        panic!("expected a reply")
    };
    assert!(xml.contains("done: sleep 150"));
    // A later retry is answered from the store.
    assert_eq!(
        d.dispatch(update("o-r", "sleep 150", 42, 1000), in_ms(500))
            .await,
        retry
    );
    assert_eq!(calls.0.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_retry_of_a_deferred_push_answers_success_and_nothing_is_sent_twice() {
    let fake = FakeWeChat::start().await;
    fake.touch_user("o-d");
    let (calls, seen) = (Calls::default(), Seen::default());
    let d = dispatcher(&fake, &calls, &seen);
    let first = d
        .dispatch(update("o-d", "sleep 300", 7, 1000), in_ms(50))
        .await;
    assert_eq!(first, Outcome::Deferred);
    let retry = d
        .dispatch(update("o-d", "sleep 300", 7, 1000), in_ms(100))
        .await;
    assert_ne!(
        std::mem::discriminant(&retry),
        std::mem::discriminant(&Outcome::Reply(String::new()))
    );
    fake.wait_for_messages(1, Duration::from_secs(5)).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(fake.texts_to("o-d").len(), 1);
    assert_eq!(calls.0.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn the_same_msg_id_from_two_users_is_two_messages() {
    let fake = FakeWeChat::start().await;
    let (calls, seen) = (Calls::default(), Seen::default());
    let d = dispatcher(&fake, &calls, &seen);
    d.dispatch(update("o-a", "hi", 99, 1000), in_ms(1000)).await;
    d.dispatch(update("o-b", "hi", 99, 1000), in_ms(1000)).await;
    assert_eq!(calls.0.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn one_users_messages_run_in_order_and_different_users_concurrently() {
    let fake = FakeWeChat::start().await;
    let (calls, seen) = (Calls::default(), Seen::default());
    let d = dispatcher(&fake, &calls, &seen);
    let started = std::time::Instant::now();
    let mut tasks = Vec::new();
    for (i, (user, content)) in [
        ("o-x", "sleep 300 a"),
        ("o-x", "sleep 10 b"),
        ("o-y", "sleep 300 c"),
        ("o-x", "sleep 0 d"),
    ]
    .into_iter()
    .enumerate()
    {
        let d = d.clone();
        tasks.push(tokio::spawn(async move {
            d.dispatch(update(user, content, i as u64, 1000), in_ms(2000))
                .await
        }));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for task in tasks {
        assert!(matches!(task.await.unwrap(), Outcome::Reply(_)));
    }
    let seen = seen.0.lock().unwrap().clone();
    let x_order: Vec<_> = seen.iter().filter(|s| !s.ends_with('c')).cloned().collect();
    assert_eq!(x_order, vec!["sleep 300 a", "sleep 10 b", "sleep 0 d"]);
    // o-y's 300 ms ran alongside o-x's: a single queue would take over 600 ms.
    assert!(
        started.elapsed() < Duration::from_millis(560),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn late_replies_outside_the_window_are_dropped_quietly() {
    let fake = FakeWeChat::start().await;
    let (calls, seen) = (Calls::default(), Seen::default());
    let d = dispatcher(&fake, &calls, &seen);
    assert_eq!(
        d.dispatch(update("o-never", "sleep 100", 1, 1000), in_ms(20))
            .await,
        Outcome::Deferred
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(fake.sent_messages().is_empty());
    let attempts = fake
        .calls()
        .into_iter()
        .filter(|c| c.path.ends_with("custom/send"))
        .count();
    assert_eq!(attempts, 1, "tried once, refused with 45015");
}

/// WeChat busy twice, then a token another instance has just replaced: the late reply is
/// the resident's only answer, so it is sent again until it goes through, once.
#[tokio::test]
async fn a_late_reply_survives_a_busy_moment_at_wechat() {
    let fake = FakeWeChat::start().await;
    fake.touch_user("o-busy");
    let (calls, seen) = (Calls::default(), Seen::default());
    let d = dispatcher(&fake, &calls, &seen);
    for errcode in [-1, -1, 40001, 40001] {
        fake.fail_next(errcode);
    }
    assert_eq!(
        d.dispatch(update("o-busy", "sleep 50", 1, 1000), in_ms(10))
            .await,
        Outcome::Deferred
    );
    fake.wait_for_messages(1, Duration::from_secs(30)).await;
    assert_eq!(fake.texts_to("o-busy"), vec!["done: sleep 50"]);
    let attempts = fake
        .calls()
        .into_iter()
        .filter(|c| c.path.ends_with("custom/send"))
        .count();
    assert_eq!(attempts, 5, "busy, busy, rejected twice, then sent");
}

#[test]
#[should_panic(expected = "Calls")]
fn missing_dependencies_fail_at_build_time() {
    let bot = wechat_mp::Bot::new("wx", "secret");
    let _ = Dispatcher::builder(bot, slow_echo()).build();
}

#[tokio::test]
async fn a_retry_on_another_instance_waits_through_the_shared_store() {
    let fake = FakeWeChat::start().await;
    let (calls, seen) = (Calls::default(), Seen::default());
    let shared: Arc<dyn wechat_mp::dedup::DedupStore> =
        Arc::new(wechat_mp::dedup::InMemoryDedupStore::new());
    let instance = || {
        Dispatcher::builder(fake.bot(), slow_echo())
            .dependencies(dptree::deps![calls.clone(), seen.clone()])
            .dedup_store(shared.clone())
            .retry_poll_interval(Duration::from_millis(10))
            .build()
    };
    let (a, b) = (instance(), instance());
    let first = tokio::spawn(async move {
        a.dispatch(update("o-m", "sleep 100", 5, 1000), in_ms(2000))
            .await
    });
    tokio::time::sleep(Duration::from_millis(20)).await;
    let retry = b
        .dispatch(update("o-m", "sleep 100", 5, 1000), in_ms(2000))
        .await;
    assert_eq!(first.await.unwrap(), retry);
    assert!(matches!(retry, Outcome::Reply(_)));
    assert_eq!(calls.0.load(Ordering::SeqCst), 1);
}
