//! `heatdesk user add`: the first desk users come from the command line, before any admin
//! can use the users page.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use heatdesk::desk::users::{self, Role};

use super::DeskClient;
use crate::helpers::{repo, spawn_app_in};

/// Runs `heatdesk ARGS` on the SQLite file an app in `dir` would use, `stdin` piped in.
fn heatdesk(dir: &Path, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_heatdesk"))
        .args(args)
        .current_dir(repo())
        .env(
            "HEATDESK_DATABASE_URL",
            format!("sqlite://{}/heatdesk.db", dir.display()),
        )
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[tokio::test]
async fn a_user_added_on_the_command_line_can_sign_in() {
    let dir = tempfile::tempdir().unwrap();
    let out = heatdesk(
        dir.path(),
        &[
            "user",
            "add",
            "--role",
            "agent",
            "--display-name",
            "客服 周洁",
            "zhou",
        ],
        "a-long-password\n",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("created zhou (agent)"), "{said}");

    // Too short a password, an unknown role: refused, saying why, nothing created.
    let out = heatdesk(
        dir.path(),
        &["user", "add", "--role", "agent", "wu"],
        "short\n",
    );
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("at least 8 characters"),
        "{}",
        stderr(&out)
    );
    let out = heatdesk(
        dir.path(),
        &["user", "add", "--role", "boss", "wu"],
        "a-long-password\n",
    );
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("unknown role `boss`"),
        "{}",
        stderr(&out)
    );
    let out = heatdesk(
        dir.path(),
        &["user", "add", "--role", "agent", "zhou"],
        "another-password\n",
    );
    assert!(!out.status.success(), "the name is taken");
    assert!(stderr(&out).contains("`zhou` exists"), "{}", stderr(&out));

    // The application on the same database: demo off, so zhou is the only user.
    let app = spawn_app_in(dir, |s| {
        s.demo = false;
        s.service.token = heatdesk::config::Secret::new("svc-token");
    })
    .await;
    let all = users::store_for(&app.state.db).list().await.unwrap();
    assert_eq!(all.len(), 1, "{all:?}");
    assert_eq!(all[0].name, "zhou");
    assert_eq!(all[0].role, Role::Agent);
    assert_eq!(all[0].display_name, "客服 周洁");
    assert!(DeskClient::try_login(&app, "zhou", "another-password")
        .await
        .is_none());
    let zhou = DeskClient::login(&app, "zhou", "a-long-password").await;
    assert_eq!(zhou.get("/desk/queue").await.status(), 200);
}
