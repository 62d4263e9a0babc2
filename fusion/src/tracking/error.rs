//! Errors of the tracking stage.

use kestrel_sensors::Timestamp;
use thiserror::Error;

/// What can go wrong in tracking. A frame that fails with one of these leaves the tracker's
/// state exactly as it was before the call.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum TrackingError {
    /// The frame's timestamp is not strictly after the previous frame's (duplicate or
    /// out-of-order frame).
    #[error(
        "tracker: frame at {current} is not after the previous frame at {previous} \
         (dt = {dt_s} s); frame ignored, tracks untouched"
    )]
    NonIncreasingTimestamp {
        /// Timestamp of the last frame the tracker accepted.
        previous: Timestamp,
        /// Timestamp of the rejected frame.
        current: Timestamp,
        /// `current - previous`, seconds (zero or negative).
        dt_s: f64,
    },
    /// The ego-motion supplied with a frame has a non-finite component.
    #[error(
        "tracker: ego motion for the frame at {timestamp} is not finite \
         (dx = {dx} m, dy = {dy} m, dyaw = {dyaw} rad); frame ignored, tracks untouched"
    )]
    InvalidEgoMotion {
        /// Timestamp of the rejected frame.
        timestamp: Timestamp,
        /// Forward displacement, metres.
        dx: f64,
        /// Leftward displacement, metres.
        dy: f64,
        /// Heading change, radians.
        dyaw: f64,
    },
    /// A cost handed to the assignment solver is NaN or `-inf` (only finite costs and
    /// `+inf` = forbidden are allowed).
    #[error("assignment: cost at row {row}, column {col} is {value}; expected finite or +inf")]
    InvalidCost {
        /// Row of the offending entry.
        row: usize,
        /// Column of the offending entry.
        col: usize,
        /// The offending value.
        value: f64,
    },
    /// The finite costs of an assignment problem span a range too wide to solve in `f64`.
    #[error("assignment: finite costs span {span}, too wide for exact assignment in f64")]
    CostRangeTooWide {
        /// `max - min` over the finite costs.
        span: f64,
    },
    /// A tracker configuration value is out of range.
    #[error("tracker config: {field} = {value} is invalid ({reason})")]
    InvalidConfig {
        /// Name of the field.
        field: &'static str,
        /// The value given.
        value: f64,
        /// What the field must satisfy.
        reason: &'static str,
    },
}
