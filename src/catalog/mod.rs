//! The standardization office's data: intents, phrasebook entries, facts, synonyms.
//!
//! Everything here is loaded from files and validated at load (`load`), so intent ids are
//! data: the office adds an intent by adding a file, without a rebuild.

mod doc;
mod export;
mod files;
mod load;
mod model;

pub use crate::diag::{line_of as line_of_pub, Diagnostic, Diagnostics, Severity};
pub use doc::{
    engineering_files, split_dir, Change, EntryText, IntentText, OfficeDoc, Subject, Synonyms,
};
pub use export::{export_json, export_tsv};
pub use files::FileSet;
pub use load::{
    collision_key, load, load_files, reply_findings, FieldFinding, Sources, DIALOGUE_FILE,
    LEXICON_FILE, WECHAT_MAX_CHARS,
};
pub use model::*;
