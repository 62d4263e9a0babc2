//! The error type of `kestrel eval`'s library.

use std::path::PathBuf;

/// What can go wrong evaluating outputs against labels. Each message names the file or input.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// The labels cannot be read (missing, malformed, or in a frame the rig does not know).
    #[error("labels {path}: {message}")]
    Labels {
        /// The file or folder.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// The outputs cannot be read (a `replay --json` file) or produced (running the stack).
    #[error("outputs {path}: {message}")]
    Outputs {
        /// The file, or the input the stack ran on.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// An evaluation setting is invalid (frame split, tolerance, ...).
    #[error("settings: {0}")]
    Settings(String),
    /// The assignment solver rejected a cost matrix (a non-finite distance).
    #[error("matching: {0}")]
    Matching(String),
    /// Drawing or encoding a picture failed.
    #[error("picture: {0}")]
    Picture(String),
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
}

impl EvalError {
    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        EvalError::Io {
            path: path.into(),
            source,
        }
    }
}

impl From<kestrel_sim::SimError> for EvalError {
    fn from(e: kestrel_sim::SimError) -> Self {
        EvalError::Picture(e.to_string())
    }
}
