//! One integration-test binary: published vectors, fixtures, the callback
//! router, the dispatcher and the API client against the fake server.
#![allow(clippy::unwrap_used)]

mod bot;
mod callback;
mod dispatcher;
mod fixtures;
mod props;
mod replies;
mod templates;
mod vectors;

use wechat_mp::{Config, Mode};

/// Key material of the official sample code (a non-canonical key: its last
/// character carries non-zero trailing bits).
pub const SAMPLE_KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";

pub fn config(mode: Mode) -> Config {
    Config {
        mode,
        encoding_aes_key: (mode != Mode::Plain).then(|| SAMPLE_KEY.into()),
        ..Config::new(
            wechat_mp::testing::FAKE_APPID,
            wechat_mp::testing::FAKE_SECRET,
            "callback-token",
        )
    }
}

pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}
