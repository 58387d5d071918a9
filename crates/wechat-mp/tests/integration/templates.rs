//! Template messages against the fake server: what WeChat refuses, by errcode, and the
//! idempotency key.

use wechat_mp::bot::{value_limit, TemplateMessage};
use wechat_mp::testing::FakeWeChat;
use wechat_mp::{ErrCode, OpenId};

fn user(id: &str) -> OpenId {
    OpenId::parse(id).unwrap()
}

const KEYS: [&str; 3] = ["character_string1", "thing2", "time3"];

fn progress(to: &str) -> TemplateMessage {
    TemplateMessage::new(user(to), "TPL-progress")
        .value("character_string1", "R2026000123")
        .value("thing2", "复供申请已缴费")
        .value("time3", "2026-12-04 10:30")
}

#[tokio::test]
async fn a_well_formed_template_message_is_delivered_outside_the_window() {
    let fake = FakeWeChat::start().await;
    fake.add_template("TPL-progress", &KEYS);
    let bot = fake.bot();
    // No interaction at all: a customer-service message would get 45015.
    let msgid = bot
        .send_template(&progress("o-far").url("https://example.com/r/1"))
        .await
        .unwrap();
    let sent = fake.templates_to("o-far");
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].msgid, msgid);
    assert_eq!(sent[0].data["thing2"], "复供申请已缴费");
    assert_eq!(sent[0].url.as_deref(), Some("https://example.com/r/1"));
}

#[tokio::test]
async fn malformed_template_messages_are_refused_with_wechats_errcodes() {
    let fake = FakeWeChat::start().await;
    fake.add_template("TPL-progress", &KEYS);
    let bot = fake.bot();
    let code = |e: wechat_mp::RequestError| e.code();

    let unknown = TemplateMessage {
        template_id: "TPL-nope".into(),
        ..progress("o-1")
    };
    let e = bot.send_template(&unknown).await.unwrap_err();
    assert!(e.is_template_rejected());
    assert_eq!(code(e), Some(ErrCode::InvalidTemplateId));

    let mut missing = progress("o-1");
    missing.data.remove("time3");
    let e = bot.send_template(&missing).await.unwrap_err();
    assert!(e.is_template_rejected());
    assert_eq!(code(e), Some(ErrCode::ArgumentInvalid));

    let long = progress("o-1").value(
        "thing2",
        "这是一段超过二十个字的说明文字，模板放不下这么多内容",
    );
    let e = bot.send_template(&long).await.unwrap_err();
    assert_eq!(code(e), Some(ErrCode::ArgumentInvalid));

    fake.unfollow("o-gone");
    let e = bot.send_template(&progress("o-gone")).await.unwrap_err();
    assert!(e.is_recipient_refused());
    assert_eq!(code(e), Some(ErrCode::RequireSubscribe));

    fake.refuse_templates("o-no");
    let e = bot.send_template(&progress("o-no")).await.unwrap_err();
    assert_eq!(code(e), Some(ErrCode::UserRefused));

    assert!(
        fake.templates_sent().is_empty(),
        "nothing refused is delivered"
    );
}

#[tokio::test]
async fn a_clipped_value_fits_and_a_repeated_client_msg_id_is_delivered_once() {
    let fake = FakeWeChat::start().await;
    fake.add_template("TPL-progress", &KEYS);
    let bot = fake.bot();
    let long = "这是一段超过二十个字的说明文字，模板放不下这么多内容";
    let message = progress("o-1")
        .value_clipped("thing2", long)
        .client_msg_id("notice-7");
    assert_eq!(
        message.data["thing2"].value.chars().count(),
        value_limit("thing2").unwrap()
    );
    let first = bot.send_template(&message).await.unwrap();
    let again = bot.send_template(&message).await.unwrap();
    assert_eq!(first, again);
    assert_eq!(fake.templates_sent().len(), 1);
    assert_eq!(
        value_limit("keyword1"),
        None,
        "classic keys: no documented limit"
    );
}
