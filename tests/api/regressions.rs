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

/// Found by residents and agents: with `rules.suspension_deadline = 12-31` residents were
/// still told "10月10日前", and with the desk open around the clock the handoff reply still
/// said "人工在线时间：周一至周日 8:00-18:00" — both numbers were copied into
/// `phrasebook/facts.toml`. They are now rendered from the settings.
#[tokio::test]
async fn replies_quoted_deadlines_and_desk_hours_the_settings_had_changed() {
    let app = spawn_app_with(|s| {
        s.rules.suspension_deadline = heatdesk::service::rules::MonthDay { month: 12, day: 31 };
        s.rules.resumption_fee_fen = 8800;
        s.rules.indoor_min_celsius = 20.0;
        s.handoff.hours.open = "00:00".into();
        s.handoff.hours.close = "00:00".into();
    })
    .await;
    let engine = app.state.engine.current();
    let catalog = engine.catalog();
    let citing = |fact: &str| -> Vec<String> {
        catalog
            .published()
            .filter(|e| e.reply.wechat.contains(&format!("{{{fact}}}")))
            .map(|e| catalog.rendered_reply(e).wechat)
            .collect()
    };
    let deadline = citing("suspension_deadline");
    assert!(!deadline.is_empty(), "some reply cites the deadline");
    for reply in &deadline {
        assert!(reply.contains("12月31日"), "{reply}");
        assert!(!reply.contains("10月10日"), "{reply}");
    }
    let hours = citing("service_hours");
    assert!(!hours.is_empty(), "some reply cites the desk hours");
    for reply in &hours {
        assert!(reply.contains("周一至周日 全天"), "{reply}");
        assert!(!reply.contains("8:00-18:00"), "{reply}");
    }
    for reply in citing("resumption_fee") {
        assert!(reply.contains("88元"), "{reply}");
    }
    // The legal indoor minimum (18 °C in the shipped settings) was a fact in the file too.
    let minimum = citing("indoor_temp_standard");
    assert!(!minimum.is_empty(), "some reply cites the indoor minimum");
    for reply in &minimum {
        assert!(reply.contains("20℃"), "{reply}");
        assert!(!reply.contains("18℃"), "{reply}");
    }
}

/// The other half of one source per number: a fact the settings own may not be written in
/// `facts.toml` as well.
#[test]
fn a_fact_the_settings_own_is_refused_in_facts_toml() {
    let dir = tempfile::tempdir().unwrap();
    let phrasebook = dir.path().join("phrasebook");
    std::fs::create_dir_all(&phrasebook).unwrap();
    for e in std::fs::read_dir(crate::helpers::repo().join("phrasebook")).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), phrasebook.join(e.file_name())).unwrap();
    }
    let facts = phrasebook.join("facts.toml");
    let mut text = std::fs::read_to_string(&facts).unwrap();
    text.push_str("suspension_deadline = \"10月10日\"\n");
    std::fs::write(&facts, &text).unwrap();
    let sources = heatdesk::config::Settings {
        phrasebook_dir: phrasebook,
        ..settings(dir.path())
    }
    .sources()
    .unwrap();
    let (catalog, diags) = heatdesk::catalog::load(&sources);
    assert!(catalog.is_none());
    let line = text.lines().count();
    assert!(
        diags.iter().any(|d| d.file.ends_with("facts.toml")
            && d.line == line
            && d.message.contains("suspension_deadline")),
        "{diags:#?}"
    );
}

/// Found trying the desk as a resident: "转人工" got the standard handoff reply and then a
/// second bot message with the place in the queue, both saying "已为您转接人工客服". Now it is
/// one message, with the place in it.
#[tokio::test]
async fn asking_for_a_person_got_two_bot_messages() {
    let (app, _fake) = crate::desk::desk_app().await;
    let resident = crate::desk::Resident::new(&app.state, "o-one-message");
    let out = resident.says("转人工").await;
    assert_eq!(out.replies.len(), 1, "{:#?}", out.replies);
    let queued = app.state.locales.text(
        "zh-CN",
        "handoff-queued",
        &[
            ("position", fluent_bundle::FluentValue::from("1")),
            ("minutes", fluent_bundle::FluentValue::from("3")),
        ],
    );
    assert_eq!(out.replies[0], queued);
}

/// Found trying every transaction as a resident: after "个人电子发票怎么开" and "是", the
/// invoice form asked "个人还是单位" and then the invoice type, both already said. Choices
/// named by the message that opened the form are no longer asked.
#[tokio::test]
async fn the_invoice_form_asked_what_the_resident_had_just_said() {
    let mut c = crate::dialogue::Chat::start(None).await;
    c.say("绑定户号").await;
    c.say("30030003").await;
    c.say("周磊").await;
    c.say("个人电子发票怎么开").await;
    let next = c.say("是").await;
    let text = |id: &str| c.state.locales.text("zh-CN", id, &[]);
    let (party, kind, title) = (
        text("slot-invoice-party"),
        text("slot-invoice-kind"),
        text("slot-invoice-title"),
    );
    assert!(!next.contains(&party), "{next:?}");
    assert!(!next.contains(&kind), "{next:?}");
    assert!(next.contains(&title), "the title comes next: {next:?}");
}

