//! # kestrel-log
//!
//! Recorded sensor logs in MCAP, laid out the way rosbag2 writes them (profile `ros2`, schema
//! encoding `ros2msg`, message encoding `cdr`), so that Kestrel logs open in Foxglove and in
//! ROS 2 tooling, and rosbag2 logs replay through Kestrel.
//!
//! Layers, bottom up:
//! - [`cdr`]: CDR primitives with the 4-byte encapsulation header and body-relative alignment;
//! - [`ros2_msg`]: typed wire structs (std/sensor/geometry/autoware_perception msgs) and their
//!   ros2msg definitions;
//! - [`msg_schema`] + [`dynamic_decode`]: decode any CDR message from its schema text;
//! - [`point_cloud2`], [`camera_image`], [`camera_info`], [`odometry_msg`],
//!   [`ground_truth_msg`]: wire messages <-> `kestrel_sensors` types;
//! - [`mcap_reader`], [`sensor_reader`], [`mcap_writer`]: the MCAP container, read in
//!   log-time order (through the summary's chunk indexes, or a bounded reorder window);
//! - [`header_stamp`]: a CDR message's `header.stamp`, read and shifted in place;
//! - [`sensor_cdr`]: one sensor message <-> the CDR bytes of its wire message;
//! - [`convert`]: KITTI / nuScenes / Ouster / PandaSet folders -> MCAP logs;
//! - [`mcap_info`]: what a log holds (per topic: type, count, times, rate), from its indexes;
//! - [`type_hash`]: RIHS01 type hashes.
//!
//! Times are `Timestamp` nanoseconds; point coordinates stay in the sensor frame they were
//! recorded in (the frame is the message's `header.frame_id` = sensor name).

pub mod camera_image;
pub mod camera_info;
pub mod cdr;
pub mod convert;
pub mod dynamic_decode;
pub mod error;
pub mod ground_truth_msg;
pub mod header_stamp;
mod log_time_queue;
pub mod mcap_info;
pub mod mcap_reader;
pub mod mcap_writer;
pub mod msg_schema;
pub mod odometry_msg;
pub mod point_cloud2;
pub mod ros2_msg;
pub mod sensor_cdr;
pub mod sensor_reader;
pub mod type_hash;

pub use error::{CdrError, LogError, SchemaError};
pub use mcap_reader::{ChannelInfo, RawLogReader, RawMessage, ReadMode, ReorderWindow};
pub use mcap_writer::{LogWriter, WriteSummary};
pub use sensor_reader::{ReadStats, SensorLogEntry, SensorLogReader};
