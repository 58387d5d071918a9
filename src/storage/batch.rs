//! Group statements for PostgreSQL: callers that run the same statement at the same moment
//! share one statement over arrays (`unnest`) instead of a round trip each. On a busy
//! server a round trip, not the statement, is what costs: both processes wake, both
//! switch context. The batch goes as soon as the previous one is back, with whatever
//! queued meanwhile, so a lone caller waits no longer than before.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};

use futures_util::future::BoxFuture;
use futures_util::FutureExt;
use sqlx::postgres::{PgConnection, PgPool};

use super::kept::KeptConns;
use super::postgres::IDLE_BEFORE_PING;
use tokio::sync::{mpsc, oneshot};

type Run<Q, A> = Arc<
    dyn Fn(Vec<Q>) -> Pin<Box<dyn Future<Output = Result<Vec<A>, String>> + Send>> + Send + Sync,
>;
type Job<Q, A> = (Q, oneshot::Sender<Result<A, BatchError>>);

/// Why a caller's part of a batch has no answer; the caller then runs its statement alone.
#[derive(Debug, Clone, thiserror::Error)]
pub enum BatchError {
    #[error("batch statement failed: {0}")]
    Failed(String),
    #[error("batch runner gone")]
    Gone,
}

/// Runs `run` over the requests queued at that moment; `run` answers each request in order.
pub struct Batcher<Q, A> {
    run: Run<Q, A>,
    max: usize,
    /// Started on first use, inside the caller's runtime; it ends when the batcher is dropped.
    queue: OnceLock<mpsc::UnboundedSender<Job<Q, A>>>,
}

impl<Q, A> std::fmt::Debug for Batcher<Q, A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Batcher").field("max", &self.max).finish()
    }
}

impl<Q: Send + 'static, A: Send + 'static> Batcher<Q, A> {
    /// At most `max` requests per statement (PostgreSQL takes arrays of any length, but a
    /// very long batch delays the callers behind it).
    pub fn new<F, Fut>(max: usize, run: F) -> Self
    where
        F: Fn(Vec<Q>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Vec<A>, sqlx::Error>> + Send + 'static,
    {
        let run: Run<Q, A> = Arc::new(move |batch| {
            let fut = run(batch);
            Box::pin(async move { fut.await.map_err(|e| e.to_string()) })
        });
        Self {
            run,
            max: max.max(1),
            queue: OnceLock::new(),
        }
    }

    /// As `new`, with each batch's statement sent on a connection the runner keeps
    /// (`KeptConns`, one) rather than on the pool: the pool tests every connection given
    /// back to it with a round trip of its own.
    pub fn on_kept<F>(pool: PgPool, max: usize, run: F) -> Self
    where
        F: for<'c> Fn(&'c mut PgConnection, Vec<Q>) -> BoxFuture<'c, Result<Vec<A>, sqlx::Error>>
            + Send
            + Sync
            + 'static,
    {
        let kept = Arc::new(KeptConns::new(pool, 1, IDLE_BEFORE_PING));
        let run = Arc::new(run);
        Self::new(max, move |batch| {
            let (kept, run) = (kept.clone(), run.clone());
            async move {
                kept.on(move |mut c| {
                    async move {
                        let answers = run(&mut c, batch).await;
                        (c, answers)
                    }
                    .boxed()
                })
                .await
            }
        })
    }

    pub async fn call(&self, request: Q) -> Result<A, BatchError> {
        let queue = self.queue.get_or_init(|| {
            let (tx, rx) = mpsc::unbounded_channel();
            tokio::spawn(runner(rx, self.run.clone(), self.max));
            tx
        });
        let (tx, rx) = oneshot::channel();
        queue.send((request, tx)).map_err(|_| BatchError::Gone)?;
        rx.await.map_err(|_| BatchError::Gone)?
    }
}

async fn runner<Q, A>(mut rx: mpsc::UnboundedReceiver<Job<Q, A>>, run: Run<Q, A>, max: usize) {
    let mut jobs: Vec<Job<Q, A>> = Vec::new();
    while rx.recv_many(&mut jobs, max).await > 0 {
        let (requests, waiters): (Vec<Q>, Vec<_>) = jobs.drain(..).unzip();
        let n = requests.len();
        match run(requests).await {
            Ok(answers) if answers.len() == n => {
                for (waiter, answer) in waiters.into_iter().zip(answers) {
                    let _ = waiter.send(Ok(answer));
                }
            }
            Ok(answers) => {
                let why = format!("{} answers for {n} requests", answers.len());
                for waiter in waiters {
                    let _ = waiter.send(Err(BatchError::Failed(why.clone())));
                }
            }
            Err(why) => {
                tracing::debug!(error = %why, requests = n, "batch statement failed");
                for waiter in waiters {
                    let _ = waiter.send(Err(BatchError::Failed(why.clone())));
                }
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn callers_at_once_share_a_run_and_each_gets_its_own_answer() {
        let runs = Arc::new(AtomicUsize::new(0));
        let counted = runs.clone();
        let batcher = Arc::new(Batcher::new(64, move |xs: Vec<u32>| {
            counted.fetch_add(1, Ordering::SeqCst);
            async move {
                // Long enough for the others to queue behind the first.
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                Ok(xs.into_iter().map(|x| x * 10).collect())
            }
        }));
        let calls: Vec<_> = (0..20u32)
            .map(|i| {
                let b = batcher.clone();
                tokio::spawn(async move { (i, b.call(i).await.unwrap()) })
            })
            .collect();
        for c in calls {
            let (i, answer) = c.await.unwrap();
            assert_eq!(answer, i * 10);
        }
        let n = runs.load(Ordering::SeqCst);
        assert!(n < 20, "20 callers at once took {n} runs");
    }

    #[tokio::test]
    async fn a_failed_or_short_run_fails_every_caller_in_it() {
        let failing = Batcher::new(8, |_: Vec<u8>| async {
            Err::<Vec<u8>, _>(sqlx::Error::Protocol("refused".into()))
        });
        assert!(
            matches!(failing.call(1).await, Err(BatchError::Failed(w)) if w.contains("refused"))
        );
        let short = Batcher::new(8, |_: Vec<u8>| async { Ok(Vec::<u8>::new()) });
        assert!(matches!(short.call(1).await, Err(BatchError::Failed(_))));
    }
}
