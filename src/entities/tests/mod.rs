//! Entity extraction against the real `intents/lexicon.toml`. "Now" is Thursday
//! 2026-11-26, 10:00 in Wuhai, unless a test says otherwise.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use chrono::{DateTime, NaiveDate, TimeZone};
use chrono_tz::Tz;

use super::*;

mod dates;
mod lexicon_file;

pub(super) fn lexicon_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("intents/lexicon.toml")
}

pub(super) fn lex() -> &'static Lexicon {
    static LEX: OnceLock<Lexicon> = OnceLock::new();
    LEX.get_or_init(|| Lexicon::load(&lexicon_path()).expect("the shipped lexicon loads"))
}

pub(super) fn now() -> DateTime<Tz> {
    UTILITY_TZ.with_ymd_and_hms(2026, 11, 26, 10, 0, 0).unwrap()
}

pub(super) fn ex(text: &str) -> Entities {
    lex().extract(text, now())
}

pub(super) fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

pub(super) fn dates(text: &str) -> Vec<NaiveDate> {
    ex(text).dates.iter().map(|m| m.date).collect()
}

fn accounts(e: &Entities) -> Vec<&str> {
    e.account_nos.iter().map(|a| a.as_str()).collect()
}

fn phones(e: &Entities) -> Vec<&str> {
    e.phones.iter().map(|p| p.as_str()).collect()
}

#[test]
fn the_shipped_lexicon_checks_clean() {
    let diags = check(&lexicon_path());
    assert!(diags.is_empty(), "{diags:#?}");
}

#[test]
fn several_slots_in_one_message_are_all_found() {
    let e = ex("我是1020304050，明天上午有人在家");
    assert_eq!(accounts(&e), ["1020304050"]);
    assert_eq!(
        e.dates,
        [DateMention {
            date: d(2026, 11, 27),
            in_past: false
        }]
    );
    assert_eq!(e.time_of_day, Some(TimeOfDay::Morning));
    assert!(e.phones.is_empty() && !e.yes && !e.no && !e.cancel && !e.correction);

    let e = ex("户主张三，电话13912345678，住乌达区三道坎小区，面积85平，交了2000元");
    assert_eq!(e.names, [PersonName::parse("张三").unwrap()]);
    assert_eq!(phones(&e), ["13912345678"]);
    assert!(e.account_nos.is_empty());
    assert_eq!(e.districts, ["乌达区"]);
    assert_eq!(e.estates, ["三道坎小区"]);
    assert_eq!(e.areas_m2, [85.0]);
    assert_eq!(e.money, [Fen(200_000)]);
}

#[test]
fn an_unrelated_question_carries_nothing() {
    for text in ["你们营业厅几点关门", "暖气不热怎么办", "取暖费多少钱一平"]
    {
        let e = ex(text);
        assert_eq!(e, Entities::default(), "{text}");
        assert!(e.has_no_values());
    }
}

#[test]
fn a_correction_carries_the_new_value() {
    let e = ex("不对，是明天下午");
    assert!(e.correction && e.no && !e.yes);
    assert_eq!(dates("不对，是明天下午"), [d(2026, 11, 27)]);
    assert_eq!(e.time_of_day, Some(TimeOfDay::Afternoon));

    for text in ["不是明天，是后天", "是后天，不是明天", "改成后天"] {
        let e = ex(text);
        assert!(e.correction, "{text}");
        assert_eq!(dates(text), [d(2026, 11, 28)], "{text}");
    }
    let e = ex("不是上午，是下午");
    assert_eq!(e.time_of_day, Some(TimeOfDay::Afternoon));
    let e = ex("户号不是1020304050，是1020304051");
    assert_eq!(accounts(&e), ["1020304051"]);
    assert!(e.correction);
    assert!(!ex("明天下午").correction);
}

#[test]
fn a_time_the_resident_is_away_is_dropped_but_the_day_stays() {
    let e = ex("明天上午不在家，下午在");
    assert_eq!(dates("明天上午不在家，下午在"), [d(2026, 11, 27)]);
    assert_eq!(e.time_of_day, Some(TimeOfDay::Afternoon));
    assert!(!e.correction);
    let e = ex("明天不在家，后天一天都在");
    assert_eq!(dates("明天不在家，后天一天都在"), [d(2026, 11, 28)]);
    assert_eq!(e.time_of_day, Some(TimeOfDay::AllDay));
}

#[test]
fn cancelling_is_recognised_anywhere_unless_negated() {
    for text in [
        "算了",
        "取消",
        "不办了",
        "那先不办了吧",
        "算了算了，不弄了",
        "CANCEL",
    ] {
        assert!(ex(text).cancel, "{text}");
    }
    for text in ["不要取消", "明天上午", "好的"] {
        assert!(!ex(text).cancel, "{text}");
    }
}

#[test]
fn yes_and_no_are_whole_clauses() {
    for text in [
        "好的",
        "是的",
        "嗯嗯",
        "OK",
        "ｏｋ",
        "可以可以",
        "没问题，谢谢",
        "对，明天上午",
    ] {
        let e = ex(text);
        assert!(e.yes && !e.no, "{text}");
    }
    for text in ["不用了", "不是", "不需要，谢谢", "no"] {
        let e = ex(text);
        assert!(e.no && !e.yes, "{text}");
    }
    for text in ["我是1020304050", "好像不热", "可以在网上交吗", "不是很热"] {
        let e = ex(text);
        assert!(!e.yes && !e.no, "{text}");
    }
}

