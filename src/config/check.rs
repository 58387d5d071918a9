//! `heatdesk config check`: the settings as `serve` would load them, secrets hidden, and
//! every problem named by its key and where it was set (`file:line`, or the environment
//! variable).

use std::fmt;
use std::path::{Path, PathBuf};

use figment::providers::Serialized;
use figment::value::Value;
use figment::{Figment, Metadata, Source};

use super::Settings;
use crate::domain::{url_without_password, with_secrets_hidden};

/// What `config check` found.
#[derive(Debug, Default)]
pub struct CheckReport {
    /// The effective settings as TOML, secrets hidden; `None` when they cannot be read.
    pub effective: Option<String>,
    pub problems: Vec<Problem>,
    /// Worth knowing, not wrong (a feature left off by what is set).
    pub notes: Vec<String>,
}

/// One setting that stops heatdesk from running as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The setting's dotted name (`wechat.aes_key`).
    pub key: String,
    /// `file:line`, the environment variable, or `default`.
    pub source: String,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.key.is_empty() {
            write!(f, "{}: {}", self.source, self.message)
        } else {
            write!(f, "{}: {}: {}", self.source, self.key, self.message)
        }
    }
}

/// Loads the settings as `Settings::load` does and checks them.
pub fn check(file: Option<&Path>) -> CheckReport {
    let figment = Settings::figment(file);
    let file = file
        .map(Path::to_path_buf)
        .or_else(|| Some(PathBuf::from("heatdesk.toml")).filter(|p| p.exists()));
    let sources = Sources::new(file);
    let mut report = CheckReport::default();
    let (settings, errors) = extract_all(&figment);
    for (path, message) in errors {
        let key = path.join(".");
        let source = sources.of(&path, figment.find_metadata(&key));
        report.problems.push(Problem {
            key,
            source,
            message,
        });
    }
    let Some(settings) = settings else {
        return report;
    };
    for (key, message) in settings.problems() {
        let path: Vec<String> = key.split('.').map(str::to_owned).collect();
        report.problems.push(Problem {
            source: sources.of(&path, figment.find_metadata(key)),
            key: key.to_owned(),
            message,
        });
    }
    report.notes = settings.notes();
    // Shown only when every value was read: a default standing in for a bad value would
    // pass for the effective one.
    if report.problems.is_empty() {
        report.effective = Some(render(&settings));
    }
    report
}

/// Every key that cannot be read, not only the first: each bad value is set aside (an
/// unknown key removed, a wrong value replaced by its default) and the rest read again.
/// Returns the settings so read, for the checks of what the values mean.
fn extract_all(figment: &Figment) -> (Option<Settings>, Vec<(Vec<String>, String)>) {
    let mut value = match figment.extract::<Value>() {
        Ok(v) => v,
        Err(e) => return (None, vec![(e.path.clone(), e.kind.to_string())]),
    };
    let defaults = Value::serialize(Settings::default()).ok();
    let mut errors: Vec<(Vec<String>, String)> = Vec::new();
    // Each round sets one value aside; a value that cannot be set aside ends the search.
    for _ in 0..100 {
        let e = match Figment::from(Serialized::defaults(&value)).extract::<Settings>() {
            Ok(settings) => return (Some(settings), errors),
            Err(e) => e,
        };
        let path = e.path.clone();
        let fixed = errors.iter().all(|(p, _)| *p != path)
            && set_aside(&mut value, &path, defaults.as_ref());
        errors.push((path, e.kind.to_string()));
        if !fixed {
            break;
        }
    }
    (None, errors)
}

/// Replaces the value at `path` by its default, or removes it when it has none (an
/// unknown key).
fn set_aside(value: &mut Value, path: &[String], defaults: Option<&Value>) -> bool {
    let Some((last, parents)) = path.split_last() else {
        return false;
    };
    let mut dict = match value {
        Value::Dict(_, d) => d,
        _ => return false,
    };
    for key in parents {
        dict = match dict.get_mut(key) {
            Some(Value::Dict(_, d)) => d,
            _ => return false,
        };
    }
    match defaults.and_then(|d| d.find_ref(&path.join("."))) {
        Some(default) => dict.insert(last.clone(), default.clone()).is_some(),
        None => dict.remove(last).is_some(),
    }
}

/// The settings as TOML with every secret shown as `***` and the database URL without
/// its password.
fn render(settings: &Settings) -> String {
    let value = with_secrets_hidden(|| toml::Value::try_from(settings));
    let mut value = match value {
        Ok(v) => v,
        Err(e) => return format!("# the settings cannot be shown as TOML: {e}\n"),
    };
    if let Some(table) = value.as_table_mut() {
        let url = url_without_password(settings.database_url.expose());
        table.insert("database_url".to_owned(), toml::Value::String(url));
    }
    toml::to_string_pretty(&value).unwrap_or_default()
}

