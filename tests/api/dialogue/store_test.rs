//! The conversation store on both backends, and one whole conversation on PostgreSQL.

use chrono::Duration;
use heatdesk::dialogue::{
    store_for, Direction, EscalationReason, EscalationRecord, TranscriptLine,
};
use heatdesk::service::AccountNo;
use heatdesk::storage::Database;

use super::{start_time, Chat};
use crate::helpers::fresh_postgres;

async fn backends(dir: &std::path::Path) -> Vec<Database> {
    let mut urls = vec![format!("sqlite://{}/d.db", dir.display())];
    urls.extend(fresh_postgres().await);
    let mut out = Vec::new();
    for u in urls {
        out.push(Database::open(&u).await.unwrap());
    }
    out
}

#[tokio::test]
async fn versions_serialise_turns_and_records_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    for db in backends(dir.path()).await {
        let s = store_for(&db);
        let at = start_time();
        assert!(s.load("u").await.unwrap().is_none());
        assert!(s.save("u", "{}", None, at).await.unwrap());
        assert!(
            !s.save("u", "{}", None, at).await.unwrap(),
            "one first write wins"
        );
        let v = s.load("u").await.unwrap().unwrap();
        assert_eq!(v.version, 1);
        assert_eq!(v.updated_at, at);
        assert!(s
            .save("u", "{\"a\":1}", Some(1), at + Duration::minutes(1))
            .await
            .unwrap());
        assert!(
            !s.save("u", "{}", Some(1), at).await.unwrap(),
            "a stale version loses"
        );
        assert_eq!(s.load("u").await.unwrap().unwrap().state, "{\"a\":1}");

        let no = AccountNo::parse("10010001").unwrap();
        assert!(s.bind("u", &no, at).await.unwrap());
        assert!(!s.bind("u", &no, at).await.unwrap());
        assert_eq!(s.bindings("u").await.unwrap()[0].account, no);
        assert!(s.unbind("u", &no).await.unwrap());
        assert!(s.bindings("u").await.unwrap().is_empty());

        let line = TranscriptLine {
            at,
            direction: Direction::In,
            text: "hello".to_owned(),
        };
        s.append("u", std::slice::from_ref(&line)).await.unwrap();
        assert_eq!(s.transcript("u").await.unwrap(), vec![line]);

        let e = EscalationRecord {
            at,
            reason: EscalationReason::NotUnderstood,
            intent: None,
            confidence: Some(0.25),
        };
        s.record_escalation("u", &e).await.unwrap();
        assert_eq!(s.escalations("u").await.unwrap(), vec![e]);
    }
}

#[tokio::test]
async fn a_conversation_on_postgres_matches_the_sqlite_transcript() {
    let Some(url) = fresh_postgres().await else {
        return;
    };
    let mut c = Chat::start(Some(url)).await;
    c.say("查一下我家欠多少暖气费").await;
    c.say("10010002").await;
    c.say("王建国").await;
    c.say("李秀兰").await;
    c.restart();
    c.say("我要报停").await;
    c.say("是").await;
    c.golden("postgres_payment_and_suspension");
    let lines = c.dialogue.store().transcript(&c.user).await.unwrap();
    assert!(lines.iter().any(|l| l.direction == Direction::Out));
}
