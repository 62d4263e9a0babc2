//! Ego motion: the vehicle's pose in a fixed frame and its velocity at one instant, as vehicle
//! odometry (`nav_msgs/Odometry`) or a dataset's recorded poses provide it.

use crate::Timestamp;
use nalgebra::{Isometry3, Vector3};

/// One ego-motion sample.
///
/// Frames follow REP-103 / `nav_msgs/Odometry`: `pose` is the **vehicle frame** (x forward,
/// y left, z up, metres) expressed in the fixed frame `frame_id` (for example `world` for a
/// dataset's poses, `odom` or `map` on a vehicle); the velocities are those of the vehicle
/// frame's origin over ground, expressed in the vehicle frame's own axes (the ROS
/// `child_frame_id` convention).
#[derive(Debug, Clone, PartialEq)]
pub struct Odometry {
    /// Name of the odometry source (for example `ego`); messages carry it like a sensor name.
    pub sensor: String,
    /// Time of the sample, sensor clock.
    pub timestamp: Timestamp,
    /// Name of the fixed frame of `pose`.
    pub frame_id: String,
    /// Vehicle frame -> fixed frame, when the source knows it.
    pub pose: Option<Isometry3<f64>>,
    /// Linear velocity of the vehicle-frame origin, vehicle-frame axes, m/s.
    pub linear_velocity: Vector3<f64>,
    /// Angular velocity of the vehicle frame, its own axes, rad/s (`z` is the yaw rate,
    /// counter-clockwise seen from above).
    pub angular_velocity: Vector3<f64>,
}

impl Odometry {
    /// The yaw rate, rad/s (counter-clockwise seen from above).
    pub fn yaw_rate(&self) -> f64 {
        self.angular_velocity.z
    }

    /// True when every number in the sample is finite.
    pub fn is_finite(&self) -> bool {
        let pose_ok = self.pose.is_none_or(|p| {
            p.translation.vector.iter().all(|v| v.is_finite())
                && p.rotation.coords.iter().all(|v| v.is_finite())
        });
        pose_ok
            && self.linear_velocity.iter().all(|v| v.is_finite())
            && self.angular_velocity.iter().all(|v| v.is_finite())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finiteness_covers_pose_and_velocities() {
        let mut o = Odometry {
            sensor: "ego".into(),
            timestamp: Timestamp::from_nanos(1),
            frame_id: "world".into(),
            pose: Some(Isometry3::translation(1.0, 2.0, 0.0)),
            linear_velocity: Vector3::new(3.0, 0.0, 0.0),
            angular_velocity: Vector3::new(0.0, 0.0, 0.1),
        };
        assert!(o.is_finite());
        assert_eq!(o.yaw_rate(), 0.1);
        o.pose = Some(Isometry3::translation(f64::NAN, 0.0, 0.0));
        assert!(!o.is_finite());
        o.pose = None;
        o.angular_velocity.z = f64::INFINITY;
        assert!(!o.is_finite());
    }
}
