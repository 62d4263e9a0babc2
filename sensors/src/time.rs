//! Sensor time.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A point in time on a sensor clock, in **nanoseconds** since that clock's epoch.
///
/// Recorded data uses the recording's clock (for nuScenes and ROS 2 logs: Unix time); live
/// sensors use their own clock (for Ouster: the sensor's timestamp counter). Replay never
/// substitutes the wall clock for this value.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Timestamp(pub u64);

impl Timestamp {
    /// Builds a timestamp from nanoseconds.
    pub const fn from_nanos(ns: u64) -> Self {
        Self(ns)
    }

    /// Builds a timestamp from microseconds (the unit nuScenes uses); saturates on overflow.
    pub const fn from_micros(us: u64) -> Self {
        Self(us.saturating_mul(1_000))
    }

    /// Builds a timestamp from ROS 2 `builtin_interfaces/Time` fields.
    pub const fn from_sec_nanosec(sec: i32, nanosec: u32) -> Self {
        if sec < 0 {
            Self(0)
        } else {
            Self((sec as u64) * 1_000_000_000 + nanosec as u64)
        }
    }

    /// Nanoseconds since the clock's epoch.
    pub const fn as_nanos(self) -> u64 {
        self.0
    }

    /// Seconds since the clock's epoch, as `f64` (loses precision below ~0.1 µs for Unix times).
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 * 1e-9
    }

    /// Signed difference `self - earlier` in seconds.
    pub fn seconds_since(self, earlier: Timestamp) -> f64 {
        (self.0 as i128 - earlier.0 as i128) as f64 * 1e-9
    }

    /// ROS 2 `builtin_interfaces/Time` fields (`sec`, `nanosec`); seconds saturate at `i32::MAX`.
    pub fn to_sec_nanosec(self) -> (i32, u32) {
        let sec = (self.0 / 1_000_000_000).min(i32::MAX as u64) as i32;
        (sec, (self.0 % 1_000_000_000) as u32)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}.{:09}s",
            self.0 / 1_000_000_000,
            self.0 % 1_000_000_000
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ros_time_round_trip() {
        let t = Timestamp::from_nanos(1_532_402_927_647_951_000);
        let (s, ns) = t.to_sec_nanosec();
        assert_eq!(Timestamp::from_sec_nanosec(s, ns), t);
        assert_eq!(t.to_string(), "1532402927.647951000s");
    }

    #[test]
    fn differences_are_signed() {
        let a = Timestamp::from_micros(10);
        let b = Timestamp::from_micros(4);
        assert!((a.seconds_since(b) - 6e-6).abs() < 1e-15);
        assert!((b.seconds_since(a) + 6e-6).abs() < 1e-15);
    }
}
