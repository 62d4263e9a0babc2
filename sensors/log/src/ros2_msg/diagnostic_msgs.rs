//! `diagnostic_msgs`: component health as ROS 2 publishes it on `/diagnostics`.

use super::codec::ros_struct;
use super::definitions as d;
use super::std_msgs::Header;

/// `DiagnosticStatus.level` values (the message's `byte` constants).
pub mod level {
    /// Operating normally.
    pub const OK: u8 = 0;
    /// Working, but something is off (degraded).
    pub const WARN: u8 = 1;
    /// Not working.
    pub const ERROR: u8 = 2;
    /// No recent data: the component's state is unknown.
    pub const STALE: u8 = 3;
}

ros_struct! {
    /// `diagnostic_msgs/msg/KeyValue`: one named value of a status.
    pub struct KeyValue => d::KEY_VALUE {
        /// What the value is (`rate_hz`, `age_s`, ...).
        pub key: String,
        /// The value, as text.
        pub value: String,
    }
}

ros_struct! {
    /// `diagnostic_msgs/msg/DiagnosticStatus`: the state of one component.
    pub struct DiagnosticStatus => d::DIAGNOSTIC_STATUS {
        /// One of [`level`].
        pub level: u8,
        /// Component name, conventionally `node: component` (e.g. `kestrel: sensor velodyne`).
        pub name: String,
        /// Human summary of the state.
        pub message: String,
        /// The hardware the component runs on or observes (sensor name), may be empty.
        pub hardware_id: String,
        /// Measured values.
        pub values: Vec<KeyValue>,
    }
}

ros_struct! {
    /// `diagnostic_msgs/msg/DiagnosticArray`: the statuses of one report.
    pub struct DiagnosticArray => d::DIAGNOSTIC_ARRAY {
        /// Time of the report.
        pub header: Header,
        /// One status per component.
        pub status: Vec<DiagnosticStatus>,
    }
}
