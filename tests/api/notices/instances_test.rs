//! Exactly once across instances and restarts: notices are kept before they are sent,
//! claimed with a lease, and a claim that runs out (its instance died) is taken over.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use chrono::Utc;
use heatdesk::config::Secret;
use heatdesk::notify::{Field, Notice, Purpose};
use heatdesk::service::AccountNo;
use wechat_mp::testing::FakeWeChat;

use super::{account_templates, advance, repair, second_instance, templates};
use crate::desk::desk_app_with;
use crate::helpers::{fresh_postgres, TestApp};

/// Messages and template messages the fake accepted, per resident.
fn deliveries(fake: &FakeWeChat) -> HashMap<String, usize> {
    let mut out = HashMap::new();
    for m in fake.sent_messages() {
        *out.entry(m.touser).or_default() += 1;
    }
    for t in fake.templates_sent() {
        *out.entry(t.touser).or_default() += 1;
    }
    out
}

async fn wait_for(fake: &FakeWeChat, total: usize) {
    for _ in 0..200 {
        if deliveries(fake).values().sum::<usize>() >= total {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("only {:?} of {total} delivered", deliveries(fake));
}

fn notice(key: &str, user: &str) -> Notice {
    let fields: BTreeMap<Field, String> = [
        (Field::Number, "R-test".to_owned()),
        (Field::Kind, "kind".to_owned()),
        (Field::Status, "status".to_owned()),
        (Field::Time, "2026-12-04 10:30".to_owned()),
        (Field::Remark, "remark".to_owned()),
    ]
    .into_iter()
    .collect();
    Notice {
        key: key.to_owned(),
        user: user.to_owned(),
        purpose: Purpose::RequestProgress,
        text: format!("notice {key}"),
        fields,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_one_postgres_deliver_each_notice_once() {
    let Some(url) = fresh_postgres().await else {
        return;
    };
    let fast = |s: &mut heatdesk::config::Settings| s.notices.redeliver_secs = 1;
    let (a, fake) = desk_app_with(|s| {
        templates(s);
        fast(s);
        s.database_url = Secret::new(url);
    })
    .await;
    account_templates(&fake);
    let b = second_instance(&a, &fake, fast).await;
    // Both instances look for undelivered notices every second, beside the deliveries
    // the calls start.
    a.state.notifier.spawn_redelivery();
    b.state.notifier.spawn_redelivery();

    let account = AccountNo::parse("10010001").unwrap();
    let users: Vec<String> = (0..16).map(|i| format!("o-twice-{i:02}")).collect();
    for (i, user) in users.iter().enumerate() {
        a.state
            .conversations
            .bind(user, &account, Utc::now())
            .await
            .unwrap();
        if i % 2 == 0 {
            fake.touch_user(user);
        }
    }
    // A step through each instance, each call replayed on the other.
    let made = repair(&a, "10010001", "twice-repair-001").await;
    let id = made.id.to_string();
    for (first, second, status, key) in [
        (&a, &b, "work_order_issued", "twice-step-00001"),
        (&b, &a, "in_progress", "twice-step-00002"),
    ] {
        advance(first, &id, status, key).await;
        advance(second, &id, status, key).await;
    }
    // And notices kept without delivery (their instance died at once): both sweepers race.
    let kept: Vec<Notice> = users.iter().map(|u| notice("test:orphan", u)).collect();
    a.state.notifier.keep(&kept).await;

    wait_for(&fake, users.len() * 3).await;
    // Two more rounds of both sweepers find nothing left to send.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let counts = deliveries(&fake);
    for user in &users {
        assert_eq!(counts.get(user), Some(&3), "{user}: {counts:?}");
    }
    let odd = &users[1];
    assert!(
        fake.texts_to(odd).is_empty(),
        "outside the window: templates only"
    );
}

/// An instance stops after keeping two notices: one it never began, one it claimed and
/// did not finish. Started again on the same database, it delivers each once.
async fn restart_delivers_what_was_kept(a: TestApp, fake: FakeWeChat) {
    fake.touch_user("o-crash-near");
    let notices = [
        notice("test:crash", "o-crash-near"),
        notice("test:crash", "o-crash-far"),
    ];
    let ids = a.state.notifier.keep(&notices).await;
    let now = Utc::now().timestamp_millis();
    let claimed = a
        .state
        .notifier
        .store
        .claim(ids[1], now + 300, now)
        .await
        .unwrap();
    assert!(claimed.is_some());

    let b = second_instance(&a, &fake, |s| s.notices.redeliver_secs = 1).await;
    b.state.notifier.spawn_redelivery();
    wait_for(&fake, 2).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(fake.texts_to("o-crash-near").len(), 1);
    assert_eq!(fake.templates_to("o-crash-far").len(), 1);
    let far = b
        .state
        .notifier
        .store
        .for_user("o-crash-far")
        .await
        .unwrap();
    assert_eq!(far[0].status, "template");
    assert_eq!(far[0].attempts, 2, "claimed before the stop, and after");
    assert_eq!(b.state.notifier.redeliver_due().await, 0);
}

#[tokio::test]
async fn a_notice_kept_before_a_stop_is_delivered_once_after_the_restart_on_sqlite() {
    let (a, fake) = desk_app_with(templates).await;
    account_templates(&fake);
    restart_delivers_what_was_kept(a, fake).await;
}

#[tokio::test]
async fn a_notice_kept_before_a_stop_is_delivered_once_after_the_restart_on_postgres() {
    let Some(url) = fresh_postgres().await else {
        return;
    };
    let (a, fake) = desk_app_with(|s| {
        templates(s);
        s.database_url = Secret::new(url);
    })
    .await;
    account_templates(&fake);
    restart_delivers_what_was_kept(a, fake).await;
}
