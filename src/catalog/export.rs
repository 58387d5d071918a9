use std::io::{self, Write};

use serde::Serialize;

use super::model::{Catalog, Entry, Intent, SynonymSet};

/// Every canonical question and paraphrase of the published phrasebook, as
/// `text<TAB>intent` with a header line: the format `heatdesk eval` reads.
pub fn export_tsv(catalog: &Catalog, out: &mut impl Write) -> io::Result<()> {
    writeln!(out, "text\tintent")?;
    for entry in catalog.published() {
        for text in entry.texts() {
            let clean: String = text
                .chars()
                .map(|c| {
                    if c == '\t' || c == '\n' || c == '\r' {
                        ' '
                    } else {
                        c
                    }
                })
                .collect();
            writeln!(out, "{}\t{}", clean.trim(), entry.intent)?;
        }
    }
    Ok(())
}

#[derive(Serialize)]
struct Published<'a> {
    version: &'a str,
    intents: &'a [Intent],
    entries: Vec<&'a Entry>,
    facts: &'a std::collections::BTreeMap<String, String>,
    synonyms: &'a [SynonymSet],
}

/// The whole published phrasebook as one JSON document.
pub fn export_json(catalog: &Catalog, out: &mut impl Write) -> io::Result<()> {
    let doc = Published {
        version: &catalog.version,
        intents: &catalog.intents,
        entries: catalog.published().collect(),
        facts: &catalog.facts,
        synonyms: &catalog.synonyms,
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}
