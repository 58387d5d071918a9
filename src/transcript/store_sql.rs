//! The conversation store on SQLite and on PostgreSQL. The statements are portable (`$N`
//! placeholders, `ON CONFLICT`), so one body serves both pools; the schemas differ per
//! backend in `migrations/<backend>/0003_dialogue.sql`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Row;

use super::lock::{KeyedLocks, TurnLock, TurnStart};
use super::store::{
    direction, direction_str, Answered, Binding, ConversationStore, EscalationRecord, SavedTurn,
    StoreError, StoredConversation, TranscriptLine,
};
use super::{FormOutcome, FormRun};
use crate::domain::{EscalationReason, IntentId};
use crate::service::AccountNo;
use crate::storage::batch::Batcher;
use crate::storage::direct::{self, Direct};
use crate::storage::{KeptOf, LogRiders};
use rusqlite::{types::ToSql, Connection};

const LOAD: &str = "SELECT state, version, updated_at, last_message, last_outcome \
     FROM conversations WHERE user_id = $1";
const INSERT: &str = "INSERT INTO conversations \
     (user_id, state, version, updated_at, last_message, last_outcome) \
     VALUES ($1, $2, 1, $3, $5, $6) ON CONFLICT (user_id) DO NOTHING";
// The answered message goes in the same statement as the state: both or neither.
const UPDATE: &str =
    "UPDATE conversations SET state = $2, version = version + 1, updated_at = $3, \
     last_message = $5, last_outcome = $6 WHERE user_id = $1 AND version = $4";
const APPEND: &str = "INSERT INTO transcript_lines \
     (user_id, at, direction, text, author, intent, confidence, delivery) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id";
const TRANSCRIPT: &str = "SELECT id, at, direction, text, author, intent, confidence, delivery \
     FROM transcript_lines WHERE user_id = $1 AND id > $2 ORDER BY id";
// The last $2 lines, oldest first: from the end of the resident's index, however long the
// history.
const RECENT: &str = "SELECT * FROM (\
     SELECT id, at, direction, text, author, intent, confidence, delivery \
     FROM transcript_lines WHERE user_id = $1 ORDER BY id DESC LIMIT $2) AS recent ORDER BY id";
const SET_DELIVERY: &str = "UPDATE transcript_lines SET delivery = $2 WHERE id = $1";
const LAST_INBOUND: &str =
    "SELECT MAX(at) AS at FROM transcript_lines WHERE user_id = $1 AND direction = 'in'";
const SENT_SINCE: &str = "SELECT COUNT(*) AS n FROM transcript_lines \
     WHERE user_id = $1 AND at >= $2 AND delivery = 'sent'";
const BINDINGS: &str = "SELECT account_no, verified_at FROM bindings WHERE user_id = $1 \
     ORDER BY verified_at, account_no";
const BIND: &str = "INSERT INTO bindings (user_id, account_no, verified_at) VALUES ($1, $2, $3) \
     ON CONFLICT (user_id, account_no) DO NOTHING";
const UNBIND: &str = "DELETE FROM bindings WHERE user_id = $1 AND account_no = $2";
const ESCALATE: &str = "INSERT INTO escalations (user_id, reason, intent, confidence, at) \
     VALUES ($1, $2, $3, $4, $5)";
const ESCALATIONS: &str =
    "SELECT reason, intent, confidence, at FROM escalations WHERE user_id = $1 ORDER BY id";

const BOUND_USERS: &str =
    "SELECT DISTINCT user_id FROM bindings WHERE account_no = $1 ORDER BY user_id";
const HOLD: &str = "INSERT INTO notices (user_id, text, created_at) VALUES ($1, $2, $3)";
const NOTICES: &str =
    "SELECT id, text FROM notices WHERE user_id = $1 AND status = 'held' ORDER BY id";
// Kept as told rather than deleted: a notice made again under the same key (a replayed
// step) finds it and is not told twice. The retention purge removes it with its age.
const DROP_NOTICE: &str =
    "UPDATE notices SET status = 'told', done_at = $2 WHERE id = $1 AND status = 'held'";
/// A form's step after a turn; the first turn of a form also gives its start.
const FORM_RUN: &str = "INSERT INTO form_runs \
     (user_id, seq, intent, action, started_at, updated_at, step, outcome) \
     VALUES ($1, $2, $3, $4, $5, $5, $6, $7) \
     ON CONFLICT (user_id, seq) DO UPDATE SET updated_at = $5, step = $6, outcome = $7";

/// Binds a line's columns in `APPEND`'s order.
fn bind_line<'q, DB: sqlx::Database>(
    q: sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments>,
    user: &'q str,
    l: &'q TranscriptLine,
) -> sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments>
where
    &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    DateTime<Utc>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<&'q str>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<f64>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    q.bind(user)
        .bind(l.at)
        .bind(direction_str(l.direction))
        .bind(l.text.as_str())
        .bind(l.author.as_deref())
        .bind(l.intent.as_ref().map(|i| i.as_str()))
        .bind(l.confidence.map(f64::from))
        .bind(l.delivery.as_deref())
}

