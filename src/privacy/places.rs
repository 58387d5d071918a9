//! Where heatdesk keeps something of one resident, what an export shows of it and what an
//! erasure does to it. Read from every file in `migrations/`: the tables not named here
//! hold no OpenID (the service API's tables key requests by account and by a digest of the
//! OpenID; the office's hold masked text, tied to residents below by text and time).

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use serde_json::{Map, Value};

use super::db::{Bind, Tx};
use super::{checked, Privacy, PrivacyError};
use crate::domain::mask_personal;

/// What erasing does to a place's rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Erase {
    Delete,
    /// Keeps the row for reports, with the OpenID replaced by a pseudonym (`$2`) and the
    /// personal columns cleared by this `SET` list.
    Anonymise(&'static str),
}

struct Place {
    /// The export's name for it.
    part: &'static str,
    table: &'static str,
    /// Which rows are the resident's (`$1` is the OpenID).
    rows: &'static str,
    erase: Erase,
}

const PLACES: &[Place] = &[
    Place {
        part: "conversation",
        table: "conversations",
        rows: "user_id = $1",
        erase: Erase::Delete,
    },
    Place {
        part: "transcript",
        table: "transcript_lines",
        rows: "user_id = $1",
        erase: Erase::Delete,
    },
    Place {
        part: "bindings",
        table: "bindings",
        rows: "user_id = $1",
        erase: Erase::Delete,
    },
    Place {
        part: "escalations",
        table: "escalations",
        rows: "user_id = $1",
        erase: Erase::Delete,
    },
    Place {
        part: "notices",
        table: "notices",
        rows: "user_id = $1",
        erase: Erase::Delete,
    },
    // The days a resident wrote and the forms they ran stay for the reports' counts, under
    // the pseudonym.
    Place {
        part: "report_days",
        table: "report_residents",
        rows: "user_id = $1",
        erase: Erase::Anonymise("user_id = $2"),
    },
    Place {
        part: "forms",
        table: "form_runs",
        rows: "user_id = $1",
        erase: Erase::Anonymise("user_id = $2"),
    },
    // Counts, reasons, times and ratings stay for the desk's reports; an open one is closed,
    // since nobody is left to answer.
    Place {
        part: "handoffs",
        table: "handoffs",
        rows: "user_id = $1",
        erase: Erase::Anonymise(
            "user_id = $2, context = '{}', note = NULL, status = 'closed', \
             closed_at = COALESCE(closed_at, $3)",
        ),
    },
    // Complaint cases stay for the figures (deadlines met, satisfaction) without the resident:
    // their words, account and the follow-up note go (and the key, which names the OpenID);
    // an open one is closed.
    Place {
        part: "complaints",
        table: "complaints",
        rows: "user_id = $1",
        erase: Erase::Anonymise(
            "user_id = $2, source_key = $2 || ':' || CAST(id AS TEXT), words = '', \
             account = NULL, outcome = NULL, follow_up_note = NULL, status = 'closed', \
             closed_at = COALESCE(closed_at, $3)",
        ),
    },
    // Who asked to hear of an interruption's next change, and the notices told to them.
    Place {
        part: "interruption_subscriptions",
        table: "interruption_subscribers",
        rows: "user_id = $1",
        erase: Erase::Delete,
    },
    Place {
        part: "interruption_notices",
        table: "interruption_notices",
        rows: "user_id = $1",
        erase: Erase::Delete,
    },
    // Settled items go whole (the payload is the resident's request); see OUTBOX_PENDING.
    Place {
        part: "outbox",
        table: "outbox",
        rows: "owner = $1",
        erase: Erase::Delete,
    },
    // The retry memory's key is `kind:sender:…` (`replace`, unlike `LIKE`, has no wildcards
    // and is the same on both backends).
    Place {
        part: "retry_records",
        table: "wechat_dedup",
        rows: "replace(key, ':' || $1 || ':', '') <> key",
        erase: Erase::Delete,
    },
];

/// A request not yet sent is still the utility's to receive: it keeps its payload, and only
/// its owner (who would be told the outcome) goes. Runs before the places are erased.
const OUTBOX_PENDING: &str =
    "UPDATE outbox SET owner = $2, updated_at = $3 WHERE owner = $1 AND state = 'pending'";

