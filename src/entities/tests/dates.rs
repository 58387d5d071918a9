//! Dates and days, from a Thursday, and across the time-zone boundary.
#![allow(clippy::unwrap_used)]

use chrono::TimeZone;

use super::{d, dates, ex, lex};
use crate::entities::{DateMention, UTILITY_TZ};

#[test]
fn relative_days() {
    assert_eq!(dates("今天"), [d(2026, 11, 26)]);
    assert_eq!(dates("今儿下午"), [d(2026, 11, 26)]);
    assert_eq!(dates("明儿"), [d(2026, 11, 27)]);
    assert_eq!(dates("后天"), [d(2026, 11, 28)]);
    assert_eq!(dates("大后天"), [d(2026, 11, 29)]);
    let e = ex("昨天");
    assert_eq!(
        e.dates,
        [DateMention {
            date: d(2026, 11, 25),
            in_past: true
        }]
    );
    assert!(!ex("今天").dates[0].in_past);
    assert_eq!(
        dates("今天不行，明天或者后天"),
        [d(2026, 11, 27), d(2026, 11, 28)]
    );
}

#[test]
fn weekdays_from_a_thursday() {
    assert_eq!(dates("周三"), [d(2026, 12, 2)]);
    assert_eq!(dates("星期四"), [d(2026, 11, 26)]);
    assert_eq!(dates("礼拜五"), [d(2026, 11, 27)]);
    assert_eq!(dates("周日"), [d(2026, 11, 29)]);
    assert_eq!(dates("下周一"), [d(2026, 11, 30)]);
    assert_eq!(dates("下周四上午"), [d(2026, 12, 3)]);
    assert_eq!(dates("下个星期天"), [d(2026, 12, 6)]);
    assert_eq!(dates("下礼拜三"), [d(2026, 12, 2)]);
    assert_eq!(dates("下周星期二"), [d(2026, 12, 1)]);
    let e = ex("这周一");
    assert_eq!(
        e.dates,
        [DateMention {
            date: d(2026, 11, 23),
            in_past: true
        }]
    );
    assert!(dates("下周").is_empty());
}

#[test]
fn calendar_dates() {
    let past = ex("11月5号");
    assert_eq!(
        past.dates,
        [DateMention {
            date: d(2026, 11, 5),
            in_past: true
        }]
    );
    assert_eq!(dates("十一月五号"), [d(2026, 11, 5)]);
    assert_eq!(dates("11月5日上午"), [d(2026, 11, 5)]);
    assert_eq!(dates("11-05"), [d(2026, 11, 5)]);
    assert_eq!(dates("2026-11-05"), [d(2026, 11, 5)]);
    assert_eq!(dates("2027年1月3号"), [d(2027, 1, 3)]);
    assert_eq!(dates("12月1日"), [d(2026, 12, 1)]);
    assert!(!ex("12月1日").dates[0].in_past);
    assert_eq!(dates("二十八号"), [d(2026, 11, 28)]);
    assert_eq!(dates("30号"), [d(2026, 11, 30)]);
    let this_month = ex("5号");
    assert_eq!(
        this_month.dates,
        [DateMention {
            date: d(2026, 11, 5),
            in_past: true
        }]
    );
}

#[test]
fn a_date_without_a_year_across_new_year_is_next_year() {
    // The heating season spans the new year: in December, "1月5号" is weeks ahead.
    let december = UTILITY_TZ.with_ymd_and_hms(2026, 12, 20, 9, 0, 0).unwrap();
    let e = lex().extract("1月5号", december);
    assert_eq!(
        e.dates,
        [DateMention {
            date: d(2027, 1, 5),
            in_past: false
        }]
    );
}

#[test]
fn what_is_not_a_date() {
    for text in ["31号", "2月30号", "3号楼2单元", "等1-2天", "11月"] {
        assert!(dates(text).is_empty(), "{text}: {:?}", dates(text));
    }
}

#[test]
fn today_is_today_in_shanghai_whatever_the_server_zone() {
    // 17:30 UTC on the 26th is already 01:30 on the 27th in Wuhai.
    let utc_now = chrono_tz::UTC
        .with_ymd_and_hms(2026, 11, 26, 17, 30, 0)
        .unwrap();
    let e = lex().extract("今天", utc_now);
    assert_eq!(
        e.dates,
        [DateMention {
            date: d(2026, 11, 27),
            in_past: false
        }]
    );
    let e = lex().extract("明天", utc_now);
    assert_eq!(e.dates[0].date, d(2026, 11, 28));
    let e = lex().extract("26号", utc_now);
    assert!(e.dates[0].in_past);
    // One minute before midnight in Wuhai it is still the 26th.
    let before = chrono_tz::UTC
        .with_ymd_and_hms(2026, 11, 26, 15, 59, 0)
        .unwrap();
    assert_eq!(lex().extract("今天", before).dates[0].date, d(2026, 11, 26));
}
