//! Typed, layered settings: built-in defaults, then `heatdesk.toml` (or `--config FILE`),
//! then `HEATDESK_*` environment variables.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use fluent_bundle::FluentValue;
use serde::{Deserialize, Serialize};

use crate::handoff::OpeningHours;
use crate::i18n::Locales;
use crate::service::rules::MonthDay;

mod check;

pub use crate::domain::Secret;
pub use crate::nlu::NluSettings;
pub use crate::wechat::WeChatSettings;
pub use check::{check, CheckReport, Problem};

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Address `heatdesk serve` listens on.
    pub listen: SocketAddr,
    /// `sqlite://…` (default, a file under ./data/) or `postgres://…`.
    pub database_url: Secret,
    /// Where the intents, phrasebook and locales live.
    pub intents_dir: PathBuf,
    pub phrasebook_dir: PathBuf,
    pub locales_dir: PathBuf,
    /// Locale used when a request names none it supports.
    pub default_locale: String,
    /// Load demo data on first start (sample accounts, halls, users).
    pub demo: bool,
    pub nlu: NluSettings,
    pub wechat: WeChatSettings,
    /// The utility's service API (empty URL: the built-in one).
    pub service: crate::service::ServiceSettings,
    /// Business rules (suspension, resumption, area changes).
    pub rules: crate::service::Rules,
    /// Conversations with residents (timeout, bindings).
    pub dialogue: crate::dialogue::DialogueSettings,
    pub handoff: crate::handoff::HandoffSettings,
    pub desk: crate::desk::DeskSettings,
    /// The standardization office (review, the gate's questions, version sync).
    pub office: crate::office::OfficeSettings,
    /// Log lines as text or JSON.
    pub log: crate::telemetry::LogSettings,
    /// Whether and to whom `/metrics` is served.
    pub metrics: crate::telemetry::MetricsSettings,
    /// How long residents' personal data is kept.
    pub retention: crate::privacy::RetentionSettings,
    /// Complaint deadlines and the follow-up call.
    pub complaints: crate::complaints::ComplaintSettings,
    /// The committed standard per kind of station job, for the reports.
    pub commitments: crate::reports::CommitmentSettings,
    /// Interruptions of the heat supply (the API's token, sync, notices).
    pub incident: crate::incident::IncidentSettings,
    /// WeChat template messages for notices outside the 48-hour window.
    pub notices: crate::notify::NoticeSettings,
    /// Fee reductions for rooms below the standard and long interruptions.
    pub compensation: crate::compensation::CompensationSettings,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database_url: Secret::new("sqlite://data/heatdesk.db"),
            intents_dir: PathBuf::from("intents"),
            phrasebook_dir: PathBuf::from("phrasebook"),
            locales_dir: PathBuf::from("locales"),
            default_locale: "zh-CN".to_owned(),
            demo: true,
            nlu: NluSettings::default(),
            wechat: WeChatSettings::default(),
            service: crate::service::ServiceSettings::default(),
            rules: crate::service::Rules::default(),
            dialogue: crate::dialogue::DialogueSettings::default(),
            handoff: crate::handoff::HandoffSettings::default(),
            desk: crate::desk::DeskSettings::default(),
            office: crate::office::OfficeSettings::default(),
            log: crate::telemetry::LogSettings::default(),
            metrics: crate::telemetry::MetricsSettings::default(),
            retention: crate::privacy::RetentionSettings::default(),
            complaints: crate::complaints::ComplaintSettings::default(),
            commitments: crate::reports::CommitmentSettings::default(),
            incident: crate::incident::IncidentSettings::default(),
            notices: crate::notify::NoticeSettings::default(),
            compensation: crate::compensation::CompensationSettings::default(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("invalid settings: {0}")]
