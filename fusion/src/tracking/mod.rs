//! Multi-object tracking in the vehicle frame.
//!
//! Per frame ([`Tracker::step`]): every track is predicted to the frame time with its motion
//! model ([`MotionModel::ConstantVelocity`] for pedestrians and unknown objects,
//! [`MotionModel::Ctrv`] for vehicles and two-wheelers; EKF with analytic Jacobians; each run
//! in a steady and a manoeuvre mode, mixed by an IMM: [`manoeuvre_imm`]), then
//! moved into the current vehicle frame by the ego motion ([`EgoMotion`]); detections
//! ([`crate::DetectedObject`]) are associated to tracks by the Hungarian algorithm
//! ([`solve_assignment_below`]) on chi-square-gated negative log-likelihood costs
//! (`S = H P H' + R`), confirmed tracks first, then tentative ones, a pair being made only
//! when it beats "track missed + detection is clutter"; assigned tracks are updated (position, measured velocity, box heading),
//! the lifecycle ([`TrackStatus`]) and existence probability advance, unassigned detections
//! start tentative tracks, and dead tracks are deleted. The output is a list of
//! [`TrackedObject`]s with stable ids.
//!
//! Frames: everything is in the **current vehicle frame** (x forward, y left, z up, metres;
//! yaw counter-clockwise, radians); velocities are over ground, in the vehicle frame's axes.

pub mod class_vote;
pub mod ego_motion;
pub mod ekf;
pub mod error;
pub mod hungarian;
pub mod kinematic_state;
pub mod lifecycle;
pub mod manoeuvre_imm;
pub mod motion_model;
pub mod track;
pub mod tracker;

pub use ego_motion::EgoMotion;
pub use error::TrackingError;
pub use hungarian::{Assignment, CostMatrix, solve_assignment, solve_assignment_below};
pub use lifecycle::{LifecycleConfig, TrackStatus};
pub use manoeuvre_imm::ManoeuvreConfig;
pub use motion_model::{MotionModel, MotionParams};
pub use track::TrackedObject;
pub use tracker::{FrameOutput, Tracker, TrackerConfig, TrackerStats};
