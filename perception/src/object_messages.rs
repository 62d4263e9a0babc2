//! Fused objects as `autoware_perception_msgs` wire messages (the CDR structs of
//! `kestrel_log::ros2_msg`), and back to plain per-object records for planners and JSON.
//!
//! Conventions of the mapping (frame `base_link` = Kestrel's vehicle frame):
//! - pose: box centre; orientation = rotation by `yaw` about z; covariance row-major over
//!   `(x, y, z, roll, pitch, yaw)`, filled for x, y (and yaw for tracks), zero elsewhere;
//! - twist: velocity over ground expressed in the **object frame** (rotated by `-yaw`), as
//!   Autoware does; yaw rate in `angular.z`;
//! - shape: bounding box, `dimensions = (length, width, height)`;
//! - `object_id` of a track: bytes 0..8 zero, bytes 8..16 the track id big-endian;
//! - classification: the voted class first, then every other class with non-zero share,
//!   by decreasing share (ties by label).

use kestrel_fusion::DetectedObject;
use kestrel_fusion::tracking::TrackedObject as FusionTrack;
use kestrel_log::ros2_msg::autoware_perception_msgs::{
    DetectedObject as WireDetected, DetectedObjectKinematics, DetectedObjects,
    ObjectClassification, Shape, TrackedObject as WireTracked, TrackedObjectKinematics,
    TrackedObjects,
};
use kestrel_log::ros2_msg::geometry_msgs::{
    Accel, AccelWithCovariance, Point, Polygon, Pose, PoseWithCovariance, Quaternion, Twist,
    TwistWithCovariance, Vector3,
};
use kestrel_log::ros2_msg::std_msgs::{Header, Uuid};
use kestrel_sensors::{ObjectClass, OrientedBox3, Timestamp};
use nalgebra::{Matrix2, Rotation2, Vector2};
use serde::{Deserialize, Serialize};

/// `header.frame_id` of Kestrel's object messages: the vehicle frame.
pub const VEHICLE_FRAME_ID: &str = "base_link";

/// `orientation_availability` codes.
const ORIENTATION_SIGN_UNKNOWN: u8 = 1;
const ORIENTATION_AVAILABLE: u8 = 2;
/// `Shape.type` of a bounding box.
const SHAPE_BOUNDING_BOX: u8 = 0;

fn quaternion_from_yaw(yaw: f64) -> Quaternion {
    let (s, c) = (yaw / 2.0).sin_cos();
    Quaternion {
        x: 0.0,
        y: 0.0,
        z: s,
        w: c,
    }
}

fn yaw_from_quaternion(q: &Quaternion) -> f64 {
    // Yaw of a general quaternion (ZYX convention).
    (2.0 * (q.w * q.z + q.x * q.y)).atan2(1.0 - 2.0 * (q.y * q.y + q.z * q.z))
}

/// Writes a 2x2 block into a row-major 6x6 covariance at `(row, col)`.
fn put_block(cov: &mut [f64; 36], row: usize, col: usize, m: &Matrix2<f64>) {
    for i in 0..2 {
        for j in 0..2 {
            cov[(row + i) * 6 + col + j] = m[(i, j)];
        }
    }
}

fn pose(b: &OrientedBox3, position_cov: &Matrix2<f64>, yaw_var: Option<f64>) -> PoseWithCovariance {
    let mut covariance = [0.0; 36];
    put_block(&mut covariance, 0, 0, position_cov);
    if let Some(v) = yaw_var {
        covariance[5 * 6 + 5] = v;
    }
    PoseWithCovariance {
        pose: Pose {
            position: Point {
                x: b.center.x,
                y: b.center.y,
                z: b.center.z,
            },
            orientation: quaternion_from_yaw(b.yaw),
        },
        covariance,
    }
}

/// Twist in the object frame from a vehicle-frame velocity and its covariance.
fn twist(
    yaw: f64,
    velocity: Vector2<f64>,
    velocity_cov: &Matrix2<f64>,
    yaw_rate: f64,
    yaw_rate_var: f64,
) -> TwistWithCovariance {
    let to_object = Rotation2::new(-yaw);
    let v = to_object * velocity;
    let r = to_object.matrix();
    let cov = r * velocity_cov * r.transpose();
    let mut covariance = [0.0; 36];
    put_block(&mut covariance, 0, 0, &cov);
    covariance[5 * 6 + 5] = yaw_rate_var;
    TwistWithCovariance {
        twist: Twist {
            linear: Vector3 {
                x: v.x,
                y: v.y,
                z: 0.0,
            },
            angular: Vector3 {
                x: 0.0,
                y: 0.0,
                z: yaw_rate,
            },
        },
        covariance,
    }
}

fn shape(b: &OrientedBox3) -> Shape {
    Shape {
        type_: SHAPE_BOUNDING_BOX,
        footprint: Polygon { points: Vec::new() },
        dimensions: Vector3 {
            x: b.length,
            y: b.width,
            z: b.height,
        },
    }
}

