//! Backups while residents are confirming requests, restored elsewhere: everything that was
//! committed before the backup began is there, and the restored database serves.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use heatdesk::dialogue::{Dialogue, Inbound, Turn};
use heatdesk::storage::Database;
use sqlx::SqlitePool;

use super::{heatdesk_on, text};
use crate::helpers::{fresh_postgres, spawn_app, spawn_app_in};

const RESIDENTS: usize = 12;

async fn say(dialogue: &Dialogue, user: &str, text: &str) -> Vec<String> {
    let turn = Turn {
        user: user.to_owned(),
        inbound: Inbound::Text(text.to_owned()),
        at: Utc::now(),
        locale: "zh-CN".to_owned(),
        message: None,
    };
    dialogue.handle(turn).await.unwrap().replies
}

/// A resident who binds an account, then reports leaks until told to stop: each report is
/// a request confirmed through the dialogue (address, phone, submitted).
async fn resident(dialogue: Arc<Dialogue>, user: String, stop: Arc<AtomicBool>) -> usize {
    for text in ["绑定户号", "30030001", "赵军"] {
        say(&dialogue, &user, text).await;
    }
    let mut confirmed = 0;
    while !stop.load(Ordering::Relaxed) {
        say(&dialogue, &user, "家里暖气片漏水了").await;
        say(&dialogue, &user, "海南区拉僧庙小区2号楼1单元101").await;
        let done = say(&dialogue, &user, "13904737007").await;
        if done.iter().any(|r| r.contains("已为您提交")) {
            confirmed += 1;
        }
    }
    confirmed
}

/// What the database holds: requests and transcript lines, whole rows.
#[derive(Debug, PartialEq)]
struct Contents {
    requests: BTreeSet<(String, String, String, String)>,
    lines: BTreeSet<(i64, String, String, String)>,
}

async fn contents(pool: &SqlitePool) -> Contents {
    let requests = sqlx::query_as("SELECT id, account_no, kind, details FROM requests")
        .fetch_all(pool)
        .await
        .unwrap();
    let lines = sqlx::query_as("SELECT id, user_id, direction, text FROM transcript_lines")
        .fetch_all(pool)
        .await
        .unwrap();
    Contents {
        requests: requests.into_iter().collect(),
        lines: lines.into_iter().collect(),
    }
}

fn sqlite(db: &Database) -> &SqlitePool {
    match db {
        Database::Sqlite(pool) => pool,
        Database::Postgres(_) => panic!("a SQLite test"),
    }
}

async fn requests_count(pool: &SqlitePool) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM requests")
        .fetch_one(pool)
        .await
        .unwrap()
}

async fn wait_for_requests(pool: &SqlitePool, at_least: i64) {
    while requests_count(pool).await < at_least {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_backup_under_load_restores_everything_committed_before_it() {
    let app = spawn_app().await;
    let url = format!("sqlite://{}/heatdesk.db", app.dir().display());
    let pool = sqlite(&app.state.db).clone();
    let dialogue = Arc::new(app.state.dialogue().unwrap());
    let stop = Arc::new(AtomicBool::new(false));
    let residents: Vec<_> = (0..RESIDENTS)
        .map(|i| {
            let user = format!("oBackupLoad{i:03}");
            tokio::spawn(resident(dialogue.clone(), user, stop.clone()))
        })
        .collect();
    wait_for_requests(&pool, RESIDENTS as i64).await;

    let before = contents(&pool).await;
    let out_dir = tempfile::tempdir().unwrap();
    let file = out_dir.path().join("heatdesk-backup.db");
    let file_arg = file.display().to_string();
    let backup_url = url.clone();
    let out =
        tokio::task::spawn_blocking(move || heatdesk_on(&backup_url, &["backup", &file_arg], &[]))
            .await
            .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("backup written to"));
    // The load went on during and after the backup.
    wait_for_requests(&pool, before.requests.len() as i64 + RESIDENTS as i64).await;

    // The server's own database is in use: restoring over it is refused, and says why.
    let file_arg = file.display().to_string();
    let refused = heatdesk_on(&url, &["restore", &file_arg], &[]);
    assert!(!refused.status.success());
    let why = text(&refused.stderr);
    assert!(why.contains("in use") && why.contains("--force"), "{why}");

    stop.store(true, Ordering::Relaxed);
    let mut confirmed = 0;
    for r in residents {
        confirmed += r.await.unwrap();
    }
    assert!(confirmed >= before.requests.len(), "the load made requests");

    let new_place = tempfile::tempdir().unwrap();
    let new_url = format!("sqlite://{}/heatdesk.db", new_place.path().display());
    let out = heatdesk_on(&new_url, &["restore", &file_arg], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));

    let restored = spawn_app_in(new_place, |_| {}).await;
    let after = contents(sqlite(&restored.state.db)).await;
    let lost_requests: Vec<_> = before.requests.difference(&after.requests).collect();
    assert!(lost_requests.is_empty(), "requests lost: {lost_requests:?}");
    let lost_lines: Vec<_> = before.lines.difference(&after.lines).collect();
    assert!(
        lost_lines.is_empty(),
        "transcript lines lost: {lost_lines:?}"
    );
    assert!(after.requests.len() >= RESIDENTS);

    let ready = restored
        .client
        .get(restored.url("/readyz"))
        .send()
        .await
        .unwrap();
    assert!(ready.status().is_success());
    // A resident of the backup asks after their request on the restored instance.
    let d = restored.state.dialogue().unwrap();
    let replies = say(&d, "oBackupLoad000", "进度").await.join("\n");
    let theirs = after
        .requests
        .iter()
        .any(|(id, ..)| replies.contains(id.as_str()));
    assert!(theirs, "{replies}");
}

