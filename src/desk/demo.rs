//! Sample desk users (`demo/users.toml`), created in demo mode only, when absent.

use serde::Deserialize;

use super::users::{self, NewUser, Role, UserError};
use crate::storage::Database;

const USERS: &str = include_str!("../../demo/users.toml");

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    password: String,
    user: Vec<Entry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    name: String,
    display_name: String,
    role: Role,
    #[serde(default)]
    area: Option<String>,
}

/// The sample users' shared password (the README tells it).
pub fn password() -> Result<String, UserError> {
    let f: File = toml::from_str(USERS).map_err(|e| UserError::Invalid(e.to_string()))?;
    Ok(f.password)
}

/// Creates the sample users that do not exist yet; returns how many were created.
pub async fn load_users(db: &Database) -> Result<usize, UserError> {
    let f: File = toml::from_str(USERS).map_err(|e| UserError::Invalid(e.to_string()))?;
    let store = users::store_for(db);
    let mut created = 0;
    for e in f.user {
        if store.by_name(&e.name).await?.is_some() {
            continue;
        }
        let password = f.password.clone();
        let hash = tokio::task::spawn_blocking(move || users::hash_password(&password))
            .await
            .map_err(|e| UserError::Hash(e.to_string()))??;
        let new = NewUser {
            name: e.name,
            display_name: e.display_name,
            role: e.role,
            area: e.area,
        };
        match store.create(&new, &hash).await {
            Ok(_) => created += 1,
            // Another instance created it meanwhile.
            Err(UserError::Exists(_)) => {}
            Err(e) => return Err(e),
        }
    }
    if created > 0 {
        tracing::info!(created, "sample desk users created (demo mode)");
    }
    Ok(created)
}
