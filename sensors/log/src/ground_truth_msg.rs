//! Labelled objects ([`LabelledFrame`]) <-> `autoware_perception_msgs/TrackedObjects`, so that
//! a converted dataset log carries its human labels on a topic next to the sensor data
//! (Foxglove shows them like Kestrel's own tracks, and `kestrel eval` reads them back).
//!
//! Each label becomes one `TrackedObject`: `object_id` = the label's track id as a UUID (a
//! dataset UUID such as PandaSet's is kept as is; any other id is hashed, SHA-256, first 16
//! bytes, UUID version 8); existence probability 1; one classification (the stack class,
//! probability 1); pose = box centre and yaw; shape = bounding box (x length, y width,
//! z height); twist = the labelled velocity in the object's axes, when known.
//!
//! Read back, the box, class and velocity are exact up to the yaw <-> quaternion round trip
//! (within 1e-12 rad); `track_id` is the UUID in its canonical text form; `source_label` is the
//! class name; `num_lidar_points` is not carried.

use crate::ros2_msg::autoware_perception_msgs::{
    ObjectClassification, Shape, TrackedObject, TrackedObjectKinematics, TrackedObjects,
};
use crate::ros2_msg::geometry_msgs::{
    Accel, AccelWithCovariance, Point, Polygon, Pose, PoseWithCovariance, Quaternion, Twist,
    TwistWithCovariance, Vector3,
};
use crate::ros2_msg::std_msgs::{Header, Uuid};
use kestrel_sensors::{GroundTruthObject, LabelledFrame, ObjectClass, OrientedBox3};
use nalgebra::{Point3, Vector2};
use sha2::{Digest, Sha256};

/// Autoware shape type of a bounding box.
const BOUNDING_BOX: u8 = 0;
/// Orientation availability "available".
const ORIENTATION_AVAILABLE: u8 = 2;

/// The UUID bytes of a text id: the id itself when it is a canonical UUID
/// (`8-4-4-4-12` hex digits), else the first 16 bytes of its SHA-256 marked as version 8.
pub fn uuid_of_id(id: &str) -> [u8; 16] {
    if let Some(bytes) = parse_uuid(id) {
        return bytes;
    }
    let digest = Sha256::digest(id.as_bytes());
    let mut out = [0u8; 16];
    out.copy_from_slice(&digest[..16]);
    out[6] = (out[6] & 0x0f) | 0x80; // version 8 (custom)
    out[8] = (out[8] & 0x3f) | 0x80; // RFC 4122 variant
    out
}

