//! The body of a `Repo` for one sqlx backend. Both backends decode the same column names
//! and types, so only their SQL (`Sql`) differs; the macro keeps one copy of the logic.

macro_rules! impl_repo {
    ($name:ident, $db:ty, $pool:ty, $row:ty, $sql:expr) => {
        use std::collections::HashMap;

        use async_trait::async_trait;
        use sqlx::Row;

        use super::mask_name;
        use super::repo::{
            encode_err, enum_list, enum_parse, enum_str, id_day, json_text, parse_id, request_id,
            Effect, Holder, NewRow, Repo, Sql, StatusChange, Stored, Written,
        };
        use crate::service::{
            Account, AccountNo, Bill, Hall, IdempotencyKey, Payment, RequestId, RequestKind,
            RequestStatus, ServiceRequest, TimelineEvent, WorkOrder,
        };

        const SQL: Sql = $sql;

        #[derive(Debug, Clone)]
        pub(crate) struct $name {
            pool: $pool,
            /// Single statements, on connections kept out of the pool.
            kept: crate::storage::KeptFor<$pool>,
            /// SQLite: the reply path's writer, held while a transaction here writes.
            writer: Option<crate::storage::direct::Direct>,
        }

        impl $name {
            pub(crate) fn new(pool: $pool) -> Self {
                use crate::storage::direct::WriterOf;
                use crate::storage::KeptOf;
                Self {
                    writer: pool.writer(),
                    kept: pool.kept(),
                    pool,
                }
            }

            async fn effect<'c>(
                tx: &mut sqlx::Transaction<'c, $db>,
                no: &AccountNo,
                effect: &Effect,
            ) -> Result<(), sqlx::Error> {
                if let Some(status) = effect.status {
                    sqlx::query(SQL.set_account_status)
                        .bind(enum_str(&status))
                        .bind(no.as_str())
                        .execute(&mut **tx)
                        .await?;
                }
                if let Some(area) = effect.area_m2 {
                    sqlx::query(SQL.set_account_area)
                        .bind(area)
                        .bind(no.as_str())
                        .execute(&mut **tx)
                        .await?;
                }
                Ok(())
            }

            async fn claim<'c>(
                tx: &mut sqlx::Transaction<'c, $db>,
                key: &IdempotencyKey,
                fingerprint: &str,
            ) -> Result<bool, sqlx::Error> {
                let done = sqlx::query(SQL.claim)
                    .bind(key.as_str())
                    .bind(fingerprint)
                    .bind("")
                    .bind(chrono::Utc::now())
                    .execute(&mut **tx)
                    .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn lost_claim(&self, key: &IdempotencyKey) -> Result<Written, sqlx::Error> {
                Ok(match self.replay(key).await? {
                    Some(first) => Written::Replay(first),
                    None => Written::Conflict,
                })
            }

            async fn insert_event<'c>(
                tx: &mut sqlx::Transaction<'c, $db>,
                id: &RequestId,
                ev: &TimelineEvent,
            ) -> Result<(), sqlx::Error> {
                sqlx::query(SQL.insert_event)
                    .bind(id.as_str())
                    .bind(ev.at)
                    .bind(enum_str(&ev.status))
                    .bind(ev.note.as_deref())
                    .execute(&mut **tx)
                    .await?;
                Ok(())
            }
        }

        fn holder_from(r: &$row) -> Result<Holder, sqlx::Error> {
            let name: String = r.try_get("holder_name")?;
            Ok(Holder {
                account: Account {
                    no: parse_id(AccountNo::parse(r.try_get::<String, _>("no")?))?,
                    holder_masked: mask_name(&name),
                    address: r.try_get("address")?,
                    district: r.try_get("district")?,
                    estate: r.try_get("estate")?,
                    area_m2: r.try_get("area_m2")?,
                    status: enum_parse(&r.try_get::<String, _>("status")?)?,
                },
                name,
                phone: r.try_get("phone")?,
            })
        }

        fn event_from(r: &$row) -> Result<(String, TimelineEvent), sqlx::Error> {
            let ev = TimelineEvent {
                at: r.try_get("at")?,
                status: enum_parse(&r.try_get::<String, _>("status")?)?,
                note: r.try_get("note")?,
            };
            Ok((r.try_get("request_id")?, ev))
        }

        fn request_from(
            r: &$row,
            events: &mut HashMap<String, Vec<TimelineEvent>>,
        ) -> Result<ServiceRequest, sqlx::Error> {
            let id: String = r.try_get("id")?;
            let details: String = r.try_get("details")?;
            Ok(ServiceRequest {
                timeline: events.remove(&id).unwrap_or_default(),
                id: parse_id(RequestId::parse(id))?,
                account: parse_id(AccountNo::parse(r.try_get::<String, _>("account_no")?))?,
                kind: enum_parse(&r.try_get::<String, _>("kind")?)?,
                status: enum_parse(&r.try_get::<String, _>("status")?)?,
                urgent: r.try_get("urgent")?,
                created_at: r.try_get("created_at")?,
                details: parse_id(serde_json::from_str(&details))?,
            })
        }

        fn group(rows: &[$row]) -> Result<HashMap<String, Vec<TimelineEvent>>, sqlx::Error> {
            let mut out: HashMap<String, Vec<TimelineEvent>> = HashMap::new();
            for r in rows {
                let (id, ev) = event_from(r)?;
                out.entry(id).or_default().push(ev);
            }
            Ok(out)
        }

        impl_repo_trait!($name, $row);
    };
}