/// `APPEND` for `n` lines, without `RETURNING`.
fn append_rows(n: usize) -> String {
    let (head, _) = APPEND.split_once(" VALUES ").unwrap_or((APPEND, ""));
    let rows: Vec<String> = (0..n)
        .map(|i| {
            let params: Vec<String> = (1..=8).map(|k| format!("${}", i * 8 + k)).collect();
            format!("({})", params.join(", "))
        })
        .collect();
    format!("{head} VALUES {}", rows.join(", "))
}

/// `finish_in_one`'s statement (PostgreSQL): `$1`–`$6` as `UPDATE`/`INSERT` take them,
/// then 7 per transcript line (`APPEND`'s columns after the user) and 6 per form step
/// (`FORM_RUN`'s after the user). The lines and steps join `saved`, so a turn that lost the
/// race writes nothing.
fn finish_statement(update: bool, lines: usize, runs: usize) -> String {
    let save = if update { UPDATE } else { INSERT };
    let mut sql = format!("WITH saved AS ({save} RETURNING 1 AS ok)");
    let mut next = 7;
    if lines > 0 {
        let (head, _) = APPEND.split_once(" VALUES ").unwrap_or((APPEND, ""));
        let rows: Vec<String> = (0..lines)
            .map(|_| {
                let params: Vec<String> = (next..next + 7).map(|k| format!("${k}")).collect();
                next += 7;
                format!("($1, {})", params.join(", "))
            })
            .collect();
        sql.push_str(&format!(
            ", lines AS ({head} SELECT v.* FROM saved, (VALUES {}) \
             AS v(user_id, at, direction, text, author, intent, confidence, delivery))",
            rows.join(", ")
        ));
    }
    for i in 0..runs {
        let p: Vec<String> = (next..next + 6).map(|k| format!("${k}")).collect();
        next += 6;
        sql.push_str(&format!(
            ", run{i} AS (INSERT INTO form_runs \
             (user_id, seq, intent, action, started_at, updated_at, step, outcome) \
             SELECT $1, {s}, {it}, {a}, {at}, {at}, {st}, {o} FROM saved \
             ON CONFLICT (user_id, seq) DO UPDATE SET updated_at = {at}, step = {st}, outcome = {o})",
            s = p[0],
            it = p[1],
            a = p[2],
            at = p[3],
            st = p[4],
            o = p[5],
        ));
    }
    sql.push_str(" SELECT COUNT(*) FROM saved");
    sql
}

/// `LOAD` on a direct connection; `Ok(None)`: no conversation yet.
fn load_direct(c: &Connection, user: &str) -> rusqlite::Result<Option<StoredConversation>> {
    let mut stmt = direct::prepare(c, LOAD, &[&user])?;
    let mut rows = stmt.raw_query();
    let Some(r) = rows.next()? else {
        return Ok(None);
    };
    conversation_of(r).map(Some)
}

/// A conversation from a row that starts with `LOAD`'s columns.
fn conversation_of(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredConversation> {
    let updated_at: String = r.get(2)?;
    Ok(StoredConversation {
        state: r.get(0)?,
        version: r.get(1)?,
        updated_at: direct::parse_time(&updated_at)?,
        last_message: r.get(3)?,
        last_outcome: r.get(4)?,
    })
}

/// What a turn needs at its start (`TurnStart`), as `heatdesk_turn_start` reads it on
/// PostgreSQL (`migrations/postgres/0019_turn_start.sql`).
const TURN_START: &str = "SELECT c.state, c.version, c.updated_at, c.last_message, \
     c.last_outcome, h.id, h.status = 'claimed', \
     EXISTS (SELECT 1 FROM notices n WHERE n.user_id = $1 AND n.status = 'held'), \
     EXISTS (SELECT 1 FROM outbox o \
             WHERE o.owner = $1 AND o.state <> 'pending' AND o.reported = 0) \
     FROM (SELECT 1) AS one \
     LEFT JOIN conversations c ON c.user_id = $1 \
     LEFT JOIN handoffs h ON h.user_id = $1 AND h.status <> 'closed'";

fn turn_start_direct(c: &Connection, user: &str) -> rusqlite::Result<TurnStart> {
    let mut stmt = direct::prepare(c, TURN_START, &[&user])?;
    let mut rows = stmt.raw_query();
    let r = rows.next()?.ok_or(rusqlite::Error::QueryReturnedNoRows)?;
    // No conversation yet: the joined columns are NULL.
    let conversation = match r.get::<_, Option<String>>(0)? {
        Some(_) => Some(conversation_of(r)?),
        None => None,
    };
    let open_handoff = match r.get::<_, Option<i64>>(5)? {
        Some(id) => Some((id, r.get::<_, bool>(6)?)),
        None => None,
    };
    Ok(TurnStart {
        conversation,
        open_handoff,
        notices_held: r.get(7)?,
        outbox_settled: r.get(8)?,
    })
}

/// `BINDINGS` on a direct connection.
fn bindings_direct(
    c: &Connection,
    user: &str,
) -> rusqlite::Result<Result<Vec<Binding>, StoreError>> {
    let mut stmt = direct::prepare(c, BINDINGS, &[&user])?;
    let mut rows = stmt.raw_query();
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let no: String = r.get(0)?;
        let at: String = r.get(1)?;
        let account = match AccountNo::parse(no) {
            Ok(a) => a,
            Err(e) => return Ok(Err(StoreError::Decode(e.to_string()))),
        };
        out.push(Binding {
            account,
            verified_at: direct::parse_time(&at)?,
        });
    }
    Ok(Ok(out))
}

