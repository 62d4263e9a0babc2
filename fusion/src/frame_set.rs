//! The input of the fusion stage: the sensor messages that belong to one instant.

use crate::ego_velocity::EgoVelocity;
use kestrel_sensors::{CameraFrame, PointCloud, RadarScan, SensorMessage, Timestamp};

/// Messages of several sensors grouped around one reference time (see
/// [`crate::time_alignment::TimeAligner`]), plus the ego motion at that time when known.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SensorFrameSet {
    /// Reference time of the set (the anchoring message's timestamp), sensor clock.
    pub timestamp: Timestamp,
    /// LiDAR sweeps (sensor frames), in rig/config order.
    pub lidars: Vec<PointCloud>,
    /// Camera images, in config order.
    pub cameras: Vec<CameraFrame>,
    /// Radar scans (sensor frames), in config order.
    pub radars: Vec<RadarScan>,
    /// Ego velocity and yaw rate at `timestamp` (vehicle frame), for radar compensation.
    pub ego_velocity: Option<EgoVelocity>,
    /// Names of expected sensors that have no message in this set, in config order.
    pub missing: Vec<String>,
    /// Number of the set in its stream (0 for the first set a [`TimeAligner`] emits): keys
    /// the camera schedule, so a replay runs the same cameras on the same sets.
    ///
    /// [`TimeAligner`]: crate::time_alignment::TimeAligner
    pub sequence: u64,
}

impl SensorFrameSet {
    /// An empty set at `timestamp`.
    pub fn new(timestamp: Timestamp) -> Self {
        Self {
            timestamp,
            ..Self::default()
        }
    }

    /// Adds a message to the list of its kind; an odometry sample becomes the set's ego
    /// velocity.
    pub fn push(&mut self, message: SensorMessage) {
        match message {
            SensorMessage::Camera(m) => self.cameras.push(m),
            SensorMessage::Lidar(m) => self.lidars.push(m),
            SensorMessage::Radar(m) => self.radars.push(m),
            SensorMessage::Odometry(m) => self.ego_velocity = Some(EgoVelocity::from(&m)),
        }
    }

    /// True when the set holds no message at all.
    pub fn is_empty(&self) -> bool {
        self.lidars.is_empty() && self.cameras.is_empty() && self.radars.is_empty()
    }
}
