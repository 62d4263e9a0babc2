//! `nav_msgs/Odometry` <-> Kestrel [`Odometry`] (vehicle frame = `child_frame_id`, REP-103).
//!
//! Written: `header.frame_id` = the fixed frame, `child_frame_id` = [`VEHICLE_FRAME_ID`], the
//! pose when known (else the identity with a covariance of `-1` in its first entry, the ROS
//! convention for "not measured"), the twist in the vehicle frame with zero covariance.
//! Read back: a pose whose covariance starts with `-1` is `None`; everything else is kept
//! bit for bit.

use crate::ros2_msg::geometry_msgs::{
    Point, Pose, PoseWithCovariance, Quaternion, Twist, TwistWithCovariance, Vector3,
};
use crate::ros2_msg::nav_msgs::Odometry as OdometryMsg;
use crate::ros2_msg::std_msgs::Header;
use kestrel_sensors::{Odometry, SensorError};
use nalgebra::{Isometry3, Quaternion as NaQuaternion, Translation3, UnitQuaternion};

/// The `child_frame_id` Kestrel writes: the vehicle frame.
pub const VEHICLE_FRAME_ID: &str = "base_link";

const WHAT: &str = "nav_msgs/Odometry";

fn vec3(v: &nalgebra::Vector3<f64>) -> Vector3 {
    Vector3 {
        x: v.x,
        y: v.y,
        z: v.z,
    }
}

/// The wire message of an odometry sample.
pub fn odometry_to_msg(o: &Odometry) -> OdometryMsg {
    let mut pose_covariance = [0.0; 36];
    let pose = match &o.pose {
        Some(p) => {
            let q = p.rotation.quaternion();
            let t = p.translation.vector;
            Pose {
                position: Point {
                    x: t.x,
                    y: t.y,
                    z: t.z,
                },
                orientation: Quaternion {
                    x: q.i,
                    y: q.j,
                    z: q.k,
                    w: q.w,
                },
            }
        }
        None => {
            pose_covariance[0] = -1.0;
            Pose {
                position: Point {
                    x: 0.0,
                    y: 0.0,
                    z: 0.0,
                },
                orientation: Quaternion {
                    x: 0.0,
                    y: 0.0,
                    z: 0.0,
                    w: 1.0,
                },
            }
        }
    };
    OdometryMsg {
        header: Header::new(o.timestamp, o.frame_id.clone()),
        child_frame_id: VEHICLE_FRAME_ID.to_owned(),
        pose: PoseWithCovariance {
            pose,
            covariance: pose_covariance,
        },
        twist: TwistWithCovariance {
            twist: Twist {
                linear: vec3(&o.linear_velocity),
                angular: vec3(&o.angular_velocity),
            },
            covariance: [0.0; 36],
        },
    }
}

/// The odometry sample of a wire message, from source `sensor`. Errors for a pose whose
/// orientation is not a unit quaternion (norm off by more than 1e-3) or non-finite values.
pub fn msg_to_odometry(m: &OdometryMsg, sensor: &str) -> Result<Odometry, SensorError> {
    let bad = |reason: String| SensorError::Unsupported {
        what: WHAT.into(),
        reason,
    };
    let pose = if m.pose.covariance[0] == -1.0 {
        None
    } else {
        let q = &m.pose.pose.orientation;
        let q = NaQuaternion::new(q.w, q.x, q.y, q.z);
        let norm = q.norm();
        if !norm.is_finite() || (norm - 1.0).abs() > 1e-3 {
            return Err(bad(format!(
                "orientation is not a unit quaternion (norm {norm})"
            )));
        }
        let rotation = if (norm - 1.0).abs() <= 4.0 * f64::EPSILON {
            UnitQuaternion::new_unchecked(q)
        } else {
            UnitQuaternion::from_quaternion(q)
        };
        let p = &m.pose.pose.position;
        Some(Isometry3::from_parts(
            Translation3::new(p.x, p.y, p.z),
            rotation,
        ))
    };
    let v = |v: &Vector3| nalgebra::Vector3::new(v.x, v.y, v.z);
    let o = Odometry {
        sensor: sensor.to_owned(),
        timestamp: m.header.stamp.to_timestamp(),
        frame_id: m.header.frame_id.clone(),
        pose,
        linear_velocity: v(&m.twist.twist.linear),
        angular_velocity: v(&m.twist.twist.angular),
    };
    if !o.is_finite() {
        return Err(bad("non-finite pose or twist".into()));
    }
    Ok(o)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ros2_msg::RosMessage;
    use kestrel_sensors::Timestamp;

    fn sample(pose: Option<Isometry3<f64>>) -> Odometry {
        Odometry {
            sensor: "ego".into(),
            timestamp: Timestamp::from_nanos(1_557_539_956_500_022_000),
            frame_id: "world".into(),
            pose,
            linear_velocity: nalgebra::Vector3::new(3.25, -0.01, 0.002),
            angular_velocity: nalgebra::Vector3::new(0.0, 0.0, 0.031),
        }
    }

    #[test]
    fn round_trips_bit_exact_with_and_without_pose() {
        let pose = Isometry3::from_parts(
            Translation3::new(0.47, 0.46, -0.37),
            UnitQuaternion::from_euler_angles(0.01, -0.02, 0.79),
        );
        for o in [sample(Some(pose)), sample(None)] {
            let cdr = odometry_to_msg(&o).to_cdr().unwrap();
            let back = msg_to_odometry(&OdometryMsg::from_cdr(&cdr).unwrap(), "ego").unwrap();
            assert_eq!(back, o);
        }
    }

    #[test]
    fn rejects_bad_orientation_and_nan() {
        let mut m = odometry_to_msg(&sample(Some(Isometry3::identity())));
        m.pose.pose.orientation.w = 2.0;
        assert!(msg_to_odometry(&m, "ego").is_err());
        let mut m = odometry_to_msg(&sample(None));
        m.twist.twist.linear.x = f64::NAN;
        assert!(msg_to_odometry(&m, "ego").is_err());
    }
}
