//! Every documented message and event type parses to its typed variant.

use wechat_mp::update::{Event, MessageKind, TemplateStatus, Update, UpdateKind};

fn fixture(name: &str) -> Update {
    let path = format!("{}/tests/fixtures/{name}.xml", env!("CARGO_MANIFEST_DIR"));
    let body = std::fs::read(&path).unwrap();
    Update::from_xml(&body).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn message(name: &str) -> MessageKind {
    let update = fixture(name);
    let message = update
        .message()
        .unwrap_or_else(|| panic!("{name} is not a message"));
    assert!(message.id.is_some(), "{name} has a MsgId");
    message.kind.clone()
}

fn event(name: &str) -> Event {
    fixture(name)
        .event()
        .unwrap_or_else(|| panic!("{name} is not an event"))
        .clone()
}

#[test]
fn text() {
    let update = fixture("text");
    assert_eq!(update.account, "toUser");
    assert_eq!(update.from.as_str(), "fromUser");
    assert_eq!(update.create_time, 1348831860);
    assert_eq!(update.text(), Some("this is a test"));
    assert_eq!(
        update.message().unwrap().id.as_ref().unwrap().as_u64(),
        Some(1234567890123456)
    );
}

#[test]
fn media_messages() {
    let MessageKind::Image(image) = message("image") else {
        panic!()
    };
    assert_eq!(
        (image.pic_url.as_str(), image.media_id.as_str()),
        ("this is a url", "media_id")
    );
    let MessageKind::Voice(voice) = message("voice") else {
        panic!()
    };
    assert_eq!(voice.recognition, None);
    let MessageKind::Voice(voice) = message("voice_recognition") else {
        panic!()
    };
    assert_eq!(voice.recognition.as_deref(), Some("腾讯微信团队"));
    let MessageKind::Video(video) = message("video") else {
        panic!()
    };
    assert_eq!(video.thumb_media_id, "thumb_media_id");
    let MessageKind::ShortVideo(video) = message("shortvideo") else {
        panic!()
    };
    assert_eq!(video.media_id, "media_id");
}

#[test]
fn location_link_and_file() {
    let MessageKind::Location(location) = message("location") else {
        panic!()
    };
    assert_eq!(
        (location.latitude, location.longitude),
        (23.134521, 113.358803)
    );
    assert_eq!(
        (location.scale, location.label.as_str()),
        (Some(20), "位置信息")
    );
    let MessageKind::Link(link) = message("link") else {
        panic!()
    };
    assert_eq!(
        (link.title.as_str(), link.url.as_str()),
        ("公众平台官网链接", "url")
    );
    let MessageKind::File(file) = message("file") else {
        panic!()
    };
    assert_eq!(file.title, "test.zip");
    assert_eq!(file.file_total_len, Some(222));
    assert_eq!(file.file_md5, "95d98d3bf1b251a9e4a40f3bd88eef29");
}

#[test]
fn follow_events() {
    assert_eq!(
        event("event_subscribe"),
        Event::Subscribe {
            scene: None,
            event_key: None,
            ticket: None
        }
    );
    assert_eq!(
        event("event_subscribe_qrscene"),
        Event::Subscribe {
            scene: Some("123123".into()),
            event_key: Some("qrscene_123123".into()),
            ticket: Some("TICKET".into()),
        }
    );
    assert_eq!(event("event_unsubscribe"), Event::Unsubscribe);
    assert_eq!(
        event("event_scan"),
        Event::Scan {
            scene: "SCENE_VALUE".into(),
            ticket: Some("TICKET".into())
        }
    );
}

#[test]
fn location_and_menu_events() {
    assert_eq!(
        event("event_location"),
        Event::Location {
            latitude: 23.137466,
            longitude: 113.352425,
            precision: 119.385040
        }
    );
    assert_eq!(
        event("event_click"),
        Event::Click {
            key: "EVENTKEY".into()
        }
    );
    assert_eq!(
        event("event_view"),
        Event::View {
            url: "www.qq.com".into(),
            menu_id: None
        }
    );
}

#[test]
fn template_delivery_reports_read_msg_id_with_capital_d() {
    let Event::TemplateSendJobFinish { msg_id, status } = event("event_templatesendjobfinish")
    else {
        panic!()
    };
    assert_eq!(
        (msg_id.as_u64(), status),
        (Some(200163836), TemplateStatus::Success)
    );
    let Event::TemplateSendJobFinish { status, .. } = event("event_templatesendjobfinish_block")
    else {
        panic!()
    };
    assert_eq!(status, TemplateStatus::UserBlock);
}

#[test]
fn kf_session_events() {
    assert_eq!(
        event("event_kf_create_session"),
        Event::KfCreateSession {
            kf_account: "test1@test".into()
        }
    );
    assert_eq!(
        event("event_kf_close_session"),
        Event::KfCloseSession {
            kf_account: "test1@test".into()
        }
    );
    assert_eq!(
        event("event_kf_switch_session"),
        Event::KfSwitchSession {
            from_kf_account: "test1@test".into(),
            to_kf_account: "test2@test".into()
        }
    );
}

#[test]
fn unknown_kinds_are_kept_with_their_fields() {
    assert_eq!(
        message("unknown_message"),
        MessageKind::Unknown {
            msg_type: "notsure".into()
        }
    );
    let update = fixture("unknown_event");
    assert_eq!(
        update.kind,
        UpdateKind::Event(Event::Unknown {
            event: "user_authorize_invoice".into()
        })
    );
    assert_eq!(update.raw.get("SuccOrderId"), Some("1202933957956"));
}

#[test]
fn every_fixture_parses() {
    let dir = format!("{}/tests/fixtures", env!("CARGO_MANIFEST_DIR"));
    let mut count = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "xml") {
            Update::from_xml(&std::fs::read(&path).unwrap())
                .unwrap_or_else(|e| panic!("{path:?}: {e}"));
            count += 1;
        }
    }
    assert!(count >= 23, "fixtures found: {count}");
}

#[test]
fn control_characters_and_emoji_in_user_text_survive() {
    // Control characters arrive unescaped in user text (seen in nicknames and pastes).
    let xml = "<xml><ToUserName><![CDATA[gh]]></ToUserName><FromUserName><![CDATA[o1]]></FromUserName>\
<CreateTime>1</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[暖气\u{14}不热 🔥]]></Content><MsgId>1</MsgId></xml>";
    assert_eq!(
        Update::from_xml(xml.as_bytes()).unwrap().text(),
        Some("暖气\u{14}不热 🔥")
    );
}