/// The 16-byte object id of a track id.
pub fn uuid_of_track(id: u64) -> Uuid {
    let mut uuid = [0u8; 16];
    uuid[8..].copy_from_slice(&id.to_be_bytes());
    Uuid { uuid }
}

/// The track id of a Kestrel object id (`None` when the first 8 bytes are not zero, i.e. the
/// id was not made by [`uuid_of_track`]).
pub fn track_of_uuid(uuid: &Uuid) -> Option<u64> {
    let (head, tail) = uuid.uuid.split_at(8);
    head.iter().all(|&b| b == 0).then(|| {
        let mut id = [0u8; 8];
        id.copy_from_slice(tail);
        u64::from_be_bytes(id)
    })
}

fn classification_of_track(t: &FusionTrack) -> Vec<ObjectClassification> {
    let mut others: Vec<(u8, f64)> = ObjectClass::ALL
        .iter()
        .map(|c| (c.label(), t.class_probabilities[c.label() as usize]))
        .filter(|&(label, p)| label != t.class.label() && p > 0.0)
        .collect();
    others.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    std::iter::once((t.class.label(), t.class_probability))
        .chain(others)
        .map(|(label, p)| ObjectClassification {
            label,
            probability: p as f32,
        })
        .collect()
}

/// The `TrackedObjects` message of a frame's tracks.
pub fn tracked_objects(stamp: Timestamp, tracks: &[FusionTrack]) -> TrackedObjects {
    TrackedObjects {
        header: Header::new(stamp, VEHICLE_FRAME_ID),
        objects: tracks
            .iter()
            .map(|t| {
                let cov = &t.kinematics.covariance;
                WireTracked {
                    object_id: uuid_of_track(t.id),
                    existence_probability: t.existence_probability as f32,
                    classification: classification_of_track(t),
                    kinematics: TrackedObjectKinematics {
                        pose_with_covariance: pose(
                            &t.bbox,
                            &t.position_covariance(),
                            Some(cov[(2, 2)]),
                        ),
                        twist_with_covariance: twist(
                            t.yaw(),
                            t.velocity(),
                            &t.velocity_covariance(),
                            t.yaw_rate(),
                            cov[(5, 5)],
                        ),
                        acceleration_with_covariance: AccelWithCovariance {
                            accel: Accel {
                                linear: Vector3 {
                                    x: 0.0,
                                    y: 0.0,
                                    z: 0.0,
                                },
                                angular: Vector3 {
                                    x: 0.0,
                                    y: 0.0,
                                    z: 0.0,
                                },
                            },
                            covariance: [0.0; 36],
                        },
                        orientation_availability: ORIENTATION_AVAILABLE,
                        is_stationary: false,
                    },
                    shape: shape(&t.bbox),
                }
            })
            .collect(),
    }
}

/// The `DetectedObjects` message of a frame's fused detections.
pub fn detected_objects(stamp: Timestamp, detections: &[DetectedObject]) -> DetectedObjects {
    DetectedObjects {
        header: Header::new(stamp, VEHICLE_FRAME_ID),
        objects: detections
            .iter()
            .map(|d| {
                let zero = Matrix2::zeros();
                let velocity = d.velocity.unwrap_or_else(Vector2::zeros);
                WireDetected {
                    existence_probability: d.existence_confidence,
                    classification: vec![ObjectClassification {
                        label: d.class.label(),
                        probability: d.class_confidence,
                    }],
                    kinematics: DetectedObjectKinematics {
                        pose_with_covariance: pose(&d.bbox, &d.position_covariance, None),
                        has_position_covariance: true,
                        orientation_availability: ORIENTATION_SIGN_UNKNOWN,
                        twist_with_covariance: twist(
                            d.bbox.yaw,
                            velocity,
                            d.velocity_covariance.as_ref().unwrap_or(&zero),
                            0.0,
                            0.0,
                        ),
                        has_twist: d.velocity.is_some(),
                        has_twist_covariance: d.velocity_covariance.is_some(),
                    },
                    shape: shape(&d.bbox),
                }
            })
            .collect(),
    }
}

/// One object as a planner (or a JSON line) sees it: vehicle frame, metres, m/s, radians.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObjectRecord {
    /// Frame time, ns (sensor clock).
    pub stamp_ns: u64,
    /// Track id; `None` for single-frame detections.
    pub track_id: Option<u64>,
    /// Most probable class.
    pub class: ObjectClass,
    /// Its probability, 0..1.
    pub class_probability: f32,
    /// Existence probability, 0..1.
    pub existence_probability: f32,
    /// Box centre `[x, y, z]`, m, vehicle frame.
    pub position: [f64; 3],
    /// Velocity over ground `[vx, vy]`, m/s, vehicle frame axes (`None` if not measured).
    pub velocity: Option<[f64; 2]>,
    /// Box `[length, width, height]`, m.
    pub size: [f64; 3],
    /// Heading about z, radians, counter-clockwise from x.
    pub yaw: f64,
}

