//! Typed ROS 2 wire messages (CDR) and their ros2msg definitions.

mod codec;
pub mod definitions;

pub mod autoware_perception_msgs;
pub mod diagnostic_msgs;
pub mod geometry_msgs;
pub mod nav_msgs;
pub mod sensor_msgs;
pub mod std_msgs;

pub use codec::{CdrCodec, RosMessage};
pub use definitions::{MsgDef, full_definition};
