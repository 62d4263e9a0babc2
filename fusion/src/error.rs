//! The error type of the fusion stage (detection branches, association, time alignment).

use kestrel_sensors::{SensorError, Timestamp};
use thiserror::Error;

/// Everything that can go wrong in the fusion stage. Each variant names the sensor, the
/// timestamp or the configuration field involved. Input problems that the stage can work
/// around (a missing sensor, non-finite points) are **not** errors: they are counted or
/// flagged as degraded modes in the output.
#[derive(Debug, Error)]
pub enum FusionError {
    /// A message names a sensor that the rig (or the aligner's configuration) does not have.
    #[error("sensor `{sensor}` ({kind}) is not in the rig / aligner configuration")]
    UnknownSensor {
        /// Name carried by the message.
        sensor: String,
        /// What the message is ("camera", "lidar", "radar").
        kind: &'static str,
    },
    /// A sensor in the rig is not of the kind a message claims (e.g. a point cloud from a camera).
    #[error("sensor `{sensor}` is a {actual} in the rig, but sent a {expected} message")]
    WrongSensorKind {
        /// Sensor name.
        sensor: String,
        /// Kind of the message.
        expected: &'static str,
        /// Kind in the rig.
        actual: &'static str,
    },
    /// A message has the same timestamp as the previous message of its sensor.
    #[error("sensor `{sensor}`: duplicate timestamp {timestamp}; message rejected")]
    DuplicateTimestamp {
        /// Sensor name.
        sensor: String,
        /// The repeated timestamp.
        timestamp: Timestamp,
    },
    /// A message is older than the previous message of its sensor.
    #[error(
        "sensor `{sensor}`: timestamp {timestamp} is before the previous one {previous}; message rejected"
    )]
    OutOfOrder {
        /// Sensor name.
        sensor: String,
        /// Timestamp of the rejected message.
        timestamp: Timestamp,
        /// Timestamp of the sensor's previous message.
        previous: Timestamp,
    },
    /// A message arrived after the frame set it belongs to was already emitted.
    #[error(
        "sensor `{sensor}`: message at {timestamp} arrived after the frame set at {emitted} was emitted; rejected"
    )]
    LateMessage {
        /// Sensor name.
        sensor: String,
        /// Timestamp of the rejected message.
        timestamp: Timestamp,
        /// Reference time of the last emitted frame set.
        emitted: Timestamp,
    },
    /// A configuration value is out of range.
    #[error("fusion config: {field} = {value} is invalid ({reason})")]
    InvalidConfig {
        /// Name of the field (`section.field`).
        field: &'static str,
        /// The value given.
        value: f64,
        /// What the field must satisfy.
        reason: &'static str,
    },
    /// The ego motion given with a frame set has a non-finite component.
    #[error("frame set at {timestamp}: ego motion is not finite")]
    InvalidEgoMotion {
        /// Timestamp of the frame set.
        timestamp: Timestamp,
    },
    /// An ego-motion sample no vehicle could have produced (see
    /// [`crate::ego_plausibility`]).
    #[error("ego motion at {timestamp} refused: {reason}")]
    ImplausibleEgoMotion {
        /// Time of the sample.
        timestamp: Timestamp,
        /// What is implausible.
        reason: String,
    },
    /// A frame set holds no sensor data at all.
    #[error("frame set at {timestamp} holds no sensor data")]
    EmptyFrameSet {
        /// Timestamp of the frame set.
        timestamp: Timestamp,
    },
    /// A LiDAR shape classifier file cannot be read or does not fit this build.
    #[error("LiDAR shape classifier {path}: {message}")]
    ShapeClassifier {
        /// The file.
        path: std::path::PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The camera branch's detector failed (model file, inference).
    #[error(transparent)]
    Model(#[from] kestrel_models::ModelError),
    /// The tracker, or the assignment solver it shares with association, rejected its input
    /// (e.g. a frame whose timestamp is not after the previous one).
    #[error(transparent)]
    Tracking(#[from] crate::tracking::TrackingError),
    /// A rig lookup or calibration problem from the sensors crate.
    #[error(transparent)]
    Sensor(#[from] SensorError),
}
