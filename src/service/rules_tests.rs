#![allow(clippy::unwrap_used)]

use chrono::TimeZone;
use serde_json::json;

use super::*;
use crate::service::types::{AccountNo, RequestId};

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn account(status: AccountStatus) -> Account {
    Account {
        no: AccountNo::parse("10010001").unwrap(),
        holder_masked: "*三".into(),
        address: "x".into(),
        district: "海勃湾区".into(),
        estate: "y".into(),
        area_m2: 100.0,
        status,
    }
}

fn bill(season: &str, amount: i64, paid: i64) -> Bill {
    Bill {
        season: season.into(),
        amount: Fen(amount),
        paid: Fen(paid),
        due: day(2026, 12, 31),
    }
}

fn request(kind: RequestKind, status: RequestStatus, season: &str) -> ServiceRequest {
    ServiceRequest {
        id: RequestId::parse("R2025060100001").unwrap(),
        account: AccountNo::parse("10010001").unwrap(),
        kind,
        status,
        urgent: false,
        created_at: Utc.with_ymd_and_hms(2025, 6, 1, 0, 0, 0).unwrap(),
        details: json!({ "season": season }),
        timeline: vec![],
    }
}

#[test]
fn month_days_parse_and_print() {
    let md = MonthDay::try_from("10-10".to_owned()).unwrap();
    assert_eq!(md, MonthDay::new(10, 10));
    assert_eq!(String::from(md), "10-10");
    assert!(MonthDay::try_from("13-01".to_owned()).is_err());
    assert!(MonthDay::try_from("ten".to_owned()).is_err());
}

#[test]
fn seasons_follow_the_calendar() {
    let r = Rules::default();
    assert_eq!(Season::of(day(2026, 11, 27), &r).label(), "2026-2027");
    assert_eq!(Season::of(day(2027, 3, 1), &r).label(), "2026-2027");
    assert_eq!(Season::of(day(2027, 4, 16), &r).label(), "2027-2028");
    assert_eq!(
        Season::parse("2026-2027"),
        Some(Season { start_year: 2026 })
    );
    assert_eq!(Season::parse("2026-2028"), None);
}

#[test]
fn shanghai_day_is_used_whatever_the_server_zone() {
    let late_utc = Utc.with_ymd_and_hms(2026, 10, 10, 17, 0, 0).unwrap();
    assert_eq!(today_in_shanghai(late_utc), day(2026, 10, 11));
}

#[test]
fn suspension_fee_is_the_ratio_of_the_season_charge() {
    let r = Rules::default();
    let bills = [
        bill("2026-2027", 225_000, 0),
        bill("2025-2026", 225_000, 225_000),
    ];
    let q = quote_suspension(
        &account(AccountStatus::Active),
        &bills,
        &[],
        day(2026, 9, 1),
        &r,
    )
    .unwrap();
    assert_eq!(q.fee, Fen(67_500));
    assert_eq!(q.season, "2026-2027");
    assert_eq!((q.in_a_row, q.max_in_a_row), (1, 2));
}

#[test]
fn suspension_without_a_bill_is_quoted_from_area_and_price() {
    let q = quote_suspension(
        &account(AccountStatus::Active),
        &[],
        &[],
        day(2026, 9, 1),
        &Rules::default(),
    )
    .unwrap();
    assert_eq!(q.fee, Fen(67_500));
}

#[test]
fn suspension_refusals() {
    let r = Rules::default();
    let active = account(AccountStatus::Active);
    let late = quote_suspension(&active, &[], &[], day(2026, 10, 11), &r);
    assert_eq!(
        late.unwrap_err().code(),
        "service-suspension-deadline-passed"
    );
    let owing = [bill("2025-2026", 100_000, 40_000)];
    let err = quote_suspension(&active, &owing, &[], day(2026, 9, 1), &r).unwrap_err();
    assert_eq!(
        err,
        RuleViolation::ArrearsUnpaid {
            outstanding: Fen(60_000)
        }
    );
    let lenient = Rules {
        arrears_block_suspension: false,
        ..Rules::default()
    };
    assert!(quote_suspension(&active, &owing, &[], day(2026, 9, 1), &lenient).is_ok());
    let suspended = account(AccountStatus::Suspended);
    let err = quote_suspension(&suspended, &[], &[], day(2026, 9, 1), &r).unwrap_err();
    assert_eq!(err.code(), "service-already-suspended");
}

