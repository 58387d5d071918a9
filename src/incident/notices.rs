//! Telling subscribers of a change: each (change, resident) is claimed by one row insert,
//! so instances racing over the same change send it once; a claim whose instance died
//! before settling it is held for the resident's next message after the lease.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{Duration, Utc};

use super::store::{IncidentStore, Subscriber};
use super::{EventKind, Interruption};
use crate::i18n::Locales;
use crate::notify::{Delivery, InterruptionChange, Notifier};

/// What delivering notices needs. Cheap to clone.
#[derive(Clone)]
pub struct NoticeRun {
    pub store: Arc<dyn IncidentStore>,
    pub notifier: Notifier,
    pub locales: Arc<Locales>,
    /// How long a claim may stay unsettled before it is held instead.
    pub lease: Duration,
}

impl NoticeRun {
    /// One pass: stale claims held, then every untold change claimed and told.
    pub async fn deliver(&self) -> Vec<Delivery> {
        let mut out = Vec::new();
        let mut cache: HashMap<i64, Option<Interruption>> = HashMap::new();
        let now = Utc::now();
        match self.store.claimed().await {
            Ok(claims) => {
                for (s, at) in claims.into_iter().filter(|(_, at)| now - *at > self.lease) {
                    let Some(change) = self.change(&s, &mut cache).await else {
                        continue;
                    };
                    match self
                        .store
                        .hold(s.event.id, &s.user, &change.text, now)
                        .await
                    {
                        Ok(true) => {
                            tracing::info!(event = s.event.id, claimed = %at, "stale notice held");
                            out.push(Delivery::Held { user: s.user });
                        }
                        Ok(false) => {}
                        Err(e) => tracing::warn!(error = %e, "stale notice not held"),
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot read claimed notices"),
        }
        let untold = match self.store.untold().await {
            Ok(untold) => untold,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read untold interruption notices");
                return out;
            }
        };
        for s in untold {
            match self.store.claim(s.event.id, &s.user, now).await {
                Ok(true) => {}
                Ok(false) => continue,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot claim a notice");
                    continue;
                }
            }
            let Some(change) = self.change(&s, &mut cache).await else {
                continue;
            };
            let notice = self.notifier.interruption_notice(&change, &s.user);
            let delivery = self.notifier.send_now(&notice, s.event.id).await;
            if !matches!(delivery, Delivery::Held { .. }) {
                if let Err(e) = self.store.sent(s.event.id, &s.user).await {
                    tracing::warn!(error = %e, "notice sent but not marked");
                }
                out.push(delivery);
                continue;
            }
            match self
                .store
                .hold(s.event.id, &s.user, &change.text, now)
                .await
            {
                Ok(_) => out.push(Delivery::Held { user: s.user }),
                Err(e) => tracing::error!(error = %e, "notice not held; the lease will"),
            }
        }
        out
    }

    /// The change a subscriber is told of, its message in the default locale.
    async fn change(
        &self,
        s: &Subscriber,
        cache: &mut HashMap<i64, Option<Interruption>>,
    ) -> Option<InterruptionChange> {
        let id = s.event.interruption;
        if let std::collections::hash_map::Entry::Vacant(slot) = cache.entry(id) {
            let found = self.store.get(id).await.unwrap_or_else(|e| {
                tracing::warn!(error = %e, "cannot read the interruption of a notice");
                None
            });
            slot.insert(found);
        }
        let i = cache.get(&id)?.as_ref()?;
        let locale = self.locales.default_locale();
        let args = [
            ("scope", i.scope.label()),
            ("eta", super::local_time(s.event.eta.unwrap_or(i.eta))),
            ("cause", i.cause.clone()),
        ];
        let restored = s.event.kind == EventKind::Restored;
        let id = if restored {
            "interruption-notice-restored"
        } else {
            "interruption-notice-eta"
        };
        Some(InterruptionChange {
            event: s.event.id,
            restored,
            place: i.scope.label(),
            cause: i.cause.clone(),
            expected: if restored {
                i.restored_at.unwrap_or(s.event.at)
            } else {
                s.event.eta.unwrap_or(i.eta)
            },
            at: s.event.at,
            text: self.locales.text(locale, id, &super::fluent(&args)),
        })
    }
}
