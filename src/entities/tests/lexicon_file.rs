//! A lexicon the office got wrong is reported with the file and line to fix.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use super::lexicon_path;
use crate::catalog::Severity;
use crate::entities::{check, Lexicon, LexiconError};

fn write_lexicon(edit: impl Fn(&str) -> String) -> (tempfile::TempDir, PathBuf) {
    let real = std::fs::read_to_string(lexicon_path()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lexicon.toml");
    std::fs::write(&path, edit(&real)).unwrap();
    (dir, path)
}

fn line_containing(path: &Path, needle: &str) -> usize {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines().position(|l| l.contains(needle)).unwrap() + 1
}

#[test]
fn a_bad_lexicon_is_reported_with_its_line() {
    let (_dir, path) = write_lexicon(|t| t.replacen("day = 7", "day = 8", 1));
    let diags = check(&path);
    assert_eq!(diags.len(), 1, "{diags:#?}");
    assert_eq!(diags[0].line, line_containing(&path, "day = 8"));
    assert_eq!(diags[0].severity, Severity::Error);
    assert!(
        diags[0].to_string().contains("lexicon.toml:"),
        "{}",
        diags[0]
    );
    match Lexicon::load(&path) {
        Err(LexiconError::Invalid(errors)) => assert_eq!(errors, diags),
        other => panic!("expected the errors, got {other:?}"),
    }
}

#[test]
fn a_word_with_two_meanings_and_an_unknown_district_are_errors() {
    let (_dir, path) = write_lexicon(|t| {
        t.replacen("no = [\"不是\"", "no = [\"确认\", \"不是\"", 1)
            .replacen("district = \"乌达区\"", "district = \"乌海区\"", 1)
    });
    let diags = check(&path);
    let lines: Vec<usize> = diags.iter().map(|d| d.line).collect();
    assert_eq!(
        lines,
        [
            line_containing(&path, "no = ["),
            line_containing(&path, "district = \"乌海区\"")
        ],
        "{diags:#?}"
    );
    assert!(diags[0].message.contains("确认"), "{}", diags[0]);
}

#[test]
fn a_syntax_error_and_an_unknown_key_have_lines() {
    let (_dir, path) = write_lexicon(|t| t.replacen("[units]", "[units]\nweight = [\"斤\"]", 1));
    let diags = check(&path);
    assert_eq!(diags.len(), 1, "{diags:#?}");
    assert_eq!(diags[0].line, line_containing(&path, "weight"));
    let (_dir, path) = write_lexicon(|t| t.replacen("offset = 3", "offset = = 3", 1));
    let diags = check(&path);
    assert_eq!(diags[0].line, line_containing(&path, "offset = = 3"));
    assert!(matches!(
        Lexicon::load(Path::new("/nonexistent/lexicon.toml")),
        Err(LexiconError::Io { .. })
    ));
}
