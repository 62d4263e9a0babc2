//! The sum type of everything a sensor adapter emits.

use crate::{CameraFrame, Odometry, PointCloud, RadarScan, Timestamp};

/// One message from one sensor. Adapters, log readers and the simulator all produce this;
/// the fusion stage consumes it.
#[derive(Debug, Clone, PartialEq)]
pub enum SensorMessage {
    /// A camera image.
    Camera(CameraFrame),
    /// A LiDAR sweep.
    Lidar(PointCloud),
    /// A radar cycle.
    Radar(RadarScan),
    /// An ego-motion sample (vehicle odometry or a dataset's poses).
    Odometry(Odometry),
}

impl SensorMessage {
    /// The sensor's name in the rig.
    pub fn sensor(&self) -> &str {
        match self {
            SensorMessage::Camera(m) => &m.sensor,
            SensorMessage::Lidar(m) => &m.sensor,
            SensorMessage::Radar(m) => &m.sensor,
            SensorMessage::Odometry(m) => &m.sensor,
        }
    }

    /// The message's timestamp.
    pub fn timestamp(&self) -> Timestamp {
        match self {
            SensorMessage::Camera(m) => m.timestamp,
            SensorMessage::Lidar(m) => m.timestamp,
            SensorMessage::Radar(m) => m.timestamp,
            SensorMessage::Odometry(m) => m.timestamp,
        }
    }

    /// "camera", "lidar", "radar" or "odometry".
    pub fn kind(&self) -> &'static str {
        match self {
            SensorMessage::Camera(_) => "camera",
            SensorMessage::Lidar(_) => "lidar",
            SensorMessage::Radar(_) => "radar",
            SensorMessage::Odometry(_) => "odometry",
        }
    }

    /// Sets the message's own time (re-stamping: a player's loop, a clock fault).
    pub fn set_timestamp(&mut self, t: Timestamp) {
        match self {
            SensorMessage::Camera(m) => m.timestamp = t,
            SensorMessage::Lidar(m) => m.timestamp = t,
            SensorMessage::Radar(m) => m.timestamp = t,
            SensorMessage::Odometry(m) => m.timestamp = t,
        }
    }
}