#[test]
fn suspension_limit_counts_consecutive_seasons_only() {
    let r = Rules::default();
    let done = |s| request(RequestKind::Suspension, RequestStatus::Completed, s);
    let two = [done("2025-2026"), done("2024-2025")];
    let err = quote_suspension(
        &account(AccountStatus::Active),
        &[],
        &two,
        day(2026, 9, 1),
        &r,
    );
    assert_eq!(err.unwrap_err(), RuleViolation::SuspensionLimit { max: 2 });
    let gap = [done("2025-2026"), done("2023-2024")];
    let q = quote_suspension(
        &account(AccountStatus::Active),
        &[],
        &gap,
        day(2026, 9, 1),
        &r,
    );
    assert_eq!(q.unwrap().in_a_row, 2);
    let cancelled = [
        done("2025-2026"),
        request(
            RequestKind::Suspension,
            RequestStatus::Cancelled,
            "2024-2025",
        ),
    ];
    assert!(quote_suspension(
        &account(AccountStatus::Active),
        &[],
        &cancelled,
        day(2026, 9, 1),
        &r
    )
    .is_ok());
}

#[test]
fn resumption_quotes_fee_remaining_days_and_arrears() {
    let r = Rules::default();
    let suspended = account(AccountStatus::Suspended);
    let q = quote_resumption(&suspended, &[], &[], day(2026, 9, 1), &r).unwrap();
    assert_eq!(
        (q.opening_fee, q.heat_charge, q.total),
        (Fen(5000), Fen(0), Fen(5000))
    );
    assert_eq!(q.resumptions_left, 0);
    let mid = quote_resumption(&suspended, &[], &[], day(2027, 1, 13), &r).unwrap();
    assert!(mid.heat_charge > Fen(100_000) && mid.heat_charge < Fen(225_000 / 2 + 10_000));
    let owing = [bill("2026-2027", 67_500, 0)];
    let q = quote_resumption(&suspended, &owing, &[], day(2026, 9, 1), &r).unwrap();
    assert_eq!(q.total, Fen(72_500));
}

#[test]
fn resumption_refusals() {
    let r = Rules::default();
    let err = quote_resumption(
        &account(AccountStatus::Active),
        &[],
        &[],
        day(2026, 9, 1),
        &r,
    );
    assert_eq!(err.unwrap_err().code(), "service-not-suspended");
    let suspended = account(AccountStatus::Suspended);
    let used = [request(
        RequestKind::Resumption,
        RequestStatus::Completed,
        "2026-2027",
    )];
    let err = quote_resumption(&suspended, &[], &used, day(2026, 11, 1), &r).unwrap_err();
    assert_eq!(err.code(), "service-resumption-limit");
    let open = [request(
        RequestKind::Resumption,
        RequestStatus::AwaitingPayment,
        "2026-2027",
    )];
    let err = quote_resumption(&suspended, &[], &open, day(2026, 11, 1), &r).unwrap_err();
    assert_eq!(err, RuleViolation::RequestPending);
}

#[test]
fn area_thresholds() {
    let r = Rules::default();
    assert_eq!(judge_area_change(100.0, 104.9, &r), AreaDecision::Direct);
    assert_eq!(judge_area_change(100.0, 105.0, &r), AreaDecision::Direct);
    assert_eq!(judge_area_change(100.0, 106.0, &r), AreaDecision::Review);
    assert_eq!(judge_area_change(300.0, 309.0, &r), AreaDecision::Direct);
    assert_eq!(judge_area_change(300.0, 310.0, &r), AreaDecision::Review);
    assert_eq!(judge_area_change(100.0, 0.0, &r), AreaDecision::Absurd);
    assert_eq!(judge_area_change(100.0, 8600.0, &r), AreaDecision::Absurd);
    assert_eq!(judge_area_change(100.0, f64::NAN, &r), AreaDecision::Absurd);
}
