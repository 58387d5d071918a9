//! `heatdesk wechat sign|encrypt|decrypt` against the official documentation's safe-mode
//! example (the vectors `crates/wechat-mp/tests/integration/vectors.rs` checks), and
//! `heatdesk simulate` against a callback router on loopback.

#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::process::{Command, Output, Stdio};

use wechat_mp::update::Text;
use wechat_mp::{Bot, Config, Dispatcher, HandlerResult, Mode, Reply, Update, UpdateHandler};

// Official documentation, "消息加解密说明", safe-mode example.
const TOKEN: &str = "AAAAA";
const KEY: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
const APPID: &str = "wxba5fad812f8e6fb9";
const PUSH_ENCRYPT: &str = "+qdx1OKCy+5JPCBFWw70tm0fJGb2Jmeia4FCB7kao+/Q5c/ohsOzQHi8khUOb05JCpj0JB4RvQMkUyus8TPxLKJGQqcvZqzDpVzazhZv6JsXUnnR8XGT740XgXZUXQ7vJVnAG+tE8NUd4yFyjPy7GgiaviNrlCTj+l5kdfMuFUPpRSrfMZuMcp3Fn2Pede2IuQrKEYwKSqFIZoNqJ4M8EajAsjLY2km32IIjdf8YL/P50F7mStwntrA2cPDrM1kb6mOcfBgRtWygb3VIYnSeOBrebufAlr7F9mFUPAJGj04=";
const PUSH_TIMESTAMP: &str = "1714112445";
const PUSH_NONCE: &str = "415670741";
const PUSH_MSG_SIGNATURE: &str = "046e02f8204d34f8ba5fa3b1db94908f3df2e9b3";
const PUSH_PLAINTEXT: &str = r#"{"ToUserName":"gh_97417a04a28d","FromUserName":"o9AgO5Kd5ggOC-bXrbNODIiE3bGY","CreateTime":1714112445,"MsgType":"event","Event":"debug_demo","debug_str":"hello world"}"#;

