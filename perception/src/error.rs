//! The error type of the runtime crate.

use std::path::PathBuf;

/// Everything that can go wrong in the runtime: configuration, inputs, the fusion stage,
/// middleware and output files. Each message names the file, sensor or key involved.
#[derive(Debug, thiserror::Error)]
pub enum PerceptionError {
    /// The configuration (TOML file, flags, budgets) is invalid.
    #[error("configuration: {0}")]
    Config(String),
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A sensor source failed (adapter or log reader).
    #[error("source `{source_name}`: {message}")]
    Source {
        /// Which source.
        source_name: String,
        /// What went wrong.
        message: String,
    },
    /// Input messages violate the replay contract (e.g. time going backwards).
    #[error("input order: {0}")]
    Order(String),
    /// The processing stage failed on a message.
    #[error("stage `{stage}`: {message}")]
    Stage {
        /// The stage.
        stage: String,
        /// What went wrong.
        message: String,
    },
    /// Encoding or decoding wire bytes (CDR, attachment) failed.
    #[error("wire format: {0}")]
    Wire(String),
    /// A live ROS 2 input message was rejected (wrong type or hash, bad CDR, too large).
    #[error("ROS input: {0}")]
    RosInput(#[from] crate::ros_input::RosInputError),
    /// A picture could not be drawn (font, drawing backend).
    #[error("picture: {0}")]
    Picture(String),
    /// A zenoh operation failed.
    #[error("zenoh: {what}: {message}")]
    Zenoh {
        /// The operation.
        what: &'static str,
        /// zenoh's message.
        message: String,
    },
}

impl PerceptionError {
    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        PerceptionError::Io {
            path: path.into(),
            source,
        }
    }

    /// A closure turning a zenoh error into [`PerceptionError::Zenoh`] for operation `what`.
    pub fn zenoh<E: std::fmt::Display>(what: &'static str) -> impl Fn(E) -> Self {
        move |e| PerceptionError::Zenoh {
            what,
            message: e.to_string(),
        }
    }
}

impl From<kestrel_log::CdrError> for PerceptionError {
    fn from(e: kestrel_log::CdrError) -> Self {
        PerceptionError::Wire(e.to_string())
    }
}
