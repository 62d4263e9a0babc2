//! ros2msg definitions of the message types Kestrel reads and writes, with their dependencies,
//! and the rosbag2 schema text built from them.
//!
//! Field lists follow the upstream packages: `std_msgs`, `builtin_interfaces`, `sensor_msgs`,
//! `geometry_msgs`, `nav_msgs`, `diagnostic_msgs`, `unique_identifier_msgs` (ros2/common_interfaces, ros2/rcl_interfaces,
//! ros2/unique_identifier_msgs) and `autoware_perception_msgs` (autowarefoundation/autoware_msgs,
//! 2025). Comments are dropped; constants are kept.

/// One message definition and the message types its fields use.
#[derive(Debug)]
pub struct MsgDef {
    /// Full type name, `package/msg/Type`.
    pub name: &'static str,
    /// The `.msg` text.
    pub text: &'static str,
    /// Message types referenced by fields, in field order.
    pub deps: &'static [&'static MsgDef],
}

impl MsgDef {
    /// The name rosbag2 uses in `MSG:` separator lines: `package/Type`.
    pub fn short_name(&self) -> String {
        self.name.replacen("/msg/", "/", 1)
    }
}

/// The separator rosbag2 puts between appended definitions.
pub const SEPARATOR: &str =
    "================================================================================";

/// The full schema text of `def` as rosbag2 writes it: the definition, then each dependency
/// (breadth-first, each once) as `SEPARATOR\nMSG: package/Type\n<definition>`.
pub fn full_definition(def: &MsgDef) -> String {
    let mut out = def.text.to_owned();
    let mut seen: Vec<&str> = vec![def.name];
    let mut queue: std::collections::VecDeque<&MsgDef> = def.deps.iter().copied().collect();
    while let Some(d) = queue.pop_front() {
        if seen.contains(&d.name) {
            continue;
        }
        seen.push(d.name);
        out.push_str(&format!("{SEPARATOR}\nMSG: {}\n{}", d.short_name(), d.text));
        queue.extend(d.deps.iter().copied());
    }
    out
}

macro_rules! def {
    ($id:ident, $name:literal, [$($dep:ident),*], $text:literal) => {
        #[doc = concat!("Definition of `", $name, "`.")]
        pub static $id: MsgDef = MsgDef { name: $name, text: $text, deps: &[$(&$dep),*] };
    };
}

