//! Typed, layered settings: built-in defaults, then `heatdesk.toml` (or `--config FILE`),
//! then `HEATDESK_*` environment variables.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};

pub use crate::domain::Secret;
pub use crate::nlu::NluSettings;
pub use crate::wechat::WeChatSettings;

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
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("invalid settings: {0}")]
pub struct SettingsError(#[from] Box<figment::Error>);

/// Sections whose environment variables are `HEATDESK_<SECTION>_<KEY>`.
const SECTIONS: [&str; 7] = [
    "nlu", "wechat", "service", "rules", "dialogue", "handoff", "desk",
];

impl Settings {
    /// Defaults, then `file` (or `./heatdesk.toml` when it exists), then the environment.
    pub fn load(file: Option<&Path>) -> Result<Self, SettingsError> {
        Self::figment(file)
            .extract()
            .map_err(|e| SettingsError(Box::new(e)))
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
    fn unknown_keys_are_refused() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("bad.toml", "lisen = \"127.0.0.1:9000\"\n")?;
            assert!(Settings::load(Some(Path::new("bad.toml"))).is_err());
            Ok(())
        });
    }
}
