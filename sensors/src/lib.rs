//! # kestrel-sensors
//!
//! The vocabulary of the Kestrel stack — timestamps, camera frames, point clouds, radar scans,
//! camera models, ego odometry and the rig description — and the adapters that turn recorded or live sensor
//! bytes into those types.
//!
//! Conventions (see `ARCHITECTURE.md`):
//! - time: [`Timestamp`], nanoseconds on the sensor clock;
//! - vehicle frame: x forward, y left, z up, metres, origin at the rear-axle centre on the
//!   ground (REP-103 / ISO 8855); sensor frames likewise, except camera optical frames
//!   (x right, y down, z forward);
//! - extrinsics: `Isometry3<f64>` from sensor frame to vehicle frame, in the [`Rig`].
//!
//! Every adapter returns typed messages or a [`SensorError`]; none panics on bad bytes.

pub mod camera_frame;
pub mod camera_shift;
pub mod error;
pub mod ground_truth;
pub mod image_file;
pub mod image_labels;
pub mod input_statistics;
pub mod intrinsics;
pub mod kitti;
pub mod lidar_bin;
pub mod lzf;
pub mod message;
pub mod nuscenes;
pub mod object_class;
pub mod odometry;
pub mod oriented_box;
pub mod ouster;
pub mod pandaset;
pub mod pcd;
pub mod point_cloud;
pub mod pose_matrix;
pub mod pose_trajectory;
pub mod projection;
pub mod radar_scan;
pub mod rig;
pub mod time;

pub use camera_frame::{CameraFrame, PixelEncoding};
pub use error::SensorError;
pub use ground_truth::{GroundTruthObject, LabelledFrame};
pub use intrinsics::{CameraIntrinsics, Distortion};
pub use message::SensorMessage;
pub use object_class::ObjectClass;
pub use odometry::Odometry;
pub use oriented_box::OrientedBox3;
pub use point_cloud::PointCloud;
pub use radar_scan::{RadarDetection, RadarScan, RadarValidity};
pub use rig::{Rig, SensorKind, SensorSpec};
pub use time::Timestamp;
