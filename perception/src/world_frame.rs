//! Objects in a fixed world frame, as Autoware publishes tracked objects in `map`: the frame
//! of the input's odometry poses (a dataset's recorded poses, for PandaSet its world frame,
//! the frame of its cuboids; a vehicle's `nav_msgs/Odometry` with a pose).
//!
//! The processing stage places each output frame: [`OutputFrame::vehicle_pose`] is the pose
//! of the latest odometry sample at or before the frame's stamp, carried forward to the stamp
//! by that sample's velocity and yaw rate (at most [`MAX_POSE_AGE_NS`] old;
//! [`crate::odometry_history`]). The runtime then
//! writes every published message in the frame [`ObjectFrame`] names
//! ([`ObjectFrame::place`]): each object's pose (centre, orientation) is transformed and its
//! 6x6 pose covariance rotated, as `tf2` transforms a `PoseWithCovariance`; twists stay in the
//! object's own frame (Autoware's convention) and need no change; `header.frame_id` becomes
//! the world frame's name. A frame with no pose cannot be placed: it is not published and is
//! counted (`unplaced_frames` in the run's counters).
//!
//! [`OutputFrame::vehicle_pose`]: crate::stage::OutputFrame::vehicle_pose

use crate::error::PerceptionError;
use crate::object_messages::VEHICLE_FRAME_ID;
use crate::odometry_history::MAX_POSE_AGE_NS;
use kestrel_log::ros2_msg::autoware_perception_msgs::{DetectedObjects, TrackedObjects};
use kestrel_log::ros2_msg::geometry_msgs::{Point, PoseWithCovariance, Quaternion};
use nalgebra::{Isometry3, Matrix3, Matrix6, Point3, UnitQuaternion};

/// The frame published objects are expressed in.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ObjectFrame {
    /// The vehicle frame at each frame's time (`header.frame_id = base_link`).
    #[default]
    Vehicle,
    /// The fixed frame of the input's odometry poses, published under `frame_id` (Autoware:
    /// `map`).
    World {
        /// `header.frame_id` of the messages.
        frame_id: String,
    },
}

impl ObjectFrame {
    /// The frame named `frame_id`: the vehicle frame for `base_link`, else the world frame
    /// published under that name.
    pub fn from_frame_id(frame_id: &str) -> Self {
        if frame_id == VEHICLE_FRAME_ID {
            ObjectFrame::Vehicle
        } else {
            ObjectFrame::World {
                frame_id: frame_id.into(),
            }
        }
    }

    /// `header.frame_id` of messages in this frame.
    pub fn frame_id(&self) -> &str {
        match self {
            ObjectFrame::Vehicle => VEHICLE_FRAME_ID,
            ObjectFrame::World { frame_id } => frame_id,
        }
    }

    /// The messages of a frame as published in this frame, given the vehicle's pose at the
    /// frame's time (vehicle frame -> world). `None` when the frame cannot be placed (world
    /// frame, no pose).
    pub fn place(
        &self,
        tracked: TrackedObjects,
        detected: DetectedObjects,
        vehicle_pose: Option<&Isometry3<f64>>,
    ) -> Option<(TrackedObjects, DetectedObjects)> {
        let ObjectFrame::World { frame_id } = self else {
            return Some((tracked, detected));
        };
        let pose = vehicle_pose?;
        let mut tracked = tracked;
        let mut detected = detected;
        tracked.header.frame_id = frame_id.clone();
        detected.header.frame_id = frame_id.clone();
        for o in &mut tracked.objects {
            transform_pose(&mut o.kinematics.pose_with_covariance, pose);
        }
        for o in &mut detected.objects {
            transform_pose(&mut o.kinematics.pose_with_covariance, pose);
        }
        Some((tracked, detected))
    }
}

/// `p` (in the vehicle frame) carried into the world frame by `pose` (vehicle -> world):
/// position and orientation transformed, covariance rotated (`M C M^T`, `M` = the pose's
/// rotation on the position and on the orientation axes).
pub fn transform_pose(p: &mut PoseWithCovariance, pose: &Isometry3<f64>) {
    let position = pose * Point3::new(p.pose.position.x, p.pose.position.y, p.pose.position.z);
    p.pose.position = Point {
        x: position.x,
        y: position.y,
        z: position.z,
    };
    let q = &p.pose.orientation;
    let orientation = pose.rotation
        * UnitQuaternion::from_quaternion(nalgebra::Quaternion::new(q.w, q.x, q.y, q.z));
    p.pose.orientation = Quaternion {
        x: orientation.i,
        y: orientation.j,
        z: orientation.k,
        w: orientation.w,
    };
    let r: Matrix3<f64> = *pose.rotation.to_rotation_matrix().matrix();
    let mut m = Matrix6::zeros();
    m.fixed_view_mut::<3, 3>(0, 0).copy_from(&r);
    m.fixed_view_mut::<3, 3>(3, 3).copy_from(&r);
    let c = Matrix6::from_row_slice(&p.covariance);
    let rotated = m * c * m.transpose();
    for i in 0..6 {
        for j in 0..6 {
            p.covariance[i * 6 + j] = rotated[(i, j)];
        }
    }
}