impl Settings {
    /// Values of the right type that still cannot work, by setting name.
    fn problems(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        let url = self.database_url.expose();
        let known = ["sqlite:", "postgres://", "postgresql://"];
        if !known.iter().any(|k| url.starts_with(k)) {
            let scheme = url.split_once(':').map_or(url, |(s, _)| s);
            out.push((
                "database_url",
                format!("unknown scheme `{scheme}`: expected sqlite:// or postgres://"),
            ));
        }
        out.extend(self.wechat_problems());
        if let Err(e) = self.handoff.hours.validate() {
            out.push(("handoff.hours", e.to_string()));
        }
        out.extend(self.complaints.problems());
        out.extend(self.commitments.problems());
        out.extend(self.notices.problems());
        if self.service.url.is_empty() && !self.demo && self.service.token.is_empty() {
            out.push((
                "service.token",
                "empty outside demo mode: the built-in service API (/api/service/v1) would \
                 answer anyone (`serve` refuses to start)"
                    .to_owned(),
            ));
        }
        for (key, value) in [
            ("service.url", &self.service.url),
            ("wechat.api_base", &self.wechat.api_base),
        ] {
            if !value.is_empty() && !value.starts_with("http://") && !value.starts_with("https://")
            {
                out.push((key, format!("`{value}` is not an http:// or https:// URL")));
            }
        }
        for (key, dir) in [
            ("intents_dir", &self.intents_dir),
            ("phrasebook_dir", &self.phrasebook_dir),
            ("locales_dir", &self.locales_dir),
        ] {
            if !dir.is_dir() {
                out.push((key, format!("{} is not a directory", dir.display())));
            }
        }
        if self.locales_dir.is_dir() && !self.locales_dir.join(&self.default_locale).is_dir() {
            out.push((
                "default_locale",
                format!(
                    "no locale `{}` in {}",
                    self.default_locale,
                    self.locales_dir.display()
                ),
            ));
        }
        out
    }

    fn wechat_problems(&self) -> Vec<(&'static str, String)> {
        let w = &self.wechat;
        let mut out = Vec::new();
        if w.appid.is_empty() && !w.app_secret.is_empty() {
            out.push((
                "wechat.appid",
                "empty while wechat.app_secret is set: the secret belongs to an AppID".to_owned(),
            ));
        }
        if let Some(Err(e)) = crate::wechat::config(w).map(|c| c.validate()) {
            let key = match e {
                wechat_mp::ConfigError::MissingAppId => "wechat.appid",
                wechat_mp::ConfigError::MissingToken => "wechat.token",
                _ => "wechat.aes_key",
            };
            out.push((key, e.to_string()));
        }
        if w.token.is_empty() && (!w.aes_key.is_empty() || !w.appid.is_empty()) {
            out.push((
                "wechat.token",
                "empty while other WeChat settings are set: the /wechat callback is not mounted"
                    .to_owned(),
            ));
        }
        out
    }

    fn notes(&self) -> Vec<String> {
        let w = &self.wechat;
        let mut out = Vec::new();
        if !w.token.is_empty() && w.appid.is_empty() {
            out.push(
                "wechat.token is set without wechat.appid: plaintext pushes with passive \
                 replies only (no late replies, agent messages or notices)"
                    .to_owned(),
            );
        }
        let templates = self.notices.configured();
        if !templates.is_empty() && w.appid.is_empty() {
            let names: Vec<&str> = templates.iter().map(|p| p.as_str()).collect();
            out.push(format!(
                "notice templates set ({}) without wechat.appid: no template message can be \
                 sent, residents outside the 48-hour window read notices at their next message",
                names.join(", ")
            ));
        }
        out
    }
}

/// Where each value came from.
struct Sources {
    path: Option<PathBuf>,
    file: Option<(PathBuf, String)>,
}

impl Sources {
    fn new(file: Option<PathBuf>) -> Self {
        let text = file.as_ref().and_then(|p| std::fs::read_to_string(p).ok());
        Self {
            file: file.clone().zip(text),
            path: file,
        }
    }

    /// `file:line`, `HEATDESK_…` or `default`, for the value at `path` given by the
    /// provider `metadata` describes.
    fn of(&self, path: &[String], metadata: Option<&Metadata>) -> String {
        match metadata {
            Some(Metadata {
                source: Some(Source::File(file)),
                ..
            }) => match self.line_of(path) {
                Some(line) => format!("{}:{line}", file.display()),
                None => file.display().to_string(),
            },
            Some(m) if m.name.contains("environment") => {
                format!("HEATDESK_{}", path.join("_").to_ascii_uppercase())
            }
            Some(_) => "default".to_owned(),
            None if path.is_empty() => self
                .path
                .as_ref()
                .map_or("settings".to_owned(), |p| p.display().to_string()),
            None => "settings".to_owned(),
        }
    }

    /// The line of the deepest key of `path` present in the settings file.
    fn line_of(&self, path: &[String]) -> Option<usize> {
        let (_, text) = self.file.as_ref()?;
        let root = toml::de::DeTable::parse(text).ok()?;
        let mut table = root.get_ref();
        let mut start = None;
        for segment in path {
            let Some((key, value)) = table.iter().find(|(k, _)| k.get_ref() == segment) else {
                break;
            };
            start = Some(key.span().start);
            match value.get_ref() {
                toml::de::DeValue::Table(inner) => table = inner,
                _ => break,
            }
        }
        start.map(|at| text[..at].matches('\n').count() + 1)
    }
}