/// `save_turn`'s values, owned for the writer thread.
struct SaveDirect {
    user: String,
    state: String,
    expected: Option<i64>,
    at: String,
    message: Option<String>,
    outcome: Option<String>,
}

impl SaveDirect {
    fn of(user: &str, turn: SavedTurn<'_>) -> Self {
        Self {
            user: user.to_owned(),
            state: turn.state.to_owned(),
            expected: turn.expected,
            at: direct::time(turn.at),
            message: turn.answered.map(|a| a.message.to_owned()),
            outcome: turn.answered.map(|a| a.outcome.to_owned()),
        }
    }

    fn run(&self, c: &Connection) -> rusqlite::Result<bool> {
        let sql = if self.expected.is_some() {
            UPDATE
        } else {
            INSERT
        };
        let n = direct::execute(
            c,
            sql,
            &[
                &self.user,
                &self.state,
                &self.at,
                &self.expected.unwrap_or(0),
                &self.message,
                &self.outcome,
            ],
        )?;
        Ok(n == 1)
    }
}

fn append_direct(c: &Connection, user: &str, lines: &[TranscriptLine]) -> rusqlite::Result<()> {
    let sql = append_rows(lines.len());
    let values: Vec<[Box<dyn ToSql>; 8]> = lines
        .iter()
        .map(|l| -> [Box<dyn ToSql>; 8] {
            [
                Box::new(user.to_owned()),
                Box::new(direct::time(l.at)),
                Box::new(direction_str(l.direction)),
                Box::new(l.text.clone()),
                Box::new(l.author.clone()),
                Box::new(l.intent.as_ref().map(|i| i.as_str().to_owned())),
                Box::new(l.confidence.map(f64::from)),
                Box::new(l.delivery.clone()),
            ]
        })
        .collect();
    let params: Vec<&dyn ToSql> = values.iter().flatten().map(|b| b.as_ref()).collect();
    direct::execute(c, &sql, &params)?;
    Ok(())
}

fn form_run_direct(c: &Connection, user: &str, run: &FormRun) -> rusqlite::Result<()> {
    direct::execute(
        c,
        FORM_RUN,
        &[
            &user,
            &i64::try_from(run.seq).unwrap_or(i64::MAX),
            &run.intent.as_str(),
            &run.action.as_deref(),
            &direct::time(run.at),
            &run.step.as_str(),
            &run.outcome.map(FormOutcome::as_str),
        ],
    )?;
    Ok(())
}

/// `TRANSCRIPT` or `RECENT` on a direct connection (the snapshot a handoff carries is read
/// on the reply path).
fn transcript_direct(
    c: &Connection,
    sql: &str,
    user: &str,
    n: i64,
) -> rusqlite::Result<Result<Vec<TranscriptLine>, StoreError>> {
    let mut stmt = direct::prepare(c, sql, &[&user, &n])?;
    let mut rows = stmt.raw_query();
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let at: String = r.get(1)?;
        let direction = match direction(&r.get::<_, String>(2)?) {
            Ok(d) => d,
            Err(e) => return Ok(Err(e)),
        };
        let intent = match intent_of(r.get(5)?) {
            Ok(i) => i,
            Err(e) => return Ok(Err(e)),
        };
        out.push(TranscriptLine {
            id: r.get(0)?,
            at: direct::parse_time(&at)?,
            direction,
            text: r.get(3)?,
            author: r.get(4)?,
            intent,
            confidence: r.get::<_, Option<f64>>(6)?.map(|c| c as f32),
            delivery: r.get(7)?,
        });
    }
    Ok(Ok(out))
}

/// A stored intent id, checked.
fn intent_of(stored: Option<String>) -> Result<Option<IntentId>, StoreError> {
    decode(stored.map(IntentId::parse).transpose())
}

fn decode<T, E: std::fmt::Display>(r: Result<T, E>) -> Result<T, StoreError> {
    r.map_err(|e| StoreError::Decode(e.to_string()))
}

