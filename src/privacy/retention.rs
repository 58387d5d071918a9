//! The retention job: personal data older than its `retention.*_days` is purged, in
//! batches, by one instance at a time on PostgreSQL.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::db::{Bind, Tx};
use super::{Privacy, PrivacyError, RetentionSettings};

/// How the dialogue writes a photo in the transcript (`[image] MEDIA_ID`): the media id is
/// what lets anyone holding the account's token fetch the picture while WeChat keeps it.
pub(super) const IMAGE_LINE: &str = "[image] ";

const BATCH: i64 = 1000;

/// The PostgreSQL advisory lock that lets one instance at a time run the purge.
pub const RETENTION_LOCK: i64 = 0x6864_7265_7465_6e74; // "hdretent"

/// Residents talking to an agent keep their whole conversation until the handoff closes.
const NOT_IN_HANDOFF: &str =
    "user_id NOT IN (SELECT user_id FROM handoffs WHERE status <> 'closed')";

struct Rule {
    what: &'static str,
    days: fn(&RetentionSettings) -> u32,
    table: &'static str,
    /// The rows past retention: `$1` is the cutoff, `{open}` the open-handoff exclusion.
    old: &'static str,
    /// `None` deletes them; otherwise this `SET` list clears what goes.
    set: Option<&'static str>,
}

const fn delete(
    what: &'static str,
    days: fn(&RetentionSettings) -> u32,
    old: &'static str,
) -> Rule {
    Rule {
        what,
        days,
        table: what,
        old,
        set: None,
    }
}

const RULES: &[Rule] = &[
    delete(
        "transcript_lines",
        |r| r.transcripts_days,
        "at < $1 AND {open}",
    ),
    delete("escalations", |r| r.transcripts_days, "at < $1 AND {open}"),
    delete("notices", |r| r.transcripts_days, "created_at < $1"),
    delete(
        "conversations",
        |r| r.transcripts_days,
        "updated_at < $1 AND {open}",
    ),
    delete("classifications", |r| r.classifications_days, "at < $1"),
    // The reports' record of who wrote on which local day (`YYYY-MM-DD` text) and of the
    // forms they ran go with the transcripts.
    delete(
        "report_residents",
        |r| r.transcripts_days,
        "day < CAST($1 AS TEXT) AND {open}",
    ),
    delete(
        "form_runs",
        |r| r.transcripts_days,
        "updated_at < $1 AND {open}",
    ),
    Rule {
        what: "photos",
        days: |r| r.photos_days,
        table: "transcript_lines",
        old: "text LIKE '[image] %' AND at < $1",
        set: Some("text = '[image]'"),
    },
    // A station's photo of a measurement shows the inside of a home. The measurement
    // itself stays: it is the utility's record of what it owes the account, not the
    // resident's data, and an erasure leaves it alone too (it holds no OpenID).
    Rule {
        what: "measurement_photos",
        days: |r| r.photos_days,
        table: "measurements",
        old: "photo IS NOT NULL AND recorded_at < $1",
        set: Some("photo = NULL, photo_type = NULL"),
    },
    delete(
        "outbox",
        |r| r.photos_days,
        "state <> 'pending' AND updated_at < $1",
    ),
    delete(
        "handoffs",
        |r| r.handoffs_days,
        "status = 'closed' AND closed_at < $1",
    ),
];

impl Rule {
    /// One batch of it on a backend whose row key is `key` (`$2` is the batch size).
    fn sql(&self, key: &str) -> String {
        let (table, old) = (self.table, self.old.replace("{open}", NOT_IN_HANDOFF));
        let rows = format!("{key} IN (SELECT {key} FROM {table} WHERE {old} LIMIT $2)");
        match self.set {
            None => format!("DELETE FROM {table} WHERE {rows}"),
            Some(set) => format!("UPDATE {table} SET {set} WHERE {rows}"),
        }
    }
}

/// What one run purged: rows per rule, in the rules' order (rules kept forever left out).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Purged {
    pub rows: Vec<(String, u64)>,
    /// Another instance was purging (PostgreSQL): this one did nothing.
    pub skipped: bool,
}

impl Purged {
    pub fn of(&self, what: &str) -> u64 {
        self.rows
            .iter()
            .find(|(w, _)| w == what)
            .map_or(0, |(_, n)| *n)
    }
}

impl Privacy {
    /// Purges what `settings` no longer keeps at `now`.
    pub async fn purge(
        &self,
        settings: &RetentionSettings,
        now: DateTime<Utc>,
    ) -> Result<Purged, PrivacyError> {
        let mut purged = Purged::default();
        for rule in RULES {
            let days = (rule.days)(settings);
            if days == 0 {
                continue;
            }
            let cutoff = now - chrono::Duration::days(i64::from(days));
            let mut total = 0;
            loop {
                let Some(n) = self.batch(rule, cutoff).await? else {
                    purged.skipped = true;
                    return Ok(purged);
                };
                total += n;
                if n < BATCH as u64 {
                    break;
                }
                tokio::task::yield_now().await;
            }
            purged.rows.push((rule.what.to_owned(), total));
        }
        Ok(purged)
    }

    /// One batch of `rule`; `None` when another instance holds the purge.
    async fn batch(&self, rule: &Rule, cutoff: DateTime<Utc>) -> Result<Option<u64>, PrivacyError> {
        let mut tx = Tx::begin(&self.db).await?;
        if tx.is_postgres() {
            let ours = tx
                .count(
                    "SELECT CASE WHEN pg_try_advisory_xact_lock($1) THEN CAST(1 AS BIGINT) ELSE 0 END",
                    &[Bind::Int(RETENTION_LOCK)],
                )
                .await?;
            if ours != 1 {
                return Ok(None);
            }
        }
        let sql = rule.sql(tx.row_key());
        let n = tx
            .execute(&sql, &[Bind::Time(cutoff), Bind::Int(BATCH)])
            .await?;
        tx.commit().await?;
        Ok(Some(n))
    }

    /// Runs the purge every `settings.interval_secs` for as long as the process runs, and
    /// logs what it purged.
    pub fn spawn_retention(&self, settings: RetentionSettings) -> tokio::task::JoinHandle<()> {
        let privacy = self.clone();
        let every = Duration::from_secs(settings.interval_secs.max(1));
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                match privacy.purge(&settings, Utc::now()).await {
                    Ok(p) if p.skipped => {
                        tracing::debug!("retention purge running on another instance");
                    }
                    Ok(p) => {
                        for (what, rows) in p.rows.iter().filter(|(_, n)| *n > 0) {
                            tracing::info!(what = %what, rows, "personal data past retention purged");
                        }
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot purge personal data past retention")
                    }
                }
            }
        })
    }
}
