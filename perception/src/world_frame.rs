//! Objects in the dataset's own world frame (`--frame world`), as Autoware publishes tracked
//! objects in `map`: the vehicle's pose at each output frame comes from the input's odometry
//! (a dataset's recorded poses, a vehicle's `nav_msgs/Odometry` with a pose), and each object's
//! centre, heading and velocity are carried from the vehicle frame into that fixed frame.
//!
//! [`WorldPoses`] collects the poses as the replay reads its input ([`WorldPoses::observe`]);
//! replay is in timestamp order and a frame's odometry sample precedes the frame's output, so
//! the pose of every frame is known when the frame is written.

use crate::error::PerceptionError;
use crate::object_messages::ObjectRecord;
use kestrel_sensors::{SensorMessage, Timestamp};
use nalgebra::{Isometry3, Point3, Vector3};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// The vehicle's poses (vehicle frame -> fixed frame) by time, shared between the input that
/// observes them and the sink that uses them.
#[derive(Debug, Clone, Default)]
pub struct WorldPoses {
    poses: Arc<Mutex<BTreeMap<Timestamp, Isometry3<f64>>>>,
}

impl WorldPoses {
    /// No poses yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records the pose of an odometry message that carries one; other messages are ignored.
    pub fn observe(&self, msg: &SensorMessage) {
        if let SensorMessage::Odometry(o) = msg
            && let Some(pose) = o.pose
            && o.is_finite()
        {
            self.lock().insert(o.timestamp, pose);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<Timestamp, Isometry3<f64>>> {
        // A panic while holding the lock leaves the map intact (inserts are atomic).
        self.poses.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The pose at `stamp`: the sample at that time, else the nearest one within `tolerance`
    /// (earlier wins a tie). A typed error when there is none.
    pub fn pose_at(
        &self,
        stamp: Timestamp,
        tolerance_ns: u64,
    ) -> Result<Isometry3<f64>, PerceptionError> {
        let poses = self.lock();
        let before = poses.range(..=stamp).next_back();
        let after = poses.range(stamp..).next();
        let gap = |t: &Timestamp| t.0.abs_diff(stamp.0);
        let best = match (before, after) {
            (Some(b), Some(a)) => Some(if gap(b.0) <= gap(a.0) { b } else { a }),
            (b, a) => b.or(a),
        };
        match best {
            Some((t, pose)) if gap(t) <= tolerance_ns => Ok(*pose),
            _ => Err(PerceptionError::Config(format!(
                "--frame world: no vehicle pose within {} ms of frame {:.3} s; the input must \
                 carry odometry with poses (for example a PandaSet folder)",
                tolerance_ns / 1_000_000,
                stamp.0 as f64 * 1e-9
            ))),
        }
    }
}

/// `record` (vehicle frame at its stamp) carried into the fixed frame by `pose` (vehicle ->
/// fixed): centre transformed, heading turned by the pose's rotation (the yaw of the object's
/// rotated forward axis), velocity rotated; size, classes and ids unchanged.
pub fn to_world(record: &ObjectRecord, pose: &Isometry3<f64>) -> ObjectRecord {
    let [x, y, z] = record.position;
    let centre = pose * Point3::new(x, y, z);
    let forward = pose.rotation * Vector3::new(record.yaw.cos(), record.yaw.sin(), 0.0);
    let velocity = record.velocity.map(|[vx, vy]| {
        let v = pose.rotation * Vector3::new(vx, vy, 0.0);
        [v.x, v.y]
    });
    ObjectRecord {
        position: [centre.x, centre.y, centre.z],
        yaw: forward.y.atan2(forward.x),
        velocity,
        ..record.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kestrel_sensors::{ObjectClass, Odometry};
    use nalgebra::{Translation3, UnitQuaternion};

    fn record() -> ObjectRecord {
        ObjectRecord {
            stamp_ns: 100,
            track_id: Some(7),
            class: ObjectClass::Car,
            class_probability: 0.9,
            existence_probability: 0.8,
            position: [10.0, 2.0, 0.5],
            velocity: Some([3.0, 0.0]),
            size: [4.5, 1.8, 1.5],
            yaw: 0.0,
        }
    }

    #[test]
    fn objects_are_carried_into_the_fixed_frame() {
        // The vehicle at (100, 50, 1) facing +y (yaw 90 degrees).
        let pose = Isometry3::from_parts(
            Translation3::new(100.0, 50.0, 1.0),
            UnitQuaternion::from_euler_angles(0.0, 0.0, std::f64::consts::FRAC_PI_2),
        );
        let w = to_world(&record(), &pose);
        let close = |a: f64, b: f64| (a - b).abs() < 1e-9;
        // 10 m ahead, 2 m left of a vehicle facing +y: x - 2, y + 10.
        assert!(close(w.position[0], 98.0) && close(w.position[1], 60.0));
        assert!(close(w.position[2], 1.5));
        assert!(close(w.yaw, std::f64::consts::FRAC_PI_2));
        let v = w.velocity.unwrap();
        assert!(close(v[0], 0.0) && close(v[1], 3.0));
        assert_eq!(
            (w.size, w.track_id, w.stamp_ns),
            ([4.5, 1.8, 1.5], Some(7), 100)
        );
    }

    #[test]
    fn poses_come_from_odometry_and_are_required() {
        let poses = WorldPoses::new();
        let odo = |t: u64, pose: Option<Isometry3<f64>>| {
            SensorMessage::Odometry(Odometry {
                sensor: "ego".into(),
                timestamp: Timestamp(t),
                frame_id: "world".into(),
                pose,
                linear_velocity: Vector3::zeros(),
                angular_velocity: Vector3::zeros(),
            })
        };
        poses.observe(&odo(1_000, None));
        assert!(
            poses.pose_at(Timestamp(1_000), 0).is_err(),
            "no pose, no frame"
        );
        poses.observe(&odo(1_000, Some(Isometry3::translation(1.0, 0.0, 0.0))));
        poses.observe(&odo(3_000, Some(Isometry3::translation(3.0, 0.0, 0.0))));
        let x = |t, tol| poses.pose_at(Timestamp(t), tol).map(|p| p.translation.x);
        assert_eq!(x(1_000, 0).unwrap(), 1.0);
        assert_eq!(x(2_000, 1_000).unwrap(), 1.0, "tie: the earlier sample");
        assert_eq!(x(2_600, 1_000).unwrap(), 3.0);
        let err = x(10_000, 1_000).unwrap_err().to_string();
        assert!(err.contains("no vehicle pose"), "{err}");
    }
}
