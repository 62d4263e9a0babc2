//! # kestrel-distill
//!
//! The training toolchain of Kestrel's camera students (never compiled for the vehicle):
//! pseudo-labels from a test-time-augmented teacher ([`ensemble_teacher`], cached on disk by
//! [`label_cache`]) turned into dense targets on augmented views ([`pseudo_label_targets`]),
//! distillation with burn
//! ([`trainer`], [`distill_loss`]), structured pruning ([`pruning`]), ONNX export
//! ([`onnx_export`]) with a parity check ([`parity`]), agreement evaluation (`kestrel_models::agreement`),
//! cost measurement ([`model_cost`]), the choice of tract's convolution lowering by
//! measurement ([`conv_lowering`]) and the one-command recipe ([`recipe`]). ONNX graphs are
//! written by [`onnx_graph`] alone; [`block_graphs`] and [`student_candidates`] hold the
//! candidate building blocks and students the tract block benchmark measures.

pub mod adaptation;
pub mod augment;
pub mod block_graphs;
pub mod conv_lowering;
pub mod detector_evaluation;
pub mod distill_loss;
pub mod ensemble_teacher;
pub mod error;
pub mod human_labels;
pub mod image_sets;
pub mod input_reference_recording;
pub mod label_cache;
pub mod mined_frames;
pub mod model_card;
pub mod model_cost;
pub mod onnx_export;
pub mod onnx_graph;
pub mod onnx_import;
pub mod parity;
pub mod pruning;
pub mod pseudo_label_targets;
pub mod recipe;
pub mod recipe_progress;
pub mod seeded_rng;
pub mod student_candidates;
pub mod student_classes;
pub mod student_net;
pub mod threshold_calibration;
pub mod trainer;
pub mod training_targets;
pub mod training_views;

pub use error::DistillError;
