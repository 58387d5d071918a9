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

#[tokio::test]
async fn the_recent_transcript_is_a_residents_last_lines_oldest_first() {
    let dir = tempfile::tempdir().unwrap();
    for db in backends(dir.path()).await {
        let s = store_for(&db);
        let at = start_time();
        for i in 0..5 {
            let line =
                TranscriptLine::new(at + Duration::seconds(i), Direction::In, format!("u{i}"));
            s.append("u", &[line]).await.unwrap();
            let other = TranscriptLine::new(at, Direction::Out, format!("w{i}"));
            s.append("w", &[other]).await.unwrap();
        }
        let texts = |lines: Vec<TranscriptLine>| -> Vec<String> {
            lines.into_iter().map(|l| l.text).collect()
        };
        assert_eq!(
            texts(s.recent_transcript("u", 3).await.unwrap()),
            ["u2", "u3", "u4"]
        );
        assert_eq!(
            texts(s.recent_transcript("u", 10).await.unwrap()),
            texts(s.transcript("u").await.unwrap())
        );
        assert_eq!(s.recent_transcript("u", 10).await.unwrap().len(), 5);
        assert!(s.recent_transcript("nobody", 3).await.unwrap().is_empty());
    }
}

/// Rows of a table for one resident, counted on either backend.
async fn count(db: &Database, table: &str, user: &str) -> i64 {
    counted(
        db,
        format!("SELECT COUNT(*) FROM {table} WHERE user_id = $1"),
        user,
    )
    .await
}

async fn counted(db: &Database, sql: String, value: &str) -> i64 {
    match db {
        Database::Sqlite(p) => sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .bind(value)
            .fetch_one(p)
            .await
            .unwrap(),
        Database::Postgres(p) => sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .bind(value)
            .fetch_one(p)
            .await
            .unwrap(),
    }
}

#[tokio::test]
async fn a_finished_turn_writes_state_lines_and_forms_together_or_nothing() {
    use heatdesk::transcript::{FormOutcome, FormRun, SavedTurn};
    let dir = tempfile::tempdir().unwrap();
    for db in backends(dir.path()).await {
        let s = store_for(&db);
        let at = start_time();
        let lines = [
            TranscriptLine::new(at, Direction::In, "我要报停"),
            TranscriptLine::new(at, Direction::Out, "请提供户号"),
        ];
        let run = |seq, step: &str, outcome| FormRun {
            seq,
            intent: heatdesk::domain::IntentId::parse("heating_suspend").unwrap(),
            action: Some("suspend_heating".to_owned()),
            step: step.to_owned(),
            at,
            outcome,
        };
        let turn = |expected| SavedTurn {
            state: "{\"s\":1}",
            expected,
            at,
            answered: None,
        };
        assert!(s
            .finish_turn("u", turn(None), &lines, &[run(1, "account", None)])
            .await
            .unwrap());
        assert_eq!(s.load("u").await.unwrap().unwrap().version, 1);
        assert_eq!(s.transcript("u").await.unwrap().len(), 2);
        assert_eq!(count(&db, "form_runs", "u").await, 1);

        // A turn that lost the race (its version is stale) leaves no line and no step.
        assert!(!s
            .finish_turn("u", turn(None), &lines, &[run(2, "none", None)])
            .await
            .unwrap());
        assert!(!s
            .finish_turn("u", turn(Some(7)), &lines, &[run(2, "none", None)])
            .await
            .unwrap());
        assert_eq!(s.transcript("u").await.unwrap().len(), 2);
        assert_eq!(count(&db, "form_runs", "u").await, 1);

        // The next turn moves the form on (same run, updated) and opens another.
        let steps = [
            run(1, "confirm", Some(FormOutcome::Finished)),
            run(2, "account", None),
        ];
        assert!(s
            .finish_turn("u", turn(Some(1)), &lines[..1], &steps)
            .await
            .unwrap());
        assert_eq!(s.load("u").await.unwrap().unwrap().version, 2);
        assert_eq!(s.transcript("u").await.unwrap().len(), 3);
        assert_eq!(count(&db, "form_runs", "u").await, 2);
        // A turn with no lines and no forms still saves.
        assert!(s.finish_turn("u", turn(Some(2)), &[], &[]).await.unwrap());
        assert_eq!(s.load("u").await.unwrap().unwrap().version, 3);
    }
}

