//! The utility's system goes down in the middle of a conversation: the resident is told
//! plainly, the request waits in the outbox, and is made once when the system is back.

#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;

use chrono::Utc;
use heatdesk::app::AppState;
use heatdesk::config::Settings;
use heatdesk::dialogue::{Inbound, Turn};
use heatdesk::service::rules::MonthDay;
use heatdesk::service::{AccountNo, RequestKind};

use crate::helpers::{settings, spawn_app_with};

/// The business system: heatdesk's reference service on `addr`, until aborted.
async fn business_system(addr: SocketAddr, s: Settings) -> tokio::task::JoinHandle<()> {
    let state = AppState::build(s).await.unwrap();
    let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
    let router = heatdesk::app::router(&state);
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    })
}

fn late_deadline(s: &mut Settings) {
    // Late November: let a suspension through the rules so the write is what is tested.
    s.rules.suspension_deadline = MonthDay { month: 12, day: 31 };
}

#[tokio::test]
async fn a_suspension_confirmed_while_the_system_is_down_is_made_once_it_is_back() {
    let system_dir = tempfile::tempdir().unwrap();
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let mut system_settings = settings(system_dir.path());
    late_deadline(&mut system_settings);
    let system = business_system(addr, system_settings.clone()).await;

    let desk = spawn_app_with(|s| {
        late_deadline(s);
        s.service.url = format!("http://{addr}/api/service/v1");
        s.service.timeout_ms = 1000;
        s.service.retries = 1;
    })
    .await;
    let dialogue = desk.state.dialogue().unwrap();
    let say = |text: &str| {
        let turn = Turn {
            user: "o-outage".into(),
            inbound: Inbound::Text(text.into()),
            at: Utc::now(),
            locale: "zh-CN".into(),
            message: None,
        };
        let d = &dialogue;
        async move { d.handle(turn).await.unwrap().replies.join("\n") }
    };
    say("绑定户号").await;
    say("10010003").await;
    let bound = say("张伟").await;
    assert!(bound.contains("10010003"), "{bound}");
    say("我要办理停供").await;
    let offer = say("是").await;
    assert!(!offer.is_empty());
    let summary = say("跳过").await;
    assert!(summary.contains("10010003"), "{summary}");

    system.abort();
    let _ = system.await;
    let queued = say("确认").await;
    let told = desk.state.locales.text("zh-CN", "service-unavailable", &[]);
    assert!(queued.contains(&told), "told plainly: {queued}");
    assert_eq!(
        desk.state.outbox.pending().await.unwrap(),
        1,
        "kept in the outbox"
    );

    let system = business_system(addr, system_settings).await;
    assert_eq!(
        desk.state
            .outbox
            .run_once(desk.state.service.as_ref())
            .await
            .unwrap(),
        1
    );
    let next = say("我的停供进度").await;
    assert!(next.contains("编号R"), "the resident hears of it: {next}");
    let no = AccountNo::parse("10010003").unwrap();
    let suspensions = desk.state.service.requests(&no).await.unwrap();
    assert_eq!(
        suspensions
            .iter()
            .filter(|r| r.kind == RequestKind::Suspension)
            .count(),
        1,
        "made once"
    );
    assert_eq!(
        desk.state
            .outbox
            .run_once(desk.state.service.as_ref())
            .await
            .unwrap(),
        0
    );
    system.abort();
}
