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
        .env("HEATDESK_NLU_WATCH_INTERVAL_SECS", "0")
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
