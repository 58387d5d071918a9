//! Residents' personal data (PIPL): how long heatdesk keeps it (`[retention]` settings and
//! the job that purges by age), and one resident's data on request: everything exported
//! as JSON, or erased everywhere heatdesk stores it, each request audited.
//!
//! The tables come from several capabilities; this module names in one place (`places.rs`)
//! every column that holds an OpenID, so an auditor reads one list, and the erasure checks
//! afterwards, over every text column of the schema, that none is left.

mod db;
mod places;
mod retention;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::storage::Database;

pub use places::{Erasure, Step};
pub use retention::{Purged, RETENTION_LOCK};

#[derive(Debug, thiserror::Error)]
pub enum PrivacyError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("stored value: {0}")]
    Decode(String),
    #[error("`{0}` is not an OpenID (6 to 128 letters, digits, `-` or `_`)")]
    NotAnOpenId(String),
}

/// How long personal data is kept, in days (0: forever), and how often the purge runs.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetentionSettings {
    /// Transcript lines, escalations, held notices and idle conversations (residents with
    /// an open handoff are kept whole).
    pub transcripts_days: u32,
    /// The classification log (masked text of every message).
    pub classifications_days: u32,
    /// The media ids of residents' photos in transcripts, the settled copies of requests
    /// (with their photos and contact details) in the outbox, and the photos stations took
    /// of measurements (the measurements stay).
    pub photos_days: u32,
    /// Closed handoffs, with their context, note and rating.
    pub handoffs_days: u32,
    /// Seconds between runs of the purge; 0 does not run it.
    pub interval_secs: u64,
}

impl Default for RetentionSettings {
    fn default() -> Self {
        Self {
            transcripts_days: 365,
            classifications_days: 90,
            photos_days: 365,
            handoffs_days: 365,
            interval_secs: 3600,
        }
    }
}

/// An OpenID for logs and the audit: its first two and last four characters.
pub fn mask_openid(openid: &str) -> String {
    let chars: Vec<char> = openid.chars().collect();
    if chars.len() <= 8 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..2].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 6))
}

/// Refuses what cannot be an OpenID: the erasure also matches it inside retry records, so
/// a short or odd string could reach other residents' rows.
fn checked(openid: &str) -> Result<&str, PrivacyError> {
    let ok = (6..=128).contains(&openid.len())
        && openid
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(openid)
    } else {
        Err(PrivacyError::NotAnOpenId(openid.to_owned()))
    }
}

/// One line of the privacy audit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditLine {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    /// The resident's masked OpenID.
    pub subject: String,
    /// What was done (JSON: counts per table).
    pub detail: String,
}

/// Personal data in heatdesk's database.
#[derive(Debug, Clone)]
pub struct Privacy {
    db: Database,
}

impl Privacy {
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    /// Every text column, as `(table, column, rows)`, that holds `needle` anywhere.
    pub async fn holding(&self, needle: &str) -> Result<Vec<(String, String, i64)>, PrivacyError> {
        let mut tx = db::Tx::begin(&self.db).await?;
        let mut found = Vec::new();
        for (table, column) in tx.text_columns().await? {
            let sql = format!(
                "SELECT COUNT(*) FROM {table} WHERE {}",
                tx.contains(&column, 1)
            );
            let n = tx.count(&sql, &[db::Bind::Text(needle)]).await?;
            if n > 0 {
                found.push((table, column, n));
            }
        }
        tx.commit().await?;
        Ok(found)
    }

    /// Records that `actor` did `action` (`export`, `erase`) for `openid`.
    pub async fn audit(
        &self,
        actor: &str,
        action: &str,
        openid: &str,
        detail: &Value,
    ) -> Result<(), PrivacyError> {
        let mut tx = db::Tx::begin(&self.db).await?;
        tx.execute(
            "INSERT INTO privacy_audit (at, actor, action, subject, detail) \
             VALUES ($1, $2, $3, $4, $5)",
            &[
                db::Bind::Time(Utc::now()),
                db::Bind::Text(actor),
                db::Bind::Text(action),
                db::Bind::Text(&mask_openid(openid)),
                db::Bind::Text(&detail.to_string()),
            ],
        )
        .await?;
        tx.commit().await
    }

    /// The newest `limit` audit lines, newest first.
    pub async fn audit_log(&self, limit: i64) -> Result<Vec<AuditLine>, PrivacyError> {
        let mut tx = db::Tx::begin(&self.db).await?;
        let rows = tx
            .rows(
                "privacy_audit",
                "id > (SELECT COALESCE(MAX(id), 0) FROM privacy_audit) - $1",
                &[db::Bind::Int(limit)],
            )
            .await?
            .into_iter()
            .rev()
            .map(|r| serde_json::from_value::<RawAudit>(r).map(AuditLine::from))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| PrivacyError::Decode(e.to_string()));
        tx.commit().await?;
        rows
    }
}

#[derive(Deserialize)]
struct RawAudit {
    at: String,
    actor: String,
    action: String,
    subject: String,
    detail: String,
}

impl From<RawAudit> for AuditLine {
    fn from(r: RawAudit) -> Self {
        Self {
            at: DateTime::parse_from_rfc3339(&r.at)
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or_default(),
            actor: r.actor,
            action: r.action,
            subject: r.subject,
            detail: r.detail,
        }
    }
}
