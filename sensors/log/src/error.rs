//! The error types of the log crate.

use std::path::PathBuf;

/// A CDR (de)serialisation failure. Offsets are byte offsets from the start of the serialised
/// payload (including the 4-byte encapsulation header).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CdrError {
    /// The payload ended before a complete value.
    #[error(
        "CDR payload truncated at byte {offset}: {what} needs {needed} bytes, {available} left"
    )]
    Truncated {
        /// What was being read.
        what: &'static str,
        /// Byte offset of the value.
        offset: usize,
        /// Bytes the value needs.
        needed: usize,
        /// Bytes left in the payload.
        available: usize,
    },
    /// The 4-byte encapsulation header is not plain CDR (big- or little-endian).
    #[error("unsupported CDR encapsulation header {0:02x?} (expected 00 00 or 00 01)")]
    Encapsulation([u8; 4]),
    /// A string is not terminated by a NUL byte or is not UTF-8.
    #[error("invalid string at byte {offset}: {reason}")]
    InvalidString {
        /// Byte offset of the string's length prefix.
        offset: usize,
        /// What is wrong.
        reason: &'static str,
    },
    /// A sequence length or element value is impossible (e.g. longer than the payload).
    #[error("invalid value at byte {offset}: {reason}")]
    InvalidValue {
        /// Byte offset of the value.
        offset: usize,
        /// What is wrong.
        reason: String,
    },
    /// Bytes were left over after the message (more than the final alignment padding).
    #[error("{extra} bytes left over after the message ended at byte {offset}")]
    TrailingBytes {
        /// Where the message ended.
        offset: usize,
        /// How many bytes are left.
        extra: usize,
    },
    /// A value cannot be encoded (a sequence or string longer than `u32::MAX`).
    #[error("cannot encode {what}: length {len} exceeds u32")]
    TooLong {
        /// What was being encoded.
        what: &'static str,
        /// Its length.
        len: usize,
    },
}

/// A ros2msg schema that cannot be parsed or resolved.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("schema `{schema}`, line {line}: {reason}")]
pub struct SchemaError {
    /// Name of the message type whose definition is at fault.
    pub schema: String,
    /// 1-based line within that definition (0 when not line-specific).
    pub line: usize,
    /// What is wrong.
    pub reason: String,
}

/// Everything that can go wrong reading or writing a Kestrel / rosbag2 MCAP log.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    /// Opening, reading or writing the file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The MCAP container is damaged or truncated at or before byte `offset`.
    #[error("{path}: MCAP error at or before byte {offset}: {source}")]
    Mcap {
        /// The file.
        path: PathBuf,
        /// Bytes of the file consumed when the error was detected.
        offset: u64,
        /// The mcap crate's error.
        source: mcap::McapError,
    },
    /// The summary's statistics count a different number of messages than its chunk indexes
    /// led to (messages outside chunks, or an index that does not match the data).
    #[error("{path}: the summary counts {expected} messages, its chunk indexes held {found}")]
    IndexMismatch {
        /// The file.
        path: PathBuf,
        /// Messages in the statistics record.
        expected: u64,
        /// Messages found through the chunk indexes.
        found: u64,
    },
    /// Writing the MCAP container failed.
    #[error("{path}: cannot write MCAP: {source}")]
    McapWrite {
        /// The file.
        path: PathBuf,
        /// The mcap crate's error.
        source: mcap::McapError,
    },
    /// A message payload could not be decoded; the log is otherwise readable.
    #[error("topic `{topic}`, message at log time {log_time} ns: {reason}")]
    Message {
        /// The topic.
        topic: String,
        /// The message's log time, ns.
        log_time: u64,
        /// What is wrong.
        reason: String,
    },
    /// A CDR payload is malformed.
    #[error("topic `{topic}`: {source}")]
    Cdr {
        /// The topic.
        topic: String,
        /// The CDR error.
        source: CdrError,
    },
    /// A channel's schema cannot be parsed.
    #[error(transparent)]
    Schema(#[from] SchemaError),
    /// A sensor-level error (rig, image size, ...).
    #[error(transparent)]
    Sensor(#[from] kestrel_sensors::SensorError),
}
