//! # kestrel-perception
//!
//! The Kestrel runtime: sensor sources feed bounded queues ([`bounded_queue`]) into the
//! processing stage ([`stage`]); the runtime owns time (an injected [`clock::Clock`]), measures
//! stage latencies against `benches/budgets.toml` ([`budgets`], [`deadline_monitor`]),
//! publishes health ([`health`]) and sends fused objects to planning nodes over zenoh as
//! ROS 2 `autoware_perception_msgs` messages ([`object_messages`], [`rmw_zenoh`],
//! [`zenoh_output`]). Two modes: real time ([`realtime`], sources on their own threads) and
//! deterministic replay ([`replay`], timestamp order on one thread, bit-identical outputs and
//! an output digest). [`planner_client`] is the consuming side for planning nodes.
//! [`sim_stack`] runs the same production pipeline in `kestrel-sim`'s closed loop.
//! [`evaluation`] scores outputs against human labels (`kestrel eval`). [`monitors`] watch the
//! camera model in the field: input drift ([`drift_monitor`]) and agreement with its teacher
//! ([`shadow_teacher`]), reported in health and diagnostics. The runtime admits messages by
//! their stamps ([`input_order`]: duplicates, reordering, clock jumps) and flags frozen sensors
//! ([`content_fingerprint`]); [`fault_injection`] breaks inputs on purpose (`--faults` on
//! replay and play) and [`fault_matrix`] checks the declared behaviour for every fault.

pub mod access_control;
pub mod anonymiser;
pub mod bounded_queue;
pub mod budgets;
pub mod clock;
pub mod config;
pub mod content_fingerprint;
pub mod deadline_monitor;
pub mod diagnostics;
pub mod drift_monitor;
pub mod error;
pub mod evaluation;
pub mod fault_injection;
pub mod fault_matrix;
pub mod fusion_pipeline;
pub mod head_coverage;
pub mod health;
pub mod input_order;
pub mod json_lines_sink;
pub mod live_input;
pub mod log_player;
pub mod mcap_recorder;
pub mod mining_recorder;
pub mod monitor_mode;
pub mod monitors;
pub mod object_messages;
pub mod odometry_history;
pub mod ouster_input;
pub mod output;
pub mod output_comparison;
pub mod pipeline_config;
pub mod planner_client;
pub mod realtime;
pub mod replay;
pub mod rmw_zenoh;
pub mod ros_input;
pub mod ros_qos;
pub mod runtime;
pub mod saliency_picture;
pub mod sensor_source;
pub mod shadow_teacher;
pub mod shape_training;
pub mod sim_stack;
pub mod stage;
pub mod stage_factory;
pub mod text_summary;
pub mod world_frame;
pub mod zenoh_output;
pub mod zenoh_session;

pub use error::PerceptionError;
