//! Bounded property tests: the stable-toolchain stand-in for the fuzz
//! targets in `fuzz/`, run on every `cargo test`.

use proptest::prelude::*;
use wechat_mp::crypto::AesKey;
use wechat_mp::{Reply, Update};

const APPID: &str = "wxb11529c136998cb6";

fn key() -> AesKey {
    AesKey::parse(crate::SAMPLE_KEY).unwrap()
}

fn push_with(content: &str) -> String {
    let mut w = wechat_mp::xml::XmlWriter::new();
    w.text("ToUserName", "gh")
        .text("FromUserName", "o-prop")
        .number("CreateTime", 1)
        .text("MsgType", "text")
        .text("Content", content);
    w.finish()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn parsing_arbitrary_bytes_never_panics(data in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = Update::from_xml(&data);
        let _ = Reply::from_xml(&data);
    }

    #[test]
    fn parsing_xml_like_text_never_panics(text in "(<xml>|</xml>|<[A-Za-z]{1,8}>|</[A-Za-z]{1,8}>|<!\\[CDATA\\[|\\]\\]>|&[a-z]{0,5};|[^<&]{0,10}){0,40}") {
        let _ = Update::from_xml(text.as_bytes());
    }

    #[test]
    fn decrypting_arbitrary_input_never_panics(data in proptest::collection::vec(any::<u8>(), 0..600)) {
        let k = key();
        let _ = k.decrypt(&String::from_utf8_lossy(&data), APPID);
        let _ = k.decrypt(&wechat_mp::crypto::encode_base64(&data), APPID);
    }

    #[test]
    fn encryption_round_trips(msg in proptest::collection::vec(any::<u8>(), 0..300), random in any::<[u8; 16]>()) {
        let k = key();
        let sealed = k.encrypt_with(&random, &msg, APPID);
        prop_assert_eq!(k.decrypt_raw(&sealed).unwrap(), (msg, APPID.as_bytes().to_vec()));
    }

    #[test]
    fn any_user_text_survives_a_reply(text in any::<String>()) {
        let xml = Reply::text(text.clone()).to_xml("o", "gh", 1, true).unwrap();
        let Reply::Text(back) = Reply::from_xml(xml.as_bytes()).unwrap().reply else { panic!() };
        let expected: String = text.chars().filter(|c| matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)).collect();
        prop_assert_eq!(back, expected);
    }

    #[test]
    fn any_text_message_parses_back(text in any::<String>()) {
        let update = Update::from_xml(push_with(&text).as_bytes()).unwrap();
        prop_assert!(update.text().is_some());
    }
}
