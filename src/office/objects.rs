//! One object of the document by its subject, as JSON: what edits carry and editors compare.

use serde_json::Value;

use crate::catalog::{EntryText, IntentText, OfficeDoc, Subject, Synonyms};
use crate::domain::{EntryId, IntentId};

/// The object `subject` names, `None` if the document does not have it.
pub fn object_of(doc: &OfficeDoc, subject: &Subject) -> Option<Value> {
    match subject {
        Subject::Entry(id) => doc
            .entries
            .iter()
            .find(|e| e.id.as_str() == id)
            .and_then(|e| serde_json::to_value(e).ok()),
        Subject::Intent(id) => doc
            .intents
            .iter()
            .find(|i| i.id.as_str() == id)
            .and_then(|i| serde_json::to_value(i).ok()),
        Subject::Fact(name) => doc.facts.get(name).map(|v| Value::String(v.clone())),
        Subject::Synonyms => serde_json::to_value(&doc.synonyms).ok(),
        Subject::Userdict => Some(Value::String(doc.userdict.clone())),
    }
}

/// Sets (or with `None` removes) the object `subject` names.
pub fn apply(doc: &mut OfficeDoc, subject: &Subject, body: Option<&Value>) -> Result<(), String> {
    let bad = |e: serde_json::Error| format!("{subject}: {e}");
    match (subject, body) {
        (Subject::Entry(id), None) => doc.entries.retain(|e| e.id.as_str() != id),
        (Subject::Entry(id), Some(v)) => {
            let e: EntryText = serde_json::from_value(v.clone()).map_err(bad)?;
            if e.id != EntryId::parse(id.clone()).map_err(|e| e.to_string())? {
                return Err(format!("{subject}: the body is another entry"));
            }
            doc.put_entry(e);
        }
        (Subject::Intent(id), None) => doc.intents.retain(|i| i.id.as_str() != id),
        (Subject::Intent(id), Some(v)) => {
            let i: IntentText = serde_json::from_value(v.clone()).map_err(bad)?;
            if i.id != IntentId::parse(id.clone()).map_err(|e| e.to_string())? {
                return Err(format!("{subject}: the body is another intent"));
            }
            doc.put_intent(i);
        }
        (Subject::Fact(name), None) => {
            doc.facts.remove(name);
        }
        (Subject::Fact(name), Some(v)) => {
            let value = v.as_str().ok_or_else(|| format!("{subject}: not text"))?;
            doc.facts.insert(name.clone(), value.to_owned());
        }
        (Subject::Synonyms, v) => {
            doc.synonyms = match v {
                Some(v) => serde_json::from_value::<Vec<Synonyms>>(v.clone()).map_err(bad)?,
                None => Vec::new(),
            };
        }
        (Subject::Userdict, v) => {
            doc.userdict = v.and_then(Value::as_str).unwrap_or_default().to_owned();
        }
    }
    Ok(())
}
