//! The dialogue's data file, `intents/dialogue.toml`: menu keys and skip words.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::catalog::Catalog;
use crate::domain::IntentId;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DialogueData {
    /// CLICK event key → intent id.
    #[serde(default)]
    pub menu: BTreeMap<String, String>,
    #[serde(default)]
    pub words: Words,
    /// What an address must name, as regexes: each of `building` and `door` must match.
    #[serde(default)]
    pub address: AddressPatterns,
    #[serde(skip)]
    address_re: Vec<regex::Regex>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddressPatterns {
    #[serde(default)]
    pub building: String,
    #[serde(default)]
    pub door: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Words {
    /// Answers that skip an optional question.
    #[serde(default)]
    pub skip: Vec<String>,
}

impl DialogueData {
    /// Reads the file; a missing file means no menu and no skip words.
    pub fn load(path: &Path) -> Result<Self, String> {
        if !path.exists() {
            return Ok(Self::default());
        }
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut data: Self =
            toml::from_str(&text).map_err(|e| format!("{}: {}", path.display(), e.message()))?;
        for (name, p) in [
            ("building", &data.address.building),
            ("door", &data.address.door),
        ] {
            if p.is_empty() {
                continue;
            }
            let re = regex::Regex::new(p)
                .map_err(|e| format!("{}: address.{name}: {e}", path.display()))?;
            data.address_re.push(re);
        }
        Ok(data)
    }

    /// An address a technician can find: every address pattern matches (no patterns: any).
    pub fn is_address(&self, text: &str) -> bool {
        let t = crate::domain::normalize(text);
        self.address_re.iter().all(|re| re.is_match(&t))
    }

    /// Every menu key must start a known intent.
    pub fn check(&self, catalog: &Catalog) -> Result<(), String> {
        for (key, intent) in &self.menu {
            let known = IntentId::parse(intent.clone())
                .ok()
                .is_some_and(|id| catalog.intent(&id).is_some());
            if !known {
                return Err(format!("menu key `{key}` names unknown intent `{intent}`"));
            }
        }
        Ok(())
    }

    pub fn menu_intent(&self, key: &str) -> Option<IntentId> {
        self.menu
            .get(key.trim())
            .and_then(|i| IntentId::parse(i.clone()).ok())
    }

    /// The whole message is a skip word (after trimming punctuation).
    pub fn is_skip(&self, text: &str) -> bool {
        let t = text
            .trim()
            .trim_matches(|c: char| c.is_ascii_punctuation() || !c.is_alphanumeric())
            .to_lowercase();
        !t.is_empty() && self.words.skip.iter().any(|w| w.to_lowercase() == t)
    }
}