/// Found trying every transaction as a resident: asked for the e-invoice's e-mail address,
/// a resident typed a street address; it was stored as the e-mail and the request made. An
/// e-mail slot now takes only an e-mail address, says why it refused, and after the second
/// miss offers to skip (it is optional), cancel or a person.
#[tokio::test]
async fn a_street_address_was_taken_for_an_email() {
    let mut c = crate::dialogue::Chat::start(None).await;
    for m in ["绑定户号", "30030003", "周磊", "个人电子发票怎么开", "是"] {
        c.say(m).await;
    }
    let text = |c: &crate::dialogue::Chat, id: &str| c.state.locales.text("zh-CN", id, &[]);
    let asked = c.say("周磊").await;
    assert!(asked.contains(&text(&c, "slot-invoice-email")), "{asked:?}");
    let first = c.say("海南区公乌素小区1号楼3单元602").await;
    assert!(first.contains(&text(&c, "slot-invalid-email")), "{first:?}");
    assert!(
        !first.contains(&text(&c, "slot-way-out-optional")),
        "not yet: {first:?}"
    );
    let second = c.say("公乌素小区1号楼").await;
    assert!(
        second.contains(&text(&c, "slot-invalid-email")),
        "{second:?}"
    );
    assert!(
        second.contains(&text(&c, "slot-way-out-optional")),
        "the second miss offers a way out: {second:?}"
    );
    // A real address, written with the words around it, is taken.
    let confirm = c.say("发到 zhoulei@example.com 吧").await.join("\n");
    assert!(
        confirm.contains("接收邮箱：zhoulei@example.com"),
        "{confirm}"
    );
}

/// Found the same way: an address without a building or a door ("my place") was stored for
/// an inspection, which a technician could not find. The address slot wants both.
#[tokio::test]
async fn an_address_without_a_building_or_door_was_accepted() {
    let mut c = crate::dialogue::Chat::start(None).await;
    let text = |c: &crate::dialogue::Chat, id: &str| c.state.locales.text("zh-CN", id, &[]);
    c.say("暖气不热").await;
    c.say("是").await;
    let mut asked = c.say("户号30030001，明天上午有人在家").await;
    if asked.contains(&text(&c, "slot-verification")) {
        asked = c.say("赵军").await;
    }
    assert!(asked.contains(&text(&c, "slot-address")), "{asked:?}");
    let refused = c.say("就在拉僧庙小区").await;
    assert!(
        refused.contains(&text(&c, "slot-invalid-address")),
        "{refused:?}"
    );
    let next = c.say("海南区拉僧庙小区2号楼1单元101").await;
    assert!(next.contains(&text(&c, "slot-phone")), "taken: {next:?}");
}

/// Found trying the area change as a resident: asked for the certificate photo, a resident
/// who typed text got an unrelated standard reply and the same question again, twelve
/// times. A photo step now says it needs a photo, and from the second miss on offers a way
/// out; "取消" ends the form.
#[tokio::test]
async fn a_photo_step_answered_with_text_looped() {
    let mut c = crate::dialogue::Chat::start(None).await;
    for m in ["绑定户号", "10010001", "王建国", "我家面积不对", "是"] {
        c.say(m).await;
    }
    let text = |c: &crate::dialogue::Chat, id: &str| c.state.locales.text("zh-CN", id, &[]);
    let asked = c.say("88平").await;
    assert!(asked.contains(&text(&c, "slot-evidence")), "{asked:?}");
    let first = c.say("我没有照片").await;
    assert!(first.contains(&text(&c, "slot-invalid-image")), "{first:?}");
    let mut offered = false;
    for _ in 0..3 {
        let again = c.say("我现在拍不了").await;
        offered |= again.contains(&text(&c, "slot-way-out"));
        assert!(
            again.contains(&text(&c, "slot-way-out")),
            "every further miss offers the way out: {again:?}"
        );
    }
    assert!(offered);
    let cancelled = c.say("取消").await;
    assert!(
        cancelled.contains(&text(&c, "dialogue-cancelled")),
        "{cancelled:?}"
    );
}

/// Found trying every transaction as a resident: "我都绑了哪几个户" got a "did you mean"
/// list. Residents ask about their bindings, payments and progress in short colloquial
/// forms; the phrasebook has them now, and wordings it does not have verbatim are answered.
#[tokio::test]
async fn short_colloquial_questions_about_bindings_got_a_did_you_mean_list() {
    let mut c = crate::dialogue::Chat::start(None).await;
    for m in ["绑定户号", "10010001", "王建国"] {
        c.say(m).await;
    }
    let listed = c.state.locales.text("zh-CN", "binding-list-intro", &[]);
    let clarify = c.state.locales.text("zh-CN", "bot-clarify-intro", &[]);
    for asked in ["我都绑了哪几个户", "我这边绑了哪些户啊"] {
        let reply = c.say(asked).await.join("\n");
        assert!(!reply.contains(&clarify), "{asked}: {reply}");
        assert!(
            reply.contains(&listed) && reply.contains("10010001"),
            "{asked}: {reply}"
        );
    }
    let engine = c.state.engine.current();
    for (text, intent) in [
        ("钱交上了吗", "payment_lookup"),
        ("暖气费交上了没", "payment_lookup"),
        ("办到哪了", "request_status"),
        ("我申请那个办到哪一步了", "request_status"),
    ] {
        let got = engine.classify(text);
        assert_eq!(
            (got.intent.as_str(), got.decision),
            (intent, heatdesk::nlu::Decision::Answer),
            "{text}"
        );
    }
}
