use std::ops::ControlFlow;
use std::panic::AssertUnwindSafe;

use futures_util::FutureExt;
use tokio::sync::oneshot;
use tokio::time::Instant;
use tracing::Instrument;

use super::Dispatcher;
use crate::dedup::{Claim, DedupKey, Outcome};
use crate::reply::Reply;
use crate::update::Update;

/// A handler's answer, rendered for the callback and kept for late delivery.
struct Ready {
    reply: Reply,
    xml: Option<String>,
}

fn outcome_of(xml: Option<String>) -> Outcome {
    xml.map_or(Outcome::Empty, Outcome::Reply)
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or_default()
}

impl Dispatcher {
    /// Handles one push and returns what the callback should answer by
    /// `deadline`. [`Outcome::Deferred`] and [`Outcome::Empty`] both mean
    /// `success`; in the deferred case the reply follows through the
    /// customer-service API once the handler finishes.
    pub async fn dispatch(&self, update: Update, deadline: Instant) -> Outcome {
        let key = DedupKey::of(&update);
        let (ttl, lease) = (self.inner.dedup_ttl, self.inner.lease);
        match self.inner.dedup.claim_leased(&key, ttl, lease).await {
            Ok(Claim::Fresh) => self.first_attempt(update, Some(key), deadline).await,
            Ok(Claim::Pending) => self.await_first(update, key, deadline).await,
            Ok(Claim::Done(outcome)) => {
                tracing::debug!("retry answered from the first attempt");
                outcome
            }
            Err(error) => {
                tracing::warn!(%error, "dedup store failed; handling without it");
                self.first_attempt(update, None, deadline).await
            }
        }
    }

    async fn first_attempt(
        &self,
        update: Update,
        key: Option<DedupKey>,
        deadline: Instant,
    ) -> Outcome {
        let (tx, mut rx) = oneshot::channel::<Ready>();
        let this = self.clone();
        // The push's span (message id, masked user) follows the handler onto its task.
        tokio::spawn(async move { this.handle_in_turn(update, key, tx).await }.in_current_span());
        if deadline <= Instant::now() {
            // No time left (a zero deadline, or a claim that took it all): answer now. A
            // sleep already due would still wait for the timer's next tick.
            rx.close();
            return match rx.try_recv() {
                Ok(ready) => outcome_of(ready.xml),
                Err(_) => Outcome::Deferred,
            };
        }
        match tokio::time::timeout_at(deadline, &mut rx).await {
            Ok(Ok(ready)) => outcome_of(ready.xml),
            Ok(Err(_)) => Outcome::Empty,
            Err(_) => {
                // Closing first makes the handler's send fail from here on, so
                // a reply is either taken now or delivered late, never both.
                rx.close();
                match rx.try_recv() {
                    Ok(ready) => outcome_of(ready.xml),
                    Err(_) => {
                        tracing::info!(
                            "handler missed the deadline; reply will follow as a message"
                        );
                        Outcome::Deferred
                    }
                }
            }
        }
    }

    async fn handle_in_turn(
        &self,
        update: Update,
        key: Option<DedupKey>,
        tx: oneshot::Sender<Ready>,
    ) {
        // The lease says "alive" to retries on other instances for as long as this runs,
        // waiting for the user's earlier pushes included.
        let renewal = key.clone().map(|key| {
            let (store, lease) = (self.inner.dedup.clone(), self.inner.lease);
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(lease / 3);
                tick.tick().await;
                loop {
                    tick.tick().await;
                    if let Err(error) = store.renew(&key, lease).await {
                        tracing::warn!(%error, "could not renew the claim on a push");
                    }
                }
            })
        });
        let _turn = self.inner.locks.turn(update.from.as_str()).await;
        let reply = self.run_handler(update.clone()).await;
        let xml = reply.to_xml(
            update.from.as_str(),
            &update.account,
            unix_now(),
            update.is_message(),
        );
        let outcome = match tx.send(Ready {
            reply,
            xml: xml.clone(),
        }) {
            Ok(()) => outcome_of(xml),
            Err(late) => {
                // Still inside the user's turn, so late replies keep their order.
                self.inner.delivery.deliver(&update.from, late.reply).await;
                Outcome::Deferred
            }
        };
        if let Some(renewal) = renewal {
            renewal.abort();
        }
        if let Some(key) = key {
            if let Err(error) = self
                .inner
                .dedup
                .complete(&key, &outcome, self.inner.dedup_ttl)
                .await
            {
                tracing::warn!(%error, "could not record the outcome for retries");
            }
        }
    }

    async fn run_handler(&self, update: Update) -> Reply {
        let mut deps = self.inner.deps.clone();
        deps.insert(update);
        let result = AssertUnwindSafe(self.inner.handler.dispatch(deps))
            .catch_unwind()
            .await;
        match result {
            Ok(ControlFlow::Break(Ok(reply))) => reply,
            Ok(ControlFlow::Break(Err(error))) => {
                tracing::error!(%error, "handler failed");
                Reply::Success
            }
            Ok(ControlFlow::Continue(_)) => {
                tracing::debug!("no handler matched");
                Reply::Success
            }
            Err(_) => {
                tracing::error!("handler panicked");
                Reply::Success
            }
        }
    }

    /// Another attempt of this push is running (here or on another
    /// instance): wait for its answer instead of running the handler again.
    async fn await_first(&self, update: Update, key: DedupKey, deadline: Instant) -> Outcome {
        loop {
            let next = Instant::now() + self.inner.poll_interval;
            if next >= deadline {
                tokio::time::sleep_until(deadline).await;
                return Outcome::Deferred;
            }
            tokio::time::sleep_until(next).await;
            let (ttl, lease) = (self.inner.dedup_ttl, self.inner.lease);
            match self.inner.dedup.claim_leased(&key, ttl, lease).await {
                Ok(Claim::Done(outcome)) => return outcome,
                Ok(Claim::Pending) => {
                    match self.inner.dedup.take_over(&key, self.inner.lease).await {
                        Ok(true) => {
                            tracing::warn!(
                            "the attempt handling this push stopped renewing its claim; handling it here"
                        );
                            return self.first_attempt(update, Some(key), deadline).await;
                        }
                        Ok(false) => {}
                        Err(error) => {
                            tracing::warn!(%error, "dedup store failed while checking the first attempt's lease");
                        }
                    }
                }
                // The first attempt's entry expired without an answer.
                Ok(Claim::Fresh) => return self.first_attempt(update, Some(key), deadline).await,
                Err(error) => {
                    tracing::warn!(%error, "dedup store failed while waiting for the first attempt");
                    return Outcome::Empty;
                }
            }
        }
    }
}
