//! The interruptions' store on SQLite and on PostgreSQL. The statements are portable (`$N`
//! placeholders, `ON CONFLICT`, `RETURNING`), so one body serves both pools; the schemas
//! differ per backend in `migrations/<backend>/0014_interruptions.sql`. Estates and
//! buildings are JSON arrays in text columns on both.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Row;

use super::store::{IncidentStore, Subscriber};
use super::{Checked, Event, EventKind, IncidentError, Interruption, Kind, Scope};

const COLUMNS: &str = "id, kind, district, estates, buildings, cause, starts_at, eta, \
     restored_at, opened_by, updated_by, opened_at, updated_at";
const INSERT: &str = "INSERT INTO interruptions (kind, district, estates, buildings, cause, \
     starts_at, eta, opened_by, updated_by, opened_at, updated_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9, $9) RETURNING id";
const EVENT: &str = "INSERT INTO interruption_events (interruption_id, kind, eta, at, by_whom) \
     VALUES ($1, $2, $3, $4, $5)";
const SET_ETA: &str = "UPDATE interruptions SET eta = $2, updated_by = $3, updated_at = $4 \
     WHERE id = $1 AND restored_at IS NULL";
const RESTORE: &str = "UPDATE interruptions SET restored_at = $2, updated_by = $3, \
     updated_at = $2 WHERE id = $1 AND restored_at IS NULL";
const EVENTS: &str = "SELECT id, interruption_id, kind, eta, at, by_whom \
     FROM interruption_events WHERE interruption_id = $1 ORDER BY id";
const VERSION: &str = "SELECT COALESCE(MAX(id), 0) AS v FROM interruption_events";
const SUBSCRIBE: &str = "INSERT INTO interruption_subscribers \
     (interruption_id, user_id, after_event, subscribed_at) \
     VALUES ($1, $2, (SELECT COALESCE(MAX(id), 0) FROM interruption_events \
     WHERE interruption_id = $1), $3) ON CONFLICT (interruption_id, user_id) DO NOTHING";
const UNTOLD: &str = "SELECT e.id, e.interruption_id, e.kind, e.eta, e.at, e.by_whom, s.user_id \
     FROM interruption_events e JOIN interruption_subscribers s \
     ON s.interruption_id = e.interruption_id \
     WHERE e.kind <> 'opened' AND e.id > s.after_event AND NOT EXISTS (SELECT 1 \
     FROM interruption_notices n WHERE n.event_id = e.id AND n.user_id = s.user_id) \
     ORDER BY e.id, s.user_id";
const CLAIM: &str = "INSERT INTO interruption_notices (event_id, user_id, state, claimed_at) \
     VALUES ($1, $2, 'claimed', $3) ON CONFLICT (event_id, user_id) DO NOTHING";
const SENT: &str = "UPDATE interruption_notices SET state = 'sent' \
     WHERE event_id = $1 AND user_id = $2";
const HELD: &str = "UPDATE interruption_notices SET state = 'held' \
     WHERE event_id = $1 AND user_id = $2 AND state = 'claimed'";
// The held notices of request progress (`transcript`): shown at the resident's next message.
const HOLD: &str = "INSERT INTO notices (user_id, text, created_at) VALUES ($1, $2, $3)";
const CLAIMED: &str = "SELECT e.id, e.interruption_id, e.kind, e.eta, e.at, e.by_whom, \
     n.user_id, n.claimed_at FROM interruption_notices n \
     JOIN interruption_events e ON e.id = n.event_id WHERE n.state = 'claimed' ORDER BY e.id";

fn decode<T, E: std::fmt::Display>(r: Result<T, E>) -> Result<T, IncidentError> {
    r.map_err(|e| IncidentError::Decode(e.to_string()))
}

fn list(json: &str) -> Result<Vec<String>, IncidentError> {
    decode(serde_json::from_str(json))
}

fn to_json(v: &[String]) -> String {
    serde_json::Value::from(v.to_vec()).to_string()
}

