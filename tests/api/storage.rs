#![allow(clippy::unwrap_used)]

use chrono::{Duration, TimeZone, Utc};
use heatdesk::storage::{Backend, ClassificationLog, Publication};

use crate::helpers::{all_storages, fresh_postgres, spawn_app_with};

fn log(intent: &str, decision: &str, secs: i64) -> ClassificationLog {
    ClassificationLog {
        at: Utc.with_ymd_and_hms(2026, 11, 20, 8, 0, 0).unwrap() + Duration::seconds(secs),
        channel: "wechat".into(),
        text_masked: format!("text {secs}"),
        intent: intent.into(),
        entry: Some(format!("{intent}.x")),
        confidence: 0.5,
        decision: decision.into(),
        latency_us: 120 + secs,
        catalog_version: "v1".into(),
    }
}

#[tokio::test]
async fn publications_are_recorded_once_and_latest_wins() {
    let dir = tempfile::tempdir().unwrap();
    for s in all_storages(dir.path()).await {
        assert!(s.latest_publication().await.unwrap().is_none());
        let t0 = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
        let first = Publication {
            version: "aaa".into(),
            entries: 70,
            published_at: t0,
        };
        assert!(
            s.record_publication(&first).await.unwrap(),
            "{:?}",
            s.backend()
        );
        assert!(
            !s.record_publication(&first).await.unwrap(),
            "{:?}: a version is recorded once",
            s.backend()
        );
        let second = Publication {
            version: "bbb".into(),
            entries: 71,
            published_at: t0 + Duration::hours(1),
        };
        s.record_publication(&second).await.unwrap();
        assert_eq!(
            s.latest_publication().await.unwrap(),
            Some(second),
            "{:?}",
            s.backend()
        );
    }
}

#[tokio::test]
async fn classification_log_round_trips_and_lists_unanswered() {
    let dir = tempfile::tempdir().unwrap();
    for s in all_storages(dir.path()).await {
        let rows = [
            log("not_warm", "answer", 1),
            log("out_of_scope", "out_of_scope", 2),
            log("invoice", "clarify", 3),
        ];
        for r in &rows {
            s.log_classification(r).await.unwrap();
        }
        let recent = s.recent_classifications(10).await.unwrap();
        assert_eq!(recent.len(), 3, "{:?}", s.backend());
        assert_eq!(
            recent[0],
            rows[2],
            "{:?}: newest first, every field kept",
            s.backend()
        );
        let unanswered: Vec<String> = s
            .unanswered(10)
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.intent)
            .collect();
        assert_eq!(unanswered, ["invoice", "out_of_scope"], "{:?}", s.backend());
    }
}