/// How near a classification must be to one of the resident's messages with the same
/// masked text to be counted as theirs.
const SAME_MESSAGE: i64 = 10;
/// How long after a resident's message the office may hear it was answered badly.
const FEEDBACK_WITHIN_HOURS: i64 = 24;

/// What erasing did to one table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    pub table: String,
    /// `deleted` or `anonymised`.
    pub action: String,
    pub rows: u64,
}

/// The outcome of an erasure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Erasure {
    pub steps: Vec<Step>,
    /// What the OpenID became in the rows kept for reports.
    pub pseudonym: String,
    /// Columns that still hold the OpenID afterwards, `(table, column, rows)`: should be
    /// none; the command line says which otherwise.
    pub remaining: Vec<(String, String, i64)>,
}

/// Another resident wrote the same words near the same time: a log line with them is
/// nobody's in particular.
const SAID_BY_OTHERS: &str = "SELECT COUNT(*) FROM transcript_lines WHERE user_id <> $1 \
     AND direction = 'in' AND text = $2 AND at BETWEEN $3 AND $4";

/// The resident's messages as the logs stored them (masked), with when they were sent;
/// words other residents wrote near the same time are left out.
async fn masked_messages(
    tx: &mut Tx,
    openid: &str,
) -> Result<Vec<(String, DateTime<Utc>)>, PrivacyError> {
    let rows = tx
        .rows(
            "transcript_lines",
            "user_id = $1 AND direction = 'in'",
            &[Bind::Text(openid)],
        )
        .await?;
    let mut out = Vec::new();
    for r in &rows {
        let text = r.get("text").and_then(Value::as_str);
        let at = r
            .get("at")
            .and_then(Value::as_str)
            .map(DateTime::parse_from_rfc3339);
        let (Some(text), Some(Ok(at))) = (text, at) else {
            continue;
        };
        let at = at.with_timezone(&Utc);
        let window = Duration::hours(FEEDBACK_WITHIN_HOURS);
        let binds = [
            Bind::Text(openid),
            Bind::Text(text),
            Bind::Time(at - window),
            Bind::Time(at + window),
        ];
        if tx.count(SAID_BY_OTHERS, &binds).await? == 0 {
            out.push((mask_personal(text), at));
        }
    }
    Ok(out)
}

/// Rows of the masked logs that repeat one of `messages` near its time: `(table, filter)`
/// with `$1` the text, `$2`..`$3` the window.
fn tied_logs() -> [(&'static str, &'static str, Duration, Duration); 2] {
    [
        (
            "classifications",
            "text_masked = $1 AND at BETWEEN $2 AND $3",
            Duration::minutes(-SAME_MESSAGE),
            Duration::minutes(SAME_MESSAGE),
        ),
        (
            "office_feedback",
            "text_masked = $1 AND at BETWEEN $2 AND $3",
            Duration::zero(),
            Duration::hours(FEEDBACK_WITHIN_HOURS),
        ),
    ]
}

/// The ids of the rows of `table` tied to `messages`.
async fn tied_ids(
    tx: &mut Tx,
    messages: &[(String, DateTime<Utc>)],
    table: &str,
    filter: &str,
    before: Duration,
    after: Duration,
) -> Result<Vec<Value>, PrivacyError> {
    let mut rows: Vec<Value> = Vec::new();
    for (text, at) in messages {
        let found = tx
            .rows(
                table,
                filter,
                &[
                    Bind::Text(text),
                    Bind::Time(*at + before),
                    Bind::Time(*at + after),
                ],
            )
            .await?;
        for r in found {
            if !rows.iter().any(|seen| seen.get("id") == r.get("id")) {
                rows.push(r);
            }
        }
    }
    Ok(rows)
}

/// Columns whose text is JSON, shown as JSON in an export.
const JSON_COLUMNS: [&str; 5] = ["state", "context", "payload", "outcome", "last_outcome"];

fn readable(mut row: Value) -> Value {
    if let Some(obj) = row.as_object_mut() {
        for c in JSON_COLUMNS {
            if let Some(Value::String(s)) = obj.get(c) {
                if let Ok(v) = serde_json::from_str::<Value>(s) {
                    obj.insert(c.to_owned(), v);
                }
            }
        }
    }
    row
}

