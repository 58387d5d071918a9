//! The office's tables, SQL per backend (the statements are the same text; the macro gives
//! each backend its own types).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Row;

use super::model::*;
use crate::catalog::{OfficeDoc, Subject};
use crate::storage::Database;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("stored data cannot be read: {0}")]
    Decode(String),
    /// Another publication took the number first.
    #[error("version {0} was published meanwhile")]
    Taken(i64),
}

fn decode<E: std::fmt::Display>(e: E) -> StoreError {
    StoreError::Decode(e.to_string())
}

#[async_trait]
pub trait OfficeStore: Send + Sync + std::fmt::Debug + 'static {
    async fn latest_number(&self) -> Result<Option<i64>, StoreError>;
    async fn version(&self, number: i64) -> Result<Option<Version>, StoreError>;
    async fn versions(&self) -> Result<Vec<VersionMeta>, StoreError>;
    /// Stores `doc` as version `meta.number` and, in the same transaction, marks the change
    /// set it came from (`meta.changeset`, if any) published; `Taken` if that number exists.
    async fn insert_version(&self, meta: &VersionMeta, doc: &OfficeDoc) -> Result<(), StoreError>;

    async fn changeset(&self, id: i64) -> Result<Option<ChangeSet>, StoreError>;
    /// The author's change set still being edited (draft or sent back), if any.
    async fn open_changeset_id(&self, author: &str) -> Result<Option<i64>, StoreError>;
    /// The author's change set still being edited (draft or sent back), made if none.
    async fn open_changeset(&self, author: &str) -> Result<ChangeSet, StoreError>;
    async fn changesets(&self, statuses: &[ChangeStatus]) -> Result<Vec<ChangeSet>, StoreError>;
    /// Moves a change set from one of `from` to `to`; `false` if it was not in `from`.
    async fn set_status(
        &self,
        id: i64,
        from: &[ChangeStatus],
        to: ChangeStatus,
        update: StatusUpdate<'_>,
    ) -> Result<bool, StoreError>;
    async fn set_gate(&self, id: i64, gate: &GateReport) -> Result<(), StoreError>;

    async fn edits(&self, changeset: i64) -> Result<Vec<Edit>, StoreError>;
    /// Edits of `subject` in change sets not yet published or withdrawn, newest first.
    async fn open_edits_of(&self, subject: &Subject) -> Result<Vec<Edit>, StoreError>;
    async fn put_edit(&self, edit: &Edit) -> Result<(), StoreError>;
    async fn drop_edit(&self, changeset: i64, subject: &Subject) -> Result<(), StoreError>;

    async fn add_label(&self, label: &Label) -> Result<(), StoreError>;
    async fn labels(&self) -> Result<Vec<Label>, StoreError>;
    async fn add_feedback(&self, f: &Feedback) -> Result<(), StoreError>;
    async fn feedback(&self, limit: i64) -> Result<Vec<Feedback>, StoreError>;
    async fn dismiss(&self, key: &str, by: &str) -> Result<(), StoreError>;
    async fn dismissed(&self) -> Result<Vec<String>, StoreError>;

    async fn audit(&self, a: &Audit) -> Result<(), StoreError>;
    async fn audit_log(&self, limit: i64) -> Result<Vec<Audit>, StoreError>;

    /// How often each entry answered a message since `since`.
    async fn answered_counts(&self, since: DateTime<Utc>)
        -> Result<Vec<(String, i64)>, StoreError>;
}

pub fn store_for(db: &Database) -> std::sync::Arc<dyn OfficeStore> {
    match db {
        Database::Sqlite(pool) => std::sync::Arc::new(SqliteOffice {
            pool: pool.clone(),
            direct: db.direct(),
        }),
        Database::Postgres(pool) => std::sync::Arc::new(PgOffice {
            pool: pool.clone(),
            direct: None,
        }),
    }
}

const VERSION_META: &str =
    "number, digest, author, reviewer, summary, override_reason, changeset_id, published_at";
const CHANGESET: &str = "id, author, status, summary, comment, reviewer, gate, \
     published_version, created_at, updated_at";
const EDIT: &str = "changeset_id, subject, body, base, author, at";
const OPEN: &str = "'draft', 'review', 'approved', 'returned'";

fn subject_key(s: &Subject) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

const ADD_FEEDBACK: &str =
    "INSERT INTO office_feedback (at, kind, text_masked, intent, entry, reported_by) \
     VALUES ($1, $2, $3, $4, $5, $6)";