macro_rules! impl_store {
    ($name:ident, $pool:ty, $locks:ty) => {
        #[derive(Debug, Clone)]
        pub struct $name {
            pool: $pool,
            /// Single statements, on connections kept out of the pool.
            kept: crate::storage::KeptFor<$pool>,
            locks: $locks,
            /// SQLite: the reply path's statements without the pool (`storage::direct`).
            direct: Option<Direct>,
            /// PostgreSQL: the turns that finish at once, saved in one call.
            saves: Option<std::sync::Arc<Batcher<TurnToSave, bool>>>,
        }

        impl $name {
            /// `sql` (`TRANSCRIPT` or `RECENT`) for `user` and `n`.
            async fn lines(
                &self,
                sql: &'static str,
                user: &str,
                n: i64,
            ) -> Result<Vec<TranscriptLine>, StoreError> {
                if let Some(found) = self
                    .direct
                    .as_ref()
                    .and_then(|d| d.read(|c| transcript_direct(c, sql, user, n)))
                {
                    return found;
                }
                let rows = sqlx::query(sql)
                    .bind(user)
                    .bind(n)
                    .fetch_all(&*self.kept)
                    .await?;
                rows.iter()
                    .map(|r| {
                        let intent: Option<String> = r.try_get("intent")?;
                        Ok(TranscriptLine {
                            id: r.try_get("id")?,
                            at: r.try_get("at")?,
                            direction: direction(r.try_get("direction")?)?,
                            text: r.try_get("text")?,
                            author: r.try_get("author")?,
                            intent: intent_of(intent)?,
                            confidence: r
                                .try_get::<Option<f64>, _>("confidence")?
                                .map(|c| c as f32),
                            delivery: r.try_get("delivery")?,
                        })
                    })
                    .collect()
            }
        }

        #[async_trait]
        impl ConversationStore for $name {
            async fn load(&self, user: &str) -> Result<Option<StoredConversation>, StoreError> {
                if let Some(found) = self.direct.as_ref().and_then(|d| d.read(|c| load_direct(c, user))) {
                    return Ok(found);
                }
                let row = sqlx::query(LOAD)
                    .bind(user)
                    .fetch_optional(&*self.kept)
                    .await?;
                row.map(|r| {
                    Ok(StoredConversation {
                        state: r.try_get("state")?,
                        version: r.try_get("version")?,
                        updated_at: r.try_get("updated_at")?,
                        last_message: r.try_get("last_message")?,
                        last_outcome: r.try_get("last_outcome")?,
                    })
                })
                .transpose()
            }

            async fn save_turn(
                &self,
                user: &str,
                state: &str,
                expected: Option<i64>,
                at: DateTime<Utc>,
                answered: Option<Answered<'_>>,
            ) -> Result<bool, StoreError> {
                let (message, outcome) =
                    answered.map_or((None, None), |a| (Some(a.message), Some(a.outcome)));
                if let Some(d) = &self.direct {
                    let saving = SavedTurn { state, expected, at, answered };
                    let write = SaveDirect::of(user, saving);
                    match d.write(move |c| write.run(c)).await {
                        Ok(saved) => return Ok(saved),
                        Err(e) => tracing::debug!(error = %e, "conversation saved through the pool"),
                    }
                }
                // Both statements take $4 so the binds line up; INSERT ignores it.
                let sql = if expected.is_some() { UPDATE } else { INSERT };
                let done = sqlx::query(sql)
                    .bind(user)
                    .bind(state)
                    .bind(at)
                    .bind(expected.unwrap_or(0))
                    .bind(message)
                    .bind(outcome)
                    .execute(&*self.kept)
                    .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn finish_turn(
                &self,
                user: &str,
                turn: SavedTurn<'_>,
                lines: &[TranscriptLine],
                runs: &[FormRun],
            ) -> Result<bool, StoreError> {
                if let Some(d) = &self.direct {
                    let save = SaveDirect::of(user, turn);
                    let (lines, runs) = (lines.to_vec(), runs.to_vec());
                    let written = d
                        .write(move |c| {
                            let user = save.user.clone();
                            if !save.run(c)? {
                                return Ok(false);
                            }
                            if !lines.is_empty() {
                                append_direct(c, &user, &lines)?;
                            }
                            for run in &runs {
                                form_run_direct(c, &user, run)?;
                            }
                            Ok(true)
                        })
                        .await;
                    match written {
                        Ok(saved) => return Ok(saved),
                        Err(e) => tracing::debug!(error = %e, "turn written through the pool"),
                    }
                }
                if let Some(saves) = &self.saves {
                    match saves.call(TurnToSave::of(user, turn, lines, runs)).await {
                        Ok(saved) => return Ok(saved),
                        // Nothing of the batch was written: this turn goes alone.
                        Err(e) => tracing::debug!(error = %e, "turn saved alone"),
                    }
                }
                if let Some(saved) = self.finish_in_one(user, turn, lines, runs).await {
                    return Ok(saved);
                }
                super::store::finish_in_steps(self, user, turn, lines, runs).await
            }

            async fn lock(&self, user: &str) -> Result<TurnLock, StoreError> {
                self.lock_user(user).await
            }

            async fn sync(&self) -> Result<(), StoreError> {
                self.sync_pool().await
            }

            async fn append(&self, user: &str, lines: &[TranscriptLine]) -> Result<(), StoreError> {
                if lines.is_empty() {
                    return Ok(());
                }
                if let Some(d) = &self.direct {
                    let (user, owned) = (user.to_owned(), lines.to_vec());
                    match d.write(move |c| append_direct(c, &user, &owned)).await {
                        Ok(()) => return Ok(()),
                        Err(e) => tracing::debug!(error = %e, "transcript through the pool"),
                    }
                }
                // One statement for a turn's lines: all or none, one trip to the database.
                let sql = append_rows(lines.len());
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()));
                for l in lines {
                    q = bind_line(q, user, l);
                }
                q.execute(&*self.kept).await?;
                Ok(())
            }

            async fn append_line(
                &self,
                user: &str,
                line: &TranscriptLine,
            ) -> Result<i64, StoreError> {
                let row = bind_line(sqlx::query(APPEND), user, line)
                    .fetch_one(&*self.kept)
                    .await?;
                Ok(row.try_get("id")?)
            }

            async fn set_delivery(&self, line: i64, delivery: &str) -> Result<(), StoreError> {
                sqlx::query(SET_DELIVERY)
                    .bind(line)
                    .bind(delivery)
                    .execute(&*self.kept)
                    .await?;
                Ok(())
            }

            async fn transcript(&self, user: &str) -> Result<Vec<TranscriptLine>, StoreError> {
                self.transcript_after(user, 0).await
            }

            async fn transcript_after(
                &self,
                user: &str,
                after: i64,
            ) -> Result<Vec<TranscriptLine>, StoreError> {
                self.lines(TRANSCRIPT, user, after).await
            }

            async fn recent_transcript(
                &self,
                user: &str,
                limit: usize,
            ) -> Result<Vec<TranscriptLine>, StoreError> {
                self.lines(RECENT, user, i64::try_from(limit).unwrap_or(i64::MAX)).await
            }

            async fn last_inbound(&self, user: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
                let row = sqlx::query(LAST_INBOUND)
                    .bind(user)
                    .fetch_one(&*self.kept)
                    .await?;
                Ok(row.try_get("at")?)
            }

            async fn sent_since(
                &self,
                user: &str,
                since: DateTime<Utc>,
            ) -> Result<i64, StoreError> {
                let row = sqlx::query(SENT_SINCE)
                    .bind(user)
                    .bind(since)
                    .fetch_one(&*self.kept)
                    .await?;
                Ok(row.try_get("n")?)
            }

            async fn bindings(&self, user: &str) -> Result<Vec<Binding>, StoreError> {
                if let Some(found) = self.direct.as_ref().and_then(|d| d.read(|c| bindings_direct(c, user))) {
                    return found;
                }
                let rows = sqlx::query(BINDINGS)
                    .bind(user)
                    .fetch_all(&*self.kept)
                    .await?;
                rows.iter()
                    .map(|r| {
                        Ok(Binding {
                            account: decode(AccountNo::parse(
                                r.try_get::<String, _>("account_no")?,
                            ))?,
                            verified_at: r.try_get("verified_at")?,
                        })
                    })
                    .collect()
            }

            async fn bind(
                &self,
                user: &str,
                no: &AccountNo,
                at: DateTime<Utc>,
            ) -> Result<bool, StoreError> {
                if let Some(d) = &self.direct {
                    let (u, n, t) = (user.to_owned(), no.as_str().to_owned(), direct::time(at));
                    match d.write(move |c| direct::execute(c, BIND, &[&u, &n, &t])).await {
                        Ok(changed) => return Ok(changed == 1),
                        Err(e) => tracing::debug!(error = %e, "binding stored through the pool"),
                    }
                }
                let done = sqlx::query(BIND)
                    .bind(user)
                    .bind(no.as_str())
                    .bind(at)
                    .execute(&*self.kept)
                    .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn unbind(&self, user: &str, no: &AccountNo) -> Result<bool, StoreError> {
                let done = sqlx::query(UNBIND)
                    .bind(user)
                    .bind(no.as_str())
                    .execute(&*self.kept)
                    .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn record_escalation(
                &self,
                user: &str,
                e: &EscalationRecord,
            ) -> Result<(), StoreError> {
                if let Some(d) = &self.direct {
                    let (user, reason, at) = (user.to_owned(), e.reason.as_str(), direct::time(e.at));
                    let intent = e.intent.as_ref().map(|i| i.as_str().to_owned());
                    let confidence = e.confidence.map(f64::from);
                    let written = d
                        .write(move |c| {
                            direct::execute(c, ESCALATE, &[&user, &reason, &intent, &confidence, &at])
                        })
                        .await;
                    match written {
                        Ok(_) => return Ok(()),
                        Err(e) => tracing::debug!(error = %e, "escalation recorded through the pool"),
                    }
                }
                sqlx::query(ESCALATE)
                    .bind(user)
                    .bind(e.reason.as_str())
                    .bind(e.intent.as_ref().map(|i| i.as_str().to_owned()))
                    .bind(e.confidence.map(f64::from))
                    .bind(e.at)
                    .execute(&*self.kept)
                    .await?;
                Ok(())
            }

            async fn escalations(&self, user: &str) -> Result<Vec<EscalationRecord>, StoreError> {
                let rows = sqlx::query(ESCALATIONS)
                    .bind(user)
                    .fetch_all(&*self.kept)
                    .await?;
                rows.iter()
                    .map(|r| {
                        let reason: String = r.try_get("reason")?;
                        let intent: Option<String> = r.try_get("intent")?;
                        Ok(EscalationRecord {
                            at: r.try_get("at")?,
                            reason: EscalationReason::parse(&reason)
                                .ok_or_else(|| StoreError::Decode(format!("reason `{reason}`")))?,
                            intent: intent_of(intent)?,
                            confidence: r
                                .try_get::<Option<f64>, _>("confidence")?
                                .map(|c| c as f32),
                        })
                    })
                    .collect()
            }

            async fn users_bound_to(&self, no: &AccountNo) -> Result<Vec<String>, StoreError> {
                let rows = sqlx::query(BOUND_USERS)
                    .bind(no.as_str())
                    .fetch_all(&*self.kept)
                    .await?;
                rows.iter().map(|r| Ok(r.try_get("user_id")?)).collect()
            }

            async fn hold_notice(
                &self,
                user: &str,
                text: &str,
                at: DateTime<Utc>,
            ) -> Result<(), StoreError> {
                sqlx::query(HOLD)
                    .bind(user)
                    .bind(text)
                    .bind(at)
                    .execute(&*self.kept)
                    .await?;
                Ok(())
            }

            async fn take_notices(&self, user: &str) -> Result<Vec<String>, StoreError> {
                // Nearly always none held: finding that needs no trip to the pool.
                let none = self.direct.as_ref().and_then(|d| d.read(|c| {
                    direct::prepare(c, NOTICES, &[&user])?.raw_query().next().map(|r| r.is_none())
                }));
                if none == Some(true) {
                    return Ok(Vec::new());
                }
                let rows = sqlx::query(NOTICES)
                    .bind(user)
                    .fetch_all(&*self.kept)
                    .await?;
                let mut out = Vec::with_capacity(rows.len());
                for r in &rows {
                    // Marking row by row keeps a notice that two turns race for from
                    // being told twice: only the turn whose update succeeds tells it.
                    let id: i64 = r.try_get("id")?;
                    let gone = sqlx::query(DROP_NOTICE)
                        .bind(id)
                        .bind(Utc::now())
                        .execute(&*self.kept)
                        .await?;
                    if gone.rows_affected() == 1 {
                        out.push(r.try_get("text")?);
                    }
                }
                Ok(out)
            }

            async fn record_form(&self, user: &str, run: &FormRun) -> Result<(), StoreError> {
                if let Some(d) = &self.direct {
                    let (user, run) = (user.to_owned(), run.clone());
                    match d.write(move |c| form_run_direct(c, &user, &run)).await {
                        Ok(()) => return Ok(()),
                        Err(e) => tracing::debug!(error = %e, "form run through the pool"),
                    }
                }
                sqlx::query(FORM_RUN)
                    .bind(user)
                    .bind(i64::try_from(run.seq).unwrap_or(i64::MAX))
                    .bind(run.intent.as_str())
                    .bind(run.action.as_deref())
                    .bind(run.at)
                    .bind(run.step.as_str())
                    .bind(run.outcome.map(FormOutcome::as_str))
                    .execute(&*self.kept)
                    .await?;
                Ok(())
            }
        }
    };
}

impl_store!(SqliteStore, sqlx::SqlitePool, SqliteLocks);
impl_store!(PgStore, sqlx::PgPool, PgLocks);

/// SQLite lives in one process: a lock per resident in memory.
type SqliteLocks = KeyedLocks;

impl SqliteStore {
    pub fn new(pool: sqlx::SqlitePool) -> Self {
        Self {
            direct: Some(direct::of(&pool)),
            kept: pool.kept(),
            pool,
            locks: KeyedLocks::default(),
            saves: None,
        }
    }

    async fn lock_user(&self, user: &str) -> Result<TurnLock, StoreError> {
        let lock = self.locks.lock(user).await;
        // What the turn asks first, in one read once the lock is held, as PostgreSQL reads
        // it with its lock: one read transaction instead of four (each of which, after the
        // writer's commits of the moment, reads its pages again).
        let start = self
            .direct
            .as_ref()
            .and_then(|d| d.read(|c| turn_start_direct(c, user)));
        Ok(match start {
            Some(start) => lock.with_start(start),
            None => lock,
        })
    }

    async fn sync_pool(&self) -> Result<(), StoreError> {
        Ok(crate::storage::sync_sqlite(&self.pool).await?)
    }

    /// The writer thread does this on SQLite; without it, the turn goes in steps.
    async fn finish_in_one(
        &self,
        _: &str,
        _: SavedTurn<'_>,
        _: &[TranscriptLine],
        _: &[FormRun],
    ) -> Option<bool> {
        None
    }
}

/// A finished turn, owned for the batch that saves it (PostgreSQL).
#[derive(Debug)]
struct TurnToSave {
    user: String,
    state: String,
    at: DateTime<Utc>,
    expected: Option<i64>,
    answered: Option<(String, String)>,
    lines: Vec<TranscriptLine>,
    runs: Vec<FormRun>,
}

impl TurnToSave {
    fn of(user: &str, turn: SavedTurn<'_>, lines: &[TranscriptLine], runs: &[FormRun]) -> Self {
        Self {
            user: user.to_owned(),
            state: turn.state.to_owned(),
            at: turn.at,
            expected: turn.expected,
            answered: turn
                .answered
                .map(|a| (a.message.to_owned(), a.outcome.to_owned())),
            lines: lines.to_vec(),
            runs: runs.to_vec(),
        }
    }
}

/// Turns per call: a full batch is 64 conversation updates and two inserts of a few
/// rows per turn inside PostgreSQL, a few milliseconds.
const SAVE_BATCH: usize = 64;

/// Saves the turns in one call of `heatdesk_save_turns`
/// (`migrations/postgres/0023_turns_saved_in_batches.sql`); each answer says whether that
/// turn saved. The turns go in the residents' order, so two instances' batches lock their
/// conversations in the same order.
async fn save_all(
    conn: &mut sqlx::PgConnection,
    turns: Vec<TurnToSave>,
    logs: &[(std::time::Instant, crate::storage::ClassificationLog)],
) -> Result<Vec<bool>, sqlx::Error> {
    let mut order: Vec<usize> = (0..turns.len()).collect();
    order.sort_by(|a, b| turns[*a].user.cmp(&turns[*b].user));
    let n = turns.len();
    let (mut t, mut l, mut r) = (
        TurnColumns::default(),
        LineColumns::default(),
        RunColumns::default(),
    );
    for (k, &i) in order.iter().enumerate() {
        let turn = &turns[i];
        // PostgreSQL's arrays count from 1.
        let place = i32::try_from(k + 1).unwrap_or(i32::MAX);
        t.user.push(turn.user.as_str());
        t.state.push(turn.state.as_str());
        t.at.push(turn.at);
        t.expected.push(turn.expected);
        t.message.push(turn.answered.as_ref().map(|a| a.0.as_str()));
        t.outcome.push(turn.answered.as_ref().map(|a| a.1.as_str()));
        for line in &turn.lines {
            l.turn.push(place);
            l.at.push(line.at);
            l.direction.push(direction_str(line.direction));
            l.text.push(line.text.as_str());
            l.author.push(line.author.as_deref());
            l.intent.push(line.intent.as_ref().map(|i| i.as_str()));
            l.confidence.push(line.confidence.map(f64::from));
            l.delivery.push(line.delivery.as_deref());
        }
        // One row per form: should a turn carry a form twice, its last step stands (an
        // upsert may not touch a row twice in one statement).
        let last = |k: usize, run: &FormRun| turn.runs[k + 1..].iter().all(|o| o.seq != run.seq);
        for (_, run) in turn
            .runs
            .iter()
            .enumerate()
            .filter(|(k, run)| last(*k, run))
        {
            r.turn.push(place);
            r.seq.push(i64::try_from(run.seq).unwrap_or(i64::MAX));
            r.intent.push(run.intent.as_str());
            r.action.push(run.action.as_deref());
            r.at.push(run.at);
            r.step.push(run.step.as_str());
            r.outcome.push(run.outcome.map(FormOutcome::as_str));
        }
    }
    const SAVE: &str = "SELECT heatdesk_save_turns($1, $2, $3, $4, $5, $6, \
         $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)";
    // The classification rows queued meanwhile go in the same statement (`LogRiders`).
    let sql = match logs.is_empty() {
        true => SAVE.to_owned(),
        false => LogRiders::insert_before(22) + SAVE,
    };
    let q = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(t.user)
        .bind(t.state)
        .bind(t.at)
        .bind(t.expected)
        .bind(t.message)
        .bind(t.outcome)
        .bind(l.turn)
        .bind(l.at)
        .bind(l.direction)
        .bind(l.text)
        .bind(l.author)
        .bind(l.intent)
        .bind(l.confidence)
        .bind(l.delivery)
        .bind(r.turn)
        .bind(r.seq)
        .bind(r.intent)
        .bind(r.action)
        .bind(r.at)
        .bind(r.step)
        .bind(r.outcome);
    let q = match logs.is_empty() {
        true => q,
        false => LogRiders::bind(q, logs),
    };
    let saved: Vec<bool> = q.fetch_one(conn).await?;
    if saved.len() != n {
        return Err(sqlx::Error::Protocol(format!(
            "{} answers for {n} turns",
            saved.len()
        )));
    }
    let mut answers = vec![false; n];
    for (k, &i) in order.iter().enumerate() {
        answers[i] = saved[k];
    }
    Ok(answers)
}

/// `heatdesk_save_turns`' arrays: the turns'…
#[derive(Default)]
struct TurnColumns<'a> {
    user: Vec<&'a str>,
    state: Vec<&'a str>,
    at: Vec<DateTime<Utc>>,
    expected: Vec<Option<i64>>,
    message: Vec<Option<&'a str>>,
    outcome: Vec<Option<&'a str>>,
}

