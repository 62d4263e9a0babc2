//! `geometry_msgs` types used by the autoware object messages. Units: metres, m/s, m/s^2,
//! radians; the frame is the enclosing message's `header.frame_id`.

use super::codec::ros_struct;
use super::definitions as d;

ros_struct! {
    /// `geometry_msgs/msg/Point`, metres.
    pub struct Point => d::POINT {
        /// x, m.
        pub x: f64,
        /// y, m.
        pub y: f64,
        /// z, m.
        pub z: f64,
    }
}

ros_struct! {
    /// `geometry_msgs/msg/Point32`, metres (single precision).
    pub struct Point32 => d::POINT32 {
        /// x, m.
        pub x: f32,
        /// y, m.
        pub y: f32,
        /// z, m.
        pub z: f32,
    }
}

ros_struct! {
    /// `geometry_msgs/msg/Vector3` (unit given by the field that holds it).
    pub struct Vector3 => d::VECTOR3 {
        /// x component.
        pub x: f64,
        /// y component.
        pub y: f64,
        /// z component.
        pub z: f64,
    }
}

ros_struct! {
    /// `geometry_msgs/msg/Quaternion` (x, y, z, w; identity = w 1).
    pub struct Quaternion => d::QUATERNION {
        /// x.
        pub x: f64,
        /// y.
        pub y: f64,
        /// z.
        pub z: f64,
        /// w.
        pub w: f64,
    }
}

ros_struct! {
    /// `geometry_msgs/msg/Pose`.
    pub struct Pose => d::POSE {
        /// Position, m.
        pub position: Point,
        /// Orientation.
        pub orientation: Quaternion,
    }
}

ros_struct! {
    /// `geometry_msgs/msg/PoseWithCovariance`: covariance row-major over (x, y, z, roll,
    /// pitch, yaw).
    pub struct PoseWithCovariance => d::POSE_WITH_COVARIANCE {
        /// The pose.
        pub pose: Pose,
        /// 6x6 covariance, row-major.
        pub covariance: [f64; 36],
    }
}

ros_struct! {
    /// `geometry_msgs/msg/Twist`: linear m/s and angular rad/s.
    pub struct Twist => d::TWIST {
        /// Linear velocity, m/s.
        pub linear: Vector3,
        /// Angular velocity, rad/s.
        pub angular: Vector3,
    }
}

ros_struct! {
    /// `geometry_msgs/msg/TwistWithCovariance`.
    pub struct TwistWithCovariance => d::TWIST_WITH_COVARIANCE {
        /// The twist.
        pub twist: Twist,
        /// 6x6 covariance, row-major.
        pub covariance: [f64; 36],
    }
}

ros_struct! {
    /// `geometry_msgs/msg/Accel`: linear m/s^2 and angular rad/s^2.
    pub struct Accel => d::ACCEL {
        /// Linear acceleration, m/s^2.
        pub linear: Vector3,
        /// Angular acceleration, rad/s^2.
        pub angular: Vector3,
    }
}

ros_struct! {
    /// `geometry_msgs/msg/AccelWithCovariance`.
    pub struct AccelWithCovariance => d::ACCEL_WITH_COVARIANCE {
        /// The acceleration.
        pub accel: Accel,
        /// 6x6 covariance, row-major.
        pub covariance: [f64; 36],
    }
}

ros_struct! {
    /// `geometry_msgs/msg/Polygon`: a closed polygon, metres.
    pub struct Polygon => d::POLYGON {
        /// Vertices.
        pub points: Vec<Point32>,
    }
}
