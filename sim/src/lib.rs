//! # kestrel-sim
//!
//! A small deterministic driving simulator for closed-loop tests of the Kestrel stack:
//! TOML scenarios (road, ego, scripted and IDM actors, weather, sensor switches, criteria),
//! kinematic world with fixed steps, sensor models that emit the same
//! [`kestrel_sensors::SensorMessage`]s as real adapters (ray-cast LiDAR, Doppler radar,
//! rendered pinhole camera, through the rig in [`sim_rig`]), ground truth, perception metrics,
//! a reference ACC + AEB planner, and the closed-loop runner that takes the perception stack as
//! a callback.
//!
//! Frames: world (x, y on flat ground, z up, metres); vehicle frame of the ego (x forward,
//! y left, z up, origin at the rear-axle centre on the ground); sensor frames as in the rig.
//! Time: [`kestrel_sensors::Timestamp`] nanoseconds from the start of the run.
//! Determinism: every random draw comes from [`rng::SimRng`] streams seeded by the scenario.
//!
//! ```no_run
//! use kestrel_sim::{closed_loop, scenario_library};
//! let scenario = scenario_library::load("lead_brake").unwrap();
//! let report = closed_loop::run_scenario(&scenario, &mut |_messages| Vec::new()).unwrap();
//! println!("{}", report.summary());
//! ```

#![warn(missing_docs)]

pub mod actor_motion;
pub mod bev_figure;
pub mod bev_plot;
pub mod camera_model;
pub mod clear_mot;
pub mod closed_loop;
pub mod collision;
pub mod ego_dynamics;
pub mod error;
pub mod ground_truth;
pub mod lidar_model;
pub mod message_digest;
pub mod metrics;
pub mod observed_object;
pub mod odometry;
pub mod planner;
pub mod radar_model;
pub mod rng;
pub mod road;
pub mod scenario;
pub mod scenario_library;
pub mod sim_rig;
pub mod world;

pub use closed_loop::{
    ScenarioReport, run_scenario, run_scenario_with_odometry, run_scenario_with_truth,
};
pub use error::SimError;
pub use observed_object::ObservedObject;
pub use scenario::Scenario;
pub use world::World;
