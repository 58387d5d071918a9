//! The standardization office's data: intents, phrasebook entries, facts, synonyms.
//!
//! Everything here is loaded from files and validated at load (`load`), so intent ids are
//! data: the office adds an intent by adding a file, without a rebuild.

mod export;
mod load;
mod model;

pub use crate::diag::{line_of as line_of_pub, Diagnostic, Diagnostics, Severity};
pub use export::{export_json, export_tsv};
pub use load::{load, Sources, DIALOGUE_FILE, LEXICON_FILE};
pub use model::*;