fn interruption<R: Row>(r: &R) -> Result<Interruption, IncidentError>
where
    for<'c> &'c str: sqlx::ColumnIndex<R>,
    for<'d> i64: sqlx::Decode<'d, R::Database> + sqlx::Type<R::Database>,
    for<'d> String: sqlx::Decode<'d, R::Database> + sqlx::Type<R::Database>,
    for<'d> DateTime<Utc>: sqlx::Decode<'d, R::Database> + sqlx::Type<R::Database>,
    for<'d> Option<DateTime<Utc>>: sqlx::Decode<'d, R::Database> + sqlx::Type<R::Database>,
{
    let kind: String = r.try_get("kind")?;
    Ok(Interruption {
        id: r.try_get("id")?,
        kind: Kind::parse(&kind).ok_or_else(|| IncidentError::Decode(format!("kind `{kind}`")))?,
        scope: Scope {
            district: r.try_get("district")?,
            estates: list(&r.try_get::<String, _>("estates")?)?,
            buildings: list(&r.try_get::<String, _>("buildings")?)?,
        },
        cause: r.try_get("cause")?,
        starts_at: r.try_get("starts_at")?,
        eta: r.try_get("eta")?,
        restored_at: r.try_get("restored_at")?,
        opened_by: r.try_get("opened_by")?,
        updated_by: r.try_get("updated_by")?,
        opened_at: r.try_get("opened_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

fn event<R: Row>(r: &R) -> Result<Event, IncidentError>
where
    for<'c> &'c str: sqlx::ColumnIndex<R>,
    for<'d> i64: sqlx::Decode<'d, R::Database> + sqlx::Type<R::Database>,
    for<'d> String: sqlx::Decode<'d, R::Database> + sqlx::Type<R::Database>,
    for<'d> DateTime<Utc>: sqlx::Decode<'d, R::Database> + sqlx::Type<R::Database>,
    for<'d> Option<DateTime<Utc>>: sqlx::Decode<'d, R::Database> + sqlx::Type<R::Database>,
{
    let kind: String = r.try_get("kind")?;
    Ok(Event {
        id: r.try_get("id")?,
        interruption: r.try_get("interruption_id")?,
        kind: EventKind::parse(&kind)
            .ok_or_else(|| IncidentError::Decode(format!("event `{kind}`")))?,
        eta: r.try_get("eta")?,
        at: r.try_get("at")?,
        by: r.try_get("by_whom")?,
    })
}

macro_rules! impl_store {
    ($name:ident, $pool:ty) => {
        #[derive(Debug, Clone)]
        pub struct $name {
            pool: $pool,
        }

        impl $name {
            pub fn new(pool: $pool) -> Self {
                Self { pool }
            }

            /// Why an update touched no row.
            async fn why_unchanged(&self, id: i64) -> IncidentError {
                match self.get(id).await {
                    Ok(Some(_)) => IncidentError::AlreadyRestored,
                    Ok(None) => IncidentError::NotFound,
                    Err(e) => e,
                }
            }

            async fn found(&self, id: i64) -> Result<Interruption, IncidentError> {
                self.get(id).await?.ok_or(IncidentError::NotFound)
            }
        }

        #[async_trait]
        impl IncidentStore for $name {
            async fn open(
                &self,
                new: &Checked,
                by: &str,
                at: DateTime<Utc>,
            ) -> Result<Interruption, IncidentError> {
                let mut tx = self.pool.begin().await?;
                let row = sqlx::query(INSERT)
                    .bind(new.kind.as_str())
                    .bind(new.scope.district.as_str())
                    .bind(to_json(&new.scope.estates))
                    .bind(to_json(&new.scope.buildings))
                    .bind(new.cause.as_str())
                    .bind(new.starts_at)
                    .bind(new.eta)
                    .bind(by)
                    .bind(at)
                    .fetch_one(&mut *tx)
                    .await?;
                let id: i64 = row.try_get("id")?;
                sqlx::query(EVENT)
                    .bind(id)
                    .bind(EventKind::Opened.as_str())
                    .bind(Some(new.eta))
                    .bind(at)
                    .bind(by)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                self.found(id).await
            }

            async fn set_eta(
                &self,
                id: i64,
                eta: DateTime<Utc>,
                by: &str,
                at: DateTime<Utc>,
            ) -> Result<Interruption, IncidentError> {
                let mut tx = self.pool.begin().await?;
                let done = sqlx::query(SET_ETA)
                    .bind(id)
                    .bind(eta)
                    .bind(by)
                    .bind(at)
                    .execute(&mut *tx)
                    .await?;
                if done.rows_affected() == 0 {
                    drop(tx);
                    return Err(self.why_unchanged(id).await);
                }
                sqlx::query(EVENT)
                    .bind(id)
                    .bind(EventKind::Eta.as_str())
                    .bind(Some(eta))
                    .bind(at)
                    .bind(by)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                self.found(id).await
            }

            async fn restore(
                &self,
                id: i64,
                restored_at: DateTime<Utc>,
                by: &str,
            ) -> Result<Interruption, IncidentError> {
                let mut tx = self.pool.begin().await?;
                let done = sqlx::query(RESTORE)
                    .bind(id)
                    .bind(restored_at)
                    .bind(by)
                    .execute(&mut *tx)
                    .await?;
                if done.rows_affected() == 0 {
                    drop(tx);
                    return Err(self.why_unchanged(id).await);
                }
                sqlx::query(EVENT)
                    .bind(id)
                    .bind(EventKind::Restored.as_str())
                    .bind(None::<DateTime<Utc>>)
                    .bind(restored_at)
                    .bind(by)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                self.found(id).await
            }

            async fn get(&self, id: i64) -> Result<Option<Interruption>, IncidentError> {
                let sql = format!("SELECT {COLUMNS} FROM interruptions WHERE id = $1");
                let row = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                row.as_ref().map(interruption).transpose()
            }

            async fn unrestored(&self) -> Result<Vec<Interruption>, IncidentError> {
                let sql = format!(
                    "SELECT {COLUMNS} FROM interruptions WHERE restored_at IS NULL ORDER BY id"
                );
                let rows = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter().map(interruption).collect()
            }

            async fn recent(&self, limit: i64) -> Result<Vec<Interruption>, IncidentError> {
                let sql = format!("SELECT {COLUMNS} FROM interruptions ORDER BY id DESC LIMIT $1");
                let rows = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter().map(interruption).collect()
            }

            async fn events(&self, id: i64) -> Result<Vec<Event>, IncidentError> {
                let rows = sqlx::query(EVENTS).bind(id).fetch_all(&self.pool).await?;
                rows.iter().map(event).collect()
            }

            async fn version(&self) -> Result<i64, IncidentError> {
                let row = sqlx::query(VERSION).fetch_one(&self.pool).await?;
                Ok(row.try_get("v")?)
            }

            async fn subscribe(
                &self,
                id: i64,
                user: &str,
                at: DateTime<Utc>,
            ) -> Result<bool, IncidentError> {
                let done = sqlx::query(SUBSCRIBE)
                    .bind(id)
                    .bind(user)
                    .bind(at)
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn untold(&self) -> Result<Vec<Subscriber>, IncidentError> {
                let rows = sqlx::query(UNTOLD).fetch_all(&self.pool).await?;
                rows.iter()
                    .map(|r| {
                        Ok(Subscriber {
                            event: event(r)?,
                            user: r.try_get("user_id")?,
                        })
                    })
                    .collect()
            }

            async fn claim(
                &self,
                event: i64,
                user: &str,
                at: DateTime<Utc>,
            ) -> Result<bool, IncidentError> {
                let done = sqlx::query(CLAIM)
                    .bind(event)
                    .bind(user)
                    .bind(at)
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn sent(&self, event: i64, user: &str) -> Result<(), IncidentError> {
                sqlx::query(SENT)
                    .bind(event)
                    .bind(user)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn claimed(&self) -> Result<Vec<(Subscriber, DateTime<Utc>)>, IncidentError> {
                let rows = sqlx::query(CLAIMED).fetch_all(&self.pool).await?;
                rows.iter()
                    .map(|r| {
                        Ok((
                            Subscriber {
                                event: event(r)?,
                                user: r.try_get("user_id")?,
                            },
                            r.try_get("claimed_at")?,
                        ))
                    })
                    .collect()
            }

            async fn hold(
                &self,
                event: i64,
                user: &str,
                text: &str,
                at: DateTime<Utc>,
            ) -> Result<bool, IncidentError> {
                let mut tx = self.pool.begin().await?;
                let done = sqlx::query(HELD)
                    .bind(event)
                    .bind(user)
                    .execute(&mut *tx)
                    .await?;
                if done.rows_affected() == 0 {
                    return Ok(false);
                }
                sqlx::query(HOLD)
                    .bind(user)
                    .bind(text)
                    .bind(at)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(true)
            }
        }
    };
}

impl_store!(SqliteIncidents, sqlx::SqlitePool);
impl_store!(PgIncidents, sqlx::PgPool);