pub struct SettingsError(#[from] Box<figment::Error>);

/// Sections whose environment variables are `HEATDESK_<SECTION>_<KEY>`.
const SECTIONS: [&str; 16] = [
    "nlu",
    "wechat",
    "service",
    "rules",
    "dialogue",
    "handoff",
    "desk",
    "office",
    "log",
    "metrics",
    "retention",
    "complaints",
    "commitments",
    "incident",
    "notices",
    "compensation",
];

impl Settings {
    /// Defaults, then `file` (or `./heatdesk.toml` when it exists), then the environment.
    pub fn load(file: Option<&Path>) -> Result<Self, SettingsError> {
        let settings: Self = Self::figment(file)
            .extract()
            .map_err(|e| SettingsError(Box::new(e)))?;
        // Money is computed from these: a band overlapping another would pay one day
        // twice, so they are refused at load, not only by `config check`.
        if let Some((key, why)) = settings.compensation.problems().into_iter().next() {
            let e = figment::Error::from(format!("{key}: {why}"));
            return Err(SettingsError(Box::new(e)));
        }
        Ok(settings)
    }

    fn figment(file: Option<&Path>) -> Figment {
        let mut fig = Figment::from(Serialized::defaults(Settings::default()));
        fig = match file {
            Some(path) => fig.merge(Toml::file_exact(path)),
            None => fig.merge(Toml::file("heatdesk.toml")),
        };
        // HEATDESK_TEST_* belong to the test suite (which backends are mandatory…), not to
        // the settings: without this, CI's variables would be refused as unknown keys.
        let env = Env::prefixed("HEATDESK_")
            .filter(|key| !key.as_str().to_ascii_lowercase().starts_with("test_"));
        fig.merge(env.map(|key| {
            let key = key.as_str().to_ascii_lowercase();
            SECTIONS
                .iter()
                .find_map(|s| {
                    key.strip_prefix(s)
                        .and_then(|rest| rest.strip_prefix('_'))
                        .map(|rest| format!("{s}.{rest}"))
                })
                .unwrap_or(key)
                .into()
        }))
    }

    pub fn is_postgres(&self) -> bool {
        self.database_url.expose().starts_with("postgres")
    }

    /// The facts these settings own, as the replies' placeholders render them (in the
    /// default locale): the rules' deadlines, fees and limits and the desk's hours. They are
    /// never written in `phrasebook/facts.toml`, so a changed setting is what residents read.
    pub fn owned_facts(&self, locales: &Locales) -> BTreeMap<String, String> {
        let loc = self.default_locale.as_str();
        let text = |id: &str, args: &[(&str, String)]| {
            let args: Vec<(&str, FluentValue<'_>)> = args
                .iter()
                .map(|(k, v)| (*k, FluentValue::from(v.clone())))
                .collect();
            locales.text(loc, id, &args)
        };
        let day = |d: MonthDay| {
            text(
                "fact-month-day",
                &[("month", d.month.to_string()), ("day", d.day.to_string())],
            )
        };
        let r = &self.rules;
        let end = if r.season_end.month < r.season_start.month {
            let args = [
                ("month", r.season_end.month.to_string()),
                ("day", r.season_end.day.to_string()),
            ];
            text("fact-next-year-month-day", &args)
        } else {
            day(r.season_end)
        };
        let mut facts = BTreeMap::new();
        facts.insert("suspension_deadline", day(r.suspension_deadline));
        facts.insert("season_start", day(r.season_start));
        facts.insert("season_end", end);
        facts.insert("service_hours", desk_hours(&self.handoff.hours, &text));
        facts.insert(
            "suspension_fee",
            text(
                "fact-suspension-fee",
                &[("percent", number(r.suspension_fee_ratio * 100.0))],
            ),
        );
        facts.insert(
            "suspension_limit",
            text(
                "fact-suspension-limit",
                &[
                    ("resumptions", r.max_resumptions_per_season.to_string()),
                    ("suspensions", r.max_suspensions_in_a_row.to_string()),
                ],
            ),
        );
        facts.insert(
            "resumption_fee",
            text(
                "fact-resumption-fee",
                &[("yuan", yuan(r.resumption_fee_fen))],
            ),
        );
        facts.insert(
            "residential_price",
            text(
                "fact-residential-price",
                &[("yuan", yuan(r.price_fen_per_m2))],
            ),
        );
        facts.insert(
            "area_review_threshold",
            text(
                "fact-area-review-threshold",
                &[
                    ("percent", number(r.area_direct_max_pct)),
                    ("m2", number(r.area_direct_max_m2)),
                ],
            ),
        );
        facts.insert(
            "indoor_temp_standard",
            text(
                "fact-indoor-temp-standard",
                &[("celsius", number(r.indoor_min_celsius))],
            ),
        );
        facts.insert("compensation_rules", compensation_rules(self, &text));
        let c = &self.complaints;
        facts.insert(
            "complaint_response_time",
            text(
                "fact-complaint-response-time",
                &[
                    ("hours", c.contact_within_hours.to_string()),
                    ("days", c.resolve_within_days.to_string()),
                ],
            ),
        );
        facts.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
    }
}

/// A Fluent message of the default locale, with its arguments as text.
type Text<'a> = dyn Fn(&str, &[(&str, String)]) -> String + 'a;

/// `[compensation]` as residents read it: each band's reduction, coldest first, and the
/// interruption rule, so a changed band changes every reply that cites it.
fn compensation_rules(s: &Settings, text: &Text<'_>) -> String {
    let mut bands = s.compensation.bands.clone();
    bands.sort_by(|a, b| a.to_celsius.total_cmp(&b.to_celsius));
    let sep = text("fact-compensation-separator", &[]);
    let bands: Vec<String> = bands
        .iter()
        .map(|b| {
            let (to, percent) = (number(b.to_celsius), number(b.percent));
            match b.from_celsius {
                Some(from) => text(
                    "fact-compensation-band",
                    &[("from", number(from)), ("to", to), ("percent", percent)],
                ),
                None => text(
                    "fact-compensation-band-below",
                    &[("to", to), ("percent", percent)],
                ),
            }
        })
        .collect();
    text(
        "fact-compensation-rules",
        &[
            ("bands", bands.join(&sep)),
            (
                "hours",
                s.compensation.interruption_threshold_hours.to_string(),
            ),
            ("percent", number(s.compensation.interruption_percent)),
            ("standard", number(s.rules.indoor_min_celsius)),
        ],
    )
}

/// The desk's days and hours as residents read them ("Monday to Sunday 8:00-18:00").
fn desk_hours(hours: &OpeningHours, text: &Text<'_>) -> String {
    let mut days = hours.days.clone();
    days.sort_unstable();
    days.dedup();
    let days = if days == [1, 2, 3, 4, 5, 6, 7] {
        text("fact-days-all", &[])
    } else if days == [1, 2, 3, 4, 5] {
        text("fact-days-weekdays", &[])
    } else {
        let sep = text("fact-days-separator", &[]);
        days.iter()
            .map(|d| text(&format!("fact-weekday-{d}"), &[]))
            .collect::<Vec<_>>()
            .join(&sep)
    };
    if hours.open == hours.close {
        return text("fact-hours-around-the-clock", &[("days", days)]);
    }
    // "08:00" reads "8:00".
    let clock = |t: &str| {
        t.strip_prefix('0')
            .filter(|r| r.len() == 4)
            .unwrap_or(t)
            .to_owned()
    };
    text(
        "fact-hours",
        &[
            ("days", days),
            ("open", clock(&hours.open)),
            ("close", clock(&hours.close)),
        ],
    )
}

/// Yuan from fen, without trailing zeros: 5000 → "50", 2250 → "22.5".
fn yuan(fen: i64) -> String {
    number(fen as f64 / 100.0)
}

/// A number as written in a reply: 30.0 → "30", 2.5 → "2.5".
fn number(x: f64) -> String {
    let s = format!("{x:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

#[cfg(test)]
#[allow(clippy::result_large_err)] // figment::Jail's closures return its large error type
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?}"), "\"***\"");
    }

    #[test]
    fn layers_apply_in_order() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "custom.toml",
                "listen = \"127.0.0.1:9000\"\n[nlu]\ncandidates = 5\n",
            )?;
            jail.set_env("HEATDESK_NLU_CANDIDATES", "7");
            jail.set_env("HEATDESK_WECHAT_APPID", "wx123");
            jail.set_env("HEATDESK_TEST_REQUIRE_POSTGRES", "1");
            let s = Settings::load(Some(Path::new("custom.toml"))).map_err(|e| e.to_string())?;
            assert_eq!(s.listen.port(), 9000);
            assert_eq!(s.nlu.candidates, 7);
            assert_eq!(s.wechat.appid, "wx123");
            Ok(())
        });
    }

    #[test]
    fn complaint_deadlines_come_from_the_environment_and_config_check_refuses_zero() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("HEATDESK_COMPLAINTS_RESOLVE_WITHIN_DAYS", "10");
            jail.set_env("HEATDESK_COMPLAINTS_CONTACT_WITHIN_HOURS", "0");
            let s = Settings::load(None).map_err(|e| e.to_string())?;
            assert_eq!(s.complaints.resolve_within_days, 10);
            let problems = s.complaints.problems();
            assert_eq!(problems.len(), 1, "{problems:?}");
            assert_eq!(problems[0].0, "complaints.contact_within_hours");
            Ok(())
        });
    }

    #[test]
    fn unknown_keys_are_refused() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("bad.toml", "lisen = \"127.0.0.1:9000\"\n")?;
            assert!(Settings::load(Some(Path::new("bad.toml"))).is_err());
            Ok(())
        });
    }
}
