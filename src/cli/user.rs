//! `heatdesk user`: desk accounts from the command line, where the first admin comes from
//! (later ones can be added on `/desk/users`).

use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::Subcommand;

use crate::config::Settings;
use crate::desk::users::{self, NewUser, Role};
use crate::storage::Database;

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a desk user; asks for the password (twice on a terminal, one line when piped).
    Add {
        /// agent, station, curator or admin.
        #[arg(long)]
        role: String,
        /// The login name (letters, digits, `.`, `-`, `_`).
        name: String,
        /// The name shown to colleagues (default: the login name).
        #[arg(long)]
        display_name: Option<String>,
        /// A station user's district.
        #[arg(long)]
        area: Option<String>,
    },
    /// Set a new password (asked for as with `add`); ends the user's sessions.
    Password { name: String },
    /// Stop a user from signing in; ends their sessions.
    Disable { name: String },
    /// List desk users.
    List,
}

fn read_password() -> anyhow::Result<String> {
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password: ")?;
        let again = rpassword::prompt_password("Password again: ")?;
        if first != again {
            bail!("the passwords differ");
        }
        Ok(first)
    } else {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        Ok(line.trim_end_matches(['\r', '\n']).to_owned())
    }
}

pub async fn run(settings: Settings, command: UserCommand) -> anyhow::Result<ExitCode> {
    let db = Database::open(settings.database_url.expose())
        .await
        .context("opening the database")?;
    let store = users::store_for(&db);
    match command {
        UserCommand::Add {
            role,
            name,
            display_name,
            area,
        } => {
            let role = Role::parse(&role).with_context(|| {
                format!("unknown role `{role}` (agent, station, curator, admin)")
            })?;
            let new = NewUser {
                display_name: display_name.unwrap_or_else(|| name.clone()),
                name,
                role,
                area,
            };
            new.validate()?;
            if role == Role::Station && new.area.is_none() {
                eprintln!(
                    "note: a station user without --area sees the work orders of every district"
                );
            }
            let password = read_password()?;
            let hash = users::hash_password(&password)?;
            let user = store.create(&new, &hash).await?;
            println!(
                "created {} ({}), id {}",
                user.name,
                user.role.as_str(),
                user.id
            );
        }
        UserCommand::Password { name } => {
            let (user, _) = store
                .by_name(&name)
                .await?
                .with_context(|| format!("no user `{name}`"))?;
            let hash = users::hash_password(&read_password()?)?;
            store.set_password(user.id, &hash).await?;
            println!("password of {name} changed");
        }
        UserCommand::Disable { name } => {
            let (user, _) = store
                .by_name(&name)
                .await?
                .with_context(|| format!("no user `{name}`"))?;
            store.set_disabled(user.id, true).await?;
            println!("{name} disabled");
        }
        UserCommand::List => {
            for u in store.list().await? {
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    u.name,
                    u.role.as_str(),
                    u.display_name,
                    u.area.as_deref().unwrap_or("-"),
                    if u.disabled { "disabled" } else { "active" }
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
