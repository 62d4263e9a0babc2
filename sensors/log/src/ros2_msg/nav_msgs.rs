//! `nav_msgs`: vehicle odometry on the wire.

use super::codec::ros_struct;
use super::definitions as d;
use super::geometry_msgs::{PoseWithCovariance, TwistWithCovariance};
use super::std_msgs::Header;

ros_struct! {
    /// `nav_msgs/msg/Odometry`: the pose of `child_frame_id` in `header.frame_id`, and its
    /// twist expressed in `child_frame_id`.
    pub struct Odometry => d::ODOMETRY {
        /// Time of the sample; `frame_id` is the fixed frame of the pose (`odom`, `map`, ...).
        pub header: Header,
        /// The moving frame (the vehicle frame, `base_link`).
        pub child_frame_id: String,
        /// Pose of the child frame in the header frame.
        pub pose: PoseWithCovariance,
        /// Velocity of the child frame, in its own axes.
        pub twist: TwistWithCovariance,
    }
}