#[test]
fn phone_or_account() {
    let e = ex("13912345678");
    assert_eq!(phones(&e), ["13912345678"]);
    assert!(e.account_nos.is_empty());
    // Starts like no mobile does: an account number.
    assert_eq!(accounts(&ex("10203040506")), ["10203040506"]);
    // A mobile's shape after an account cue is an account.
    let e = ex("户号：13912345678");
    assert_eq!(accounts(&e), ["13912345678"]);
    assert!(e.phones.is_empty());
    let e = ex("电话13912345678，户号1020304050");
    assert_eq!(
        (phones(&e), accounts(&e)),
        (vec!["13912345678"], vec!["1020304050"])
    );
    let e = ex("座机0473-3961234");
    assert_eq!(phones(&e), ["0473-3961234"]);
    assert!(e.account_nos.is_empty());
    for text in ["1234567", "1020304050607", "139123456789"] {
        let e = ex(text);
        assert!(e.phones.is_empty(), "{text}");
        assert_eq!(e.account_nos.len(), usize::from(text.len() == 12), "{text}");
    }
}

#[test]
fn the_last_four_digits_of_a_phone() {
    assert_eq!(ex("尾号5678").phone_last4.as_deref(), Some("5678"));
    assert_eq!(ex("手机后四位是 0473").phone_last4.as_deref(), Some("0473"));
    assert_eq!(ex("5678").phone_last4.as_deref(), Some("5678"));
    assert_eq!(ex("5678。").phone_last4.as_deref(), Some("5678"));
    assert_eq!(ex("我家5678").phone_last4, None);
    assert_eq!(ex("56789").phone_last4, None);
}

#[test]
fn phone_numbers_are_validated_and_masked() {
    let p = PhoneNumber::parse("13912345678").unwrap();
    assert!(p.is_mobile());
    assert_eq!(p.masked(), "*******5678");
    assert_eq!(p.last4(), "5678");
    let l = PhoneNumber::parse("0473 3961234").unwrap();
    assert_eq!(l.as_str(), "0473-3961234");
    assert_eq!(l.masked(), "****-***1234");
    assert!(!l.is_mobile());
    for bad in [
        "12912345678",
        "1391234567",
        "04733961234",
        "473-3961234",
        "0473-39612",
        "abc",
    ] {
        assert_eq!(PhoneNumber::parse(bad), Err(EntityError::Phone), "{bad}");
    }
}

#[test]
fn names_after_a_cue() {
    let names = |t: &str| {
        ex(t)
            .names
            .iter()
            .map(|n| n.to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(names("我叫张三"), ["张三"]);
    assert_eq!(names("户主是王小明，明天在家"), ["王小明"]);
    assert_eq!(names("户主姓名是李四"), ["李四"]);
    assert_eq!(names("我叫张三明天在家"), ["张三"]);
    assert_eq!(names("名字是：欧阳娜娜"), ["欧阳娜娜"]);
    assert!(names("我叫abc").is_empty());
    assert!(names("张三").is_empty());
    assert!(PersonName::parse("张").is_err());
    assert!(PersonName::parse("欧阳娜娜娜").is_err());
    assert!(PersonName::parse("Zhang").is_err());
}

#[test]
fn areas_in_square_metres() {
    let areas = |t: &str| ex(t).areas_m2;
    assert_eq!(areas("85平"), [85.0]);
    assert_eq!(areas("85.5平米"), [85.5]);
    assert_eq!(areas("面积是85平方米，不是95平"), [85.0]);
    assert_eq!(areas("85㎡"), [85.0]);
    assert_eq!(areas("120 m²"), [120.0]);
    assert_eq!(areas("90个平方"), [90.0]);
    let e = ex("1020304050平");
    assert!(e.account_nos.is_empty());
}

#[test]
fn money_in_fen() {
    assert_eq!(ex("200元").money, [Fen(20_000)]);
    assert_eq!(ex("交了12.5块钱").money, [Fen(1_250)]);
    assert_eq!(ex("3000块").money, [Fen(300_000)]);
    assert!(ex("200").money.is_empty());
}

#[test]
fn districts_and_estates_by_any_alias() {
    let e = ex("我住海区，哦不对，海勃湾区滨河花园");
    assert_eq!(e.districts, ["海勃湾区"]);
    assert_eq!(e.estates, ["滨河花园"]);
    assert_eq!(ex("乌达那边").districts, ["乌达区"]);
    assert_eq!(ex("海南区和乌达").districts, ["海南区", "乌达区"]);
    assert_eq!(ex("公乌素").estates, ["公乌素小区"]);
    assert_eq!(ex("不是海南区，是乌达区").districts, ["乌达区"]);
    assert_eq!(lex().district_of_estate("拉僧庙小区"), Some("海南区"));
    assert_eq!(lex().district_of_estate("没有这个小区"), None);
}

#[test]
fn choices_in_answer_to_a_numbered_question() {
    assert_eq!(ex("2").choice, Some(2));
    assert_eq!(ex("第三个").choice, Some(3));
    assert_eq!(ex("我选第一个吧").choice, Some(1));
    assert_eq!(ex("12").choice, None);
    assert_eq!(ex("我要2个暖气片").choice, None);
}
