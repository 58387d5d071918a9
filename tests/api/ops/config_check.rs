#![allow(clippy::unwrap_used)]

use std::process::{Command, Output};

use super::text;
use crate::helpers::repo;

const AES_KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";

/// `heatdesk [--config FILE] config check` in the repository, with only `env` set.
fn check(file: Option<&std::path::Path>, env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_heatdesk"));
    if let Some(file) = file {
        cmd.arg("--config").arg(file);
    }
    cmd.args(["config", "check"]).current_dir(repo());
    for (k, _) in std::env::vars() {
        if k.starts_with("HEATDESK_") {
            cmd.env_remove(k);
        }
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

#[test]
fn valid_settings_are_printed_with_secrets_hidden() {
    let out = check(
        None,
        &[
            (
                "HEATDESK_DATABASE_URL",
                "postgres://heatdesk:pg-pass-1234@db.internal/heatdesk",
            ),
            ("HEATDESK_WECHAT_TOKEN", "callback-token-5678"),
            ("HEATDESK_WECHAT_APPID", "wx0123456789"),
            ("HEATDESK_WECHAT_APP_SECRET", "app-secret-9012"),
            ("HEATDESK_WECHAT_AES_KEY", AES_KEY),
            ("HEATDESK_SERVICE_TOKEN", "service-token-3456"),
            ("HEATDESK_NLU_CANDIDATES", "4"),
        ],
    );
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    let effective: toml::Table = toml::from_str(&stdout).unwrap();
    assert_eq!(
        effective["database_url"].as_str(),
        Some("postgres://heatdesk@db.internal/heatdesk"),
        "the URL without its password"
    );
    assert_eq!(effective["nlu"]["candidates"].as_integer(), Some(4));
    assert_eq!(effective["wechat"]["appid"].as_str(), Some("wx0123456789"));
    for key in ["token", "app_secret", "aes_key"] {
        assert_eq!(effective["wechat"][key].as_str(), Some("***"), "{key}");
    }
    assert_eq!(effective["service"]["token"].as_str(), Some("***"));
    let all = format!("{stdout}{}", text(&out.stderr));
    for secret in [
        "pg-pass-1234",
        "callback-token-5678",
        "app-secret-9012",
        AES_KEY,
        "service-token-3456",
    ] {
        assert!(!all.contains(secret), "{secret} printed");
    }
}

#[test]
fn every_problem_is_named_with_its_key_and_where_it_was_set() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("heatdesk.toml");
    std::fs::write(
        &file,
        "listen = \"localhost-8080\"\n\
         colour = \"blue\"\n\
         [nlu]\n\
         candidates = \"three\"\n\
         [wechat]\n\
         token = \"t\"\n\
         appid = \"wx1\"\n\
         aes_key = \"too-short\"\n",
    )
    .unwrap();
    let out = check(
        Some(&file),
        &[
            ("HEATDESK_DATABASE_URL", "mysql://db/heatdesk"),
            ("HEATDESK_DIALOGUE_MAX_BINDINGS", "many"),
        ],
    );
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    let path = file.display();
    for expected in [
        format!("{path}:1: listen: invalid socket address"),
        format!("{path}:2: colour: unknown field"),
        format!("{path}:4: nlu.candidates: invalid type"),
        "HEATDESK_DIALOGUE_MAX_BINDINGS: dialogue.max_bindings: invalid type".to_owned(),
    ] {
        assert!(
            stderr.contains(&expected),
            "missing `{expected}` in:\n{stderr}"
        );
    }
    assert!(
        out.stdout.is_empty(),
        "no settings shown when some cannot be read"
    );

    // Once they read, what they mean is checked.
    std::fs::write(
        &file,
        "[wechat]\ntoken = \"t\"\nappid = \"wx1\"\naes_key = \"too-short\"\n",
    )
    .unwrap();
    let out = check(
        Some(&file),
        &[("HEATDESK_DATABASE_URL", "mysql://db/heatdesk")],
    );
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    for expected in [
        format!("{path}:4: wechat.aes_key: invalid EncodingAESKey"),
        "HEATDESK_DATABASE_URL: database_url: unknown scheme `mysql`".to_owned(),
    ] {
        assert!(
            stderr.contains(&expected),
            "missing `{expected}` in:\n{stderr}"
        );
    }
}

#[test]
fn wechat_credentials_without_an_appid_are_refused() {
    let out = check(
        None,
        &[
            ("HEATDESK_WECHAT_TOKEN", "t"),
            ("HEATDESK_WECHAT_APP_SECRET", "s"),
        ],
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("default: wechat.appid: empty while wechat.app_secret is set"),
        "{}",
        text(&out.stderr)
    );
    // A token alone is plaintext mode (passive replies): allowed, and said.
    let out = check(None, &[("HEATDESK_WECHAT_TOKEN", "t")]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("note: wechat.token is set without wechat.appid"));
}

#[test]
fn notice_templates_are_checked_by_key_and_known_without_an_appid() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("heatdesk.toml");
    std::fs::write(
        &file,
        "[notices]\n\
         request_progress_template = \"not an id\"\n\
         [notices.keys.complaint_outcome]\n\
         keyword1 = \"cause\"\n\
         [notices.keys.interruption]\n\
         thing1 = \"weather\"\n",
    )
    .unwrap();
    let out = check(Some(&file), &[]);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    let path = file.display();
    for expected in [
        format!("{path}:2: notices.request_progress_template: `not an id` is not a template id"),
        format!("{path}:3: notices.keys.complaint_outcome: `keyword1`: a complaint_outcome notice has no `cause`"),
        format!("{path}:6: notices.keys.interruption.thing1: unknown variant: found `weather`"),
    ] {
        assert!(
            stderr.contains(&expected),
            "missing `{expected}` in:\n{stderr}"
        );
    }

    // Template ids without the account's AppID: nothing can send them.
    let out = check(
        None,
        &[(
            "HEATDESK_NOTICES_COMPLAINT_OUTCOME_TEMPLATE",
            "TPL_outcome_1",
        )],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let effective: toml::Table = toml::from_str(&stdout).unwrap();
    assert_eq!(
        effective["notices"]["complaint_outcome_template"].as_str(),
        Some("TPL_outcome_1")
    );
    assert!(text(&out.stderr)
        .contains("note: notice templates set (complaint_outcome) without wechat.appid"));
}
