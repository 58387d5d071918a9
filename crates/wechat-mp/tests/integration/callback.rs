//! The axum router, driven with requests signed like WeChat's.

use axum::body::{to_bytes, Body};
use axum::http::{Request, StatusCode};
use axum::Router;
use tower::ServiceExt;
use wechat_mp::testing::{CallbackClient, FakeWeChat};
use wechat_mp::update::Text;
use wechat_mp::{Config, Dispatcher, HandlerResult, Mode, Reply, Update, UpdateHandler};

use crate::{config, unix_now};

fn echo() -> UpdateHandler {
    dptree::entry()
        .branch(Update::filter_text().endpoint(|text: Text| async move {
            if text.content == "panic" {
                panic!("handler bug");
            }
            if text.content == "fail" {
                return Err("database down".into());
            }
            HandlerResult::Ok(Reply::text(format!("echo: {}", text.content)))
        }))
        .branch(
            Update::filter_subscribe()
                .endpoint(|| async { HandlerResult::Ok(Reply::text("welcome")) }),
        )
}

async fn app(config: &Config, fake: &FakeWeChat) -> Router {
    let dispatcher = Dispatcher::builder(fake.bot(), echo()).build();
    Router::new().nest(
        "/wechat",
        wechat_mp::axum::router(config.clone(), dispatcher).unwrap(),
    )
}

async fn call(app: &Router, request: Request<Body>) -> (StatusCode, Vec<u8>) {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    (
        status,
        to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap()
            .to_vec(),
    )
}

fn text(from: &str, content: &str, id: u64) -> String {
    CallbackClient::text_message(from, content, id, unix_now())
}

#[tokio::test]
async fn url_verification_returns_echostr_in_every_mode() {
    let fake = FakeWeChat::start().await;
    for mode in [Mode::Plain, Mode::Compatible, Mode::Safe] {
        let config = config(mode);
        let app = app(&config, &fake).await;
        let client = CallbackClient::new(&config).at("/wechat");
        let (status, body) = call(&app, client.verification("4375120948345356249")).await;
        assert_eq!(
            (status, body.as_slice()),
            (StatusCode::OK, b"4375120948345356249".as_slice())
        );
    }
}

#[tokio::test]
async fn echo_in_each_mode() {
    let fake = FakeWeChat::start().await;
    for mode in [Mode::Plain, Mode::Compatible, Mode::Safe] {
        let config = config(mode);
        let app = app(&config, &fake).await;
        let client = CallbackClient::new(&config).at("/wechat");
        let (status, body) = call(&app, client.push(&text("o-1", "暖气不热 🔥", 1))).await;
        assert_eq!(status, StatusCode::OK, "{mode:?}");
        if mode != Mode::Plain {
            assert!(
                body.starts_with(b"<xml><Encrypt>"),
                "{mode:?} replies encrypted"
            );
        }
        let reply = client.read_reply(&body).unwrap();
        assert_eq!(reply.reply, Reply::text("echo: 暖气不热 🔥"));
        assert_eq!(reply.to_user, "o-1");
    }
}

#[tokio::test]
async fn compatible_mode_still_accepts_plaintext_pushes() {
    let fake = FakeWeChat::start().await;
    let compatible = config(Mode::Compatible);
    let app = app(&compatible, &fake).await;
    let plain_client = CallbackClient::new(&config(Mode::Plain)).at("/wechat");
    let (status, body) = call(&app, plain_client.push(&text("o-2", "hi", 2))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        Reply::from_xml(&body).unwrap().reply,
        Reply::text("echo: hi")
    );
}

