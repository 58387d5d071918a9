//! The `Repo` trait's methods for one backend (see `generic.rs`).

macro_rules! impl_repo_trait {
    ($name:ident, $row:ty) => {
        #[async_trait]
        impl Repo for $name {
            async fn account(&self, no: &AccountNo) -> Result<Option<Holder>, sqlx::Error> {
                let row = sqlx::query(SQL.account)
                    .bind(no.as_str())
                    .fetch_optional(&*self.kept)
                    .await?;
                row.as_ref().map(holder_from).transpose()
            }

            async fn bills(&self, no: &AccountNo) -> Result<Vec<Bill>, sqlx::Error> {
                let rows = sqlx::query(SQL.bills)
                    .bind(no.as_str())
                    .fetch_all(&*self.kept)
                    .await?;
                rows.iter()
                    .map(|r| {
                        Ok(Bill {
                            season: r.try_get("season")?,
                            amount: crate::service::Fen(r.try_get("amount_fen")?),
                            paid: crate::service::Fen(r.try_get("paid_fen")?),
                            due: r.try_get("due")?,
                        })
                    })
                    .collect()
            }

            async fn payments(&self, no: &AccountNo) -> Result<Vec<Payment>, sqlx::Error> {
                let rows = sqlx::query(SQL.payments)
                    .bind(no.as_str())
                    .fetch_all(&*self.kept)
                    .await?;
                rows.iter()
                    .map(|r| {
                        Ok(Payment {
                            at: r.try_get("at")?,
                            amount: crate::service::Fen(r.try_get("amount_fen")?),
                            channel: r.try_get("channel")?,
                            season: r.try_get("season")?,
                        })
                    })
                    .collect()
            }

            async fn requests(&self, no: &AccountNo) -> Result<Vec<ServiceRequest>, sqlx::Error> {
                let events = sqlx::query(SQL.events_of_account)
                    .bind(no.as_str())
                    .fetch_all(&*self.kept)
                    .await?;
                let mut events = group(&events)?;
                let rows = sqlx::query(SQL.requests_of)
                    .bind(no.as_str())
                    .fetch_all(&*self.kept)
                    .await?;
                rows.iter().map(|r| request_from(r, &mut events)).collect()
            }

            async fn request(&self, id: &RequestId) -> Result<Option<ServiceRequest>, sqlx::Error> {
                let Some(row) = sqlx::query(SQL.request)
                    .bind(id.as_str())
                    .fetch_optional(&*self.kept)
                    .await?
                else {
                    return Ok(None);
                };
                let events = sqlx::query(SQL.events_of_request)
                    .bind(id.as_str())
                    .fetch_all(&*self.kept)
                    .await?;
                request_from(&row, &mut group(&events)?).map(Some)
            }

            async fn halls(&self) -> Result<Vec<Hall>, sqlx::Error> {
                let rows = sqlx::query(SQL.halls).fetch_all(&*self.kept).await?;
                rows.iter()
                    .map(|r| {
                        Ok(Hall {
                            id: r.try_get("id")?,
                            name: r.try_get("name")?,
                            district: r.try_get("district")?,
                            address: r.try_get("address")?,
                            phone: r.try_get("phone")?,
                            hours: r.try_get("hours")?,
                            lat: r.try_get("lat")?,
                            lon: r.try_get("lon")?,
                        })
                    })
                    .collect()
            }

            async fn work_orders(
                &self,
                district: Option<&str>,
                kinds: &[RequestKind],
                closed: &[RequestStatus],
            ) -> Result<Vec<WorkOrder>, sqlx::Error> {
                let rows = sqlx::query(SQL.work_orders)
                    .bind(enum_list(kinds))
                    .bind(enum_list(closed))
                    .bind(district)
                    .fetch_all(&*self.kept)
                    .await?;
                if rows.is_empty() {
                    return Ok(Vec::new());
                }
                let ids = rows
                    .iter()
                    .map(|r| r.try_get::<String, _>("id"))
                    .collect::<Result<Vec<_>, _>>()?;
                let events = sqlx::query(SQL.events_of_requests)
                    .bind(serde_json::Value::from(ids).to_string())
                    .fetch_all(&*self.kept)
                    .await?;
                let mut events = group(&events)?;
                rows.iter()
                    .map(|r| {
                        Ok(WorkOrder {
                            request: request_from(r, &mut events)?,
                            holder_masked: mask_name(&r.try_get::<String, _>("holder_name")?),
                            address: r.try_get("address")?,
                            district: r.try_get("district")?,
                            estate: r.try_get("estate")?,
                        })
                    })
                    .collect()
            }

            async fn replay(&self, key: &IdempotencyKey) -> Result<Option<Stored>, sqlx::Error> {
                let row = sqlx::query(SQL.replay)
                    .bind(key.as_str())
                    .fetch_optional(&*self.kept)
                    .await?;
                row.map(|r| {
                    Ok(Stored {
                        fingerprint: r.try_get("fingerprint")?,
                        response: r.try_get("response")?,
                    })
                })
                .transpose()
            }

            async fn remember(
                &self,
                key: &IdempotencyKey,
                s: &Stored,
            ) -> Result<Option<Stored>, sqlx::Error> {
                let _paused = crate::storage::direct::pause(self.writer.as_ref()).await;
                let mut tx = self.pool.begin().await?;
                if !Self::claim(&mut tx, key, &s.fingerprint).await? {
                    tx.rollback().await?;
                    return self.replay(key).await;
                }
                sqlx::query(SQL.set_response)
                    .bind(&s.response)
                    .bind(key.as_str())
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(None)
            }

            async fn insert_request(
                &self,
                key: &IdempotencyKey,
                fingerprint: &str,
                row: NewRow,
            ) -> Result<Written, sqlx::Error> {
                let _paused = crate::storage::direct::pause(self.writer.as_ref()).await;
                let mut tx = self.pool.begin().await?;
                if !Self::claim(&mut tx, key, fingerprint).await? {
                    tx.rollback().await?;
                    return self.lost_claim(key).await;
                }
                let day = id_day(row.created_at);
                let n: i64 = sqlx::query(SQL.next_seq)
                    .bind(&day)
                    .fetch_one(&mut *tx)
                    .await?
                    .try_get("n")?;
                let id = request_id(&day, n)?;
                sqlx::query(SQL.insert_request)
                    .bind(id.as_str())
                    .bind(row.account.as_str())
                    .bind(enum_str(&row.kind))
                    .bind(enum_str(&row.status))
                    .bind(row.urgent)
                    .bind(row.created_at)
                    .bind(json_text(&row.details))
                    .bind(key.as_str())
                    .execute(&mut *tx)
                    .await?;
                for ev in &row.timeline {
                    Self::insert_event(&mut tx, &id, ev).await?;
                }
                Self::effect(&mut tx, &row.account, &row.effect).await?;
                let req = ServiceRequest {
                    id,
                    account: row.account,
                    kind: row.kind,
                    status: row.status,
                    urgent: row.urgent,
                    created_at: row.created_at,
                    details: row.details,
                    timeline: row.timeline,
                };
                let response = super::response_json(&req).map_err(encode_err)?;
                sqlx::query(SQL.set_response)
                    .bind(response)
                    .bind(key.as_str())
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(Written::Fresh(req))
            }

            async fn apply_status(
                &self,
                key: &IdempotencyKey,
                fingerprint: &str,
                change: StatusChange,
            ) -> Result<Written, sqlx::Error> {
                let _paused = crate::storage::direct::pause(self.writer.as_ref()).await;
                let mut tx = self.pool.begin().await?;
                if !Self::claim(&mut tx, key, fingerprint).await? {
                    tx.rollback().await?;
                    return self.lost_claim(key).await;
                }
                let req = &change.request;
                let moved = sqlx::query(SQL.update_status)
                    .bind(enum_str(&req.status))
                    .bind(req.id.as_str())
                    .bind(enum_str(&change.from))
                    .execute(&mut *tx)
                    .await?;
                if moved.rows_affected() != 1 {
                    tx.rollback().await?;
                    return Ok(Written::Conflict);
                }
                Self::insert_event(&mut tx, &req.id, &change.event).await?;
                Self::effect(&mut tx, &req.account, &change.effect).await?;
                let response = super::response_json(req).map_err(encode_err)?;
                sqlx::query(SQL.set_response)
                    .bind(response)
                    .bind(key.as_str())
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(Written::Fresh(change.request))
            }

            async fn count_accounts(&self) -> Result<i64, sqlx::Error> {
                sqlx::query(SQL.count_accounts)
                    .fetch_one(&*self.kept)
                    .await?
                    .try_get("n")
            }

            async fn insert_account(&self, h: &Holder) -> Result<(), sqlx::Error> {
                let a = &h.account;
                sqlx::query(SQL.insert_account)
                    .bind(a.no.as_str())
                    .bind(&h.name)
                    .bind(&h.phone)
                    .bind(&a.address)
                    .bind(&a.district)
                    .bind(&a.estate)
                    .bind(a.area_m2)
                    .bind(enum_str(&a.status))
                    .execute(&*self.kept)
                    .await?;
                Ok(())
            }

            async fn insert_bill(&self, no: &AccountNo, b: &Bill) -> Result<(), sqlx::Error> {
                sqlx::query(SQL.insert_bill)
                    .bind(no.as_str())
                    .bind(&b.season)
                    .bind(b.amount.0)
                    .bind(b.paid.0)
                    .bind(b.due)
                    .execute(&*self.kept)
                    .await?;
                Ok(())
            }

            async fn insert_payment(&self, no: &AccountNo, p: &Payment) -> Result<(), sqlx::Error> {
                sqlx::query(SQL.insert_payment)
                    .bind(no.as_str())
                    .bind(p.at)
                    .bind(p.amount.0)
                    .bind(&p.channel)
                    .bind(&p.season)
                    .execute(&*self.kept)
                    .await?;
                Ok(())
            }

            async fn insert_hall(&self, h: &Hall) -> Result<(), sqlx::Error> {
                sqlx::query(SQL.insert_hall)
                    .bind(&h.id)
                    .bind(&h.name)
                    .bind(&h.district)
                    .bind(&h.address)
                    .bind(&h.phone)
                    .bind(&h.hours)
                    .bind(h.lat)
                    .bind(h.lon)
                    .execute(&*self.kept)
                    .await?;
                Ok(())
            }
        }
    };
}