#[tokio::test]
async fn the_server_runs_on_postgres_too() {
    let Some(url) = fresh_postgres().await else {
        return;
    };
    let app = spawn_app_with(|s| s.database_url = heatdesk::config::Secret::new(url)).await;
    assert_eq!(app.state.storage.backend(), Backend::Postgres);
    let res = app
        .client
        .post(app.url("/api/v1/classify"))
        .json(&serde_json::json!({"text": "暖气不热怎么办"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let logged = app.state.storage.recent_classifications(5).await.unwrap();
    assert_eq!(logged.len(), 1);
    // The files became the first published version, in PostgreSQL.
    assert_eq!(
        app.state.office.store.latest_number().await.unwrap(),
        Some(1)
    );
}

/// Commits do not wait for the disk (SQLite `synchronous = NORMAL`); what a resident or a
/// desk user is told was done waits for one flushing commit, counted in the `durability`
/// row: a confirmation and a desk form do, a plain answer does not.
#[tokio::test]
async fn promises_wait_for_a_flush_and_plain_answers_do_not() {
    let app = crate::helpers::spawn_app().await;
    let heatdesk::storage::Database::Sqlite(pool) = &app.state.db else {
        panic!("the default database is SQLite");
    };
    let flushes = || async {
        sqlx::query_scalar::<_, i64>("SELECT n FROM durability")
            .fetch_one(pool)
            .await
            .unwrap()
    };
    let mode: i64 = sqlx::query_scalar("PRAGMA synchronous")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(mode, 1, "pool connections commit with synchronous = NORMAL");

    let r = crate::desk::Resident::new(&app.state, "o-durable");
    let before = flushes().await;
    r.says("营业厅在哪里").await;
    assert_eq!(flushes().await, before, "a plain answer waits for no flush");
    for text in crate::scaleout::TO_CONFIRMATION {
        r.says(text).await;
        if text.starts_with("户号") {
            r.says("赵军").await;
        }
    }
    let before = flushes().await;
    let out = r.says("确认").await;
    let no = heatdesk::service::AccountNo::parse(crate::scaleout::ACCOUNT).unwrap();
    let made = app.state.service.requests(&no).await.unwrap();
    assert_eq!(crate::scaleout::inspections(&made), 1);
    assert!(
        out.replies
            .iter()
            .any(|t| made.iter().any(|m| t.contains(&m.id.to_string()))),
        "{:?}",
        out.replies
    );
    assert!(
        flushes().await > before,
        "the confirmation waited for a flush"
    );

    let before = flushes().await;
    crate::desk::DeskClient::login(&app, "agent", crate::desk::DEMO_PASSWORD).await;
    assert!(
        flushes().await > before,
        "a desk form's answer waited for a flush"
    );
}

#[tokio::test]
async fn a_kept_connection_serves_statement_after_statement_and_is_replaced_when_it_breaks() {
    use heatdesk::storage::batch::Batcher;
    let Some(url) = fresh_postgres().await else {
        return;
    };
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    // A group statement's runner: each batch answers its callers with its backend.
    let kept = Batcher::on_kept(pool.clone(), 8, |c, calls: Vec<()>| {
        Box::pin(async move {
            let pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
                .fetch_one(c)
                .await?;
            Ok(vec![pid; calls.len()])
        })
    });
    let pid = || kept.call(());
    let first = pid().await.unwrap();
    assert_eq!(pid().await.unwrap(), first, "the same connection, kept");
    // The server ends that connection: the next statement fails, the one after runs on
    // another connection.
    end_backend(&pool, first).await;
    assert!(pid().await.is_err());
    let second = pid().await.unwrap();
    assert_ne!(second, first);
    assert_eq!(pid().await.unwrap(), second);
    // The kept connection goes back to the pool with its runner.
    drop(kept);
    pool.close().await;
}

/// Has the server end the backend `pid`, and waits until it is gone.
async fn end_backend(pool: &sqlx::PgPool, pid: i32) {
    let ended: bool = sqlx::query_scalar("SELECT pg_terminate_backend($1)")
        .bind(pid)
        .fetch_one(pool)
        .await
        .unwrap();
    assert!(ended);
    let gone = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM pg_stat_activity WHERE pid = $1")
            .bind(pid)
            .fetch_one(pool)
            .await
            .unwrap();
        if left == 0 || std::time::Instant::now() > gone {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn single_statements_reuse_kept_connections_but_never_a_broken_stale_or_half_read_one() {
    use heatdesk::storage::KeptConns;
    use std::time::Duration as Wait;
    let Some(url) = fresh_postgres().await else {
        return;
    };
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    let kept = KeptConns::new(pool.clone(), 2, Wait::from_secs(60));
    async fn pid(k: &KeptConns<sqlx::Postgres>) -> Result<i32, sqlx::Error> {
        sqlx::query_scalar("SELECT pg_backend_pid()")
            .fetch_one(k)
            .await
    }

    let first = pid(&kept).await.unwrap();
    assert_eq!(
        pid(&kept).await.unwrap(),
        first,
        "kept, not given to the pool"
    );
    let rows: Vec<i32> = sqlx::query_scalar("SELECT generate_series(1, 3)")
        .fetch_all(&kept)
        .await
        .unwrap();
    assert_eq!(rows, [1, 2, 3]);
    assert_eq!(kept.idle_count(), 1);

    // A statement abandoned before its answer: its connection goes to the pool, which
    // reads what is left, not back to the set; the next statement gets its own answer.
    let abandoned = tokio::time::timeout(
        Wait::from_millis(100),
        sqlx::query_scalar::<_, i32>("SELECT 7 FROM pg_sleep(0.5)").fetch_one(&kept),
    )
    .await;
    assert!(abandoned.is_err());
    assert_eq!(kept.idle_count(), 0);
    let n: i32 = sqlx::query_scalar("SELECT 8")
        .fetch_one(&kept)
        .await
        .unwrap();
    assert_eq!(n, 8);

    // Four at once take four connections; two of them wait idle afterwards.
    let at_once = futures_util::future::join_all((0..4).map(|_| {
        sqlx::query_scalar::<_, i32>("SELECT pg_backend_pid() FROM pg_sleep(0.05)").fetch_one(&kept)
    }))
    .await;
    let pids: std::collections::HashSet<i32> = at_once.into_iter().map(Result::unwrap).collect();
    assert_eq!(pids.len(), 4);
    assert_eq!(kept.idle_count(), 2);

    // The server ends the connection kept last: the statement sent on it fails, and the
    // next one runs on another.
    let victim = pid(&kept).await.unwrap();
    end_backend(&pool, victim).await;
    assert!(pid(&kept).await.is_err());
    let other = pid(&kept).await.unwrap();
    assert_ne!(other, victim);

    // A connection idle longer than `fresh` is tested by the pool before it is used, so
    // one the server ended meanwhile costs no statement.
    let briefly = KeptConns::new(pool.clone(), 1, Wait::from_millis(50));
    let stale = pid(&briefly).await.unwrap();
    end_backend(&pool, stale).await;
    tokio::time::sleep(Wait::from_millis(100)).await;
    let fresh = pid(&briefly).await.unwrap();
    assert_ne!(fresh, stale);

    drop((kept, briefly));
    pool.close().await;
}
