//! The vehicle odometry the processing stage has received, by time: one store for both uses
//! of a sample, the ego motion of a frame set (radar Doppler compensation, the tracker's ego
//! motion) and the vehicle pose that places an output frame in the world frame
//! ([`crate::world_frame`]).

use kestrel_fusion::ego_velocity::EgoVelocity;
use kestrel_sensors::Timestamp;
use nalgebra::{Isometry3, Translation3, UnitQuaternion, Vector3};
use std::collections::BTreeMap;

/// Oldest odometry sample (relative to a frame's stamp) whose pose may place the frame, ns.
pub const MAX_POSE_AGE_NS: u64 = 100_000_000;

/// One odometry sample: the measured motion and, when the source has one, the pose.
#[derive(Debug, Clone, Copy)]
struct OdometrySample {
    motion: EgoVelocity,
    pose: Option<Isometry3<f64>>,
}

/// What odometry says about the vehicle at a frame's time.
#[derive(Debug, Clone, Copy, Default)]
pub struct VehicleState {
    /// Velocity (vehicle frame, m/s) and yaw rate (rad/s) of the latest sample at or before the
    /// frame.
    pub motion: Option<EgoVelocity>,
    /// The vehicle pose in the odometry's fixed frame at the frame's time: the latest sample's
    /// pose moved on by its velocity and yaw rate, when that sample has a pose and is at most
    /// [`MAX_POSE_AGE_NS`] older than the frame.
    pub pose: Option<Isometry3<f64>>,
}

/// Odometry samples by time, oldest first; pruned as frames consume them.
#[derive(Debug, Clone, Default)]
pub struct OdometryHistory {
    samples: BTreeMap<Timestamp, OdometrySample>,
}

impl OdometryHistory {
    /// Records the sample measured at `stamp` (sensor clock): motion, and pose when known.
    pub fn push(&mut self, stamp: Timestamp, motion: EgoVelocity, pose: Option<Isometry3<f64>>) {
        self.samples.insert(stamp, OdometrySample { motion, pose });
    }

    /// The vehicle at `t`, from the latest sample at or before `t` (see [`VehicleState`]).
    /// Samples older than that one are dropped: frames come in time order.
    pub fn at(&mut self, t: Timestamp) -> VehicleState {
        let Some((&at, &sample)) = self.samples.range(..=t).next_back() else {
            return VehicleState::default();
        };
        self.samples = self.samples.split_off(&at);
        let pose = sample.pose.and_then(|pose| {
            let age = t.0.checked_sub(at.0)?;
            if age > MAX_POSE_AGE_NS {
                return None;
            }
            let dt = age as f64 * 1e-9;
            let m = sample.motion;
            let step = Isometry3::from_parts(
                Translation3::new(m.velocity.x * dt, m.velocity.y * dt, 0.0),
                UnitQuaternion::from_axis_angle(&Vector3::z_axis(), m.yaw_rate * dt),
            );
            Some(pose * step)
        });
        VehicleState {
            motion: Some(sample.motion),
            pose,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nalgebra::Vector2;

    #[test]
    fn motion_and_pose_come_from_the_latest_sample_before_the_frame() {
        let mut odometry = OdometryHistory::default();
        assert!(odometry.at(Timestamp(0)).motion.is_none());
        let motion = EgoVelocity {
            velocity: Vector2::new(10.0, 0.0),
            yaw_rate: 0.0,
        };
        odometry.push(
            Timestamp(1_000_000_000),
            motion,
            Some(Isometry3::translation(1.0, 0.0, 0.0)),
        );
        // At the sample: its pose; 50 ms later: 0.5 m further on at 10 m/s.
        let x = |s: VehicleState| s.pose.map(|p| p.translation.x);
        assert_eq!(x(odometry.at(Timestamp(1_000_000_000))), Some(1.0));
        let later = odometry.at(Timestamp(1_050_000_000));
        assert!((x(later).unwrap() - 1.5).abs() < 1e-9);
        assert_eq!(later.motion.map(|m| m.velocity.x), Some(10.0));
        // Too old for a pose (the motion still holds), or only samples after the frame.
        let old = odometry.at(Timestamp(1_200_000_000));
        assert!(old.pose.is_none() && old.motion.is_some());
        assert!(odometry.at(Timestamp(999_000_000)).motion.is_none());
        // A source without poses gives motion only.
        odometry.push(Timestamp(1_300_000_000), motion, None);
        let s = odometry.at(Timestamp(1_300_000_000));
        assert!(s.pose.is_none() && s.motion.is_some());
    }
}
