//! Measurements in the database (`migrations/<backend>/0017_measurements.sql`). The
//! statements are portable (`$N`, `RETURNING`), so one body serves both backends; the
//! values that differ (SQLite's 0/1, PostgreSQL's boolean) are bound as Rust types and
//! sqlx writes each backend's own.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Row;

use super::{CompensationError, Measurement, NewMeasurement, Room};
use crate::storage::Database;

#[async_trait]
pub trait MeasurementStore: Send + Sync + std::fmt::Debug + 'static {
    /// Stores one visit's result, photo included, in one statement.
    async fn record(&self, new: &NewMeasurement) -> Result<Measurement, CompensationError>;

    /// The measurements of a request, oldest first (without photos).
    async fn for_request(&self, request: &str) -> Result<Vec<Measurement>, CompensationError>;

    /// The measurements of an account up to `until`, oldest first (without photos).
    async fn for_account(
        &self,
        account: &str,
        until: DateTime<Utc>,
    ) -> Result<Vec<Measurement>, CompensationError>;

    /// Accounts with a measurement in `[from, to)`.
    async fn measured_accounts(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<String>, CompensationError>;

    /// The built-in service's accounts of a district (number, estate, address): whom an
    /// interruption covered. Empty with a remote service API (its accounts are not here),
    /// like the station figures of the reports.
    async fn accounts_in(
        &self,
        district: &str,
    ) -> Result<Vec<(String, String, String)>, CompensationError>;

    /// The photo of a measurement and its content type.
    async fn photo(&self, id: i64) -> Result<Option<(String, Vec<u8>)>, CompensationError>;
}

pub fn store_for(db: &Database) -> Arc<dyn MeasurementStore> {
    match db {
        Database::Sqlite(pool) => Arc::new(SqliteMeasurements { pool: pool.clone() }),
        Database::Postgres(pool) => Arc::new(PgMeasurements { pool: pool.clone() }),
    }
}

const COLUMNS: &str = "id, request_id, account, rooms, lowest_celsius, min_celsius, \
     measured_at, agreed, visit_due, rectify_by, recorded_by, recorded_at, \
     photo_type IS NOT NULL AS has_photo";
const INSERT: &str = "INSERT INTO measurements (request_id, account, rooms, lowest_celsius, \
     min_celsius, measured_at, agreed, visit_due, rectify_by, recorded_by, recorded_at, photo, \
     photo_type) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id";
const PHOTO: &str =
    "SELECT photo_type, photo FROM measurements WHERE id = $1 AND photo IS NOT NULL";
const MEASURED: &str = "SELECT DISTINCT account FROM measurements \
     WHERE measured_at >= $1 AND measured_at < $2 ORDER BY account";
const ACCOUNTS: &str = "SELECT no, estate, address FROM accounts WHERE district = $1 ORDER BY no";

fn decode(e: impl std::fmt::Display) -> CompensationError {
    CompensationError::Decode(e.to_string())
}

macro_rules! impl_store {
    ($name:ident, $pool:ty, $row:ty) => {
        #[derive(Debug, Clone)]
        struct $name {
            pool: $pool,
        }

        impl $name {
            fn measurement(r: &$row) -> Result<Measurement, CompensationError> {
                let rooms: String = r.try_get("rooms")?;
                let rooms: Vec<Room> = serde_json::from_str(&rooms).map_err(decode)?;
                Ok(Measurement {
                    id: r.try_get("id")?,
                    request: r.try_get("request_id")?,
                    account: r.try_get("account")?,
                    rooms,
                    lowest_celsius: r.try_get("lowest_celsius")?,
                    min_celsius: r.try_get("min_celsius")?,
                    measured_at: r.try_get("measured_at")?,
                    agreed: r.try_get("agreed")?,
                    visit_due: r.try_get("visit_due")?,
                    rectify_by: r.try_get("rectify_by")?,
                    recorded_by: r.try_get("recorded_by")?,
                    recorded_at: r.try_get("recorded_at")?,
                    has_photo: r.try_get("has_photo")?,
                })
            }

            async fn select(
                &self,
                filter: &str,
                key: &str,
                until: Option<DateTime<Utc>>,
            ) -> Result<Vec<Measurement>, CompensationError> {
                let sql = format!("SELECT {COLUMNS} FROM measurements {filter}");
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.as_str())).bind(key.to_owned());
                if let Some(t) = until {
                    q = q.bind(t);
                }
                let rows = q.fetch_all(&self.pool).await?;
                rows.iter().map(Self::measurement).collect()
            }
        }

        #[async_trait]
        impl MeasurementStore for $name {
            async fn record(&self, new: &NewMeasurement) -> Result<Measurement, CompensationError> {
                let rooms = serde_json::to_string(&new.rooms).map_err(decode)?;
                let (photo_type, photo) = match &new.photo {
                    Some(p) => (Some(p.content_type.clone()), Some(p.bytes.clone())),
                    None => (None, None),
                };
                let id: i64 = sqlx::query_scalar(INSERT)
                    .bind(new.request.clone())
                    .bind(new.account.clone())
                    .bind(rooms)
                    .bind(new.lowest_celsius())
                    .bind(new.min_celsius)
                    .bind(new.measured_at)
                    .bind(new.agreed)
                    .bind(new.visit_due)
                    .bind(new.rectify_by)
                    .bind(new.recorded_by.clone())
                    .bind(new.recorded_at)
                    .bind(photo)
                    .bind(photo_type)
                    .fetch_one(&self.pool)
                    .await?;
                let sql = format!("SELECT {COLUMNS} FROM measurements WHERE id = $1");
                let row = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
                    .bind(id)
                    .fetch_one(&self.pool)
                    .await?;
                Self::measurement(&row)
            }

            async fn for_request(
                &self,
                request: &str,
            ) -> Result<Vec<Measurement>, CompensationError> {
                self.select(
                    "WHERE request_id = $1 ORDER BY measured_at, id",
                    request,
                    None,
                )
                .await
            }

            async fn for_account(
                &self,
                account: &str,
                until: DateTime<Utc>,
            ) -> Result<Vec<Measurement>, CompensationError> {
                self.select(
                    "WHERE account = $1 AND measured_at <= $2 ORDER BY measured_at, id",
                    account,
                    Some(until),
                )
                .await
            }

            async fn measured_accounts(
                &self,
                from: DateTime<Utc>,
                to: DateTime<Utc>,
            ) -> Result<Vec<String>, CompensationError> {
                Ok(sqlx::query_scalar(MEASURED)
                    .bind(from)
                    .bind(to)
                    .fetch_all(&self.pool)
                    .await?)
            }

            async fn accounts_in(
                &self,
                district: &str,
            ) -> Result<Vec<(String, String, String)>, CompensationError> {
                let rows = sqlx::query(ACCOUNTS)
                    .bind(district.to_owned())
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter()
                    .map(|r| {
                        Ok((
                            r.try_get("no")?,
                            r.try_get("estate")?,
                            r.try_get("address")?,
                        ))
                    })
                    .collect()
            }

            async fn photo(&self, id: i64) -> Result<Option<(String, Vec<u8>)>, CompensationError> {
                let row = sqlx::query(PHOTO)
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                row.map(|r| Ok((r.try_get("photo_type")?, r.try_get("photo")?)))
                    .transpose()
            }
        }
    };
}

impl_store!(
    SqliteMeasurements,
    sqlx::SqlitePool,
    sqlx::sqlite::SqliteRow
);
impl_store!(PgMeasurements, sqlx::PgPool, sqlx::postgres::PgRow);
