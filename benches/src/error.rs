//! Errors of the budget checker and the latency tools.

use std::path::PathBuf;

/// Everything that can go wrong reading criterion output, budgets or models.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// A file or directory could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A criterion JSON file is malformed or inconsistent.
    #[error("{path}: {reason}")]
    Criterion {
        /// The JSON file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The budgets file is invalid or lacks the machine class, or the runtime failed (soak).
    #[error(transparent)]
    Perception(#[from] kestrel_perception::PerceptionError),
    /// An input cannot serve the measurement.
    #[error("{0}")]
    Input(String),
    /// Loading or running a model failed.
    #[error(transparent)]
    Model(#[from] kestrel_models::ModelError),
    /// The fusion stage rejected a bench frame.
    #[error(transparent)]
    Fusion(#[from] kestrel_fusion::FusionError),
    /// The tracker rejected a bench frame.
    #[error(transparent)]
    Tracking(#[from] kestrel_fusion::tracking::TrackingError),
    /// Loading a sensor fixture failed.
    #[error(transparent)]
    Sensor(#[from] kestrel_sensors::SensorError),
}

impl BenchError {
    /// An I/O error on `path`.
    pub fn io(path: &std::path::Path, source: std::io::Error) -> Self {
        Self::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}