#[tokio::test]
async fn safe_mode_refuses_plaintext_even_with_a_valid_signature() {
    let fake = FakeWeChat::start().await;
    let app = app(&config(Mode::Safe), &fake).await;
    let plain_client = CallbackClient::new(&config(Mode::Plain)).at("/wechat");
    let (status, _) = call(&app, plain_client.push(&text("o-3", "hi", 3))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn bad_signatures_and_stale_timestamps_are_403() {
    let fake = FakeWeChat::start().await;
    let config = config(Mode::Safe);
    let app = app(&config, &fake).await;
    let wrong_token = Config {
        token: "other".into(),
        ..config.clone()
    };
    let forger = CallbackClient::new(&wrong_token).at("/wechat");
    assert_eq!(
        call(&app, forger.push(&text("o-4", "hi", 4))).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        call(&app, forger.verification("x")).await.0,
        StatusCode::FORBIDDEN
    );

    let client = CallbackClient::new(&config).at("/wechat");
    let stale = client.push_at(&text("o-4", "hi", 5), unix_now() - 301, "123");
    assert_eq!(call(&app, stale).await.0, StatusCode::FORBIDDEN);
    let future = client.push_at(&text("o-4", "hi", 6), unix_now() + 301, "123");
    assert_eq!(call(&app, future).await.0, StatusCode::FORBIDDEN);
    let fresh = client.push_at(&text("o-4", "hi", 7), unix_now() - 250, "123");
    assert_eq!(call(&app, fresh).await.0, StatusCode::OK);
}

#[tokio::test]
async fn malformed_bodies_are_400_and_oversized_413() {
    let fake = FakeWeChat::start().await;
    let config = Config {
        body_limit: 2048,
        ..config(Mode::Plain)
    };
    let app = app(&config, &fake).await;
    let client = CallbackClient::new(&config).at("/wechat");
    for body in [
        "<xml><ToUserName>",
        "not xml",
        "<xml><ToUserName>a</ToUserName></xml>",
    ] {
        assert_eq!(
            call(&app, client.push(body)).await.0,
            StatusCode::BAD_REQUEST,
            "{body}"
        );
    }
    let invalid_utf8 = client.push("<xml>\u{0}</xml>");
    let (parts, _) = invalid_utf8.into_parts();
    let request = Request::from_parts(parts, Body::from(b"<xml><A>\xff\xfe</A></xml>".to_vec()));
    assert_eq!(call(&app, request).await.0, StatusCode::BAD_REQUEST);
    let huge = text("o-5", &"x".repeat(4096), 8);
    assert_eq!(
        call(&app, client.push(&huge)).await.0,
        StatusCode::PAYLOAD_TOO_LARGE
    );
}

#[tokio::test]
async fn handler_errors_and_panics_answer_success() {
    let fake = FakeWeChat::start().await;
    let config = config(Mode::Safe);
    let app = app(&config, &fake).await;
    let client = CallbackClient::new(&config).at("/wechat");
    for (content, id) in [("fail", 10), ("panic", 11)] {
        let (status, body) = call(&app, client.push(&text("o-6", content, id))).await;
        assert_eq!(
            (status, body.as_slice()),
            (StatusCode::OK, b"success".as_slice())
        );
    }
    // Unmatched updates (an image here) answer success too.
    let image = "<xml><ToUserName>gh</ToUserName><FromUserName>o-6</FromUserName><CreateTime>1</CreateTime>\
<MsgType>image</MsgType><PicUrl>u</PicUrl><MediaId>m</MediaId><MsgId>12</MsgId></xml>";
    assert_eq!(call(&app, client.push(image)).await.1, b"success");
}

#[tokio::test]
async fn previous_key_still_opens_pushes_and_the_reply_uses_it() {
    let fake = FakeWeChat::start().await;
    let old = config(Mode::Safe);
    let rotated = Config {
        encoding_aes_key: Some("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".into()),
        previous_encoding_aes_key: old.encoding_aes_key.clone(),
        ..old.clone()
    };
    let app = app(&rotated, &fake).await;
    let old_client = CallbackClient::new(&old).at("/wechat");
    let (status, body) = call(&app, old_client.push(&text("o-7", "rotated", 13))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        old_client.read_reply(&body).unwrap().reply,
        Reply::text("echo: rotated")
    );
    let new_client = CallbackClient::new(&rotated).at("/wechat");
    let (_, body) = call(&app, new_client.push(&text("o-7", "new", 14))).await;
    assert_eq!(
        new_client.read_reply(&body).unwrap().reply,
        Reply::text("echo: new")
    );
}

#[tokio::test]
async fn events_get_replies_too() {
    let fake = FakeWeChat::start().await;
    let config = config(Mode::Plain);
    let app = app(&config, &fake).await;
    let client = CallbackClient::new(&config).at("/wechat");
    let follow = format!(
        "<xml><ToUserName>gh</ToUserName><FromUserName>o-8</FromUserName><CreateTime>{}</CreateTime>\
<MsgType>event</MsgType><Event>subscribe</Event></xml>",
        unix_now()
    );
    let (_, body) = call(&app, client.push(&follow)).await;
    assert_eq!(
        Reply::from_xml(&body).unwrap().reply,
        Reply::text("welcome")
    );
}

#[test]
fn invalid_configurations_are_refused() {
    let no_key = Config {
        encoding_aes_key: None,
        ..config(Mode::Safe)
    };
    assert!(no_key.validate().is_err());
    let bad_key = Config {
        encoding_aes_key: Some("short".into()),
        ..config(Mode::Safe)
    };
    assert!(bad_key.validate().is_err());
    assert!(config(Mode::Plain).validate().is_ok());
    // Plaintext needs no AppID; safe mode does (it names the AppID inside the envelope).
    let no_appid = |mode| Config {
        appid: String::new(),
        ..config(mode)
    };
    assert!(no_appid(Mode::Plain).validate().is_ok());
    assert!(matches!(
        no_appid(Mode::Safe).validate(),
        Err(wechat_mp::ConfigError::MissingAppId)
    ));
    // Secrets never print.
    assert!(!format!("{:?}", config(Mode::Safe)).contains(crate::SAMPLE_KEY));
}