fn parse_uuid(id: &str) -> Option<[u8; 16]> {
    let groups: Vec<&str> = id.split('-').collect();
    let lens: Vec<usize> = groups.iter().map(|g| g.len()).collect();
    if lens != [8, 4, 4, 4, 12] {
        return None;
    }
    let hex: String = groups.concat();
    let mut out = [0u8; 16];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

/// The canonical text form of UUID bytes (lower-case `8-4-4-4-12`).
pub fn uuid_text(b: &[u8; 16]) -> String {
    let h: String = b.iter().map(|v| format!("{v:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

fn yaw_quaternion(yaw: f64) -> Quaternion {
    let (s, c) = (yaw / 2.0).sin_cos();
    Quaternion {
        x: 0.0,
        y: 0.0,
        z: s,
        w: c,
    }
}

fn quaternion_yaw(q: &Quaternion) -> f64 {
    (2.0 * (q.w * q.z + q.x * q.y)).atan2(1.0 - 2.0 * (q.y * q.y + q.z * q.z))
}

fn zero3() -> Vector3 {
    Vector3 {
        x: 0.0,
        y: 0.0,
        z: 0.0,
    }
}

fn label_to_object(o: &GroundTruthObject, index: usize) -> TrackedObject {
    let b = &o.bbox;
    let id = o
        .track_id
        .clone()
        .unwrap_or_else(|| format!("label-{index}"));
    // The twist is expressed in the object's own axes (autoware convention).
    let twist = o.velocity.map_or_else(zero3, |v| {
        let (s, c) = b.yaw.sin_cos();
        Vector3 {
            x: c * v.x + s * v.y,
            y: -s * v.x + c * v.y,
            z: 0.0,
        }
    });
    TrackedObject {
        object_id: Uuid {
            uuid: uuid_of_id(&id),
        },
        existence_probability: 1.0,
        classification: vec![ObjectClassification {
            label: o.class.label(),
            probability: 1.0,
        }],
        kinematics: TrackedObjectKinematics {
            pose_with_covariance: PoseWithCovariance {
                pose: Pose {
                    position: Point {
                        x: b.center.x,
                        y: b.center.y,
                        z: b.center.z,
                    },
                    orientation: yaw_quaternion(b.yaw),
                },
                covariance: [0.0; 36],
            },
            twist_with_covariance: TwistWithCovariance {
                twist: Twist {
                    linear: twist,
                    angular: zero3(),
                },
                covariance: [0.0; 36],
            },
            acceleration_with_covariance: AccelWithCovariance {
                accel: Accel {
                    linear: zero3(),
                    angular: zero3(),
                },
                covariance: [0.0; 36],
            },
            orientation_availability: ORIENTATION_AVAILABLE,
            is_stationary: o.velocity.is_some_and(|v| v.norm() < 0.1),
        },
        shape: Shape {
            type_: BOUNDING_BOX,
            footprint: Polygon { points: vec![] },
            dimensions: Vector3 {
                x: b.length,
                y: b.width,
                z: b.height,
            },
        },
    }
}

/// The wire message of one labelled instant (`header.frame_id` = `frame.frame`).
pub fn labels_to_msg(frame: &LabelledFrame) -> TrackedObjects {
    TrackedObjects {
        header: Header::new(frame.timestamp, frame.frame.clone()),
        objects: frame
            .objects
            .iter()
            .enumerate()
            .map(|(i, o)| label_to_object(o, i))
            .collect(),
    }
}

/// The labelled instant of a wire message (see the module docs for what is kept).
pub fn msg_to_labels(m: &TrackedObjects) -> LabelledFrame {
    let objects = m
        .objects
        .iter()
        .map(|t| {
            let p = &t.kinematics.pose_with_covariance.pose;
            let yaw = quaternion_yaw(&p.orientation);
            let class = t
                .classification
                .first()
                .map_or(ObjectClass::Unknown, |c| ObjectClass::from_label(c.label));
            let tw = &t.kinematics.twist_with_covariance.twist.linear;
            let velocity = (tw.x != 0.0 || tw.y != 0.0).then(|| {
                let (s, c) = yaw.sin_cos();
                Vector2::new(c * tw.x - s * tw.y, s * tw.x + c * tw.y)
            });
            GroundTruthObject {
                class,
                source_label: class.name().to_owned(),
                frame: m.header.frame_id.clone(),
                bbox: OrientedBox3 {
                    center: Point3::new(p.position.x, p.position.y, p.position.z),
                    length: t.shape.dimensions.x,
                    width: t.shape.dimensions.y,
                    height: t.shape.dimensions.z,
                    yaw,
                },
                velocity,
                num_lidar_points: None,
                track_id: Some(uuid_text(&t.object_id.uuid)),
            }
        })
        .collect();
    LabelledFrame {
        timestamp: m.header.stamp.to_timestamp(),
        frame: m.header.frame_id.clone(),
        objects,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ros2_msg::RosMessage;
    use kestrel_sensors::Timestamp;

    #[test]
    fn uuids_parse_print_and_hash() {
        let id = "e83d78e4-5b11-4ad5-ac71-917b5cd19c94";
        assert_eq!(uuid_text(&uuid_of_id(id)), id);
        let hashed = uuid_of_id("car-7");
        assert_eq!(hashed, uuid_of_id("car-7"));
        assert_ne!(hashed, uuid_of_id("car-8"));
        assert_eq!(hashed[6] >> 4, 8);
        assert!(parse_uuid("e83d78e4-5b11-4ad5-ac71-917b5cd19c9").is_none());
        assert!(parse_uuid("g83d78e4-5b11-4ad5-ac71-917b5cd19c94").is_none());
    }

    #[test]
    fn labels_round_trip_through_cdr() {
        let frame = LabelledFrame {
            timestamp: Timestamp::from_nanos(1_557_539_956_500_022_000),
            frame: "vehicle".into(),
            objects: vec![GroundTruthObject {
                class: ObjectClass::Pedestrian,
                source_label: "Pedestrian with Object".into(),
                frame: "vehicle".into(),
                bbox: OrientedBox3 {
                    center: Point3::new(12.5, -3.25, 0.9),
                    length: 0.8,
                    width: 0.6,
                    height: 1.75,
                    yaw: 2.5,
                },
                velocity: Some(Vector2::new(-1.0, 0.5)),
                num_lidar_points: Some(154),
                track_id: Some("d0da2ae7-0000-4000-8000-000000000001".into()),
            }],
        };
        let cdr = labels_to_msg(&frame).to_cdr().unwrap();
        let back = msg_to_labels(&TrackedObjects::from_cdr(&cdr).unwrap());
        assert_eq!(back.timestamp, frame.timestamp);
        assert_eq!(back.frame, "vehicle");
        let (a, b) = (&back.objects[0], &frame.objects[0]);
        assert_eq!(a.class, b.class);
        assert_eq!(a.track_id, b.track_id);
        assert_eq!(a.bbox.center, b.bbox.center);
        assert!((a.bbox.yaw - b.bbox.yaw).abs() < 1e-12);
        assert!((a.velocity.unwrap() - b.velocity.unwrap()).norm() < 1e-12);
    }
}
