//! `[notices]`: which WeChat template carries each kind of notice outside the 48-hour
//! window, which of the template's keys gets what, and how a notice an instance began is
//! finished by another.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// What a notice is about; each kind has its own template.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// A request moved on (valve opened, repair done).
    RequestProgress,
    /// A complaint case was closed: its outcome and the follow-up question.
    ComplaintOutcome,
    /// Heating interrupted in the resident's estate: the cause and when it comes back.
    Interruption,
}

impl Purpose {
    pub const ALL: [Self; 3] = [
        Self::RequestProgress,
        Self::ComplaintOutcome,
        Self::Interruption,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::RequestProgress => "request_progress",
            Self::ComplaintOutcome => "complaint_outcome",
            Self::Interruption => "interruption",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// The fields a notice of this kind fills.
    pub fn fields(self) -> &'static [Field] {
        use Field::*;
        match self {
            Self::RequestProgress => &[Title, Number, Kind, Status, Note, Time, Remark],
            Self::ComplaintOutcome => &[Title, Number, Outcome, Time, Remark],
            Self::Interruption => &[Title, Place, Cause, Expected, Time, Remark],
        }
    }

    /// The template's keys when `[notices.keys.<purpose>]` names none: the key names of
    /// WeChat's current templates (kind + number), whose kinds set the length limits.
    fn default_keys(self) -> BTreeMap<String, Field> {
        use Field::*;
        let pairs: &[(&str, Field)] = match self {
            Self::RequestProgress => &[
                ("character_string1", Number),
                ("thing2", Kind),
                ("thing3", Status),
                ("time4", Time),
                ("thing5", Remark),
            ],
            Self::ComplaintOutcome => &[
                ("character_string1", Number),
                ("thing2", Outcome),
                ("time3", Time),
                ("thing4", Remark),
            ],
            Self::Interruption => &[
                ("thing1", Place),
                ("thing2", Cause),
                ("time3", Expected),
                ("thing4", Remark),
            ],
        };
        pairs.iter().map(|(k, f)| ((*k).to_owned(), *f)).collect()
    }
}

/// A value a notice carries, put in whichever template key the settings name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    /// The headline (the classic templates' `first`), from the locale.
    Title,
    /// The request's or case's number.
    Number,
    /// What kind of request.
    Kind,
    /// Where the request stands now.
    Status,
    /// The station's note on the step, or the remark when it left none.
    Note,
    /// The complaint's outcome.
    Outcome,
    /// When it happened, local time.
    Time,
    /// The closing line (the classic `remark`), from the locale: for a complaint, the
    /// follow-up question.
    Remark,
    /// The estate (and buildings) an interruption covers.
    Place,
    Cause,
    /// The expected restoration, local time.
    Expected,
}

impl Field {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Title => "title",
            Self::Number => "number",
            Self::Kind => "kind",
            Self::Status => "status",
            Self::Note => "note",
            Self::Outcome => "outcome",
            Self::Time => "time",
            Self::Remark => "remark",
            Self::Place => "place",
            Self::Cause => "cause",
            Self::Expected => "expected",
        }
    }
}

/// Template keys per purpose; empty: the purpose's default keys.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct TemplateKeys {
    pub request_progress: BTreeMap<String, Field>,
    pub complaint_outcome: BTreeMap<String, Field>,
    pub interruption: BTreeMap<String, Field>,
}

/// `[notices]`, `HEATDESK_NOTICES_*`. A template id is the one the official account's
/// template library shows; empty: residents outside the 48-hour window read the notice at
/// their next message.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct NoticeSettings {
    pub request_progress_template: String,
    pub complaint_outcome_template: String,
    pub interruption_template: String,
    /// The page a template message opens when tapped (empty: none).
    pub template_url: String,
    /// Which template key carries which field; a purpose left out uses its default keys.
    pub keys: TemplateKeys,
    /// Seconds a claim on a notice lasts: a notice whose instance stopped before finishing
    /// it is delivered by another (or the same, restarted) after this.
    pub lease_secs: u64,
    /// Seconds between looks for such notices (0: never).
    pub redeliver_secs: u64,
}

impl Default for NoticeSettings {
    fn default() -> Self {
        Self {
            request_progress_template: String::new(),
            complaint_outcome_template: String::new(),
            interruption_template: String::new(),
            template_url: String::new(),
            keys: TemplateKeys::default(),
            lease_secs: 60,
            redeliver_secs: 30,
        }
    }
}