#[tokio::test]
async fn turns_that_finish_at_once_each_save_or_lose_as_if_alone() {
    use heatdesk::transcript::{FormRun, SavedTurn};
    let dir = tempfile::tempdir().unwrap();
    for db in backends(dir.path()).await {
        let s = store_for(&db);
        let at = start_time();
        let postgres = matches!(db, Database::Postgres(_));
        let user = |i: usize| format!("r{i:02}");
        // Every resident has a conversation at version 1.
        for i in 0..40 {
            assert!(s.save(&user(i), "{}", None, at).await.unwrap());
        }
        // Forty turns at once (the PostgreSQL store saves those that meet in one call):
        // the even ones read version 1 and save; the odd ones read a stale version and
        // must write nothing; on PostgreSQL one carries a text it refuses (a NUL), which
        // must fail that turn alone.
        // Started last first, so that a batch's order is not the residents' order.
        let turns: Vec<_> = (0..40)
            .rev()
            .map(|i| {
                let s = s.clone();
                tokio::spawn(async move {
                    let who = format!("r{i:02}");
                    let text = if postgres && i == 8 {
                        "bad\0text".to_owned()
                    } else {
                        format!("line one of {who}")
                    };
                    let lines = [
                        TranscriptLine::new(at, Direction::In, &text),
                        TranscriptLine::new(at, Direction::Out, format!("line two of {who}")),
                    ];
                    let run = FormRun {
                        seq: 1,
                        intent: heatdesk::domain::IntentId::parse("heating_suspend").unwrap(),
                        action: Some("suspend_heating".to_owned()),
                        step: format!("step of {who}"),
                        at,
                        outcome: None,
                    };
                    let expected = if i % 2 == 0 { Some(1) } else { Some(5) };
                    let state = format!("{{\"who\":\"{who}\"}}");
                    let turn = SavedTurn {
                        state: &state,
                        expected,
                        at: at + Duration::seconds(1),
                        answered: None,
                    };
                    (i, s.finish_turn(&who, turn, &lines, &[run]).await)
                })
            })
            .collect();
        let mut bad = None;
        for t in turns {
            let (i, saved) = t.await.unwrap();
            match saved {
                Ok(saved) => assert_eq!(saved, i % 2 == 0, "turn {i}"),
                Err(e) => bad = Some((i, e.to_string())),
            }
        }
        if postgres {
            let (i, _) = bad.expect("the turn with a NUL fails on PostgreSQL");
            assert_eq!(i, 8);
        } else {
            assert!(bad.is_none(), "{bad:?}");
        }
        for i in 0..40 {
            let who = user(i);
            let c = s.load(&who).await.unwrap().unwrap();
            let lines = s.transcript(&who).await.unwrap();
            let saved = i % 2 == 0 && !(postgres && i == 8);
            if saved {
                assert_eq!(c.version, 2, "{who}");
                assert_eq!(c.state, format!("{{\"who\":\"{who}\"}}"));
                let texts: Vec<_> = lines.iter().map(|l| l.text.as_str()).collect();
                assert_eq!(
                    texts,
                    [format!("line one of {who}"), format!("line two of {who}")],
                    "{who}'s lines, in order"
                );
                assert!(lines[0].id < lines[1].id);
                assert_eq!(count(&db, "form_runs", &who).await, 1);
            } else if i % 2 == 1 {
                assert_eq!((c.version, c.state.as_str()), (1, "{}"), "{who} lost");
                assert!(lines.is_empty(), "{who} lost, yet has lines");
                assert_eq!(count(&db, "form_runs", &who).await, 0);
            }
        }
    }
}

/// `report_residents` for one resident: (day, the day before it they wrote), by day.
async fn resident_days(db: &Database, user: &str) -> Vec<(String, Option<String>)> {
    let sql = "SELECT day, prev_day FROM report_residents WHERE user_id = $1 ORDER BY day";
    match db {
        Database::Sqlite(p) => sqlx::query_as(sql).bind(user).fetch_all(p).await.unwrap(),
        Database::Postgres(p) => sqlx::query_as(sql).bind(user).fetch_all(p).await.unwrap(),
    }
}

