//! SQLite backups: an online copy while the server runs (`VACUUM INTO`, one consistent
//! snapshot however busy the server is) and a restore that checks the file before it takes
//! the database's place. PostgreSQL's route is `pg_dump`/`pg_restore` (the command line
//! says how).

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteLockingMode};
use sqlx::{ConnectOptions, Connection, SqliteConnection};

use super::schema::sqlite_checksums_match;
use super::StorageError;

/// What a restore did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restored {
    /// Where the database it replaced was moved (with its `-wal`/`-shm` files), if any.
    pub replaced: Option<PathBuf>,
    /// Migrations this build will apply at the next start (the backup is older).
    pub pending: usize,
}

/// The file a `sqlite:` URL names.
pub fn sqlite_path(url: &str) -> Result<PathBuf, StorageError> {
    Ok(SqliteConnectOptions::from_str(url)?
        .get_filename()
        .to_path_buf())
}

fn file_error(path: &Path, source: std::io::Error) -> StorageError {
    StorageError::File {
        path: path.display().to_string(),
        source,
    }
}

async fn open_existing(path: &Path) -> Result<SqliteConnection, StorageError> {
    if !path.exists() {
        let missing = std::io::Error::from(std::io::ErrorKind::NotFound);
        return Err(file_error(path, missing));
    }
    Ok(SqliteConnectOptions::new()
        .filename(path)
        .busy_timeout(Duration::from_secs(5))
        .connect()
        .await?)
}

/// Writes a consistent copy of the SQLite database `url` names to `dest` while other
/// connections (a running server) go on reading and writing. `dest` must not exist; the
/// copy appears there only once complete. Returns its size in bytes.
pub async fn backup_sqlite(url: &str, dest: &Path) -> Result<u64, StorageError> {
    if dest.exists() {
        let exists = std::io::Error::from(std::io::ErrorKind::AlreadyExists);
        return Err(file_error(dest, exists));
    }
    let partial = with_suffix(dest, ".partial");
    let _ = std::fs::remove_file(&partial);
    let mut conn = open_existing(&sqlite_path(url)?).await?;
    sqlx::query("VACUUM INTO ?")
        .bind(partial.display().to_string())
        .execute(&mut conn)
        .await?;
    conn.close().await?;
    std::fs::rename(&partial, dest).map_err(|e| file_error(dest, e))?;
    std::fs::metadata(dest)
        .map(|m| m.len())
        .map_err(|e| file_error(dest, e))
}

/// Checks that `path` is an intact heatdesk SQLite database this build can run on, and
/// returns how many of this build's migrations it lacks.
pub async fn verify_sqlite_backup(path: &Path) -> Result<usize, StorageError> {
    let not_a_backup = |why: String| StorageError::NotABackup {
        path: path.display().to_string(),
        why,
    };
    let mut conn = open_existing(path)
        .await
        .map_err(|e| not_a_backup(e.to_string()))?;
    let integrity: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_all(&mut conn)
        .await
        .map_err(|e| not_a_backup(e.to_string()))?;
    if integrity != ["ok"] {
        let found = integrity.into_iter().take(5).collect::<Vec<_>>().join("; ");
        return Err(not_a_backup(format!("integrity check: {found}")));
    }
    let has_migrations: bool = sqlx::query_scalar(
        "SELECT COUNT(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
    )
    .fetch_one(&mut conn)
    .await?;
    let applied: Vec<(i64, Vec<u8>)> = if has_migrations {
        sqlx::query_as("SELECT version, checksum FROM _sqlx_migrations WHERE success")
            .fetch_all(&mut conn)
            .await?
    } else {
        Vec::new()
    };
    conn.close().await?;
    sqlite_checksums_match(&applied).map_err(not_a_backup)?;
    Ok(super::sqlite::MIGRATOR.iter().count() - applied.len())
}

/// Does another process have the database open? Asks SQLite for the file to itself: a
/// running server's open connections (idle ones too) refuse that.
pub async fn sqlite_in_use(path: &Path) -> Result<bool, StorageError> {
    if !path.exists() {
        return Ok(false);
    }
    let attempt = async {
        let mut conn = SqliteConnectOptions::new()
            .filename(path)
            .locking_mode(SqliteLockingMode::Exclusive)
            .busy_timeout(Duration::ZERO)
            .connect()
            .await?;
        sqlx::query("BEGIN EXCLUSIVE").execute(&mut conn).await?;
        sqlx::query("SELECT COUNT(*) FROM sqlite_master")
            .execute(&mut conn)
            .await?;
        sqlx::query("ROLLBACK").execute(&mut conn).await?;
        conn.close().await
    };
    match attempt.await {
        Ok(()) => Ok(false),
        Err(sqlx::Error::Database(e)) if is_busy(e.code().as_deref()) => Ok(true),
        Err(e) => Err(e.into()),
    }
}

/// SQLITE_BUSY (5) or SQLITE_LOCKED (6), extended codes included.
fn is_busy(code: Option<&str>) -> bool {
    code.and_then(|c| c.parse::<i32>().ok())
        .is_some_and(|c| matches!(c & 0xff, 5 | 6))
}

/// Puts the backup at `backup` in place of the SQLite database `url` names, after checking
/// it. A database in use is refused unless `force`; the one replaced is kept beside it.
pub async fn restore_sqlite(
    url: &str,
    backup: &Path,
    force: bool,
) -> Result<Restored, StorageError> {
    let target = sqlite_path(url)?;
    if !force && sqlite_in_use(&target).await? {
        return Err(StorageError::InUse {
            path: target.display().to_string(),
        });
    }
    if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| file_error(dir, e))?;
    }
    // Checked where it will live, so the bytes checked are the bytes that take over.
    let staged = with_suffix(&target, ".restoring");
    std::fs::copy(backup, &staged).map_err(|e| file_error(backup, e))?;
    let pending = match verify_sqlite_backup(&staged).await {
        Ok(pending) => pending,
        Err(e) => {
            remove_with_journals(&staged);
            return Err(match e {
                StorageError::NotABackup { why, .. } => StorageError::NotABackup {
                    path: backup.display().to_string(),
                    why,
                },
                other => other,
            });
        }
    };
    let replaced = if target.exists() {
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
        let aside = with_suffix(&target, &format!(".before-restore-{stamp}"));
        for ext in ["", "-wal", "-shm"] {
            let from = with_suffix(&target, ext);
            if from.exists() {
                let to = with_suffix(&aside, ext);
                std::fs::rename(&from, &to).map_err(|e| file_error(&from, e))?;
            }
        }
        Some(aside)
    } else {
        None
    };
    std::fs::rename(&staged, &target).map_err(|e| file_error(&target, e))?;
    Ok(Restored { replaced, pending })
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn remove_with_journals(path: &Path) {
    for ext in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(with_suffix(path, ext));
    }
}
