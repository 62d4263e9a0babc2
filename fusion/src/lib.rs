//! # kestrel-fusion
//!
//! The fusion stage: per-sensor detection (camera, LiDAR, radar), association and tracking,
//! from synchronised `kestrel_sensors` messages to a tracked object list in the vehicle frame.
//! Every stage is a plain function or struct, testable without threads or middleware.

pub mod association;
pub mod branch_jobs;
pub mod camera;
pub mod class_table;
pub mod detected_object;
pub mod ego_plausibility;
pub mod ego_velocity;
pub mod error;
pub mod frame_set;
pub mod fusion_stage;
pub mod lidar;
pub mod radar;
pub mod time_alignment;
pub mod tracked_fusion;
pub mod tracking;

pub use detected_object::{DetectedObject, SensorSources};
pub use error::FusionError;
pub use frame_set::SensorFrameSet;
pub use fusion_stage::{DegradedFlags, FusedFrame, FusionConfig, FusionStage};
pub use time_alignment::{TimeAligner, TimeAlignmentConfig};
pub use tracked_fusion::{TrackedFrame, TrackedFusion};
