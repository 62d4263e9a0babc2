//! The error type of the sensors crate.

use std::path::{Path, PathBuf};

/// Everything that can go wrong turning bytes into sensor messages.
///
/// Each variant names where the problem is (file, offset, sensor) so that a user can find it.
#[derive(Debug, thiserror::Error)]
pub enum SensorError {
    /// Reading a file failed.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The data ended before a complete record.
    #[error("{what} truncated at byte {offset}: needed {needed} more bytes")]
    Truncated {
        /// What was being read (file name or record type).
        what: String,
        /// Byte offset where the record starts.
        offset: usize,
        /// Bytes missing.
        needed: usize,
    },
    /// The data is not in the expected format.
    #[error("{what}: malformed at byte {offset}: {reason}")]
    Malformed {
        /// What was being read.
        what: String,
        /// Byte (or line) offset of the problem.
        offset: usize,
        /// What is wrong.
        reason: String,
    },
    /// An image buffer does not match its declared size.
    #[error("image {width}x{height} needs {expected} bytes, got {actual}")]
    ImageSize {
        /// Declared width.
        width: u32,
        /// Declared height.
        height: u32,
        /// Bytes needed.
        expected: usize,
        /// Bytes given.
        actual: usize,
    },
    /// Point-cloud columns have different lengths.
    #[error("point cloud column `{column}` has {actual} values, expected {expected}")]
    ColumnLength {
        /// The offending column.
        column: &'static str,
        /// Length of the x column.
        expected: usize,
        /// Length of this column.
        actual: usize,
    },
    /// The rig description is invalid.
    #[error("invalid rig: {0}")]
    Rig(String),
    /// A sensor name is not in the rig.
    #[error("sensor `{0}` is not in the rig")]
    UnknownSensor(String),
    /// A network socket operation failed (live sensor input).
    #[error("network error on {endpoint}: {source}")]
    Network {
        /// The local or remote address.
        endpoint: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// The data is well-formed but uses a format, profile or version this crate does not
    /// decode (e.g. an Ouster UDP profile without a decoder, a compressed PCD).
    #[error("{what}: unsupported: {reason}")]
    Unsupported {
        /// What was being read.
        what: String,
        /// What is not supported.
        reason: String,
    },
}

impl SensorError {
    /// An I/O error on `path`.
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        SensorError::Io {
            path: path.to_owned(),
            source,
        }
    }

    /// Shorthand for [`SensorError::Malformed`].
    pub fn malformed(what: impl Into<String>, offset: usize, reason: impl Into<String>) -> Self {
        SensorError::Malformed {
            what: what.into(),
            offset,
            reason: reason.into(),
        }
    }
}
