//! The deployment files say what the README says they do. (The linters in .ci/check-deploy
//! check their form; this checks heatdesk's side: commands, paths, the health endpoint.)

#![allow(clippy::unwrap_used)]

use crate::helpers::repo;

fn read(path: &str) -> String {
    std::fs::read_to_string(repo().join(path)).unwrap()
}

/// The Dockerfile's instructions, continuation lines joined, comments left out.
fn instructions(dockerfile: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for line in dockerfile.lines().map(str::trim) {
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        current.push_str(line.trim_end_matches('\\'));
        current.push(' ');
        if !line.ends_with('\\') {
            out.push(current.trim().to_owned());
            current.clear();
        }
    }
    out
}

#[test]
fn the_image_runs_heatdesk_unprivileged_with_its_data() {
    let all = instructions(&read("Dockerfile"));
    let froms: Vec<_> = all.iter().filter(|i| i.starts_with("FROM ")).collect();
    assert_eq!(froms.len(), 2, "build stage and runtime stage");
    assert!(froms[0].starts_with("FROM rust:") && froms[0].ends_with(" AS build"));
    assert!(froms[1].starts_with("FROM debian:") && froms[1].contains("-slim"));
    let runtime: Vec<_> = all.iter().skip_while(|i| *i != froms[1]).collect();
    let has = |prefix: &str| runtime.iter().any(|i| i.starts_with(prefix));
    let user = runtime.iter().find(|i| i.starts_with("USER ")).unwrap();
    assert!(
        !user.contains("root") && !user.starts_with("USER 0"),
        "{user}"
    );
    assert!(has("VOLUME [\"/var/lib/heatdesk\"]"));
    assert!(has("HEALTHCHECK ") && runtime.iter().any(|i| i.contains("/healthz")));
    for data in ["intents", "phrasebook", "locales"] {
        assert!(has(&format!("COPY {data} {data}")), "{data} copied in");
    }
    assert!(has("ENTRYPOINT [\"heatdesk\"]") && has("CMD [\"serve\"]"));
    assert!(read(".dockerignore").lines().any(|l| l == "target"));
}

#[test]
fn compose_and_systemd_run_the_commands_heatdesk_has() {
    let compose = read("deploy/compose.yaml");
    assert!(compose.contains("command: [\"migrate\"]"));
    assert!(compose.contains("command: [\"serve\", \"--no-migrate\"]"));
    assert!(read("deploy/Caddyfile").contains("health_uri /readyz"));
    let unit = read("deploy/heatdesk.service");
    for line in [
        "ExecStart=/usr/local/bin/heatdesk serve",
        "ExecStartPre=/usr/local/bin/heatdesk config check",
        "User=heatdesk",
        "EnvironmentFile=/etc/heatdesk/heatdesk.env",
        "StateDirectory=heatdesk",
        "Restart=on-failure",
        "NoNewPrivileges=yes",
    ] {
        assert!(unit.lines().any(|l| l == line), "{line}");
    }
}
