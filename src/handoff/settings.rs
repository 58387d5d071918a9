//! Escalation rules and desk hours (`[handoff]`, `HEATDESK_HANDOFF_*`).

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, NaiveTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::EscalationReason;
use crate::entities::UTILITY_TZ;

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct HandoffSettings {
    /// Escalation reasons that open a handoff; the others are only recorded.
    pub reasons: Vec<EscalationReason>,
    /// Queue priority per reason: higher is served first, then the oldest.
    pub priority: BTreeMap<EscalationReason, i64>,
    /// Unanswered clarifications after which a person is asked to help.
    pub failed_clarifications: u32,
    /// Messages with negative words in one conversation that hand it over (0: never).
    pub negative_messages: u32,
    /// Hand the resident to WeChat's own customer-service tool (`transfer_customer_service`)
    /// instead of heatdesk's desk.
    pub transfer_customer_service: bool,
    /// The WeChat customer-service account to transfer to (empty: any).
    pub kf_account: String,
    pub hours: OpeningHours,
    /// Minutes an agent spends on a case, for the wait the resident is told.
    pub minutes_per_case: u32,
    /// Customer-service messages WeChat allows per resident message, and how long after.
    pub kf_quota: u32,
    pub kf_window_hours: u32,
}

impl Default for HandoffSettings {
    fn default() -> Self {
        Self {
            reasons: EscalationReason::ALL.to_vec(),
            priority: EscalationReason::ALL
                .into_iter()
                .map(|r| {
                    let p = match r {
                        EscalationReason::Urgent => 30,
                        EscalationReason::Complaint => 20,
                        EscalationReason::Negative => 15,
                        _ => 10,
                    };
                    (r, p)
                })
                .collect(),
            failed_clarifications: 2,
            negative_messages: 2,
            transfer_customer_service: false,
            kf_account: String::new(),
            hours: OpeningHours::default(),
            minutes_per_case: 3,
            kf_quota: 5,
            kf_window_hours: 48,
        }
    }
}

impl HandoffSettings {
    pub fn opens(&self, reason: EscalationReason) -> bool {
        self.reasons.contains(&reason)
    }

    pub fn priority_of(&self, reason: EscalationReason) -> i64 {
        self.priority.get(&reason).copied().unwrap_or(10)
    }
}

/// When agents are at their desks, in the utility's time zone.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct OpeningHours {
    /// "HH:MM".
    pub open: String,
    pub close: String,
    /// ISO weekdays (1 = Monday … 7 = Sunday) the desk works.
    pub days: Vec<u32>,
}

impl Default for OpeningHours {
    fn default() -> Self {
        Self {
            open: "08:00".to_owned(),
            close: "18:00".to_owned(),
            days: (1..=7).collect(),
        }
    }
}

impl OpeningHours {
    fn times(&self) -> (NaiveTime, NaiveTime) {
        let parse = |s: &str, d: NaiveTime| NaiveTime::parse_from_str(s, "%H:%M").unwrap_or(d);
        let open = NaiveTime::from_hms_opt(8, 0, 0).unwrap_or_default();
        let close = NaiveTime::from_hms_opt(18, 0, 0).unwrap_or_default();
        (parse(&self.open, open), parse(&self.close, close))
    }

    /// Refuses hours that cannot be read, at start rather than at the first handoff.
    pub fn validate(&self) -> Result<(), String> {
        for t in [&self.open, &self.close] {
            NaiveTime::parse_from_str(t, "%H:%M")
                .map_err(|_| format!("handoff.hours: `{t}` is not HH:MM"))?;
        }
        if self.days.iter().any(|d| !(1..=7).contains(d)) {
            return Err("handoff.hours.days: weekdays are 1 (Monday) to 7 (Sunday)".to_owned());
        }
        Ok(())
    }

    /// Open and close at the same time: around the clock on the working days.
    pub fn is_open(&self, at: DateTime<Utc>) -> bool {
        let local = at.with_timezone(&UTILITY_TZ);
        let (open, close) = self.times();
        let day = local.weekday().number_from_monday();
        let t = local.time();
        self.days.contains(&day) && (open == close || (t >= open && t < close))
    }

    /// The next time the desk opens after `at` (within a week), in the utility's zone.
    pub fn next_opening(&self, at: DateTime<Utc>) -> Option<DateTime<chrono_tz::Tz>> {
        let local = at.with_timezone(&UTILITY_TZ);
        let (open, _) = self.times();
        (0..=7).find_map(|d| {
            let date = local.date_naive() + chrono::Days::new(d);
            let candidate = UTILITY_TZ
                .from_local_datetime(&date.and_time(open))
                .earliest()?;
            let day = candidate.weekday().number_from_monday();
            (candidate > local && self.days.contains(&day)).then_some(candidate)
        })
    }
}