/// …their lines' (`turn`: the turn's place in the arrays above, from 1)…
#[derive(Default)]
struct LineColumns<'a> {
    turn: Vec<i32>,
    at: Vec<DateTime<Utc>>,
    direction: Vec<&'static str>,
    text: Vec<&'a str>,
    author: Vec<Option<&'a str>>,
    intent: Vec<Option<&'a str>>,
    confidence: Vec<Option<f64>>,
    delivery: Vec<Option<&'a str>>,
}

/// …and their forms' steps.
#[derive(Default)]
struct RunColumns<'a> {
    turn: Vec<i32>,
    seq: Vec<i64>,
    intent: Vec<&'a str>,
    action: Vec<Option<&'a str>>,
    at: Vec<DateTime<Utc>>,
    step: Vec<&'a str>,
    outcome: Vec<Option<&'static str>>,
}

/// Instances sharing PostgreSQL: an advisory lock per resident, mostly on the instance's
/// turn-lock connection (`turns_pg`); a lock another instance holds is waited for on a
/// connection of this pool for the turn (a turn's queries then never wait for a connection
/// that a waiting turn holds). An instance that dies drops its connections, and with them
/// its locks.
#[derive(Debug, Clone)]
pub struct PgLocks {
    pool: sqlx::PgPool,
    /// This process's turns of a resident, one at a time, before the shared connection.
    local: KeyedLocks,
    /// Most turns' locks, in batches on one connection.
    shared: super::turns_pg::SharedTurns,
}

