//! Desk users and their sessions in the database, per backend behind one trait. Passwords
//! are Argon2id hashes; a session cookie is a random token of which only the SHA-256 is
//! stored, so a copy of the database opens no session.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::Row;

use crate::storage::Database;

mod kept;
pub use kept::KEPT_FOR;

#[derive(Debug, thiserror::Error)]
pub enum UserError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("stored value: {0}")]
    Decode(String),
    #[error("a user named `{0}` exists")]
    Exists(String),
    #[error("password hashing: {0}")]
    Hash(String),
    #[error("{0}")]
    Invalid(String),
}

/// What a desk user may do. Admins may do everything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Answers residents: queue, conversations, hotline assist.
    Agent,
    /// Station heads and inspectors: work orders of their area.
    Station,
    /// The standardization office: unanswered questions, ratings.
    Curator,
    /// Users and everything else.
    Admin,
    /// Management: reads the reports, changes nothing.
    Manager,
}

impl Role {
    pub const ALL: [Self; 5] = [
        Self::Agent,
        Self::Station,
        Self::Curator,
        Self::Admin,
        Self::Manager,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Agent => "agent",
            Self::Station => "station",
            Self::Curator => "curator",
            Self::Admin => "admin",
            Self::Manager => "manager",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub name: String,
    pub display_name: String,
    pub role: Role,
    /// A station user's district (work orders of other districts are not theirs).
    pub area: Option<String>,
    pub disabled: bool,
}

impl User {
    /// Whether the user may use pages of `role`.
    pub fn can(&self, role: Role) -> bool {
        self.role == role || self.role == Role::Admin
    }

