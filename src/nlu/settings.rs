//! Settings of the classifier (`[nlu]`, `HEATDESK_NLU_*`).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct NluSettings {
    /// Below this confidence the answer is `out_of_scope`.
    pub reject_below: f32,
    /// Between `reject_below` and this, the bot asks "did you mean 1/2/3".
    pub clarify_below: f32,
    /// How many ranked alternatives a classification returns.
    pub candidates: usize,
    /// Longest text accepted, in characters.
    pub max_text_chars: usize,
}

impl Default for NluSettings {
    fn default() -> Self {
        Self {
            reject_below: 0.30,
            clarify_below: 0.55,
            candidates: 3,
            max_text_chars: 2000,
        }
    }
}
