//! Regressions, each named after what broke, with where it was found.

#![allow(clippy::unwrap_used)]

use heatdesk::app::AppState;
use heatdesk::config::Secret;
use wechat_mp::testing::CallbackClient;
use wechat_mp::{Config, Mode};

use crate::helpers::{settings, spawn_app_with};

/// Found trying heatdesk as a utility would: with `service.token` empty, the built-in
/// `/api/service/v1` answered anyone (accounts, bills, new requests). Outside demo mode
/// `serve` now refuses to start that way, naming the setting; with a token it answers 401
/// to a caller without it.
#[tokio::test]
async fn the_built_in_service_api_was_open_to_anyone_outside_demo_mode() {
    let dir = tempfile::tempdir().unwrap();
    let mut open = settings(dir.path());
    open.demo = false;
    let refused = AppState::build(open).await.err().expect("refused to start");
    let message = format!("{refused:#}");
    assert!(message.contains("service.token"), "{message}");
    assert!(message.contains("HEATDESK_SERVICE_TOKEN"), "{message}");

    let app = spawn_app_with(|s| {
        s.demo = false;
        s.service.token = Secret::new("svc-token");
    })
    .await;
    let res = app
        .client
        .get(app.url("/api/service/v1/halls"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let res = app
        .client
        .get(app.url("/api/service/v1/halls"))
        .bearer_auth("svc-token")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    // Demo mode keeps the open reference server a trial needs.
    let demo = spawn_app_with(|_| {}).await;
    let res = demo
        .client
        .get(demo.url("/api/service/v1/halls"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

/// Found reading the README against `serve`: the README said the AppID may be absent
/// (plaintext only), but a callback token without an AppID stopped `serve` at start. Now a
/// token alone serves plaintext pushes with passive replies.
#[tokio::test]
async fn a_callback_token_without_an_appid_stopped_serve() {
    let app = spawn_app_with(|s| {
        s.wechat.token = Secret::new("plain-token");
    })
    .await;
    assert!(app.state.bot.is_none(), "no API client without an AppID");
    let client = CallbackClient::new(&Config {
        mode: Mode::Plain,
        ..Config::new("", "", "plain-token")
    })
    .at("/wechat");
    let xml = CallbackClient::text_message("o-plain", "营业厅在哪里", 42, 1_796_000_000);
    let req = client.push(&xml);
    let uri = req.uri().to_string();
    let body = axum::body::to_bytes(req.into_body(), usize::MAX)
        .await
        .unwrap();
    let res = app
        .client
        .post(app.url(&uri))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let reply = client.read_reply(&res.bytes().await.unwrap()).unwrap();
    assert!(
        matches!(&reply.reply, wechat_mp::Reply::Text(t) if !t.is_empty()),
        "a passive reply: {:?}",
        reply.reply
    );
}
