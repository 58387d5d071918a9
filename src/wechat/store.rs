//! The dispatcher's retry memory and the access token, in heatdesk's database, so every
//! instance behind the callback URL recognises a retry and shares one token.
//!
//! Both backends run the same statements (`$N` placeholders, `ON CONFLICT`).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use sqlx::Row;
use wechat_mp::bot::{AccessToken, TokenStore};
use wechat_mp::dedup::{Claim, DedupKey, DedupStore, Outcome, StoreError};

use crate::storage::Database;

fn millis(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn now_ms() -> i64 {
    millis(SystemTime::now())
}

fn ttl_ms(ttl: Duration) -> i64 {
    i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX)
}

#[derive(Debug, Clone)]
pub struct DbStores {
    db: Database,
}

impl DbStores {
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    async fn execute(&self, sql: &str, binds: &[Bind<'_>]) -> Result<u64, sqlx::Error> {
        Ok(match &self.db {
            Database::Sqlite(pool) => bind_all(sqlx::query(sql), binds)
                .execute(pool)
                .await?
                .rows_affected(),
            Database::Postgres(pool) => bind_all_pg(sqlx::query(sql), binds)
                .execute(pool)
                .await?
                .rows_affected(),
        })
    }

    /// One row as (text, integer) columns.
    async fn fetch_pair(
        &self,
        sql: &str,
        binds: &[Bind<'_>],
    ) -> Result<Option<(Option<String>, i64)>, sqlx::Error> {
        Ok(match &self.db {
            Database::Sqlite(pool) => bind_all(sqlx::query(sql), binds)
                .fetch_optional(pool)
                .await?
                .map(|r| Ok::<_, sqlx::Error>((r.try_get(0)?, r.try_get(1)?)))
                .transpose()?,
            Database::Postgres(pool) => bind_all_pg(sqlx::query(sql), binds)
                .fetch_optional(pool)
                .await?
                .map(|r| Ok::<_, sqlx::Error>((r.try_get(0)?, r.try_get(1)?)))
                .transpose()?,
        })
    }
}

enum Bind<'a> {
    Text(&'a str),
    Int(i64),
}

fn bind_all<'q>(
    mut q: sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments<'q>>,
    binds: &'q [Bind<'q>],
) -> sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments<'q>> {
    for b in binds {
        q = match b {
            Bind::Text(s) => q.bind(*s),
            Bind::Int(i) => q.bind(*i),
        };
    }
    q
}

fn bind_all_pg<'q>(
    mut q: sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>,
    binds: &'q [Bind<'q>],
) -> sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments> {
    for b in binds {
        q = match b {
            Bind::Text(s) => q.bind(*s),
            Bind::Int(i) => q.bind(*i),
        };
    }
    q
}

#[async_trait]
impl DedupStore for DbStores {
    async fn claim(&self, key: &DedupKey, ttl: Duration) -> Result<Claim, StoreError> {
        let (now, k) = (now_ms(), key.as_str());
        let expires = now.saturating_add(ttl_ms(ttl));
        let sql = "INSERT INTO wechat_dedup (key, outcome, expires_at) VALUES ($1, NULL, $2) ON CONFLICT (key) DO NOTHING";
        if self
            .execute(sql, &[Bind::Text(k), Bind::Int(expires)])
            .await?
            == 1
        {
            return Ok(Claim::Fresh);
        }
        // An expired entry is a new push that happens to share the key: take it over.
        let sql = "UPDATE wechat_dedup SET outcome = NULL, expires_at = $1 WHERE key = $2 AND expires_at < $3";
        if self
            .execute(sql, &[Bind::Int(expires), Bind::Text(k), Bind::Int(now)])
            .await?
            == 1
        {
            return Ok(Claim::Fresh);
        }
        let row = self
            .fetch_pair(
                "SELECT outcome, expires_at FROM wechat_dedup WHERE key = $1",
                &[Bind::Text(k)],
            )
            .await?;
        Ok(match row {
            Some((Some(outcome), _)) => Claim::Done(serde_json::from_str::<Outcome>(&outcome)?),
            _ => Claim::Pending,
        })
    }

    async fn complete(
        &self,
        key: &DedupKey,
        outcome: &Outcome,
        ttl: Duration,
    ) -> Result<(), StoreError> {
        let json = serde_json::to_string(outcome)?;
        let expires = now_ms().saturating_add(ttl_ms(ttl));
        let sql = "UPDATE wechat_dedup SET outcome = $1, expires_at = $2 WHERE key = $3";
        self.execute(
            sql,
            &[
                Bind::Text(&json),
                Bind::Int(expires),
                Bind::Text(key.as_str()),
            ],
        )
        .await?;
        // Old entries are cleared as new ones complete, so the table stays small.
        self.execute(
            "DELETE FROM wechat_dedup WHERE expires_at < $1",
            &[Bind::Int(now_ms())],
        )
        .await?;
        Ok(())
    }
}

#[async_trait]
impl TokenStore for DbStores {
    async fn load(&self, appid: &str) -> Result<Option<AccessToken>, StoreError> {
        let row = self
            .fetch_pair(
                "SELECT value, expires_at FROM wechat_tokens WHERE appid = $1",
                &[Bind::Text(appid)],
            )
            .await?;
        Ok(row.and_then(|(value, at)| {
            let expires_at = UNIX_EPOCH + Duration::from_millis(u64::try_from(at).unwrap_or(0));
            value.map(|value| AccessToken { value, expires_at })
        }))
    }

    async fn save(&self, appid: &str, token: &AccessToken) -> Result<(), StoreError> {
        let sql = "INSERT INTO wechat_tokens (appid, value, expires_at) VALUES ($1, $2, $3) \
                   ON CONFLICT (appid) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at";
        let at = millis(token.expires_at);
        self.execute(
            sql,
            &[Bind::Text(appid), Bind::Text(&token.value), Bind::Int(at)],
        )
        .await?;
        Ok(())
    }

    async fn discard(&self, appid: &str, rejected: &str) -> Result<(), StoreError> {
        let sql = "DELETE FROM wechat_tokens WHERE appid = $1 AND value = $2";
        self.execute(sql, &[Bind::Text(appid), Bind::Text(rejected)])
            .await?;
        Ok(())
    }
}
