//! The interruptions' tables behind a trait; SQL per backend in `store_sql.rs`.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{Checked, Event, IncidentError, Interruption};
use crate::storage::Database;

/// A resident to tell of a change, with the change.
#[derive(Debug, Clone, PartialEq)]
pub struct Subscriber {
    pub event: Event,
    pub user: String,
}

#[async_trait]
pub trait IncidentStore: Send + Sync + std::fmt::Debug + 'static {
    /// Stores a checked interruption with its `opened` event, in one transaction.
    async fn open(
        &self,
        new: &Checked,
        by: &str,
        at: DateTime<Utc>,
    ) -> Result<Interruption, IncidentError>;

    /// A new expected restoration (an `eta` event). Refused once restored.
    async fn set_eta(
        &self,
        id: i64,
        eta: DateTime<Utc>,
        by: &str,
        at: DateTime<Utc>,
    ) -> Result<Interruption, IncidentError>;

    /// Heat is back (a `restored` event). Refused once restored.
    async fn restore(
        &self,
        id: i64,
        restored_at: DateTime<Utc>,
        by: &str,
    ) -> Result<Interruption, IncidentError>;

    async fn get(&self, id: i64) -> Result<Option<Interruption>, IncidentError>;

    /// Not restored (in effect or planned), oldest first.
    async fn unrestored(&self) -> Result<Vec<Interruption>, IncidentError>;

    /// Every interruption, newest first, at most `limit`.
    async fn recent(&self, limit: i64) -> Result<Vec<Interruption>, IncidentError>;

    async fn events(&self, id: i64) -> Result<Vec<Event>, IncidentError>;

    /// The largest event id: changes anywhere make it grow.
    async fn version(&self) -> Result<i64, IncidentError>;

    /// Records that `user` wants the next change of `id`; `false` when they had asked before.
    async fn subscribe(
        &self,
        id: i64,
        user: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, IncidentError>;

    /// Changes (eta, restored) that subscribers have not been told of and nobody claimed.
    async fn untold(&self) -> Result<Vec<Subscriber>, IncidentError>;

    /// Claims the notice of `event` to `user`: `true` for the one caller that may send it.
    async fn claim(&self, event: i64, user: &str, at: DateTime<Utc>)
        -> Result<bool, IncidentError>;

    /// A claimed notice went out as a message.
    async fn sent(&self, event: i64, user: &str) -> Result<(), IncidentError>;

    /// Claims still open, with when they were made (for the lease).
    async fn claimed(&self) -> Result<Vec<(Subscriber, DateTime<Utc>)>, IncidentError>;

    /// Holds a claimed notice for the resident's next message (the held notices of
    /// `transcript`), in the same transaction that settles the claim: `false` when the
    /// claim was settled already (by another instance), and nothing is held twice.
    async fn hold(
        &self,
        event: i64,
        user: &str,
        text: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, IncidentError>;
}

pub fn store_for(db: &Database) -> Arc<dyn IncidentStore> {
    match db {
        Database::Sqlite(pool) => Arc::new(super::store_sql::SqliteIncidents::new(pool.clone())),
        Database::Postgres(pool) => Arc::new(super::store_sql::PgIncidents::new(pool.clone())),
    }
}
