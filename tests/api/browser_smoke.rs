//! The browser harness against a real server: it starts, reads a page, takes a screenshot.

#![allow(clippy::unwrap_used)]

use serde_json::Value;

use crate::browser::browser;
use crate::helpers::spawn_app;

#[tokio::test]
async fn healthz_page_shows_the_phrasebook_version() {
    let Some(b) = browser().await else { return };
    let app = spawn_app().await;
    let health: Value = app
        .client
        .get(app.url("/healthz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let version = health["phrasebook_version"].as_str().unwrap();
    assert_eq!(version.len(), 16, "a phrasebook hash: {health}");

    b.goto(&app.url("/healthz")).await;
    let body = b.text_of("body").await;
    assert!(
        body.contains(version),
        "the page shows {body:?}, not phrasebook version {version}"
    );

    let shot = b.screenshot("browser-smoke-healthz").await;
    let png = std::fs::read(&shot).unwrap();
    assert!(
        png.starts_with(b"\x89PNG\r\n\x1a\n"),
        "{} is not a PNG",
        shot.display()
    );
    b.close().await;
}
