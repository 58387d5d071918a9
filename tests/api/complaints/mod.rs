//! Complaint cases: lodged by the dialogue or marked by an agent, worked at the desk against
//! deadlines that a clock the tests control moves past, closed and followed up; and the
//! read-only manager role.
#![allow(clippy::unwrap_used)]

mod browser_test;
mod case_test;
mod desk_test;
mod migration_test;
pub(crate) mod reports_test;

use chrono::{DateTime, TimeZone, Utc};
use heatdesk::config::{Secret, Settings};

use crate::desk::desk_app_with;
use crate::helpers::{fresh_postgres, TestApp};

/// Deadlines unlike the defaults, so a reply that copied the defaults would show.
pub fn deadlines(s: &mut Settings) {
    s.complaints.contact_within_hours = 12;
    s.complaints.resolve_within_days = 5;
    s.complaints.due_soon_hours = 2;
    s.complaints.follow_up_after_days = 2;
    // The tests sweep themselves.
    s.complaints.overdue_check_secs = 0;
}

/// The desk on SQLite, and on PostgreSQL when it is reachable.
pub async fn apps() -> Vec<(TestApp, wechat_mp::testing::FakeWeChat)> {
    let mut out = vec![desk_app_with(deadlines).await];
    if let Some(url) = fresh_postgres().await {
        out.push(
            desk_app_with(|s| {
                deadlines(s);
                s.database_url = Secret::new(url);
            })
            .await,
        );
    }
    out
}

/// 17:30 UTC on 3 December: already 4 December in Asia/Shanghai.
pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 3, 17, 30, 0).unwrap()
}