#[tokio::test]
async fn the_days_a_resident_wrote_are_chained_whatever_order_the_lines_come_in() {
    use chrono::TimeZone;
    let dir = tempfile::tempdir().unwrap();
    // Noon in Beijing on a day of December 2026.
    let noon = |d: u32| chrono::Utc.with_ymd_and_hms(2026, 12, d, 4, 0, 0).unwrap();
    let line = |d: u32, direction| TranscriptLine::new(noon(d), direction, "sample");
    for db in backends(dir.path()).await {
        let s = store_for(&db);
        // Several lines in one statement, a later day before an earlier one, and lines
        // the bot wrote (which do not count).
        s.append(
            "u",
            &[
                line(5, Direction::In),
                line(5, Direction::Out),
                line(3, Direction::In),
                line(9, Direction::Out),
            ],
        )
        .await
        .unwrap();
        // A day between two known ones, alone; then a known day and a new one together.
        s.append("u", &[line(4, Direction::In)]).await.unwrap();
        s.append(
            "u",
            &[
                line(4, Direction::In),
                line(6, Direction::In),
                line(6, Direction::In),
            ],
        )
        .await
        .unwrap();
        let day = |d: u32| format!("2026-12-{d:02}");
        assert_eq!(
            resident_days(&db, "u").await,
            vec![
                (day(3), None),
                (day(4), Some(day(3))),
                (day(5), Some(day(4))),
                (day(6), Some(day(5))),
            ]
        );
        // A finished turn's lines count as well.
        let turn = heatdesk::transcript::SavedTurn {
            state: "{}",
            expected: None,
            at: noon(7),
            answered: None,
        };
        assert!(s
            .finish_turn(
                "u",
                turn,
                &[line(7, Direction::In), line(7, Direction::Out)],
                &[]
            )
            .await
            .unwrap());
        assert_eq!(
            resident_days(&db, "u").await.last(),
            Some(&(day(7), Some(day(6))))
        );
    }
}

/// A lock that must come within 5 s (`why` says which).
async fn soon<T, E: std::fmt::Debug>(
    lock: impl std::future::Future<Output = Result<T, E>>,
    why: &str,
) -> T {
    tokio::time::timeout(std::time::Duration::from_secs(5), lock)
        .await
        .expect(why)
        .unwrap()
}

#[tokio::test]
async fn a_turn_lock_another_instance_holds_is_waited_for_without_holding_up_the_others() {
    let Some(url) = fresh_postgres().await else {
        return;
    };
    // Two instances: each store has its own connection for turn locks.
    let db = Database::open(&url).await.unwrap();
    let (a, b) = (store_for(&db), store_for(&db));
    let at = start_time();
    let held = a.lock("u").await.unwrap();
    let b2 = b.clone();
    let waiting = tokio::spawn(async move {
        let mut lock = b2.lock("u").await.unwrap();
        let start = lock.take_start();
        lock.release().await;
        start
    });
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert!(
        !waiting.is_finished(),
        "the other instance's turn of u waits"
    );
    // Meanwhile both instances' turns of other residents go on.
    for (store, user) in [(&a, "v"), (&b, "w")] {
        let lock = tokio::time::timeout(std::time::Duration::from_secs(5), store.lock(user))
            .await
            .expect("not held up by u's lock")
            .unwrap();
        lock.release().await;
    }
    assert!(a.save("u", "{\"on\":\"a\"}", None, at).await.unwrap());
    held.release().await;
    let start = waiting.await.unwrap().expect("read with the lock");
    let conv = start.conversation.unwrap();
    assert_eq!((conv.version, conv.state.as_str()), (1, "{\"on\":\"a\"}"));

    // A turn that ends without releasing (a panic, a cancelled request) lets go even so.
    let dropped = b.lock("x").await.unwrap();
    drop(dropped);
    let again = soon(a.lock("x"), "a dropped turn's lock is released").await;
    again.release().await;
    // And the instance that dropped it takes it again too.
    let mine = soon(b.lock("x"), "taken again").await;
    mine.release().await;

    // A turn cancelled while its lock was being taken (its request gone): the lock taken
    // for it is let go, not kept for ever.
    let mut turn = Box::pin(b.lock("y"));
    let cancelled = tokio::select! {
        // Polled once: it asks for the lock and waits for the answer.
        biased;
        _ = &mut turn => false,
        () = std::future::ready(()) => true,
    };
    assert!(cancelled, "cancelled before the lock came");
    drop(turn);
    let other = soon(a.lock("y"), "a lock taken for a cancelled turn is released").await;
    other.release().await;
}