def!(
    TIME,
    "builtin_interfaces/msg/Time",
    [],
    "int32 sec\nuint32 nanosec\n"
);
def!(
    HEADER,
    "std_msgs/msg/Header",
    [TIME],
    "builtin_interfaces/Time stamp\nstring frame_id\n"
);
def!(
    IMAGE,
    "sensor_msgs/msg/Image",
    [HEADER],
    "std_msgs/Header header\nuint32 height\nuint32 width\nstring encoding\nuint8 is_bigendian\nuint32 step\nuint8[] data\n"
);
def!(
    COMPRESSED_IMAGE,
    "sensor_msgs/msg/CompressedImage",
    [HEADER],
    "std_msgs/Header header\nstring format\nuint8[] data\n"
);
def!(
    POINT_FIELD,
    "sensor_msgs/msg/PointField",
    [],
    "uint8 INT8=1\nuint8 UINT8=2\nuint8 INT16=3\nuint8 UINT16=4\nuint8 INT32=5\nuint8 UINT32=6\nuint8 FLOAT32=7\nuint8 FLOAT64=8\n\nstring name\nuint32 offset\nuint8 datatype\nuint32 count\n"
);
def!(
    POINT_CLOUD2,
    "sensor_msgs/msg/PointCloud2",
    [HEADER, POINT_FIELD],
    "std_msgs/Header header\nuint32 height\nuint32 width\nPointField[] fields\nbool is_bigendian\nuint32 point_step\nuint32 row_step\nuint8[] data\nbool is_dense\n"
);
def!(
    REGION_OF_INTEREST,
    "sensor_msgs/msg/RegionOfInterest",
    [],
    "uint32 x_offset\nuint32 y_offset\nuint32 height\nuint32 width\nbool do_rectify\n"
);
def!(
    CAMERA_INFO,
    "sensor_msgs/msg/CameraInfo",
    [HEADER, REGION_OF_INTEREST],
    "std_msgs/Header header\nuint32 height\nuint32 width\nstring distortion_model\nfloat64[] d\nfloat64[9] k\nfloat64[9] r\nfloat64[12] p\nuint32 binning_x\nuint32 binning_y\nRegionOfInterest roi\n"
);
def!(
    POINT,
    "geometry_msgs/msg/Point",
    [],
    "float64 x\nfloat64 y\nfloat64 z\n"
);
def!(
    POINT32,
    "geometry_msgs/msg/Point32",
    [],
    "float32 x\nfloat32 y\nfloat32 z\n"
);
def!(
    VECTOR3,
    "geometry_msgs/msg/Vector3",
    [],
    "float64 x\nfloat64 y\nfloat64 z\n"
);
def!(
    QUATERNION,
    "geometry_msgs/msg/Quaternion",
    [],
    "float64 x 0\nfloat64 y 0\nfloat64 z 0\nfloat64 w 1\n"
);
def!(
    POSE,
    "geometry_msgs/msg/Pose",
    [POINT, QUATERNION],
    "Point position\nQuaternion orientation\n"
);
def!(
    POSE_WITH_COVARIANCE,
    "geometry_msgs/msg/PoseWithCovariance",
    [POSE],
    "Pose pose\nfloat64[36] covariance\n"
);
def!(
    TWIST,
    "geometry_msgs/msg/Twist",
    [VECTOR3],
    "Vector3 linear\nVector3 angular\n"
);
def!(
    TWIST_WITH_COVARIANCE,
    "geometry_msgs/msg/TwistWithCovariance",
    [TWIST],
    "Twist twist\nfloat64[36] covariance\n"
);
def!(
    ODOMETRY,
    "nav_msgs/msg/Odometry",
    [HEADER, POSE_WITH_COVARIANCE, TWIST_WITH_COVARIANCE],
    "std_msgs/Header header\nstring child_frame_id\ngeometry_msgs/PoseWithCovariance pose\ngeometry_msgs/TwistWithCovariance twist\n"
);
def!(
    ACCEL,
    "geometry_msgs/msg/Accel",
    [VECTOR3],
    "Vector3 linear\nVector3 angular\n"
);
def!(
    ACCEL_WITH_COVARIANCE,
    "geometry_msgs/msg/AccelWithCovariance",
    [ACCEL],
    "Accel accel\nfloat64[36] covariance\n"
);
def!(
    POLYGON,
    "geometry_msgs/msg/Polygon",
    [POINT32],
    "Point32[] points\n"
);
def!(
    UUID,
    "unique_identifier_msgs/msg/UUID",
    [],
    "uint8[16] uuid\n"
);
def!(
    OBJECT_CLASSIFICATION,
    "autoware_perception_msgs/msg/ObjectClassification",
    [],
    "uint8 UNKNOWN=0\nuint8 CAR=1\nuint8 TRUCK=2\nuint8 BUS=3\nuint8 TRAILER=4\nuint8 MOTORCYCLE=5\nuint8 BICYCLE=6\nuint8 PEDESTRIAN=7\nuint8 ANIMAL=8\nuint8 HAZARD=9\nuint8 OVER_DRIVABLE=10\nuint8 UNDER_DRIVABLE=11\n\nuint8 label\nfloat32 probability\n"
);
def!(
    SHAPE,
    "autoware_perception_msgs/msg/Shape",
    [POLYGON, VECTOR3],
    "uint8 BOUNDING_BOX=0\nuint8 CYLINDER=1\nuint8 POLYGON=2\n\nuint8 type\ngeometry_msgs/Polygon footprint\ngeometry_msgs/Vector3 dimensions\n"
);
def!(
    DETECTED_OBJECT_KINEMATICS,
    "autoware_perception_msgs/msg/DetectedObjectKinematics",
    [POSE_WITH_COVARIANCE, TWIST_WITH_COVARIANCE],
    "uint8 UNAVAILABLE=0\nuint8 SIGN_UNKNOWN=1\nuint8 AVAILABLE=2\n\ngeometry_msgs/PoseWithCovariance pose_with_covariance\n\nbool has_position_covariance\nuint8 orientation_availability\n\ngeometry_msgs/TwistWithCovariance twist_with_covariance\n\nbool has_twist\nbool has_twist_covariance\n"
);
def!(
    DETECTED_OBJECT,
    "autoware_perception_msgs/msg/DetectedObject",
    [OBJECT_CLASSIFICATION, DETECTED_OBJECT_KINEMATICS, SHAPE],
    "float32 existence_probability\nObjectClassification[] classification\nDetectedObjectKinematics kinematics\nShape shape\n"
);
def!(
    DETECTED_OBJECTS,
    "autoware_perception_msgs/msg/DetectedObjects",
    [HEADER, DETECTED_OBJECT],
    "std_msgs/Header header\nDetectedObject[] objects\n"
);
def!(
    TRACKED_OBJECT_KINEMATICS,
    "autoware_perception_msgs/msg/TrackedObjectKinematics",
    [
        POSE_WITH_COVARIANCE,
        TWIST_WITH_COVARIANCE,
        ACCEL_WITH_COVARIANCE
    ],
    "uint8 UNAVAILABLE=0\nuint8 SIGN_UNKNOWN=1\nuint8 AVAILABLE=2\n\ngeometry_msgs/PoseWithCovariance pose_with_covariance\ngeometry_msgs/TwistWithCovariance twist_with_covariance\ngeometry_msgs/AccelWithCovariance acceleration_with_covariance\n\nuint8 orientation_availability\nbool is_stationary\n"
);
def!(
    TRACKED_OBJECT,
    "autoware_perception_msgs/msg/TrackedObject",
    [
        UUID,
        OBJECT_CLASSIFICATION,
        TRACKED_OBJECT_KINEMATICS,
        SHAPE
    ],
    "unique_identifier_msgs/UUID object_id\nfloat32 existence_probability\nObjectClassification[] classification\nTrackedObjectKinematics kinematics\nShape shape\n"
);
def!(
    TRACKED_OBJECTS,
    "autoware_perception_msgs/msg/TrackedObjects",
    [HEADER, TRACKED_OBJECT],
    "std_msgs/Header header\nTrackedObject[] objects\n"
);

