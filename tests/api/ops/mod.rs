//! Running heatdesk: `migrate` and `serve --no-migrate`, SQLite backups and restores (the
//! pg_dump route on PostgreSQL), `config check`, the deployment files.

mod backup_test;
mod config_check;
mod deploy;
mod migrate;

use std::process::{Command, Output};

use crate::helpers::repo;

/// `heatdesk ARGS` in the repository, on the database `url`, with only the variables given.
pub fn heatdesk_on(url: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_heatdesk"));
    cmd.args(args)
        .current_dir(repo())
        .env("HEATDESK_DATABASE_URL", url);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("heatdesk runs")
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