    /// Whether the user may use pages open to any of `roles` (admins pass).
    pub fn can_any(&self, roles: &[Role]) -> bool {
        roles.iter().any(|r| self.can(*r))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    pub name: String,
    pub display_name: String,
    pub role: Role,
    pub area: Option<String>,
}

impl NewUser {
    pub fn validate(&self) -> Result<(), UserError> {
        if !valid_name(&self.name) {
            return Err(UserError::Invalid(
                "a user name has 2 to 32 letters, digits, dots, dashes or underscores".into(),
            ));
        }
        if self.display_name.trim().is_empty() {
            return Err(UserError::Invalid("the display name is empty".into()));
        }
        Ok(())
    }
}

/// Whether `name` may be a login name: 2 to 32 ASCII letters, digits, `.`, `-` or `_`, so
/// it is typed the same on every keyboard and never needs escaping.
pub fn valid_name(name: &str) -> bool {
    (2..=32).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
}

/// Shortest password accepted.
pub const MIN_PASSWORD: usize = 8;

pub fn hash_password(password: &str) -> Result<String, UserError> {
    use argon2::password_hash::{rand_core::OsRng, PasswordHasher, SaltString};
    if password.chars().count() < MIN_PASSWORD {
        return Err(UserError::Invalid(format!(
            "a password has at least {MIN_PASSWORD} characters"
        )));
    }
    let salt = SaltString::generate(&mut OsRng);
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| UserError::Hash(e.to_string()))
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    PasswordHash::new(hash).is_ok_and(|h| {
        argon2::Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// A live session: its user and the token forms must echo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub user: User,
    pub csrf: String,
    pub expires_at: DateTime<Utc>,
}

#[async_trait]
pub trait UserStore: Send + Sync + std::fmt::Debug + 'static {
    async fn create(&self, new: &NewUser, password_hash: &str) -> Result<User, UserError>;

    /// The user and their password hash.
    async fn by_name(&self, name: &str) -> Result<Option<(User, String)>, UserError>;

    async fn get(&self, id: i64) -> Result<Option<User>, UserError>;

    /// By role, then name.
    async fn list(&self) -> Result<Vec<User>, UserError>;

    async fn set_password(&self, id: i64, password_hash: &str) -> Result<bool, UserError>;

    /// Disabling ends the user's sessions.
    async fn set_disabled(&self, id: i64, disabled: bool) -> Result<bool, UserError>;

    async fn create_session(
        &self,
        token_hash: &str,
        user: i64,
        csrf: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<(), UserError>;

    /// The session if it has not expired and its user is enabled.
    async fn session(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Session>, UserError>;

    async fn end_session(&self, token_hash: &str) -> Result<(), UserError>;

    /// Forgets expired sessions; returns how many.
    async fn purge_sessions(&self, now: DateTime<Utc>) -> Result<u64, UserError>;

    /// Until when the user may not sign in (too many wrong passwords), if locked now.
    async fn locked_until(
        &self,
        id: i64,
        now: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>, UserError>;

    /// Counts a wrong password; the `limit`-th in a row locks the user until `lock_until`.
    /// Returns whether this one locked it.
    async fn login_failed(
        &self,
        id: i64,
        limit: i64,
        lock_until: DateTime<Utc>,
    ) -> Result<bool, UserError>;

    async fn login_succeeded(&self, id: i64) -> Result<(), UserError>;
}

/// The users of `db`, their sessions kept in memory for `KEPT_FOR` after each lookup.
pub fn store_for(db: &Database) -> std::sync::Arc<dyn UserStore> {
    store_kept_for(db, KEPT_FOR)
}

/// As `store_for`, with sessions kept for `kept_for`.
pub fn store_kept_for(
    db: &Database,
    kept_for: std::time::Duration,
) -> std::sync::Arc<dyn UserStore> {
    let inner: std::sync::Arc<dyn UserStore> = match db {
        Database::Sqlite(pool) => std::sync::Arc::new(SqliteUsers { pool: pool.clone() }),
        Database::Postgres(pool) => std::sync::Arc::new(PgUsers { pool: pool.clone() }),
    };
    std::sync::Arc::new(kept::KeptSessions::kept_for(inner, kept_for))
}

const USER_COLUMNS: &str = "id, name, display_name, role, area, disabled";
const INSERT: &str = "INSERT INTO desk_users \
     (name, display_name, role, area, password_hash, disabled, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (name) DO NOTHING RETURNING id";
const SET_PASSWORD: &str = "UPDATE desk_users SET password_hash = $2 WHERE id = $1";
const SET_DISABLED: &str = "UPDATE desk_users SET disabled = $2 WHERE id = $1";
const END_USER_SESSIONS: &str = "DELETE FROM desk_sessions WHERE user_id = $1";
const CREATE_SESSION: &str = "INSERT INTO desk_sessions \
     (token_hash, user_id, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)";
const SESSION: &str = "SELECT u.id, u.name, u.display_name, u.role, u.area, u.disabled, \
     s.csrf, s.expires_at FROM desk_sessions s JOIN desk_users u ON u.id = s.user_id \
     WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.disabled = $3";
const END_SESSION: &str = "DELETE FROM desk_sessions WHERE token_hash = $1";
const PURGE: &str = "DELETE FROM desk_sessions WHERE expires_at <= $1";
const LOCKED: &str = "SELECT locked_until FROM desk_users WHERE id = $1 AND locked_until > $2";
const FAILED: &str = "UPDATE desk_users SET failed_logins = failed_logins + 1 WHERE id = $1 \
     RETURNING failed_logins";
const LOCK: &str = "UPDATE desk_users SET failed_logins = 0, locked_until = $2 WHERE id = $1";
const SUCCEEDED: &str =
    "UPDATE desk_users SET failed_logins = 0, locked_until = NULL WHERE id = $1";

fn decode_err<E: std::fmt::Display>(e: E) -> UserError {
    UserError::Decode(e.to_string())
}

macro_rules! impl_store {
    ($name:ident, $pool:ty, $row:ty) => {
        #[derive(Debug, Clone)]
        struct $name {
            pool: $pool,
        }

        impl $name {
            fn user(r: &$row) -> Result<User, UserError> {
                let role: String = r.try_get("role")?;
                Ok(User {
                    id: r.try_get("id")?,
                    name: r.try_get("name")?,
                    display_name: r.try_get("display_name")?,
                    role: Role::parse(&role).ok_or_else(|| decode_err(format!("role `{role}`")))?,
                    area: r.try_get("area")?,
                    disabled: r.try_get("disabled")?,
                })
            }
        }

        #[async_trait]
        impl UserStore for $name {
            async fn create(&self, new: &NewUser, password_hash: &str) -> Result<User, UserError> {
                new.validate()?;
                let row = sqlx::query(INSERT)
                    .bind(&new.name)
                    .bind(&new.display_name)
                    .bind(new.role.as_str())
                    .bind(new.area.as_deref())
                    .bind(password_hash)
                    .bind(false)
                    .bind(Utc::now())
                    .fetch_optional(&self.pool)
                    .await?;
                let Some(row) = row else {
                    return Err(UserError::Exists(new.name.clone()));
                };
                Ok(User {
                    id: row.try_get("id")?,
                    name: new.name.clone(),
                    display_name: new.display_name.clone(),
                    role: new.role,
                    area: new.area.clone(),
                    disabled: false,
                })
            }

            async fn by_name(&self, name: &str) -> Result<Option<(User, String)>, UserError> {
                let sql =
                    format!("SELECT {USER_COLUMNS}, password_hash FROM desk_users WHERE name = $1");
                let row = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
                    .bind(name)
                    .fetch_optional(&self.pool)
                    .await?;
                row.map(|r| Ok((Self::user(&r)?, r.try_get("password_hash")?)))
                    .transpose()
            }

            async fn get(&self, id: i64) -> Result<Option<User>, UserError> {
                let sql = format!("SELECT {USER_COLUMNS} FROM desk_users WHERE id = $1");
                let row = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                row.map(|r| Self::user(&r)).transpose()
            }

            async fn list(&self) -> Result<Vec<User>, UserError> {
                let sql = format!("SELECT {USER_COLUMNS} FROM desk_users ORDER BY role, name");
                let rows = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter().map(Self::user).collect()
            }

            async fn set_password(&self, id: i64, password_hash: &str) -> Result<bool, UserError> {
                let mut tx = self.pool.begin().await?;
                let done = sqlx::query(SET_PASSWORD)
                    .bind(id)
                    .bind(password_hash)
                    .execute(&mut *tx)
                    .await?;
                // A new password ends the sessions opened with the old one.
                sqlx::query(END_USER_SESSIONS)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(done.rows_affected() == 1)
            }

            async fn set_disabled(&self, id: i64, disabled: bool) -> Result<bool, UserError> {
                let mut tx = self.pool.begin().await?;
                let done = sqlx::query(SET_DISABLED)
                    .bind(id)
                    .bind(disabled)
                    .execute(&mut *tx)
                    .await?;
                if disabled {
                    sqlx::query(END_USER_SESSIONS)
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                Ok(done.rows_affected() == 1)
            }

            async fn create_session(
                &self,
                token_hash: &str,
                user: i64,
                csrf: &str,
                now: DateTime<Utc>,
                expires_at: DateTime<Utc>,
            ) -> Result<(), UserError> {
                sqlx::query(CREATE_SESSION)
                    .bind(token_hash)
                    .bind(user)
                    .bind(csrf)
                    .bind(now)
                    .bind(expires_at)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn session(
                &self,
                token_hash: &str,
                now: DateTime<Utc>,
            ) -> Result<Option<Session>, UserError> {
                let row = sqlx::query(SESSION)
                    .bind(token_hash)
                    .bind(now)
                    .bind(false)
                    .fetch_optional(&self.pool)
                    .await?;
                row.map(|r| {
                    Ok(Session {
                        user: Self::user(&r)?,
                        csrf: r.try_get("csrf")?,
                        expires_at: r.try_get("expires_at")?,
                    })
                })
                .transpose()
            }

            async fn end_session(&self, token_hash: &str) -> Result<(), UserError> {
                sqlx::query(END_SESSION)
                    .bind(token_hash)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn purge_sessions(&self, now: DateTime<Utc>) -> Result<u64, UserError> {
                let done = sqlx::query(PURGE).bind(now).execute(&self.pool).await?;
                Ok(done.rows_affected())
            }

            async fn locked_until(
                &self,
                id: i64,
                now: DateTime<Utc>,
            ) -> Result<Option<DateTime<Utc>>, UserError> {
                let row = sqlx::query(LOCKED)
                    .bind(id)
                    .bind(now)
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(row.map(|r| r.try_get("locked_until")).transpose()?)
            }

            async fn login_failed(
                &self,
                id: i64,
                limit: i64,
                lock_until: DateTime<Utc>,
            ) -> Result<bool, UserError> {
                let mut tx = self.pool.begin().await?;
                let row = sqlx::query(FAILED).bind(id).fetch_one(&mut *tx).await?;
                let failed: i64 = row.try_get("failed_logins")?;
                let lock = failed >= limit;
                if lock {
                    sqlx::query(LOCK)
                        .bind(id)
                        .bind(lock_until)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                Ok(lock)
            }

            async fn login_succeeded(&self, id: i64) -> Result<(), UserError> {
                sqlx::query(SUCCEEDED).bind(id).execute(&self.pool).await?;
                Ok(())
            }
        }
    };
}

impl_store!(SqliteUsers, sqlx::SqlitePool, sqlx::sqlite::SqliteRow);
impl_store!(PgUsers, sqlx::PgPool, sqlx::postgres::PgRow);
