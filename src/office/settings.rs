use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Settings of the office (`[office]`, `HEATDESK_OFFICE_*`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct OfficeSettings {
    /// A change is published only after another curator approved it.
    pub require_review: bool,
    /// The held-out questions (`text<TAB>intent`) the gate runs besides the office's labels.
    pub labelled_file: PathBuf,
    /// Seconds between checks for a version another instance published (a notification
    /// usually comes first on PostgreSQL).
    pub sync_interval_secs: u64,
}

impl Default for OfficeSettings {
    fn default() -> Self {
        Self {
            require_review: true,
            labelled_file: PathBuf::from("tests/data/eval.tsv"),
            sync_interval_secs: 2,
        }
    }
}
