//! CDR encodings checked against byte vectors computed by hand (offsets in the comments are
//! body offsets, i.e. after the 4-byte encapsulation header), and typed structs checked
//! against their own ros2msg definitions through the generic decoder.

use kestrel_log::cdr::{CdrReader, CdrWriter};
use kestrel_log::dynamic_decode::{Value, decode};
use kestrel_log::msg_schema::Schema;
use kestrel_log::ros2_msg::autoware_perception_msgs::*;
use kestrel_log::ros2_msg::geometry_msgs::*;
use kestrel_log::ros2_msg::sensor_msgs::{CameraInfo, PointField, RegionOfInterest};
use kestrel_log::ros2_msg::std_msgs::{Header, Time, Uuid};
use kestrel_log::ros2_msg::{CdrCodec, RosMessage};

/// Little-endian byte builder with explicit padding (no alignment logic of its own).
#[derive(Default)]
struct Bytes(Vec<u8>);
impl Bytes {
    fn hdr(mut self) -> Self {
        self.0.extend([0, 1, 0, 0]);
        self
    }
    fn raw(mut self, b: &[u8]) -> Self {
        self.0.extend_from_slice(b);
        self
    }
    fn pad(self, n: usize) -> Self {
        self.raw(&vec![0; n])
    }
    fn u32(self, v: u32) -> Self {
        self.raw(&v.to_le_bytes())
    }
    fn f32(self, v: f32) -> Self {
        self.raw(&v.to_le_bytes())
    }
    fn f64s(mut self, v: &[f64]) -> Self {
        for x in v {
            self.0.extend_from_slice(&x.to_le_bytes());
        }
        self
    }
}

#[test]
fn header_bytes() {
    let h = Header {
        stamp: Time { sec: 1, nanosec: 2 },
        frame_id: "ab".into(),
    };
    let expected = [
        0, 1, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, b'a', b'b', 0,
    ];
    assert_eq!(h.to_cdr().unwrap(), expected);
    assert_eq!(Header::from_cdr(&expected).unwrap(), h);
}

#[test]
fn point_field_array_bytes() {
    let fields = vec![
        PointField {
            name: "x".into(),
            offset: 0,
            datatype: 7,
            count: 1,
        },
        PointField {
            name: "intensity".into(),
            offset: 12,
            datatype: 7,
            count: 1,
        },
    ];
    let mut w = CdrWriter::new();
    fields.encode(&mut w).unwrap();
    let got = w.finish();
    let expected = Bytes::default()
        .hdr()
        .u32(2) // 0..4 count
        .u32(2) // 4..8 name length "x\0"
        .raw(b"x\0") // 8..10
        .pad(2) // 10..12
        .u32(0) // 12..16 offset
        .raw(&[7]) // 16 datatype
        .pad(3) // 17..20
        .u32(1) // 20..24 count
        .u32(10) // 24..28 "intensity\0"
        .raw(b"intensity\0") // 28..38
        .pad(2) // 38..40
        .u32(12) // 40..44
        .raw(&[7]) // 44
        .pad(3) // 45..48
        .u32(1); // 48..52
    assert_eq!(got, expected.0);
    assert_eq!(got.len(), 56);
    let mut r = CdrReader::new(&got).unwrap();
    assert_eq!(Vec::<PointField>::decode(&mut r).unwrap(), fields);
    r.finish().unwrap();
}

fn cov(first: f64) -> [f64; 36] {
    let mut c = [0.0; 36];
    c[0] = first;
    c
}

fn v3(x: f64, y: f64, z: f64) -> Vector3 {
    Vector3 { x, y, z }
}

fn detected_objects() -> DetectedObjects {
    DetectedObjects {
        header: Header {
            stamp: Time {
                sec: 10,
                nanosec: 500,
            },
            frame_id: "base_link".into(),
        },
        objects: vec![DetectedObject {
            existence_probability: 0.5,
            classification: vec![ObjectClassification {
                label: 1,
                probability: 0.75,
            }],
            kinematics: DetectedObjectKinematics {
                pose_with_covariance: PoseWithCovariance {
                    pose: Pose {
                        position: Point {
                            x: 1.0,
                            y: 2.0,
                            z: 3.0,
                        },
                        orientation: Quaternion {
                            x: 0.0,
                            y: 0.0,
                            z: 0.0,
                            w: 1.0,
                        },
                    },
                    covariance: cov(0.25),
                },
                has_position_covariance: true,
                orientation_availability: 2,
                twist_with_covariance: TwistWithCovariance {
                    twist: Twist {
                        linear: v3(4.0, 0.0, 0.0),
                        angular: v3(0.0, 0.0, 0.5),
                    },
                    covariance: cov(0.0),
                },
                has_twist: true,
                has_twist_covariance: false,
            },
            shape: Shape {
                type_: 0,
                footprint: Polygon { points: vec![] },
                dimensions: v3(4.5, 1.8, 1.5),
            },
        }],
    }
}