fn record(
    stamp: Timestamp,
    track_id: Option<u64>,
    existence: f32,
    classes: &[ObjectClassification],
    pose: &PoseWithCovariance,
    twist: Option<&Twist>,
    shape: &Shape,
) -> ObjectRecord {
    let yaw = yaw_from_quaternion(&pose.pose.orientation);
    let (class, class_probability) = classes
        .first()
        .map(|c| (ObjectClass::from_label(c.label), c.probability))
        .unwrap_or((ObjectClass::Unknown, 0.0));
    let p = &pose.pose.position;
    ObjectRecord {
        stamp_ns: stamp.as_nanos(),
        track_id,
        class,
        class_probability,
        existence_probability: existence,
        position: [p.x, p.y, p.z],
        velocity: twist.map(|t| {
            let v = Rotation2::new(yaw) * Vector2::new(t.linear.x, t.linear.y);
            [v.x, v.y]
        }),
        size: [shape.dimensions.x, shape.dimensions.y, shape.dimensions.z],
        yaw,
    }
}

/// The per-object records of a `TrackedObjects` message.
pub fn tracked_records(msg: &TrackedObjects) -> Vec<ObjectRecord> {
    let stamp = msg.header.stamp.to_timestamp();
    msg.objects
        .iter()
        .map(|o| {
            record(
                stamp,
                track_of_uuid(&o.object_id),
                o.existence_probability,
                &o.classification,
                &o.kinematics.pose_with_covariance,
                Some(&o.kinematics.twist_with_covariance.twist),
                &o.shape,
            )
        })
        .collect()
}

/// The per-object records of a `DetectedObjects` message.
pub fn detected_records(msg: &DetectedObjects) -> Vec<ObjectRecord> {
    let stamp = msg.header.stamp.to_timestamp();
    msg.objects
        .iter()
        .map(|o| {
            let k = &o.kinematics;
            record(
                stamp,
                None,
                o.existence_probability,
                &o.classification,
                &k.pose_with_covariance,
                k.has_twist.then_some(&k.twist_with_covariance.twist),
                &o.shape,
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use kestrel_fusion::SensorSources;
    use kestrel_log::ros2_msg::RosMessage;
    use nalgebra::Point3;

    fn detection() -> DetectedObject {
        DetectedObject {
            lidar_shape: None,
            bbox: OrientedBox3 {
                center: Point3::new(12.0, -3.0, 0.8),
                length: 4.5,
                width: 1.9,
                height: 1.6,
                yaw: 0.5,
            },
            class: ObjectClass::Car,
            class_confidence: 0.8,
            existence_confidence: 0.9,
            position_covariance: Matrix2::new(0.04, 0.01, 0.01, 0.09),
            velocity: Some(Vector2::new(5.0, 1.0)),
            velocity_covariance: Some(Matrix2::new(0.5, 0.0, 0.0, 0.5)),
            sources: SensorSources {
                camera: true,
                lidar: true,
                radar: true,
            },
        }
    }

    #[test]
    fn detected_objects_round_trip_through_cdr_to_records() {
        let msg = detected_objects(Timestamp(1_500_000_000_250_000_000), &[detection()]);
        let cdr = msg.to_cdr().unwrap();
        assert_eq!(&cdr[..4], &[0, 1, 0, 0]);
        let back = DetectedObjects::from_cdr(&cdr).unwrap();
        assert_eq!(back, msg);
        let r = &detected_records(&back)[0];
        assert_eq!(r.stamp_ns, 1_500_000_000_250_000_000);
        assert_eq!(r.track_id, None);
        assert_eq!(r.class, ObjectClass::Car);
        assert_eq!(r.position, [12.0, -3.0, 0.8]);
        assert_eq!(r.size, [4.5, 1.9, 1.6]);
        assert!((r.yaw - 0.5).abs() < 1e-12);
        let v = r.velocity.unwrap();
        assert!((v[0] - 5.0).abs() < 1e-12 && (v[1] - 1.0).abs() < 1e-12);
        // Twist is in the object frame: the velocity rotated by -yaw.
        let t = &back.objects[0]
            .kinematics
            .twist_with_covariance
            .twist
            .linear;
        let expected = Rotation2::new(-0.5) * Vector2::new(5.0, 1.0);
        assert!((t.x - expected.x).abs() < 1e-12 && (t.y - expected.y).abs() < 1e-12);
        let cov = &back.objects[0].kinematics.pose_with_covariance.covariance;
        assert_eq!([cov[0], cov[1], cov[6], cov[7]], [0.04, 0.01, 0.01, 0.09]);
    }

    #[test]
    fn detection_without_velocity_has_no_twist() {
        let mut d = detection();
        d.velocity = None;
        d.velocity_covariance = None;
        let msg = detected_objects(Timestamp(0), &[d]);
        assert!(!msg.objects[0].kinematics.has_twist);
        assert_eq!(detected_records(&msg)[0].velocity, None);
    }

    #[test]
    fn track_ids_round_trip_through_uuids() {
        for id in [0, 1, 42, u64::MAX] {
            assert_eq!(track_of_uuid(&uuid_of_track(id)), Some(id));
        }
        assert_eq!(track_of_uuid(&Uuid { uuid: [7; 16] }), None);
    }
}
