//! Every reply type renders and parses back to itself.

use wechat_mp::reply::Music;
use wechat_mp::{Article, Reply};

fn round_trip(reply: Reply, for_message: bool) -> Reply {
    let xml = reply
        .to_xml("o-user", "gh_account", 1700000000, for_message)
        .unwrap();
    let parsed = Reply::from_xml(xml.as_bytes()).unwrap();
    assert_eq!(
        (parsed.to_user.as_str(), parsed.from_user.as_str()),
        ("o-user", "gh_account")
    );
    assert_eq!(parsed.create_time, 1700000000);
    parsed.reply
}

fn article(n: u32) -> Article {
    Article {
        title: format!("停暖通知 {n}"),
        description: "d".into(),
        pic_url: "https://example.com/p.png".into(),
        url: "https://example.com/a?x=1&y=2".into(),
    }
}

#[test]
fn all_reply_types_round_trip() {
    let replies = [
        Reply::text("您好"),
        Reply::Image {
            media_id: "m1".into(),
        },
        Reply::Voice {
            media_id: "m2".into(),
        },
        Reply::Video {
            media_id: "m3".into(),
            title: Some("t".into()),
            description: None,
        },
        Reply::Music(Music {
            title: Some("t".into()),
            description: Some("d".into()),
            music_url: Some("https://example.com/m.mp3".into()),
            hq_music_url: None,
            thumb_media_id: "thumb".into(),
        }),
        Reply::article(article(1)),
        Reply::transfer_to_agent(),
        Reply::TransferCustomerService {
            kf_account: Some("test1@test".into()),
        },
    ];
    for reply in replies {
        assert_eq!(round_trip(reply.clone(), true), reply);
    }
}

#[test]
fn success_has_no_document() {
    assert_eq!(Reply::Success.to_xml("o", "gh", 1, true), None);
    assert_eq!(Reply::from_xml(b"success").unwrap().reply, Reply::Success);
}

#[test]
fn news_is_cut_to_one_article_for_messages_and_eight_for_events() {
    let many = Reply::News((0..10).map(article).collect());
    assert_eq!(
        round_trip(many.clone(), true),
        Reply::News(vec![article(0)])
    );
    assert_eq!(
        round_trip(many, false),
        Reply::News((0..8).map(article).collect())
    );
}

#[test]
fn hostile_text_stays_well_formed() {
    let text = "a]]>b<c>&d\u{0}\u{1b}\u{7}e\u{FFFE}😀\r\n\ttab";
    let Reply::Text(back) = round_trip(Reply::text(text), true) else {
        panic!()
    };
    assert_eq!(back, "a]]>b<c>&de😀\r\n\ttab");
}

#[test]
fn exact_text_rendering() {
    let xml = Reply::text("a]]>b").to_xml("o", "gh", 5, true).unwrap();
    assert_eq!(
        xml,
        "<xml><ToUserName><![CDATA[o]]></ToUserName><FromUserName><![CDATA[gh]]></FromUserName>\
<CreateTime>5</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[a]]]]><![CDATA[>b]]></Content></xml>"
    );
}
