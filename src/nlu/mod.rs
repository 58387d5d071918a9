//! Understanding residents: from a message to an intent, an entry and a confidence.

mod classifier;
mod engine;
pub mod eval;
pub mod http;
mod index;
mod linear;
pub mod text;

use std::sync::Arc;

use arc_swap::ArcSwap;

mod settings;

pub use classifier::{Classifier, ClassifyError};
pub use engine::{Candidate, Classification, Decision, Engine, NluError, RankedEntry};
pub use settings::NluSettings;

use crate::catalog::{self, Diagnostic, Severity, Sources};

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("the phrasebook has errors:\n{}", .0.iter().filter(|d| d.severity == Severity::Error).map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Invalid(Vec<Diagnostic>),
    #[error(transparent)]
    Build(#[from] NluError),
    #[error("the engine build task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// Loads, validates and builds in one go (blocking: CPU and file work).
pub fn build_from(sources: &Sources, settings: &NluSettings) -> Result<Engine, LoadError> {
    let (catalog, diags) = catalog::load(sources);
    let catalog = catalog.ok_or(LoadError::Invalid(diags))?;
    Ok(Engine::build(Arc::new(catalog), settings.clone())?)
}

/// The engine in service: queries read the current one without waiting; a new one is built
/// beside it and swapped in atomically.
pub struct EngineHandle {
    current: ArcSwap<Engine>,
    settings: NluSettings,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reload {
    Unchanged,
    Swapped { from: String, to: String },
}

impl EngineHandle {
    pub fn new(engine: Engine, settings: NluSettings) -> Self {
        Self {
            current: ArcSwap::from_pointee(engine),
            settings,
        }
    }

    pub fn current(&self) -> Arc<Engine> {
        self.current.load_full()
    }

    pub fn settings(&self) -> &NluSettings {
        &self.settings
    }

    /// Puts `engine` in service; queries in flight keep the one they started with.
    pub fn swap(&self, engine: Arc<Engine>) -> Reload {
        let to = engine.catalog().version.clone();
        let old = self.current.swap(engine);
        let from = old.catalog().version.clone();
        if from == to {
            Reload::Unchanged
        } else {
            Reload::Swapped { from, to }
        }
    }
}
