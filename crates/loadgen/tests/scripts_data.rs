//! The bundled scripts against the demo data they rely on: every account a script names
//! exists in demo/accounts.toml and is verified, in the next step, with its holder's name
//! or the last 4 digits of its phone.

use std::collections::BTreeMap;

use loadgen::scripts::Scripts;
use serde::Deserialize;

#[derive(Deserialize)]
struct Demo {
    accounts: Vec<Account>,
}

#[derive(Deserialize)]
struct Account {
    no: String,
    holder: String,
    phone: String,
}

fn demo_accounts() -> BTreeMap<String, Account> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../demo/accounts.toml");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let demo: Demo = toml::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
    demo.accounts
        .into_iter()
        .map(|a| (a.no.clone(), a))
        .collect()
}

/// The account number a step gives: the whole step, or the 8 digits after "户号".
fn account_in(step: &str) -> Option<String> {
    let digits = |s: &str| {
        s.chars()
            .take_while(char::is_ascii_digit)
            .collect::<String>()
    };
    if step.len() == 8 && step.chars().all(|c| c.is_ascii_digit()) {
        return Some(step.to_owned());
    }
    let (_, after) = step.split_once("户号")?;
    Some(digits(after)).filter(|d| d.len() == 8)
}

#[test]
fn every_account_in_the_scripts_exists_and_is_verified_right() {
    let accounts = demo_accounts();
    let Ok(scripts) = Scripts::bundled() else {
        panic!("scripts.toml must parse")
    };
    let mut checked = 0;
    for script in scripts.all() {
        for (i, step) in script.steps.iter().enumerate() {
            let Some(no) = account_in(step) else { continue };
            let account = accounts.get(&no).unwrap_or_else(|| {
                panic!("{}: account {no} is not in demo/accounts.toml", script.name)
            });
            let Some(proof) = script.steps.get(i + 1) else {
                panic!("{}: account {no} is the last step", script.name)
            };
            let last4 = &account.phone[account.phone.len() - 4..];
            let proof = proof.trim_start_matches("尾号");
            assert!(
                proof == account.holder || proof == last4,
                "{}: account {no} is verified with {proof:?}, not {:?} or {last4:?}",
                script.name,
                account.holder
            );
            checked += 1;
        }
    }
    assert!(checked >= 8, "only {checked} account steps found");
}

#[test]
fn the_golden_arrears_sequence_is_kept() {
    let Ok(scripts) = Scripts::bundled() else {
        panic!("scripts.toml must parse")
    };
    let arrears = scripts
        .all()
        .iter()
        .find(|s| s.name == "arrears-by-name")
        .unwrap_or_else(|| panic!("arrears-by-name is gone"));
    assert_eq!(
        arrears.steps,
        ["查一下我家欠多少暖气费", "10010002", "李秀兰"]
    );
    assert!(arrears.fresh);
}

#[test]
fn no_chinese_text_in_the_sources() {
    let src = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
    for entry in std::fs::read_dir(src).unwrap_or_else(|e| panic!("{src}: {e}")) {
        let path = entry.unwrap_or_else(|e| panic!("{e}")).path();
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let han = text.chars().find(|c| {
            ('\u{3000}'..='\u{9fff}').contains(c) || ('\u{ff00}'..='\u{ffef}').contains(c)
        });
        assert_eq!(han, None, "{} contains Chinese text", path.display());
    }
}