#[tokio::test]
async fn a_turn_lock_taken_after_another_reads_what_that_turn_saved() {
    let dir = tempfile::tempdir().unwrap();
    for db in backends(dir.path()).await {
        let s = store_for(&db);
        let at = start_time();
        let mut first = s.lock("u").await.unwrap();
        // Both backends read the turn's start with its lock (SQLite once the lock in
        // memory is held), so the turn reads nothing of it again.
        let start = first
            .take_start()
            .expect("the turn's start is read with its lock");
        assert!(start.conversation.is_none() && start.open_handoff.is_none());
        assert!(!start.notices_held && !start.outbox_settled);
        let (s2, waiting) = (s.clone(), tokio::sync::oneshot::channel::<()>());
        let second = tokio::spawn(async move {
            let _ = waiting.1.await;
            let mut lock = s2.lock("u").await.unwrap();
            let start = lock.take_start();
            lock.release().await;
            start
        });
        let _ = waiting.0.send(());
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        assert!(!second.is_finished(), "a second turn of the resident waits");
        // What the first turn saves before it lets go is what the second one starts from.
        assert!(s.save("u", "{\"first\":true}", None, at).await.unwrap());
        s.hold_notice("u", "进度通知", at).await.unwrap();
        first.release().await;
        let start = second.await.unwrap().unwrap();
        let conv = start.conversation.unwrap();
        assert_eq!((conv.version, conv.state.as_str()), (1, "{\"first\":true}"));
        assert!(start.notices_held);
        assert!(!start.outbox_settled);
        assert_eq!(s.take_notices("u").await.unwrap(), vec!["进度通知"]);

        // An open handoff and a settled request not yet told are in the next turn's start;
        // a closed handoff and another resident's request are not.
        for sql in [
            "INSERT INTO handoffs (user_id, status, reason, priority, context, created_at) \
             VALUES ('u', 'closed', 'requested', 0, '{}', '2026-01-01T00:00:00+00:00')",
            "INSERT INTO handoffs (user_id, status, reason, priority, context, created_at) \
             VALUES ('u', 'waiting', 'requested', 0, '{}', '2026-01-02T00:00:00+00:00')",
            "INSERT INTO outbox (owner, idem_key, payload, state, created_at, updated_at) \
             VALUES ('v', 'k1', '{}', 'done', '2026-01-01', '2026-01-01')",
        ] {
            execute(&db, sql).await;
        }
        let mut lock = s.lock("u").await.unwrap();
        let start = lock.take_start().unwrap();
        lock.release().await;
        let open = start.open_handoff.expect("the open handoff");
        assert!(open.0 > 0 && !open.1, "waiting, not claimed: {open:?}");
        assert!(!start.notices_held && !start.outbox_settled);
        execute(
            &db,
            "INSERT INTO outbox (owner, idem_key, payload, state, created_at, updated_at) \
             VALUES ('u', 'k2', '{}', 'failed', '2026-01-01', '2026-01-01')",
        )
        .await;
        let mut lock = s.lock("u").await.unwrap();
        assert!(lock.take_start().unwrap().outbox_settled);
        lock.release().await;
    }
}

async fn execute(db: &Database, sql: &'static str) {
    match db {
        Database::Sqlite(p) => drop(sqlx::query(sql).execute(p).await.unwrap()),
        Database::Postgres(p) => drop(sqlx::query(sql).execute(p).await.unwrap()),
    }
}

async fn logged(db: &Database, text: &str) -> i64 {
    let sql = "SELECT COUNT(*) FROM classifications WHERE text_masked = $1";
    counted(db, sql.to_owned(), text).await
}

#[tokio::test]
async fn a_turns_classification_is_logged_once_when_its_turn_has_saved_or_alone_without_one() {
    use heatdesk::storage::ClassificationLog;
    use heatdesk::transcript::SavedTurn;
    let dir = tempfile::tempdir().unwrap();
    for db in backends(dir.path()).await {
        let (s, log) = (store_for(&db), db.phrasebook_store());
        let at = start_time();
        let row = |text: &str| ClassificationLog {
            at,
            channel: "wechat".into(),
            text_masked: text.into(),
            intent: "heating_suspend".into(),
            entry: None,
            confidence: 0.9,
            decision: "answer".into(),
            latency_us: 80,
            catalog_version: "v1".into(),
        };
        let turn = SavedTurn {
            state: "{}",
            expected: None,
            at,
            answered: None,
        };
        // Queued in the turn, then the turn saves: the row is committed by then.
        log.queue_classification(&row("with a turn")).await.unwrap();
        let line = TranscriptLine::new(at, Direction::In, "with a turn");
        assert!(s.finish_turn("u", turn, &[line], &[]).await.unwrap());
        assert_eq!(logged(&db, "with a turn").await, 1, "{:?}", db.backend());

        // A turn that ends without saving: its row is written all the same, once.
        log.queue_classification(&row("alone")).await.unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while logged(&db, "alone").await == 0 && std::time::Instant::now() < deadline {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert_eq!(logged(&db, "alone").await, 1, "{:?}", db.backend());
        // Later saves take neither row again.
        let next = SavedTurn {
            state: "{}",
            expected: Some(1),
            at,
            answered: None,
        };
        assert!(s.finish_turn("u", next, &[], &[]).await.unwrap());
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        assert_eq!(logged(&db, "with a turn").await, 1);
        assert_eq!(logged(&db, "alone").await, 1);
    }
}
