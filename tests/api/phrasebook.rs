#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::Path;

use heatdesk::catalog::{self, Severity, Sources};
use heatdesk::domain::CONTRACT_INTENTS;

use crate::helpers::repo;

fn shipped() -> Sources {
    crate::helpers::shipped_sources()
}

#[test]
fn the_shipped_data_is_clean_and_covers_the_contract() {
    let (catalog, diags) = catalog::load(&shipped());
    let errors: Vec<String> = diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(ToString::to_string)
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let catalog = catalog.unwrap();
    assert!(catalog.published().count() >= 40, "at least 40 entries");
    let mut per_intent: BTreeMap<&str, usize> = BTreeMap::new();
    for e in catalog.published() {
        *per_intent.entry(e.intent.as_str()).or_default() += e.paraphrases.len();
    }
    for id in CONTRACT_INTENTS {
        let n = per_intent.get(id).copied().unwrap_or(0);
        assert!(
            n >= 25,
            "intent {id} has {n} paraphrases; at least 25 wanted"
        );
        assert!(catalog.intents.iter().any(|i| i.id.as_str() == id));
    }
    for e in catalog.published() {
        let r = catalog.rendered_reply(e);
        assert!(!r.wechat.contains('{'), "{}: every fact is filled in", e.id);
    }
}

/// A copy of the shipped data to break in one place.
fn scratch() -> (tempfile::TempDir, Sources) {
    let dir = tempfile::tempdir().unwrap();
    for d in ["intents", "phrasebook", "locales"] {
        copy(&repo().join(d), &dir.path().join(d));
    }
    let s = heatdesk::config::Settings {
        intents_dir: dir.path().join("intents"),
        phrasebook_dir: dir.path().join("phrasebook"),
        locales_dir: dir.path().join("locales"),
        ..heatdesk::config::Settings::default()
    }
    .sources()
    .unwrap();
    (dir, s)
}

fn copy(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.path().is_dir() {
            copy(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

const EXTRA: &str = r#"
[[entries]]
id = "greeting.hello"
intent = "greeting"
status = "published"
version = 1
question = "测试问题"
paraphrases = ["暖气不热怎么办啊这是测试", "乱码测试"]

[entries.reply]
wechat = "请拨打{no_such_fact}"
counter = ""

[entries.reply.hotline]
greeting = "您好"
answer = "好"
closing = "再见"

[[entries]]
id = "x.y"
intent = "no_such_intent"
status = "published"
version = 1
question = "q"
paraphrases = []
[entries.reply]
wechat = "a"
counter = "b"
[entries.reply.hotline]
greeting = "c"
answer = "d"
closing = "e"
"#;

fn errors_of(sources: &Sources) -> Vec<String> {
    let (catalog, diags) = catalog::load(sources);
    assert!(catalog.is_none(), "broken data must not load");
    diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(ToString::to_string)
        .collect()
}

fn has(errors: &[String], file_line: &str, words: &str) -> bool {
    errors
        .iter()
        .any(|e| e.contains(file_line) && e.contains(words))
}

#[test]
fn check_reports_each_problem_at_its_file_and_line() {
    let (_dir, s) = scratch();
    let extra = s.phrasebook_dir.join("zz_extra.toml");
    std::fs::write(&extra, EXTRA).unwrap();
    let first_para = std::fs::read_to_string(s.phrasebook_dir.join("not_warm.toml")).unwrap();
    // Make one not_warm paraphrase collide with the extra greeting entry.
    let collide = first_para.replacen(
        "paraphrases = [",
        "paraphrases = [\n  \"暖气不热怎么办啊，这是测试\",",
        1,
    );
    std::fs::write(s.phrasebook_dir.join("not_warm.toml"), collide).unwrap();
    let intent = s.intents_dir.join("invoice.toml");
    let text = std::fs::read_to_string(&intent).unwrap();
    std::fs::write(
        &intent,
        text.replacen("patterns = [", "patterns = [\n  '(unclosed',", 1),
    )
    .unwrap();
    let en = s.locales_dir.join("en/heatdesk.ftl");
    let ftl = std::fs::read_to_string(&en).unwrap();
    let without = ftl.replacen("bot-welcome", "bot-welcome-renamed", 1);
    std::fs::write(&en, without).unwrap();

    let errors = errors_of(&s);
    let f = "zz_extra.toml";
    assert!(
        has(
            &errors,
            &format!("{f}:3:"),
            "duplicate entry id `greeting.hello`"
        ),
        "{errors:#?}"
    );
    assert!(
        has(&errors, &format!("{f}:10:"), "missing `counter` reply"),
        "{errors:#?}"
    );
    assert!(
        has(
            &errors,
            &format!("{f}:10:"),
            "unknown fact `{no_such_fact}`"
        ),
        "{errors:#?}"
    );
    assert!(
        has(
            &errors,
            &format!("{f}:21:"),
            "unknown intent id `no_such_intent`"
        ),
        "{errors:#?}"
    );
    assert!(
        has(
            &errors,
            &format!("{f}:8:"),
            "collides with intent `not_warm`"
        ),
        "{errors:#?}"
    );
    assert!(
        has(&errors, "invoice.toml:", "pattern does not compile"),
        "{errors:#?}"
    );
    assert!(
        has(&errors, "locales/en:", "lacks message `bot-welcome`"),
        "{errors:#?}"
    );
}

#[test]
fn a_syntax_error_points_at_its_line_and_a_missing_intent_is_named() {
    let (_dir, s) = scratch();
    std::fs::write(
        s.phrasebook_dir.join("zz_bad.toml"),
        "\n\n[[entries]]\nid = \"a.b\"\nintent = \n",
    )
    .unwrap();
    std::fs::remove_file(s.intents_dir.join("leak_emergency.toml")).unwrap();
    let errors = errors_of(&s);
    assert!(
        errors.iter().any(|e| e.contains("zz_bad.toml:5:")),
        "{errors:#?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.contains("required intent `leak_emergency` is missing")),
        "{errors:#?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.contains("unknown intent id `leak_emergency`")),
        "{errors:#?}"
    );
}

#[test]
fn a_document_rendered_as_files_reads_back_as_itself() {
    let sources = shipped();
    let (catalog, _) = catalog::load(&sources);
    let catalog = catalog.unwrap();
    let doc = catalog::OfficeDoc::from_catalog(&catalog, &sources.owned_facts);
    let engineering = catalog::engineering_files(&sources).unwrap();
    let (again, diags) = doc.compose(&sources, &engineering);
    let errors: Vec<_> = diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let again = again.unwrap();
    assert_eq!(
        catalog::OfficeDoc::from_catalog(&again, &sources.owned_facts),
        doc
    );
    assert_eq!(again.published().count(), catalog.published().count());
    assert!(doc.diff(&doc).is_empty());
}
