//! Live style: `heatdesk serve` as a process, WeChat played by `heatdesk simulate`, the
//! WeChat API by the fake server.

#![allow(clippy::unwrap_used)]

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use wechat_mp::testing::{FakeWeChat, FAKE_APPID, FAKE_SECRET};

use std::path::PathBuf;

use crate::helpers::{repo, server_log};

pub const TOKEN: &str = "e2e-callback-token";
pub const AES_KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";

/// The server process, killed when the test ends however it ends.
pub struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts `heatdesk serve` on a free port. A port found free can be taken by another test's
/// server before heatdesk binds it (the fake WeChat server answers every path, `/healthz`
/// too): the health answer must be heatdesk's own, and a child that exited is started again
/// on another port.
async fn start_serve(dir: &std::path::Path, api_base: &str) -> (Server, u16) {
    let (server, port, _log) = start_serve_with(dir, api_base, &[]).await;
    (server, port)
}

/// `start_serve` with more settings (`HEATDESK_…` variables, `RUST_LOG`); also returns
/// the file the server logs to (JSON lines).
pub async fn start_serve_with(
    dir: &std::path::Path,
    api_base: &str,
    env: &[(&str, &str)],
) -> (Server, u16, PathBuf) {
    for _ in 0..5 {
        if let Some(started) = try_serve(dir, api_base, env).await {
            return started;
        }
    }
    panic!("heatdesk serve did not become healthy");
}

async fn try_serve(
    dir: &std::path::Path,
    api_base: &str,
    env: &[(&str, &str)],
) -> Option<(Server, u16, PathBuf)> {
    let port = free_port();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_heatdesk"));
    cmd.arg("serve")
        .current_dir(repo())
        .env("HEATDESK_LISTEN", format!("127.0.0.1:{port}"))
        .env(
            "HEATDESK_DATABASE_URL",
            format!("sqlite://{}/e2e.db", dir.display()),
        )
        .env("HEATDESK_WECHAT_TOKEN", TOKEN)
        .env("HEATDESK_WECHAT_AES_KEY", AES_KEY)
        .env("HEATDESK_WECHAT_APPID", FAKE_APPID)
        .env("HEATDESK_WECHAT_APP_SECRET", FAKE_SECRET)
        .env("HEATDESK_WECHAT_API_BASE", api_base)
        .envs(env.iter().copied())
        .stdout(Stdio::null());
    let log = server_log(&mut cmd, "e2e");
    let mut server = Server(cmd.spawn().unwrap());
    let health = format!("http://127.0.0.1:{port}/healthz");
    for _ in 0..300 {
        if server.0.try_wait().ok().flatten().is_some() {
            return None;
        }
        if let Ok(r) = reqwest::get(&health).await {
            let ours = r.status().is_success()
                && r.json::<serde_json::Value>()
                    .await
                    .is_ok_and(|v| v.get("phrasebook_version").is_some());
            if ours {
                return Some((server, port, log));
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    None
}

#[tokio::test]
async fn serve_answers_an_encrypted_question_sent_by_simulate() {
    let fake = FakeWeChat::start().await;
    let dir = tempfile::tempdir().unwrap();
    let (_server, port) = start_serve(dir.path(), &fake.base_url()).await;

    let question = "俺家暖气片不咋热，屋里才十六度";
    let out = Command::new(env!("CARGO_BIN_EXE_heatdesk"))
        .args([
            "simulate",
            "--url",
            &format!("http://127.0.0.1:{port}/wechat"),
            "--token",
            TOKEN,
        ])
        .args([
            "--aes-key",
            AES_KEY,
            "--appid",
            FAKE_APPID,
            "--from",
            "o-e2e-resident",
            question,
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // The reply must be the standard WeChat reply of the entry the engine picks.
    let sources = crate::helpers::shipped_sources();
    let engine = heatdesk::nlu::build_from(&sources, &Default::default()).unwrap();
    let c = engine.classify(question);
    assert_eq!(c.intent.as_str(), "not_warm");
    let catalog = engine.catalog();
    let expected = catalog
        .rendered_reply(catalog.entry(c.entry.as_ref().unwrap()).unwrap())
        .wechat;
    // The standard reply, then the dialogue's offer to book an inspection.
    let prefix = format!("> {question}\n{expected}");
    assert!(stdout.starts_with(&prefix), "{stdout}");
    assert!(
        stdout.trim_end().len() > prefix.len(),
        "the dialogue offers the next step"
    );
}
