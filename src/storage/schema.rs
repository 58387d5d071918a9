//! Where a database's schema stands against this build's migrations: what `heatdesk
//! migrate` applies and what `serve --no-migrate` refuses to start without.

use serde::Serialize;
use sqlx::migrate::Migrator;

use super::{postgres, sqlite, Database, StorageError};

/// One of this build's migrations (`migrations/<backend>/NNNN_description.sql`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Migration {
    pub version: i64,
    pub description: String,
}

impl std::fmt::Display for Migration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}_{}", self.version, self.description)
    }
}

/// The schema of one database compared with this build.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SchemaStatus {
    /// This build's migrations the database has not had, in order.
    pub pending: Vec<Migration>,
    /// Versions the database has that this build does not know: a newer heatdesk migrated it.
    pub unknown: Vec<i64>,
}

impl SchemaStatus {
    pub fn is_current(&self) -> bool {
        self.pending.is_empty() && self.unknown.is_empty()
    }
}

impl Database {
    fn migrator(&self) -> &'static Migrator {
        match self {
            Self::Sqlite(_) => &sqlite::MIGRATOR,
            Self::Postgres(_) => &postgres::MIGRATOR,
        }
    }

    /// Compares the database with this build's migrations; changes nothing.
    pub async fn schema(&self) -> Result<SchemaStatus, StorageError> {
        let applied = self.applied_versions().await?;
        let migrator = self.migrator();
        let pending = migrator
            .iter()
            .filter(|m| !applied.contains(&m.version))
            .map(|m| Migration {
                version: m.version,
                description: m.description.replace(' ', "_"),
            })
            .collect();
        let unknown = applied
            .into_iter()
            .filter(|v| !migrator.iter().any(|m| m.version == *v))
            .collect();
        Ok(SchemaStatus { pending, unknown })
    }

    /// Applies the pending migrations (under sqlx's lock, so instances started together
    /// take turns) and returns those that were pending.
    pub async fn migrate(&self) -> Result<Vec<Migration>, StorageError> {
        let before = self.schema().await?;
        match self {
            Self::Sqlite(pool) => sqlite::migrate(pool).await?,
            Self::Postgres(pool) => postgres::MIGRATOR.run(pool).await?,
        }
        Ok(before.pending)
    }

    /// The versions recorded as applied; none when the bookkeeping table does not exist yet
    /// (a database heatdesk never migrated). Failed attempts do not count.
    async fn applied_versions(&self) -> Result<Vec<i64>, StorageError> {
        const LIST: &str = "SELECT version FROM _sqlx_migrations WHERE success ORDER BY version";
        let exists: bool = match self {
            Self::Sqlite(pool) => {
                sqlx::query_scalar(
                    "SELECT COUNT(*) > 0 FROM sqlite_master \
                     WHERE type = 'table' AND name = '_sqlx_migrations'",
                )
                .fetch_one(pool)
                .await?
            }
            Self::Postgres(pool) => {
                sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations') IS NOT NULL")
                    .fetch_one(pool)
                    .await?
            }
        };
        if !exists {
            return Ok(Vec::new());
        }
        Ok(match self {
            Self::Sqlite(pool) => sqlx::query_scalar(LIST).fetch_all(pool).await?,
            Self::Postgres(pool) => sqlx::query_scalar(LIST).fetch_all(pool).await?,
        })
    }
}

/// Is every migration recorded in `applied` (version, checksum) one of this build's, with
/// the same text? Used to tell a heatdesk SQLite backup from any other database.
pub(super) fn sqlite_checksums_match(applied: &[(i64, Vec<u8>)]) -> Result<(), String> {
    if applied.is_empty() {
        return Err("it has no heatdesk migrations".to_owned());
    }
    for (version, checksum) in applied {
        match sqlite::MIGRATOR.iter().find(|m| m.version == *version) {
            None => {
                return Err(format!(
                    "it has migration {version}, which this heatdesk does not know \
                     (taken by a newer heatdesk: restore with that version)"
                ))
            }
            Some(m) if m.checksum.as_ref() != checksum.as_slice() => {
                return Err(format!(
                    "its migration {version} is not heatdesk's (different text)"
                ))
            }
            Some(_) => {}
        }
    }
    Ok(())
}