fn heatdesk(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_heatdesk"))
        .args(args)
        .env_remove("HEATDESK_WECHAT_TOKEN")
        .env_remove("HEATDESK_WECHAT_AES_KEY")
        .env_remove("HEATDESK_WECHAT_APPID")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

fn stdout_of(out: &Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn stderr_of_failure(out: &Output) -> String {
    assert!(
        !out.status.success(),
        "expected a failure, got: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8(out.stderr.clone()).unwrap()
}

fn push_body(encrypt: &str) -> String {
    format!("<xml><ToUserName><![CDATA[gh_97417a04a28d]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>")
}

fn decrypt_args<'a>(timestamp: &'a str, nonce: &'a str, msg_signature: &'a str) -> Vec<&'a str> {
    vec![
        "wechat",
        "decrypt",
        "--token",
        TOKEN,
        "--aes-key",
        KEY,
        "--appid",
        APPID,
        "--timestamp",
        timestamp,
        "--nonce",
        nonce,
        "--msg-signature",
        msg_signature,
    ]
}

fn official_decrypt(body: &[u8], msg_signature: &str) -> Output {
    heatdesk(
        &decrypt_args(PUSH_TIMESTAMP, PUSH_NONCE, msg_signature),
        body,
    )
}

#[test]
fn sign_prints_the_official_signatures() {
    let url = heatdesk(
        &[
            "wechat",
            "sign",
            "--token",
            TOKEN,
            "--timestamp",
            "1714036504",
            "--nonce",
            "1514711492",
        ],
        b"",
    );
    assert_eq!(
        stdout_of(&url),
        "f464b24fc39322e44b38aa78f5edd27bd1441696\n"
    );
    let msg = heatdesk(
        &[
            "wechat",
            "sign",
            "--token",
            TOKEN,
            "--timestamp",
            PUSH_TIMESTAMP,
            "--nonce",
            PUSH_NONCE,
            "--encrypt",
            PUSH_ENCRYPT,
        ],
        b"",
    );
    assert_eq!(stdout_of(&msg), format!("{PUSH_MSG_SIGNATURE}\n"));
}

#[test]
fn encrypt_reproduces_the_official_reply_byte_for_byte() {
    let out = heatdesk(
        &[
            "wechat",
            "encrypt",
            "--token",
            TOKEN,
            "--aes-key",
            KEY,
            "--appid",
            APPID,
            "--timestamp",
            "1713424427",
            "--nonce",
            "415670741",
            "--random",
            "707722b803182950",
        ],
        br#"{"demo_resp":"good luck"}"#,
    );
    assert_eq!(
        stdout_of(&out),
        "<xml><Encrypt><![CDATA[ELGduP2YcVatjqIS+eZbp80MNLoAUWvzzyJxgGzxZO/5sAvd070Bs6qrLARC9nVHm48Y4hyRbtzve1L32tmxSQ==]]></Encrypt>\
<MsgSignature><![CDATA[1b9339964ed2e271e7c7b6ff2b0ef902fc94dea1]]></MsgSignature>\
<TimeStamp>1713424427</TimeStamp><Nonce><![CDATA[415670741]]></Nonce></xml>\n"
    );
}

#[test]
fn decrypt_opens_the_official_push() {
    let out = official_decrypt(push_body(PUSH_ENCRYPT).as_bytes(), PUSH_MSG_SIGNATURE);
    assert_eq!(stdout_of(&out), format!("{PUSH_PLAINTEXT}\n"));
}

#[test]
fn encrypt_then_decrypt_round_trips_with_a_line_break_from_echo() {
    let reply = "<xml><ToUserName><![CDATA[o9AgO5Kd5ggOC-bXrbNODIiE3bGY]]></ToUserName>\
<FromUserName><![CDATA[gh_97417a04a28d]]></FromUserName><CreateTime>1714112446</CreateTime>\
<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[暖气不热请拨打 12345]]></Content></xml>";
    let encrypted = heatdesk(
        &[
            "wechat",
            "encrypt",
            "--token",
            TOKEN,
            "--aes-key",
            KEY,
            "--appid",
            APPID,
            "--timestamp",
            "1714112446",
            "--nonce",
            "77",
        ],
        format!("{reply}\n").as_bytes(),
    );
    let envelope = stdout_of(&encrypted);
    let fields = wechat_mp::xml::parse(envelope.trim().as_bytes()).unwrap();
    assert_eq!(fields.get("TimeStamp"), Some("1714112446"));
    let signature = fields.get("MsgSignature").unwrap();
    let decrypted = heatdesk(
        &decrypt_args("1714112446", "77", signature),
        envelope.as_bytes(),
    );
    assert_eq!(stdout_of(&decrypted), format!("{reply}\n"));
}

#[test]
fn decrypt_refuses_a_wrong_signature() {
    let wrong = "0000000000000000000000000000000000000000";
    let err = stderr_of_failure(&official_decrypt(push_body(PUSH_ENCRYPT).as_bytes(), wrong));
    assert!(err.contains("msg_signature"), "{err}");
    assert!(
        err.contains(PUSH_MSG_SIGNATURE),
        "names the expected one: {err}"
    );
}

#[test]
fn decrypt_refuses_garbage_on_stdin() {
    let err = stderr_of_failure(&official_decrypt(b"not xml at all", PUSH_MSG_SIGNATURE));
    assert!(err.contains("XML"), "{err}");
    let err = stderr_of_failure(&official_decrypt(
        b"<xml>\xff\xfe</xml>",
        PUSH_MSG_SIGNATURE,
    ));
    assert!(err.contains("UTF-8"), "{err}");
    let err = stderr_of_failure(&official_decrypt(
        b"<xml><ToUserName>gh_1</ToUserName></xml>",
        PUSH_MSG_SIGNATURE,
    ));
    assert!(err.contains("<Encrypt>"), "{err}");
}

#[test]
fn decrypt_names_the_appid_the_message_was_made_for() {
    let mut args = decrypt_args(PUSH_TIMESTAMP, PUSH_NONCE, PUSH_MSG_SIGNATURE);
    args[7] = "wx0000000000000000";
    let err = stderr_of_failure(&heatdesk(&args, push_body(PUSH_ENCRYPT).as_bytes()));
    assert!(
        err.contains(APPID) && err.contains("wx0000000000000000"),
        "{err}"
    );
}

#[test]
fn decrypt_with_another_key_fails_clearly() {
    let mut args = decrypt_args(PUSH_TIMESTAMP, PUSH_NONCE, PUSH_MSG_SIGNATURE);
    args[5] = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
    let err = stderr_of_failure(&heatdesk(&args, push_body(PUSH_ENCRYPT).as_bytes()));
    assert!(err.contains("EncodingAESKey"), "{err}");
    args[5] = "short";
    let err = stderr_of_failure(&heatdesk(&args, push_body(PUSH_ENCRYPT).as_bytes()));
    assert!(err.contains("invalid EncodingAESKey"), "{err}");
}

#[test]
fn encrypt_refuses_a_random_prefix_of_the_wrong_length() {
    let out = heatdesk(
        &[
            "wechat",
            "encrypt",
            "--token",
            TOKEN,
            "--aes-key",
            KEY,
            "--appid",
            APPID,
            "--timestamp",
            "1713424427",
            "--nonce",
            "415670741",
            "--random",
            "too-short",
        ],
        b"<xml/>",
    );
    assert!(stderr_of_failure(&out).contains("16 bytes"));
}

// simulate, against the crate's own router with an echo handler.

const SIM_TOKEN: &str = "sim-token";
const SIM_KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
const SIM_APPID: &str = "wx5e1f0c2d3b4a6978";

fn echo() -> UpdateHandler {
    wechat_mp::dptree::entry()
        .branch(Update::filter_text().endpoint(|text: Text| async move {
            if text.content == "later" {
                return HandlerResult::Ok(Reply::Success);
            }
            HandlerResult::Ok(Reply::text(format!("echo: {}", text.content)))
        }))
        .branch(
            Update::filter_subscribe()
                .endpoint(|| async { HandlerResult::Ok(Reply::text("welcome\nsecond line")) }),
        )
}

/// A callback router on loopback; returns its URL.
async fn callback_server(mode: Mode) -> String {
    let config = Config {
        mode,
        encoding_aes_key: (mode != Mode::Plain).then(|| SIM_KEY.into()),
        ..Config::new(SIM_APPID, "secret", SIM_TOKEN)
    };
    let dispatcher = Dispatcher::builder(Bot::from_config(&config), echo()).build();
    let app = axum::Router::new().nest(
        "/wechat",
        wechat_mp::axum::router(config, dispatcher).unwrap(),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/wechat")
}

async fn simulate(args: &[&str]) -> Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_heatdesk"))
        .arg("simulate")
        .args(args)
        .env_remove("HEATDESK_WECHAT_TOKEN")
        .env_remove("HEATDESK_WECHAT_AES_KEY")
        .env_remove("HEATDESK_WECHAT_APPID")
        .output()
        .await
        .unwrap()
}

#[tokio::test]
async fn simulate_prints_each_message_and_its_reply_in_plaintext_mode() {
    let url = callback_server(Mode::Plain).await;
    let out = simulate(&["--url", &url, "--token", SIM_TOKEN, "暖气不热", "later"]).await;
    assert_eq!(
        stdout_of(&out),
        "> 暖气不热\necho: 暖气不热\n> later\n[success]\n"
    );
}

#[tokio::test]
async fn simulate_encrypts_in_safe_mode_and_opens_the_replies() {
    let url = callback_server(Mode::Safe).await;
    let out = simulate(&[
        "--url",
        &url,
        "--token",
        SIM_TOKEN,
        "--aes-key",
        SIM_KEY,
        "--appid",
        SIM_APPID,
        "--event",
        "subscribe",
        "--from",
        "o-resident-1",
        "户号 1234",
        "户号 1234",
    ])
    .await;
    // The same text twice is two messages (fresh MsgIds), not a retry.
    assert_eq!(
        stdout_of(&out),
        "> [subscribe]\nwelcome\nsecond line\n> 户号 1234\necho: 户号 1234\n> 户号 1234\necho: 户号 1234\n"
    );
}

#[tokio::test]
async fn simulate_fails_with_the_status_when_the_server_refuses() {
    let url = callback_server(Mode::Plain).await;
    let out = simulate(&["--url", &url, "--token", "not-the-token", "hello"]).await;
    let err = stderr_of_failure(&out);
    assert!(err.contains("403"), "{err}");
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "> hello\n");
}

#[tokio::test]
async fn simulate_in_plaintext_against_a_safe_mode_server_is_refused() {
    let url = callback_server(Mode::Safe).await;
    let out = simulate(&["--url", &url, "--token", SIM_TOKEN, "hello"]).await;
    assert!(stderr_of_failure(&out).contains("400"));
}