/// Advisory locks of turns are `(TURN_LOCK_CLASS, hashtext(user))`.
const TURN_LOCK_CLASS: i32 = 0x6864; // "hd"

impl PgStore {
    pub fn new(pool: sqlx::PgPool) -> Self {
        let options = pool.connect_options().as_ref().clone();
        let shared = super::turns_pg::SharedTurns::new(options.clone(), TURN_LOCK_CLASS);
        // Only for turns waiting for a resident whose turn runs on another instance (the
        // others take their locks in batches): half the main pool, so that an instance
        // stays within its share of the server's `max_connections`; turns beyond that
        // wait in line for a connection.
        let locks = sqlx::postgres::PgPoolOptions::new()
            .max_connections(8)
            .min_connections(0)
            .acquire_timeout(std::time::Duration::from_secs(30))
            .connect_lazy_with(options);
        let riders = LogRiders::of(&pool);
        let saves = Batcher::on_kept(pool.clone(), SAVE_BATCH, move |c, turns| {
            let riders = riders.clone();
            Box::pin(async move {
                let logs = riders.take();
                let saved = save_all(c, turns, &logs).await;
                if saved.is_err() {
                    // Nothing was written: the rows wait for the next save, or go alone.
                    riders.put_back(logs);
                }
                saved
            })
        });
        Self {
            kept: pool.kept(),
            pool,
            locks: PgLocks {
                pool: locks,
                local: KeyedLocks::default(),
                shared,
            },
            direct: None,
            saves: Some(std::sync::Arc::new(saves)),
        }
    }