#[tokio::test]
async fn a_file_that_is_not_a_heatdesk_backup_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/heatdesk.db", dir.path().display());
    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, "not a database at all, just text".repeat(200)).unwrap();
    let other = dir.path().join("other.db");
    let other_url = format!("sqlite://{}", other.display());
    let pool = SqlitePool::connect(&format!("{other_url}?mode=rwc"))
        .await
        .unwrap();
    sqlx::query("CREATE TABLE notes (body TEXT)")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    for (file, why) in [
        (&junk, "not a database"),
        (&other, "no heatdesk migrations"),
    ] {
        let out = heatdesk_on(&url, &["restore", &file.display().to_string()], &[]);
        assert!(!out.status.success());
        let stderr = text(&out.stderr);
        assert!(
            stderr.contains("not a usable heatdesk backup") && stderr.contains(why),
            "{stderr}"
        );
        assert!(
            !dir.path().join("heatdesk.db").exists(),
            "nothing put in place"
        );
    }
    // A backup of an existing database replaces it, the old one kept beside it.
    let app = spawn_app().await;
    let source = format!("sqlite://{}/heatdesk.db", app.dir().display());
    let backup = dir.path().join("good.db");
    let out = heatdesk_on(&source, &["backup", &backup.display().to_string()], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let again = heatdesk_on(&source, &["backup", &backup.display().to_string()], &[]);
    assert!(
        !again.status.success(),
        "an existing file is never overwritten"
    );
    std::fs::write(dir.path().join("heatdesk.db"), b"").unwrap();
    let out = heatdesk_on(&url, &["restore", &backup.display().to_string()], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("kept as"),
        "{}",
        text(&out.stdout)
    );
}

/// On PostgreSQL the commands name the pg_dump route, without the password, and the
/// commands they print work.
#[tokio::test]
async fn postgres_backups_go_through_pg_dump() {
    let Some(url) = fresh_postgres().await else {
        return;
    };
    let with_password = url.replacen("postgres@", "postgres:pw-s3cret@", 1);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("heatdesk.dump").display().to_string();
    let out = heatdesk_on(&with_password, &["backup", &file], &[]);
    assert_eq!(out.status.code(), Some(2), "nothing was backed up");
    let said = text(&out.stdout);
    assert!(said.contains("pg_dump --format=custom"), "{said}");
    assert!(!said.contains("pw-s3cret"), "{said}");
    let out = heatdesk_on(&with_password, &["restore", &file], &[]);
    assert_eq!(out.status.code(), Some(2));
    let restore_said = text(&out.stdout);
    assert!(restore_said.contains("pg_restore"), "{restore_said}");
    assert!(!restore_said.contains("pw-s3cret"));

    if which("pg_dump").is_none() {
        eprintln!("notice: pg_dump not installed; the printed commands are not run");
        return;
    }
    // Run what was printed, on a migrated database, into a fresh one.
    let db = Database::open(&url).await.unwrap();
    sqlx::query("INSERT INTO transcript_lines (user_id, at, direction, text) VALUES ('oPg', now(), 'in', 'hello')")
        .execute(match &db {
            Database::Postgres(pool) => pool,
            Database::Sqlite(_) => unreachable!(),
        })
        .await
        .unwrap();
    let dump = command_line(
        &heatdesk_on(&url, &["backup", &file], &[]).stdout,
        "pg_dump",
    );
    assert!(sh(&dump), "{dump}");
    let target = fresh_postgres().await.unwrap();
    for line in command_lines(&heatdesk_on(&target, &["restore", &file], &[]).stdout) {
        let heatdesk = env!("CARGO_BIN_EXE_heatdesk");
        let migrate = format!("HEATDESK_DATABASE_URL='{target}' {heatdesk} migrate");
        let line = line.replace("heatdesk migrate", &migrate);
        assert!(sh(&line), "{line}");
    }
    let restored = Database::connect(&target).await.unwrap();
    assert!(restored.schema().await.unwrap().is_current());
    let Database::Postgres(pool) = &restored else {
        unreachable!()
    };
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM transcript_lines WHERE user_id = 'oPg'")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(n, 1);
}

fn which(program: &str) -> Option<()> {
    std::process::Command::new(program)
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|_| ())
}

/// The indented lines of the output: the commands to run.
fn command_lines(stdout: &[u8]) -> Vec<String> {
    text(stdout)
        .lines()
        .filter_map(|l| l.strip_prefix("  "))
        .map(str::to_owned)
        .collect()
}

fn command_line(stdout: &[u8], program: &str) -> String {
    command_lines(stdout)
        .into_iter()
        .find(|l| l.starts_with(program))
        .unwrap()
}

fn sh(line: &str) -> bool {
    std::process::Command::new("sh")
        .args(["-c", line])
        .status()
        .unwrap()
        .success()
}
