//! The error type of the distillation toolchain.

use std::path::PathBuf;

/// Everything that can go wrong caching, training, pruning, exporting or evaluating.
#[derive(Debug, thiserror::Error)]
pub enum DistillError {
    /// A model could not be loaded, verified or run.
    #[error(transparent)]
    Model(#[from] kestrel_models::ModelError),
    /// A sensor data file (PandaSet sweep, labels, image) could not be read.
    #[error(transparent)]
    Sensor(#[from] kestrel_sensors::SensorError),
    /// Reading or writing a file failed.
    #[error("cannot access {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A data file (teacher cache, image list, metrics) is malformed.
    #[error("{path}: {reason}")]
    Data {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A tensor had an unexpected shape or type.
    #[error("tensor {what}: {reason}")]
    Tensor {
        /// Which tensor.
        what: String,
        /// What is wrong.
        reason: String,
    },
    /// A training or pruning setting is out of range.
    #[error("invalid setting: {0}")]
    Setting(String),
}

impl DistillError {
    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| Self::Io { path, source }
    }
}