#[test]
fn detected_objects_bytes() {
    let msg = detected_objects();
    let expected = Bytes::default()
        .hdr()
        .u32(10) // 0 sec
        .u32(500) // 4 nanosec
        .u32(10) // 8 frame_id length
        .raw(b"base_link\0") // 12..22
        .pad(2) // 22..24
        .u32(1) // 24 objects
        .f32(0.5) // 28 existence_probability
        .u32(1) // 32 classification count
        .raw(&[1]) // 36 label
        .pad(3) // 37..40
        .f32(0.75) // 40 probability
        .pad(4) // 44..48: f64 after f32
        .f64s(&[1.0, 2.0, 3.0, 0.0, 0.0, 0.0, 1.0]) // 48..104 pose
        .f64s(&cov(0.25)) // 104..392
        .raw(&[1, 2]) // 392 has_position_covariance, 393 orientation_availability
        .pad(6) // 394..400
        .f64s(&[4.0, 0.0, 0.0, 0.0, 0.0, 0.5]) // 400..448 twist
        .f64s(&cov(0.0)) // 448..736
        .raw(&[1, 0, 0]) // 736 has_twist, 737 has_twist_covariance, 738 shape type
        .pad(1) // 739
        .u32(0) // 740 footprint points
        .f64s(&[4.5, 1.8, 1.5]); // 744..768 dimensions
    let got = msg.to_cdr().unwrap();
    assert_eq!(got.len(), 4 + 768);
    assert_eq!(got, expected.0);
    assert_eq!(DetectedObjects::from_cdr(&got).unwrap(), msg);
    // Any truncation is a typed error, never a panic.
    for cut in 0..got.len() {
        assert!(
            DetectedObjects::from_cdr(&got[..cut]).is_err(),
            "cut at {cut}"
        );
    }
}

/// Encodes a typed message and decodes it with the generic decoder from the type's own schema
/// text: proves struct field order and definition text agree.
fn cross_check<M: RosMessage>(msg: &M) -> Value {
    let bytes = msg.to_cdr().unwrap();
    let schema = Schema::parse(M::type_name(), &M::schema_text()).unwrap();
    decode(&schema, &bytes).unwrap_or_else(|e| panic!("{}: {e}", M::type_name()))
}

#[test]
fn typed_structs_match_their_definitions() {
    let d = cross_check(&detected_objects());
    let Some(Value::Array(objs)) = d.field("objects") else {
        panic!()
    };
    let dims = objs[0].field("shape").unwrap().field("dimensions").unwrap();
    assert_eq!(dims.field("y"), Some(&Value::Float(1.8)));

    let obj = &detected_objects().objects[0];
    let tracked = TrackedObjects {
        header: detected_objects().header,
        objects: vec![TrackedObject {
            object_id: Uuid { uuid: [7; 16] },
            existence_probability: 0.9,
            classification: obj.classification.clone(),
            kinematics: TrackedObjectKinematics {
                pose_with_covariance: obj.kinematics.pose_with_covariance.clone(),
                twist_with_covariance: obj.kinematics.twist_with_covariance.clone(),
                acceleration_with_covariance: AccelWithCovariance {
                    accel: Accel {
                        linear: v3(0.1, 0.0, 0.0),
                        angular: v3(0.0, 0.0, 0.0),
                    },
                    covariance: cov(1.0),
                },
                orientation_availability: 1,
                is_stationary: false,
            },
            shape: Shape {
                type_: 2,
                footprint: Polygon {
                    points: vec![Point32 {
                        x: 1.0,
                        y: 0.5,
                        z: 0.0,
                    }],
                },
                dimensions: v3(0.0, 0.0, 1.5),
            },
        }],
    };
    let t = cross_check(&tracked);
    let Some(Value::Array(objs)) = t.field("objects") else {
        panic!()
    };
    assert_eq!(
        objs[0].field("object_id").unwrap().field("uuid"),
        Some(&Value::Bytes(vec![7; 16]))
    );
    assert_eq!(
        TrackedObjects::from_cdr(&tracked.to_cdr().unwrap()).unwrap(),
        tracked
    );

    let info = CameraInfo {
        header: Header {
            stamp: Time { sec: 3, nanosec: 4 },
            frame_id: "cam".into(),
        },
        height: 375,
        width: 1242,
        distortion_model: "plumb_bob".into(),
        d: vec![0.1, 0.0, 0.0, 0.0, 0.0],
        k: [721.5, 0.0, 609.5, 0.0, 721.5, 172.8, 0.0, 0.0, 1.0],
        r: [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0],
        p: [
            721.5, 0.0, 609.5, 0.0, 0.0, 721.5, 172.8, 0.0, 0.0, 0.0, 1.0, 0.0,
        ],
        binning_x: 0,
        binning_y: 0,
        roi: RegionOfInterest {
            x_offset: 0,
            y_offset: 0,
            height: 0,
            width: 0,
            do_rectify: true,
        },
    };
    let c = cross_check(&info);
    assert_eq!(
        c.field("roi").unwrap().field("do_rectify"),
        Some(&Value::Bool(true))
    );
    assert_eq!(CameraInfo::from_cdr(&info.to_cdr().unwrap()).unwrap(), info);
}
