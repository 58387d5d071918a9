#![allow(clippy::unwrap_used)]

use std::process::{Command, Output};

use serde_json::Value;

use crate::helpers::repo;

fn heatdesk(args: &[&str]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    Command::new(env!("CARGO_BIN_EXE_heatdesk"))
        .args(args)
        .current_dir(repo())
        .env(
            "HEATDESK_DATABASE_URL",
            format!("sqlite://{}/cli.db", dir.path().display()),
        )
        .output()
        .unwrap()
}

#[test]
fn classify_prints_one_json_object() {
    let out = heatdesk(&["classify", "上周报的维修咋还没动静"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["intent"], "request_status");
    for key in ["entry", "confidence", "candidates"] {
        assert!(v.get(key).is_some(), "missing {key}");
    }
}

/// The held-out set: written apart from the phrasebook, it measures generalisation.
#[test]
fn eval_on_the_held_out_set_reaches_ninety_percent() {
    let out = heatdesk(&[
        "eval",
        "tests/data/eval.tsv",
        "--format",
        "json",
        "--min-accuracy",
        "0.90",
    ]);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let accuracy = report["accuracy"].as_f64().unwrap();
    assert!(
        out.status.success(),
        "accuracy {accuracy}; misses: {:#}",
        report["misses"]
    );
    assert_eq!(report["total"], 280);
    assert!(accuracy >= 0.90);
    assert!(report["per_intent"]["not_warm"]["f1"].as_f64().is_some());
    assert!(report["confusion"].is_array());
    assert!(report["latency_us"]["p50"].as_u64().is_some());
}

#[test]
fn eval_fails_only_below_the_required_accuracy() {
    let out = heatdesk(&[
        "eval",
        "tests/data/eval.tsv",
        "--format",
        "text",
        "--min-accuracy",
        "1.01",
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("accuracy"));
}

#[test]
fn phrasebook_check_passes_and_export_round_trips() {
    let out = heatdesk(&["phrasebook", "check"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let out = heatdesk(&["phrasebook", "export", "--format", "tsv"]);
    assert!(out.status.success());
    let tsv = String::from_utf8(out.stdout).unwrap();
    let mut lines = tsv.lines();
    assert_eq!(lines.next(), Some("text\tintent"));
    assert!(lines.clone().count() > 1000);
    assert!(lines.all(|l| l.split('\t').count() == 2));
    let out = heatdesk(&["phrasebook", "export", "--format", "json"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["entries"].as_array().unwrap().len() >= 40);
    assert!(v["facts"]["hotline"].is_string());
}

#[test]
fn a_missing_config_file_is_a_clear_error() {
    let out = heatdesk(&["--config", "/no/such/heatdesk.toml", "phrasebook", "check"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("heatdesk.toml"));
}

/// `heatdesk chat` reads one message per line, piped, through the same dialogue.
#[test]
fn chat_answers_piped_lines() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_heatdesk"))
        .args(["chat", "--as", "oTerminal"])
        .current_dir(repo())
        .env(
            "HEATDESK_DATABASE_URL",
            format!("sqlite://{}/chat.db", dir.path().display()),
        )
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all("绑定户号\n10010001\n王建国\n查欠费\n".as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("10010001"), "{text}");
    assert!(
        text.contains("1946.25"),
        "the bill of the bound account: {text}"
    );
}

/// Runs the binary on one database file, kept between calls.
fn heatdesk_on(db: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_heatdesk"))
        .args(args)
        .current_dir(repo())
        .env(
            "HEATDESK_DATABASE_URL",
            format!("sqlite://{}", db.display()),
        )
        .output()
        .unwrap()
}

/// `phrasebook export --format toml` writes the published version as files; importing
/// them changes nothing; a broken directory is reported at `file:line` and changes nothing.
#[test]
fn export_import_round_trip_and_a_broken_import_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("office.db");
    let out_dir = dir.path().join("export");
    let out = heatdesk_on(
        &db,
        &[
            "phrasebook",
            "export",
            "--format",
            "toml",
            out_dir.to_str().unwrap(),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out_dir.join("phrasebook/hall_info.toml").is_file());
    assert!(out_dir.join("intents/hall_info.toml").is_file());
    let out = heatdesk_on(&db, &["phrasebook", "import", out_dir.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("no change"), "{stdout}");

    // Break one file: a reply cites a fact that does not exist.
    let file = out_dir.join("phrasebook/hall_info.toml");
    let text = std::fs::read_to_string(&file).unwrap();
    let broken = text.replacen("{company}", "{no_such_fact}", 1);
    let line = broken
        .lines()
        .position(|l| l.contains("no_such_fact"))
        .unwrap();
    std::fs::write(&file, &broken).unwrap();
    let out = heatdesk_on(&db, &["phrasebook", "import", out_dir.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success());
    assert!(
        stdout.contains("hall_info.toml:") && stdout.contains("no_such_fact"),
        "{stdout}"
    );
    assert!(
        stdout.lines().any(
            |l| l.contains("hall_info.toml:") && l.contains("no_such_fact") && {
                // The finding is at the reply's table or on the line itself.
                let n: usize = l.split(':').nth(1).unwrap_or("0").parse().unwrap_or(0);
                n > 0 && n <= line + 1
            }
        ),
        "{stdout}"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing imported"));
    // A good directory with one change becomes a change set; the broken one made none.
    std::fs::write(
        &file,
        text.replacen("你们营业厅地址", "你们营业厅的地址", 1),
    )
    .unwrap();
    let out = heatdesk_on(&db, &["phrasebook", "import", out_dir.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("change set 1 (import): 1 changed objects"),
        "{stdout}"
    );

    // Files that lose a labelled answer are refused by the gate.
    let out = heatdesk_on(&db, &["phrasebook", "check", "--gate"]);
    assert!(
        out.status.success(),
        "the shipped files pass their own gate: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("gate: passed"));
}