/// Every definition in this module, dependencies before dependents.
pub static ALL: &[&MsgDef] = &[
    &TIME,
    &HEADER,
    &IMAGE,
    &COMPRESSED_IMAGE,
    &POINT_FIELD,
    &POINT_CLOUD2,
    &REGION_OF_INTEREST,
    &CAMERA_INFO,
    &POINT,
    &POINT32,
    &VECTOR3,
    &QUATERNION,
    &POSE,
    &POSE_WITH_COVARIANCE,
    &TWIST,
    &TWIST_WITH_COVARIANCE,
    &ODOMETRY,
    &ACCEL,
    &ACCEL_WITH_COVARIANCE,
    &POLYGON,
    &UUID,
    &OBJECT_CLASSIFICATION,
    &SHAPE,
    &DETECTED_OBJECT_KINEMATICS,
    &DETECTED_OBJECT,
    &DETECTED_OBJECTS,
    &TRACKED_OBJECT_KINEMATICS,
    &TRACKED_OBJECT,
    &TRACKED_OBJECTS,
];

def!(
    KEY_VALUE,
    "diagnostic_msgs/msg/KeyValue",
    [],
    "string key\nstring value\n"
);
def!(
    DIAGNOSTIC_STATUS,
    "diagnostic_msgs/msg/DiagnosticStatus",
    [KEY_VALUE],
    "byte OK=0\nbyte WARN=1\nbyte ERROR=2\nbyte STALE=3\n\nbyte level\nstring name\nstring message\nstring hardware_id\nKeyValue[] values\n"
);
def!(
    DIAGNOSTIC_ARRAY,
    "diagnostic_msgs/msg/DiagnosticArray",
    [HEADER, DIAGNOSTIC_STATUS],
    "std_msgs/Header header\nDiagnosticStatus[] status\n"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_schema_has_rosbag2_layout() {
        assert_eq!(
            full_definition(&HEADER),
            format!(
                "builtin_interfaces/Time stamp\nstring frame_id\n{SEPARATOR}\nMSG: builtin_interfaces/Time\nint32 sec\nuint32 nanosec\n"
            )
        );
        // Each dependency appears once even when reached twice.
        let s = full_definition(&TRACKED_OBJECTS);
        assert_eq!(s.matches("MSG: geometry_msgs/Vector3\n").count(), 1);
        assert_eq!(s.matches(SEPARATOR).count(), 18);
    }
}