/// The error of a world-frame run whose frames could not all be placed.
pub fn unplaced_error(unplaced: u64) -> PerceptionError {
    PerceptionError::Config(format!(
        "frame world: {unplaced} frames had no vehicle pose within {} ms before them and were not \
         published; the input must carry odometry with poses (for example a PandaSet folder)",
        MAX_POSE_AGE_NS / 1_000_000
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::object_messages::{ObjectRecord, detected_objects, tracked_records};
    use kestrel_fusion::DetectedObject;
    use kestrel_fusion::SensorSources;
    use kestrel_sensors::{ObjectClass, OrientedBox3, Timestamp};
    use nalgebra::Translation3;
    use nalgebra::{Matrix2, Vector2};

    fn detection() -> DetectedObject {
        DetectedObject {
            lidar_shape: None,
            bbox: OrientedBox3 {
                center: Point3::new(10.0, 2.0, 0.5),
                length: 4.5,
                width: 1.8,
                height: 1.5,
                yaw: 0.0,
            },
            class: ObjectClass::Car,
            class_confidence: 0.9,
            existence_confidence: 0.8,
            position_covariance: Matrix2::new(4.0, 0.0, 0.0, 1.0),
            velocity: Some(Vector2::new(3.0, 0.0)),
            velocity_covariance: Some(Matrix2::identity()),
            sources: SensorSources::default(),
        }
    }

    #[test]
    fn objects_are_carried_into_the_fixed_frame() {
        // The vehicle at (100, 50, 1) facing +y (yaw 90 degrees).
        let pose = Isometry3::from_parts(
            Translation3::new(100.0, 50.0, 1.0),
            UnitQuaternion::from_euler_angles(0.0, 0.0, std::f64::consts::FRAC_PI_2),
        );
        let frame = ObjectFrame::World {
            frame_id: "map".into(),
        };
        let detected = detected_objects(Timestamp(100), &[detection()]);
        let tracked = TrackedObjects {
            header: detected.header.clone(),
            objects: Vec::new(),
        };
        assert!(
            frame
                .place(tracked.clone(), detected.clone(), None)
                .is_none()
        );
        let (t, d) = frame.place(tracked, detected, Some(&pose)).unwrap();
        assert_eq!(
            (t.header.frame_id.as_str(), d.header.frame_id.as_str()),
            ("map", "map")
        );
        let p = &d.objects[0].kinematics.pose_with_covariance;
        let close = |a: f64, b: f64| (a - b).abs() < 1e-9;
        // 10 m ahead, 2 m left of a vehicle facing +y: x - 2, y + 10.
        let (x, y, z) = (p.pose.position.x, p.pose.position.y, p.pose.position.z);
        assert!(
            close(x, 98.0) && close(y, 60.0) && close(z, 1.5),
            "{x} {y} {z}"
        );
        // Heading +y; the long axis of the covariance (x, 4 m^2) is now along y.
        let r: ObjectRecord = crate::object_messages::detected_records(&d)[0].clone();
        assert!(close(r.yaw, std::f64::consts::FRAC_PI_2));
        assert!(close(p.covariance[0], 1.0) && close(p.covariance[7], 4.0));
        // The object-frame twist is unchanged, so the velocity turns with the heading.
        let v = r.velocity.unwrap();
        assert!(close(v[0], 0.0) && close(v[1], 3.0), "{v:?}");
        // The vehicle frame leaves messages as they are.
        let vehicle = detected_objects(Timestamp(100), &[detection()]);
        let (_, same) = ObjectFrame::Vehicle
            .place(
                TrackedObjects {
                    header: vehicle.header.clone(),
                    objects: Vec::new(),
                },
                vehicle.clone(),
                None,
            )
            .unwrap();
        assert_eq!(same, vehicle);
        assert!(tracked_records(&t).is_empty());
    }
}
