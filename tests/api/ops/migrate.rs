#![allow(clippy::unwrap_used)]

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use heatdesk::storage::Database;

use super::{heatdesk_on, text};
use crate::helpers::{fresh_postgres, repo};

/// SQLite always, PostgreSQL when reachable: fresh, empty databases.
async fn fresh_urls(dir: &std::path::Path) -> Vec<String> {
    let mut urls = vec![format!("sqlite://{}/m.db", dir.display())];
    urls.extend(fresh_postgres().await);
    urls
}

const ALL: [&str; 9] = [
    "0001_phrasebook",
    "0002_service",
    "0003_dialogue",
    "0004_wechat",
    "0005_notices",
    "0006_desk",
    "0007_login_throttle",
    "0008_exactly_once",
    "0009_office",
];

#[tokio::test]
async fn migrate_applies_what_is_missing_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    for url in fresh_urls(dir.path()).await {
        let out = heatdesk_on(&url, &["migrate"], &[]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let applied: Vec<String> = text(&out.stdout)
            .lines()
            .filter_map(|l| l.strip_prefix("applied ").map(str::to_owned))
            .collect();
        assert!(
            applied.len() >= ALL.len() && applied[..ALL.len()] == ALL,
            "{applied:?}"
        );
        let db = Database::connect(&url).await.unwrap();
        assert!(db.schema().await.unwrap().is_current());

        let again = heatdesk_on(&url, &["migrate"], &[]);
        assert!(again.status.success());
        assert!(text(&again.stdout).contains("nothing to apply"));
        assert!(!text(&again.stdout).contains("applied"));
    }
}

#[tokio::test]
async fn serve_no_migrate_refuses_a_schema_behind_and_names_what_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    for url in fresh_urls(dir.path()).await {
        let out = heatdesk_on(&url, &["serve", "--no-migrate"], &[]);
        assert!(!out.status.success());
        let err = text(&out.stderr);
        assert!(
            err.contains("0001_phrasebook") && err.contains("0009_office"),
            "{err}"
        );
        assert!(err.contains("heatdesk migrate"), "{err}");
        let db = Database::connect(&url).await.unwrap();
        let pending = db.schema().await.unwrap().pending;
        let names: Vec<String> = pending.iter().map(ToString::to_string).collect();
        assert_eq!(names[..ALL.len()], ALL, "nothing was migrated");

        // One migration behind: only that one is named.
        db.migrate().await.unwrap();
        sqlx_exec(&db, "DELETE FROM _sqlx_migrations WHERE version = 9").await;
        let out = heatdesk_on(&url, &["serve", "--no-migrate"], &[]);
        assert!(!out.status.success());
        let err = text(&out.stderr);
        assert!(err.contains("missing migrations: 0009_office."), "{err}");
        assert!(!err.contains("0008"), "{err}");

        // A database a newer heatdesk migrated: neither command touches it.
        sqlx_exec(
            &db,
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
             VALUES (9999, 'later', TRUE, X'00', 1)",
        )
        .await;
        for args in [&["migrate"][..], &["serve", "--no-migrate"]] {
            let out = heatdesk_on(&url, args, &[]);
            assert!(!out.status.success());
            assert!(text(&out.stderr).contains("newer"), "{}", text(&out.stderr));
        }
    }
}

async fn sqlx_exec(db: &Database, sql: &str) {
    // PostgreSQL has no X'..' literal: its bytea is written '\x..'.
    match db {
        Database::Sqlite(pool) => {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(pool)
                .await
                .unwrap();
        }
        Database::Postgres(pool) => {
            let sql = sql.replace("X'00'", "'\\x00'::bytea");
            sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
                .execute(pool)
                .await
                .unwrap();
        }
    }
}

/// A process killed when the test ends however it ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn serve_no_migrate_starts_on_a_current_schema() {
    let dir = tempfile::tempdir().unwrap();
    for url in fresh_urls(dir.path()).await {
        assert!(heatdesk_on(&url, &["migrate"], &[]).status.success());
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut server = Running(
            Command::new(env!("CARGO_BIN_EXE_heatdesk"))
                .args(["serve", "--no-migrate"])
                .current_dir(repo())
                .env("HEATDESK_DATABASE_URL", &url)
                .env("HEATDESK_LISTEN", format!("127.0.0.1:{port}"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        );
        let ready = format!("http://127.0.0.1:{port}/readyz");
        let mut served = false;
        for _ in 0..600 {
            assert!(
                server.0.try_wait().unwrap().is_none(),
                "serve --no-migrate exited on a current schema ({url})"
            );
            if let Ok(r) = reqwest::get(&ready).await {
                let body: serde_json::Value = r.json().await.unwrap_or_default();
                if body["status"] == "ready" {
                    served = true;
                    break;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(served, "no answer from /readyz");
    }
}
