//! Classifying one message the way every channel does: validated, classified by the
//! engine in service, and logged (masked) for the office.

use std::sync::Arc;
use std::time::Instant;

use chrono::Utc;

use super::{Classification, EngineHandle};
use crate::domain::{mask_personal, Channel};
use crate::storage::{ClassificationLog, Storage};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClassifyError {
    #[error("empty text")]
    Empty,
    #[error("text longer than {max} characters")]
    TooLong { max: usize },
}

/// The engine in service and the log every classification goes to. Cheap to clone.
#[derive(Clone)]
pub struct Classifier {
    engine: Arc<EngineHandle>,
    log: Arc<dyn Storage>,
}

impl std::fmt::Debug for Classifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Classifier")
            .field("log", &self.log)
            .finish_non_exhaustive()
    }
}

impl Classifier {
    pub fn new(engine: Arc<EngineHandle>, log: Arc<dyn Storage>) -> Self {
        Self { engine, log }
    }

    pub fn engine(&self) -> &Arc<EngineHandle> {
        &self.engine
    }

    /// Validates, classifies and logs one message (masked). Shared by every channel.
    pub async fn classify_logged(
        &self,
        text: &str,
        channel: Channel,
    ) -> Result<Classification, ClassifyError> {
        self.classify_with(text, channel, false).await
    }

    /// As `classify_logged`, inside a resident's turn: the log row is queued, not waited
    /// for; the turn's own write, queued after it, commits it before the answer leaves.
    pub async fn classify_in_turn(
        &self,
        text: &str,
        channel: Channel,
    ) -> Result<Classification, ClassifyError> {
        self.classify_with(text, channel, true).await
    }

    async fn classify_with(
        &self,
        text: &str,
        channel: Channel,
        queued: bool,
    ) -> Result<Classification, ClassifyError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(ClassifyError::Empty);
        }
        let max = self.engine.settings().max_text_chars;
        if text.chars().count() > max {
            return Err(ClassifyError::TooLong { max });
        }
        let engine = self.engine.current();
        let started = Instant::now();
        let result = engine.classify(text);
        let latency_us = started.elapsed().as_micros() as i64;
        tracing::info!(intent = %result.intent, confidence = result.confidence, decision = ?result.decision, latency_us, "classified");
        let log = ClassificationLog {
            at: Utc::now(),
            channel: serde_json::to_value(channel)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            text_masked: mask_personal(text),
            intent: result.intent.to_string(),
            entry: result.entry.as_ref().map(ToString::to_string),
            confidence: result.confidence,
            decision: serde_json::to_value(result.decision)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            latency_us,
            catalog_version: engine.catalog().version.clone(),
        };
        metrics::counter!("heatdesk_classifications_total", "channel" => log.channel.clone(), "decision" => log.decision.clone()).increment(1);
        // A log write must not fail the resident's answer.
        let logged = match queued {
            true => self.log.queue_classification(&log).await,
            false => self.log.log_classification(&log).await,
        };
        if let Err(e) = logged {
            tracing::error!(error = %e, "cannot log the classification");
        }
        Ok(result)
    }
}
