//! The conversation store on both backends, and one whole conversation on PostgreSQL.

use chrono::Duration;
use heatdesk::domain::EscalationReason;
use heatdesk::service::AccountNo;
use heatdesk::storage::Database;
use heatdesk::transcript::{store_for, Direction, EscalationRecord, TranscriptLine};

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

        let mut line = TranscriptLine::new(at, Direction::In, "hello");
        line.intent = Some(heatdesk::domain::IntentId::parse("greeting").unwrap());
        line.confidence = Some(0.5);
        s.append("u", std::slice::from_ref(&line)).await.unwrap();
        let mut stored = s.transcript("u").await.unwrap();
        assert_eq!(stored.len(), 1);
        assert!(stored[0].id > 0, "a stored line has an id");
        let first = stored[0].id;
        stored[0].id = 0;
        assert_eq!(stored, vec![line]);
        assert_eq!(s.last_inbound("u").await.unwrap(), Some(at));

        // An agent's line: stored before delivery, then marked; only `sent` uses quota.
        let mut agent = TranscriptLine::new(at, Direction::Out, "agent says");
        agent.author = Some("Agent Li".to_owned());
        agent.delivery = Some("pending".to_owned());
        let id = s.append_line("u", &agent).await.unwrap();
        assert!(id > first);
        assert_eq!(s.sent_since("u", at).await.unwrap(), 0);
        s.set_delivery(id, "sent").await.unwrap();
        assert_eq!(s.sent_since("u", at).await.unwrap(), 1);
        let after = s.transcript_after("u", first).await.unwrap();
        assert_eq!(after.len(), 1);
        assert_eq!(after[0].author.as_deref(), Some("Agent Li"));
        assert_eq!(after[0].delivery.as_deref(), Some("sent"));
        assert_eq!(s.last_inbound("nobody").await.unwrap(), None);

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
