//! `autoware_perception_msgs` object lists: the stack's output on the wire. Plain wire types;
//! the mapping from Kestrel's fused objects lives with the runtime.

use super::codec::ros_struct;
use super::definitions as d;
use super::geometry_msgs::{
    AccelWithCovariance, Polygon, PoseWithCovariance, TwistWithCovariance, Vector3,
};
use super::std_msgs::{Header, Uuid};

ros_struct! {
    /// `autoware_perception_msgs/msg/ObjectClassification`: `label` is
    /// `kestrel_sensors::ObjectClass` as `u8` (UNKNOWN 0 ... PEDESTRIAN 7, ANIMAL 8, HAZARD 9,
    /// OVER_DRIVABLE 10, UNDER_DRIVABLE 11).
    pub struct ObjectClassification => d::OBJECT_CLASSIFICATION {
        /// Class label.
        pub label: u8,
        /// Probability of the label, 0..1.
        pub probability: f32,
    }
}

ros_struct! {
    /// `autoware_perception_msgs/msg/Shape`: `type_` 0 bounding box (dimensions x = length,
    /// y = width, z = height, m), 1 cylinder, 2 polygon (footprint + dimensions.z).
    pub struct Shape => d::SHAPE {
        /// Shape type (wire name `type`).
        pub type_: u8,
        /// Footprint polygon, m, object frame.
        pub footprint: Polygon,
        /// Dimensions, m.
        pub dimensions: Vector3,
    }
}

ros_struct! {
    /// `autoware_perception_msgs/msg/DetectedObjectKinematics`. `orientation_availability`:
    /// 0 unavailable, 1 sign unknown, 2 available.
    pub struct DetectedObjectKinematics => d::DETECTED_OBJECT_KINEMATICS {
        /// Pose (box centre) in the header frame.
        pub pose_with_covariance: PoseWithCovariance,
        /// Whether the pose covariance is filled.
        pub has_position_covariance: bool,
        /// Orientation availability code.
        pub orientation_availability: u8,
        /// Velocity in the object frame.
        pub twist_with_covariance: TwistWithCovariance,
        /// Whether the twist is filled.
        pub has_twist: bool,
        /// Whether the twist covariance is filled.
        pub has_twist_covariance: bool,
    }
}

ros_struct! {
    /// `autoware_perception_msgs/msg/DetectedObject`: one single-frame detection.
    pub struct DetectedObject => d::DETECTED_OBJECT {
        /// Existence probability, 0..1.
        pub existence_probability: f32,
        /// Class hypotheses.
        pub classification: Vec<ObjectClassification>,
        /// Kinematics.
        pub kinematics: DetectedObjectKinematics,
        /// Shape.
        pub shape: Shape,
    }
}

ros_struct! {
    /// `autoware_perception_msgs/msg/DetectedObjects`: all detections of one cycle.
    pub struct DetectedObjects => d::DETECTED_OBJECTS {
        /// Time and frame of the detections.
        pub header: Header,
        /// The detections.
        pub objects: Vec<DetectedObject>,
    }
}

ros_struct! {
    /// `autoware_perception_msgs/msg/TrackedObjectKinematics`.
    pub struct TrackedObjectKinematics => d::TRACKED_OBJECT_KINEMATICS {
        /// Pose (box centre) in the header frame.
        pub pose_with_covariance: PoseWithCovariance,
        /// Velocity in the object frame.
        pub twist_with_covariance: TwistWithCovariance,
        /// Acceleration in the object frame.
        pub acceleration_with_covariance: AccelWithCovariance,
        /// Orientation availability code (0 unavailable, 1 sign unknown, 2 available).
        pub orientation_availability: u8,
        /// Whether the object is judged stationary.
        pub is_stationary: bool,
    }
}

ros_struct! {
    /// `autoware_perception_msgs/msg/TrackedObject`: one track.
    pub struct TrackedObject => d::TRACKED_OBJECT {
        /// Track identity, stable over the track's life.
        pub object_id: Uuid,
        /// Existence probability, 0..1.
        pub existence_probability: f32,
        /// Class hypotheses.
        pub classification: Vec<ObjectClassification>,
        /// Kinematics.
        pub kinematics: TrackedObjectKinematics,
        /// Shape.
        pub shape: Shape,
    }
}

ros_struct! {
    /// `autoware_perception_msgs/msg/TrackedObjects`: all tracks at one time.
    pub struct TrackedObjects => d::TRACKED_OBJECTS {
        /// Time and frame of the tracks.
        pub header: Header,
        /// The tracks.
        pub objects: Vec<TrackedObject>,
    }
}