macro_rules! impl_store {
    ($name:ident, $pool:ty, $row:ty) => {
        #[derive(Debug, Clone)]
        struct $name {
            pool: $pool,
            /// SQLite: feedback comes on the reply path, through the writer thread.
            direct: Option<crate::storage::direct::Direct>,
        }

        impl $name {
            fn meta(r: &$row) -> Result<VersionMeta, StoreError> {
                Ok(VersionMeta {
                    number: r.try_get("number")?,
                    digest: r.try_get("digest")?,
                    author: r.try_get("author")?,
                    reviewer: r.try_get("reviewer")?,
                    summary: r.try_get("summary")?,
                    override_reason: r.try_get("override_reason")?,
                    changeset: r.try_get("changeset_id")?,
                    published_at: r.try_get("published_at")?,
                })
            }

            fn changeset(r: &$row) -> Result<ChangeSet, StoreError> {
                let status: String = r.try_get("status")?;
                let gate: Option<String> = r.try_get("gate")?;
                Ok(ChangeSet {
                    id: r.try_get("id")?,
                    author: r.try_get("author")?,
                    status: ChangeStatus::parse(&status)
                        .ok_or_else(|| decode(format!("status `{status}`")))?,
                    summary: r.try_get("summary")?,
                    comment: r.try_get("comment")?,
                    reviewer: r.try_get("reviewer")?,
                    gate: gate
                        .map(|g| serde_json::from_str(&g))
                        .transpose()
                        .map_err(decode)?,
                    published_version: r.try_get("published_version")?,
                    created_at: r.try_get("created_at")?,
                    updated_at: r.try_get("updated_at")?,
                })
            }

            fn edit(r: &$row) -> Result<Edit, StoreError> {
                let subject: String = r.try_get("subject")?;
                let body: Option<String> = r.try_get("body")?;
                Ok(Edit {
                    changeset: r.try_get("changeset_id")?,
                    subject: serde_json::from_str(&subject).map_err(decode)?,
                    body: body
                        .map(|b| serde_json::from_str(&b))
                        .transpose()
                        .map_err(decode)?,
                    base: r.try_get("base")?,
                    author: r.try_get("author")?,
                    at: r.try_get("at")?,
                })
            }
        }

        #[async_trait]
        impl OfficeStore for $name {
            async fn latest_number(&self) -> Result<Option<i64>, StoreError> {
                let row = sqlx::query("SELECT MAX(number) AS n FROM phrasebook_versions")
                    .fetch_one(&self.pool)
                    .await?;
                Ok(row.try_get("n")?)
            }

            async fn version(&self, number: i64) -> Result<Option<Version>, StoreError> {
                let row = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT {VERSION_META}, doc FROM phrasebook_versions WHERE number = $1"
                )))
                .bind(number)
                .fetch_optional(&self.pool)
                .await?;
                row.map(|r| {
                    let doc: String = r.try_get("doc")?;
                    Ok(Version {
                        meta: Self::meta(&r)?,
                        doc: serde_json::from_str(&doc).map_err(decode)?,
                    })
                })
                .transpose()
            }

            async fn versions(&self) -> Result<Vec<VersionMeta>, StoreError> {
                let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT {VERSION_META} FROM phrasebook_versions ORDER BY number DESC"
                )))
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(Self::meta).collect()
            }

            async fn insert_version(
                &self,
                meta: &VersionMeta,
                doc: &OfficeDoc,
            ) -> Result<(), StoreError> {
                let doc = serde_json::to_string(doc).map_err(decode)?;
                let mut tx = self.pool.begin().await?;
                let done = sqlx::query(
                    "INSERT INTO phrasebook_versions (number, digest, doc, author, reviewer, \
                     summary, override_reason, changeset_id, published_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (number) DO NOTHING",
                )
                .bind(meta.number)
                .bind(&meta.digest)
                .bind(doc)
                .bind(&meta.author)
                .bind(&meta.reviewer)
                .bind(&meta.summary)
                .bind(&meta.override_reason)
                .bind(meta.changeset)
                .bind(meta.published_at)
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::Taken(meta.number));
                }
                if let Some(id) = meta.changeset {
                    sqlx::query(
                        "UPDATE office_changesets SET status = 'published', \
                         published_version = $2, updated_at = $3 WHERE id = $1",
                    )
                    .bind(id)
                    .bind(meta.number)
                    .bind(meta.published_at)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn changeset(&self, id: i64) -> Result<Option<ChangeSet>, StoreError> {
                let row = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT {CHANGESET} FROM office_changesets WHERE id = $1"
                )))
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
                row.as_ref().map(Self::changeset).transpose()
            }

            async fn open_changeset_id(&self, author: &str) -> Result<Option<i64>, StoreError> {
                let row = sqlx::query(
                    "SELECT MAX(id) AS id FROM office_changesets \
                     WHERE author = $1 AND status IN ('draft', 'returned')",
                )
                .bind(author)
                .fetch_one(&self.pool)
                .await?;
                Ok(row.try_get("id")?)
            }

            async fn open_changeset(&self, author: &str) -> Result<ChangeSet, StoreError> {
                let found = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT {CHANGESET} FROM office_changesets \
                     WHERE author = $1 AND status IN ('draft', 'returned') ORDER BY id DESC LIMIT 1"
                )))
                .bind(author)
                .fetch_optional(&self.pool)
                .await?;
                if let Some(row) = found {
                    return Self::changeset(&row);
                }
                let now = Utc::now();
                let row = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "INSERT INTO office_changesets (author, status, summary, created_at, updated_at) \
                     VALUES ($1, 'draft', '', $2, $2) RETURNING {CHANGESET}"
                )))
                .bind(author)
                .bind(now)
                .fetch_one(&self.pool)
                .await?;
                Self::changeset(&row)
            }

            async fn changesets(
                &self,
                statuses: &[ChangeStatus],
            ) -> Result<Vec<ChangeSet>, StoreError> {
                let list = statuses
                    .iter()
                    .map(|s| format!("'{}'", s.as_str()))
                    .collect::<Vec<_>>()
                    .join(", ");
                let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT {CHANGESET} FROM office_changesets WHERE status IN ({list}) \
                     ORDER BY updated_at DESC, id DESC LIMIT 200"
                )))
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(Self::changeset).collect()
            }

            async fn set_status(
                &self,
                id: i64,
                from: &[ChangeStatus],
                to: ChangeStatus,
                update: StatusUpdate<'_>,
            ) -> Result<bool, StoreError> {
                let list = from
                    .iter()
                    .map(|s| format!("'{}'", s.as_str()))
                    .collect::<Vec<_>>()
                    .join(", ");
                let done = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "UPDATE office_changesets SET status = $2, updated_at = $3, \
                     summary = COALESCE($4, summary), comment = COALESCE($5, comment), \
                     reviewer = COALESCE($6, reviewer), \
                     published_version = COALESCE($7, published_version) \
                     WHERE id = $1 AND status IN ({list})"
                )))
                .bind(id)
                .bind(to.as_str())
                .bind(Utc::now())
                .bind(update.summary)
                .bind(update.comment)
                .bind(update.reviewer)
                .bind(update.published_version)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn set_gate(&self, id: i64, gate: &GateReport) -> Result<(), StoreError> {
                sqlx::query("UPDATE office_changesets SET gate = $2 WHERE id = $1")
                    .bind(id)
                    .bind(serde_json::to_string(gate).map_err(decode)?)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn edits(&self, changeset: i64) -> Result<Vec<Edit>, StoreError> {
                let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT {EDIT} FROM office_edits WHERE changeset_id = $1 ORDER BY at, subject"
                )))
                .bind(changeset)
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(Self::edit).collect()
            }

            async fn open_edits_of(&self, subject: &Subject) -> Result<Vec<Edit>, StoreError> {
                let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT e.changeset_id, e.subject, e.body, e.base, e.author, e.at \
                     FROM office_edits e JOIN office_changesets c ON c.id = e.changeset_id \
                     WHERE e.subject = $1 AND c.status IN ({OPEN}) ORDER BY e.at DESC"
                )))
                .bind(subject_key(subject))
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(Self::edit).collect()
            }

            async fn put_edit(&self, e: &Edit) -> Result<(), StoreError> {
                let body = e
                    .body
                    .as_ref()
                    .map(serde_json::to_string)
                    .transpose()
                    .map_err(decode)?;
                let mut tx = self.pool.begin().await?;
                sqlx::query(
                    "INSERT INTO office_edits (changeset_id, subject, body, base, author, at) \
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (changeset_id, subject) \
                     DO UPDATE SET body = excluded.body, author = excluded.author, at = excluded.at",
                )
                .bind(e.changeset)
                .bind(subject_key(&e.subject))
                .bind(body)
                .bind(&e.base)
                .bind(&e.author)
                .bind(e.at)
                .execute(&mut *tx)
                .await?;
                sqlx::query("UPDATE office_changesets SET updated_at = $2 WHERE id = $1")
                    .bind(e.changeset)
                    .bind(e.at)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn drop_edit(&self, changeset: i64, subject: &Subject) -> Result<(), StoreError> {
                sqlx::query("DELETE FROM office_edits WHERE changeset_id = $1 AND subject = $2")
                    .bind(changeset)
                    .bind(subject_key(subject))
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn add_label(&self, l: &Label) -> Result<(), StoreError> {
                sqlx::query(
                    "INSERT INTO office_labels (key, text, intent, source, labelled_by, at) \
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (key) DO UPDATE SET \
                     text = excluded.text, intent = excluded.intent, source = excluded.source, \
                     labelled_by = excluded.labelled_by, at = excluded.at",
                )
                .bind(&l.key)
                .bind(&l.text)
                .bind(&l.intent)
                .bind(&l.source)
                .bind(&l.by)
                .bind(l.at)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn labels(&self) -> Result<Vec<Label>, StoreError> {
                let rows = sqlx::query(
                    "SELECT key, text, intent, source, labelled_by, at FROM office_labels ORDER BY at",
                )
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|r| {
                        Ok(Label {
                            key: r.try_get("key")?,
                            text: r.try_get("text")?,
                            intent: r.try_get("intent")?,
                            source: r.try_get("source")?,
                            by: r.try_get("labelled_by")?,
                            at: r.try_get("at")?,
                        })
                    })
                    .collect()
            }

            async fn add_feedback(&self, f: &Feedback) -> Result<(), StoreError> {
                if let Some(d) = &self.direct {
                    let (at, kind) = (crate::storage::direct::time(f.at), f.kind.as_str());
                    let (text, intent) = (f.text_masked.clone(), f.intent.clone());
                    let (entry, by) = (f.entry.clone(), f.by.clone());
                    let written = d
                        .write(move |c| {
                            crate::storage::direct::execute(
                                c,
                                ADD_FEEDBACK,
                                &[&at, &kind, &text, &intent, &entry, &by],
                            )
                        })
                        .await;
                    match written {
                        Ok(_) => return Ok(()),
                        Err(e) => tracing::debug!(error = %e, "feedback recorded through the pool"),
                    }
                }
                sqlx::query(ADD_FEEDBACK)
                .bind(f.at)
                .bind(f.kind.as_str())
                .bind(&f.text_masked)
                .bind(&f.intent)
                .bind(&f.entry)
                .bind(&f.by)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn feedback(&self, limit: i64) -> Result<Vec<Feedback>, StoreError> {
                let rows = sqlx::query(
                    "SELECT at, kind, text_masked, intent, entry, reported_by FROM office_feedback \
                     ORDER BY id DESC LIMIT $1",
                )
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|r| {
                        let kind: String = r.try_get("kind")?;
                        Ok(Feedback {
                            at: r.try_get("at")?,
                            kind: FeedbackKind::parse(&kind)
                                .ok_or_else(|| decode(format!("feedback `{kind}`")))?,
                            text_masked: r.try_get("text_masked")?,
                            intent: r.try_get("intent")?,
                            entry: r.try_get("entry")?,
                            by: r.try_get("reported_by")?,
                        })
                    })
                    .collect()
            }

            async fn dismiss(&self, key: &str, by: &str) -> Result<(), StoreError> {
                sqlx::query(
                    "INSERT INTO office_dismissed (key, dismissed_by, at) VALUES ($1, $2, $3) \
                     ON CONFLICT (key) DO NOTHING",
                )
                .bind(key)
                .bind(by)
                .bind(Utc::now())
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn dismissed(&self) -> Result<Vec<String>, StoreError> {
                let rows = sqlx::query("SELECT key FROM office_dismissed")
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter()
                    .map(|r| r.try_get("key").map_err(StoreError::from))
                    .collect()
            }

            async fn audit(&self, a: &Audit) -> Result<(), StoreError> {
                sqlx::query(
                    "INSERT INTO office_audit (at, actor, action, subject, before, after, reason) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(a.at)
                .bind(&a.actor)
                .bind(&a.action)
                .bind(&a.subject)
                .bind(&a.before)
                .bind(&a.after)
                .bind(&a.reason)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn audit_log(&self, limit: i64) -> Result<Vec<Audit>, StoreError> {
                let rows = sqlx::query(
                    "SELECT at, actor, action, subject, before, after, reason FROM office_audit \
                     ORDER BY id DESC LIMIT $1",
                )
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|r| {
                        Ok(Audit {
                            at: r.try_get("at")?,
                            actor: r.try_get("actor")?,
                            action: r.try_get("action")?,
                            subject: r.try_get("subject")?,
                            before: r.try_get("before")?,
                            after: r.try_get("after")?,
                            reason: r.try_get("reason")?,
                        })
                    })
                    .collect()
            }

            async fn answered_counts(
                &self,
                since: DateTime<Utc>,
            ) -> Result<Vec<(String, i64)>, StoreError> {
                let rows = sqlx::query(
                    "SELECT entry, COUNT(*) AS n FROM classifications \
                     WHERE at >= $1 AND decision = 'answer' AND entry IS NOT NULL GROUP BY entry",
                )
                .bind(since)
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|r| Ok((r.try_get("entry")?, r.try_get("n")?)))
                    .collect()
            }
        }
    };
}

impl_store!(SqliteOffice, sqlx::SqlitePool, sqlx::sqlite::SqliteRow);
impl_store!(PgOffice, sqlx::PgPool, sqlx::postgres::PgRow);
