//! Below standard: a station records an inspection's temperatures on the work order, the
//! resident is told the rectification deadline, and the counter sees (and exports) what
//! each account is owed. The calculation's own table tests are in `src/compensation/calc.rs`.
#![allow(clippy::unwrap_used)]

mod browser_test;
mod cli_test;
mod desk_test;
mod retention_test;
mod wechat_test;

use heatdesk::config::Secret;
use wechat_mp::testing::FakeWeChat;

use crate::desk::desk_app_with;
use crate::helpers::{fresh_postgres, TestApp};

/// The desk on SQLite, and on PostgreSQL when it is reachable (skipped with a notice
/// otherwise, by `fresh_postgres`).
pub async fn apps() -> Vec<(TestApp, FakeWeChat)> {
    let mut out = vec![desk_app_with(|_| {}).await];
    if let Some(url) = fresh_postgres().await {
        out.push(desk_app_with(|s| s.database_url = Secret::new(url)).await);
    }
    out
}

/// A multipart form body as a browser sends it: `_csrf` first, then the fields, then the
/// photo (when given) as a file part.
pub fn multipart(
    csrf: &str,
    fields: &[(&str, &str)],
    photo: Option<(&str, &[u8])>,
) -> (String, Vec<u8>) {
    let boundary = "----heatdesk-test-boundary";
    let mut body = Vec::new();
    let mut text = |name: &str, value: &str| {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    };
    text("_csrf", csrf);
    for (k, v) in fields {
        text(k, v);
    }
    if let Some((content_type, bytes)) = photo {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"photo\"; \
                 filename=\"room.png\"\r\nContent-Type: {content_type}\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// The first bytes of a PNG, then padding to `len`.
pub fn png(len: usize) -> Vec<u8> {
    let mut b = b"\x89PNG\r\n\x1a\n".to_vec();
    b.resize(len.max(8), 0);
    b
}
