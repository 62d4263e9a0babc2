//! Basic interface types: `builtin_interfaces/Time`, `std_msgs/Header`,
//! `unique_identifier_msgs/UUID`.

use super::codec::ros_struct;
use super::definitions::{HEADER, TIME, UUID};
use kestrel_sensors::Timestamp;

ros_struct! {
    /// `builtin_interfaces/msg/Time`: seconds and nanoseconds since the clock's epoch.
    pub struct Time => TIME {
        /// Seconds.
        pub sec: i32,
        /// Nanoseconds, 0..1e9.
        pub nanosec: u32,
    }
}

impl Time {
    /// The ROS time of a Kestrel timestamp (seconds saturate at `i32::MAX`).
    pub fn from_timestamp(t: Timestamp) -> Self {
        let (sec, nanosec) = t.to_sec_nanosec();
        Self { sec, nanosec }
    }

    /// The Kestrel timestamp, ns (negative times clamp to 0).
    pub fn to_timestamp(&self) -> Timestamp {
        Timestamp::from_sec_nanosec(self.sec, self.nanosec)
    }
}

ros_struct! {
    /// `std_msgs/msg/Header`: acquisition time and the coordinate frame of the data.
    pub struct Header => HEADER {
        /// Time of the data.
        pub stamp: Time,
        /// Frame the data is expressed in (Kestrel writes the sensor's rig name).
        pub frame_id: String,
    }
}

impl Header {
    /// A header with `stamp` = `t` and `frame_id` = `frame`.
    pub fn new(t: Timestamp, frame: impl Into<String>) -> Self {
        Self {
            stamp: Time::from_timestamp(t),
            frame_id: frame.into(),
        }
    }
}

ros_struct! {
    /// `unique_identifier_msgs/msg/UUID`: 16 bytes (RFC 4122).
    pub struct Uuid => UUID {
        /// The bytes.
        pub uuid: [u8; 16],
    }
}