/// The media ids of the photos the resident sent, from the transcript's image lines.
fn photos(transcript: &[Value]) -> Vec<Value> {
    transcript
        .iter()
        .filter_map(|l| {
            let text = l.get("text")?.as_str()?;
            let media = text.strip_prefix(super::retention::IMAGE_LINE)?.trim();
            Some(serde_json::json!({ "at": l.get("at"), "media_id": media }))
        })
        .collect()
}

impl Privacy {
    /// Everything heatdesk holds about `openid`, one part per place, as JSON.
    pub async fn export(&self, openid: &str) -> Result<Value, PrivacyError> {
        let openid = checked(openid)?;
        let mut tx = Tx::begin(&self.db).await?;
        let mut out = Map::new();
        out.insert("openid".into(), openid.into());
        out.insert("exported_at".into(), Utc::now().to_rfc3339().into());
        for p in PLACES {
            let rows = tx.rows(p.table, p.rows, &[Bind::Text(openid)]).await?;
            let rows: Vec<Value> = rows.into_iter().map(readable).collect();
            out.insert(p.part.into(), Value::Array(rows));
        }
        let messages = masked_messages(&mut tx, openid).await?;
        for (table, filter, before, after) in tied_logs() {
            let rows = tied_ids(&mut tx, &messages, table, filter, before, after).await?;
            out.insert(table.into(), Value::Array(rows));
        }
        let transcript = out.get("transcript").and_then(Value::as_array).cloned();
        out.insert(
            "photos".into(),
            Value::Array(photos(&transcript.unwrap_or_default())),
        );
        tx.commit().await?;
        Ok(Value::Object(out))
    }

    /// Removes `openid` from everywhere heatdesk stores it, in one transaction, and checks
    /// every text column afterwards.
    pub async fn erase(&self, openid: &str) -> Result<Erasure, PrivacyError> {
        let openid = checked(openid)?;
        let pseudonym = format!("erased-{}", &crate::domain::random_token()[..12]);
        let mut tx = Tx::begin(&self.db).await?;
        let mut steps = Vec::new();
        // Tied by text and time to the transcript, so read before it goes.
        let messages = masked_messages(&mut tx, openid).await?;
        for (table, filter, before, after) in tied_logs() {
            let ids = tied_ids(&mut tx, &messages, table, filter, before, after).await?;
            let mut n = 0;
            for id in ids
                .iter()
                .filter_map(|r| r.get("id").and_then(Value::as_i64))
            {
                let sql = format!("DELETE FROM {table} WHERE id = $1");
                n += tx.execute(&sql, &[Bind::Int(id)]).await?;
            }
            steps.push(step(table, "deleted", n));
        }
        let n = tx
            .execute(
                OUTBOX_PENDING,
                &[
                    Bind::Text(openid),
                    Bind::Text(&pseudonym),
                    Bind::Time(Utc::now()),
                ],
            )
            .await?;
        steps.push(step("outbox", "anonymised", n));
        for p in PLACES {
            let (sql, action) = match p.erase {
                Erase::Delete => (
                    format!("DELETE FROM {} WHERE {}", p.table, p.rows),
                    "deleted",
                ),
                Erase::Anonymise(set) => (
                    format!("UPDATE {} SET {set} WHERE {}", p.table, p.rows),
                    "anonymised",
                ),
            };
            let binds = match p.erase {
                Erase::Delete => vec![Bind::Text(openid)],
                Erase::Anonymise(_) => vec![
                    Bind::Text(openid),
                    Bind::Text(&pseudonym),
                    Bind::Time(Utc::now()),
                ],
            };
            let n = tx.execute(&sql, &binds).await?;
            steps.push(step(p.table, action, n));
        }
        tx.commit().await?;
        let remaining = self.holding(openid).await?;
        Ok(Erasure {
            steps,
            pseudonym,
            remaining,
        })
    }
}

fn step(table: &str, action: &str, rows: u64) -> Step {
    Step {
        table: table.to_owned(),
        action: action.to_owned(),
        rows,
    }
}