/// The template a purpose is sent with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pub id: String,
    pub keys: BTreeMap<String, Field>,
}

impl NoticeSettings {
    fn id_of(&self, purpose: Purpose) -> &str {
        match purpose {
            Purpose::RequestProgress => &self.request_progress_template,
            Purpose::ComplaintOutcome => &self.complaint_outcome_template,
            Purpose::Interruption => &self.interruption_template,
        }
        .trim()
    }

    fn keys_of(&self, purpose: Purpose) -> BTreeMap<String, Field> {
        let set = match purpose {
            Purpose::RequestProgress => &self.keys.request_progress,
            Purpose::ComplaintOutcome => &self.keys.complaint_outcome,
            Purpose::Interruption => &self.keys.interruption,
        };
        if set.is_empty() {
            purpose.default_keys()
        } else {
            set.clone()
        }
    }

    /// The template for `purpose`, or `None` when it has no template id.
    pub fn template(&self, purpose: Purpose) -> Option<Template> {
        let id = self.id_of(purpose);
        (!id.is_empty()).then(|| Template {
            id: id.to_owned(),
            keys: self.keys_of(purpose),
        })
    }

    /// What `config check` refuses, by setting name.
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        for purpose in Purpose::ALL {
            let (id_key, keys_key) = match purpose {
                Purpose::RequestProgress => (
                    "notices.request_progress_template",
                    "notices.keys.request_progress",
                ),
                Purpose::ComplaintOutcome => (
                    "notices.complaint_outcome_template",
                    "notices.keys.complaint_outcome",
                ),
                Purpose::Interruption => {
                    ("notices.interruption_template", "notices.keys.interruption")
                }
            };
            let id = self.id_of(purpose);
            if id.len() > 64
                || !id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_".contains(c))
            {
                out.push((
                    id_key,
                    format!("`{id}` is not a template id (letters, digits, - and _)"),
                ));
            }
            for (key, field) in self.keys_of(purpose) {
                if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                    out.push((keys_key, format!("`{key}` is not a template key")));
                } else if !purpose.fields().contains(&field) {
                    out.push((
                        keys_key,
                        format!(
                            "`{key}`: a {} notice has no `{}` (it has {})",
                            purpose.as_str(),
                            field.as_str(),
                            names(purpose.fields())
                        ),
                    ));
                }
            }
        }
        if self.lease_secs < 10 {
            out.push((
                "notices.lease_secs",
                format!(
                    "{} is shorter than a WeChat call may take (10 s or more)",
                    self.lease_secs
                ),
            ));
        }
        out
    }

    /// Template ids set, for `config check`'s notes.
    pub fn configured(&self) -> Vec<Purpose> {
        Purpose::ALL
            .into_iter()
            .filter(|p| !self.id_of(*p).is_empty())
            .collect()
    }
}

fn names(fields: &[Field]) -> String {
    fields
        .iter()
        .map(|f| f.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_purpose_without_a_template_id_has_no_template_and_default_keys_fit() {
        let mut s = NoticeSettings::default();
        assert_eq!(s.template(Purpose::RequestProgress), None);
        assert!(s.problems().is_empty(), "{:?}", s.problems());
        s.complaint_outcome_template = "TPL_outcome-1".into();
        let t = s.template(Purpose::ComplaintOutcome).unwrap();
        assert_eq!(t.keys["thing2"], Field::Outcome);
        assert_eq!(s.configured(), [Purpose::ComplaintOutcome]);
    }

    #[test]
    fn keys_named_in_the_settings_replace_the_defaults_and_are_checked() {
        let mut s = NoticeSettings {
            request_progress_template: "bad id!".into(),
            ..NoticeSettings::default()
        };
        s.keys
            .request_progress
            .insert("keyword1".into(), Field::Outcome);
        s.keys.request_progress.insert("first".into(), Field::Title);
        let problems = s.problems();
        assert!(problems
            .iter()
            .any(|(k, m)| *k == "notices.request_progress_template" && m.contains("bad id!")));
        assert!(problems
            .iter()
            .any(|(k, m)| *k == "notices.keys.request_progress" && m.contains("`outcome`")));
        s.request_progress_template = "T1".into();
        let keys = s.template(Purpose::RequestProgress).unwrap().keys;
        assert_eq!(keys.len(), 2, "no default key is mixed in: {keys:?}");
    }
}
