//! `kestrel eval`: scores the stack's outputs against human labels on real sequences.
//!
//! Pipeline: labels ([`label_source`]: KITTI, nuScenes, PandaSet folders or an MCAP log's
//! ground-truth topic, all moved to the vehicle frame) and outputs ([`output_frames`]: the
//! production pipeline run in deterministic replay, or a `kestrel replay --json` file) are
//! paired frame by frame by time ([`evaluate`]); each frame is matched one-to-one by
//! ground-plane centre distance ([`matching`]), its scored labels and outputs decided
//! ([`scored_frame`]), and folded into detection metrics per class group ([`class_group`])
//! and range band ([`detection_metrics`]) and tracking metrics ([`tracking_metrics`]:
//! CLEAR-MOT from `kestrel_sim::clear_mot`, [`idf1`]). The [`report`] is JSON, text or
//! markdown ([`table`], [`markdown_block`] for `EVALUATION.md`), with issue 14's criteria
//! ([`acceptance`]); pictures: one bird's-eye view per frame ([`bev_frame`]) and a
//! [`contact_sheet`] of the sequence.
//!
//! Every metric is defined in the module that computes it; `EVALUATION.md` restates them.

pub mod acceptance;
pub mod bev_frame;
pub mod class_group;
pub mod contact_sheet;
pub mod detection_metrics;
pub mod error;
pub mod evaluate;
pub mod idf1;
pub mod label_source;
pub mod markdown_block;
pub mod matching;
pub mod output_frames;
pub mod report;
pub mod scored_frame;
pub mod table;
pub mod tracking_metrics;

pub use error::EvalError;
pub use evaluate::{EvalSettings, Evaluation};
pub use label_source::LabelSequence;
pub use output_frames::OutputFrames;
pub use report::EvaluationReport;