    async fn sync_pool(&self) -> Result<(), StoreError> {
        Ok(crate::storage::sync_postgres(&self.pool).await?)
    }

    /// A finished turn in one statement: the state, then (only if it saved) the
    /// transcript lines and the forms' steps, as data-modifying parts of one `WITH`, so
    /// one round trip and one commit. `None` when that failed (nothing was written then)
    /// and the turn should go in steps, which tell which part failed.
    async fn finish_in_one(
        &self,
        user: &str,
        turn: SavedTurn<'_>,
        lines: &[TranscriptLine],
        runs: &[FormRun],
    ) -> Option<bool> {
        let sql = finish_statement(turn.expected.is_some(), lines.len(), runs.len());
        let (message, outcome) = turn
            .answered
            .map_or((None, None), |a| (Some(a.message), Some(a.outcome)));
        let mut q = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql))
            .bind(user)
            .bind(turn.state)
            .bind(turn.at)
            .bind(turn.expected.unwrap_or(0))
            .bind(message)
            .bind(outcome);
        for l in lines {
            q = q
                .bind(l.at)
                .bind(direction_str(l.direction))
                .bind(l.text.as_str())
                .bind(l.author.as_deref())
                .bind(l.intent.as_ref().map(|i| i.as_str()))
                .bind(l.confidence.map(f64::from))
                .bind(l.delivery.as_deref());
        }
        for r in runs {
            q = q
                .bind(i64::try_from(r.seq).unwrap_or(i64::MAX))
                .bind(r.intent.as_str())
                .bind(r.action.as_deref())
                .bind(r.at)
                .bind(r.step.as_str())
                .bind(r.outcome.map(FormOutcome::as_str));
        }
        match q.fetch_one(&self.pool).await {
            Ok(saved) => Some(saved == 1),
            Err(e) => {
                tracing::debug!(error = %e, "turn in one statement failed; in steps");
                None
            }
        }
    }

    async fn lock_user(&self, user: &str) -> Result<TurnLock, StoreError> {
        let local = self.locks.local.lock(user).await;
        match self.locks.shared.take(user).await {
            Ok(Some((start, give))) => return Ok(TurnLock::shared(local, give, start)),
            // Another instance's turn: wait for it alone.
            Ok(None) => {}
            Err(e) => tracing::debug!(error = %e, "turn lock taken on a connection of its own"),
        }
        Ok(self.lock_alone(user).await?.beside(local))
    }

    /// The resident's lock on a connection of the turn's own, waiting for it.
    async fn lock_alone(&self, user: &str) -> Result<TurnLock, StoreError> {
        let mut conn = self.locks.pool.acquire().await?;
        // The lock and what the turn reads first, in one round trip
        // (`migrations/postgres/0019_turn_start.sql`).
        let read = async {
            let row = sqlx::query("SELECT * FROM heatdesk_turn_start($1, $2)")
                .bind(TURN_LOCK_CLASS)
                .bind(user)
                .fetch_one(&mut *conn)
                .await?;
            super::turns_pg::start_of(&row)
        };
        let start = match read.await {
            Ok(start) => start,
            Err(e) => {
                // The lock may be held even so (a session lock outlives a failed
                // statement): the connection must not go back to the pool with it.
                drop(conn.detach());
                return Err(e.into());
            }
        };
        Ok(TurnLock::postgres(conn, TURN_LOCK_CLASS, user, Some(start)))
    }
}
