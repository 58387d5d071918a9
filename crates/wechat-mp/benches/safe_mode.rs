//! The per-push CPU cost in safe mode: verify msg_signature, decrypt, parse
//! the update, render and encrypt the reply.
#![allow(clippy::unwrap_used)]

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use wechat_mp::callback::{Callback, CallbackQuery};
use wechat_mp::crypto::AesKey;
use wechat_mp::signature::sign;
use wechat_mp::{Config, Mode, Reply, Update};

const KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
const APPID: &str = "wxb11529c136998cb6";
const NOW: i64 = 1_700_000_000;

fn push() -> (CallbackQuery, String) {
    // A typical resident message, kept as data beside the benchmark.
    let xml = include_str!("data/push.xml");
    let encrypt = AesKey::parse(KEY).unwrap().encrypt(xml.as_bytes(), APPID);
    let (ts, nonce) = (NOW.to_string(), "1320562132".to_string());
    let query = CallbackQuery {
        signature: Some(sign(&["token", &ts, &nonce])),
        msg_signature: Some(sign(&["token", &ts, &nonce, &encrypt])),
        timestamp: Some(ts),
        nonce: Some(nonce),
        encrypt_type: Some("aes".into()),
        ..CallbackQuery::default()
    };
    let body = format!("<xml><ToUserName><![CDATA[gh_7f083739789a]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>");
    (query, body)
}

fn bench(c: &mut Criterion) {
    let config = Config {
        mode: Mode::Safe,
        encoding_aes_key: Some(KEY.into()),
        ..Config::new(APPID, "secret", "token")
    };
    let callback = Callback::new(&config).unwrap();
    let (query, body) = push();
    c.bench_function("safe_mode_text_round_trip", |b| {
        b.iter(|| {
            let opened = callback
                .open(black_box(&query), black_box(body.as_bytes()), NOW)
                .unwrap();
            let update = Update::from_xml(opened.xml.as_bytes()).unwrap();
            let reply = Reply::text(include_str!("data/reply.txt"));
            let xml = reply
                .to_xml(update.from.as_str(), &update.account, NOW, true)
                .unwrap();
            black_box(callback.seal(&opened, &xml, NOW))
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
