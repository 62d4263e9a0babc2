//! # kestrel-models
//!
//! Model manifests, verified loading of ONNX models into tract, preprocessing and output
//! decoding, and the shipped model zoo (`models/zoo/`, `models/teachers/`).
//!
//! The pipeline mirrors tract's phases: [`ModelManifest`] (TOML, validated) ->
//! [`VerifiedModel`] (sha256 + declared shapes checked, optimised tract plan) ->
//! [`Detector`] (manifest preprocessing -> network -> GFL decoding -> [`Detection2d`] in
//! the original image's pixels). Teacher and student use the same code path.
//! [`agreement`] defines student-teacher agreement; [`input_reference`] holds what a model's
//! inputs looked like in training, for the runtime's monitors.

pub mod agreement;
pub mod detection;
pub mod detection_metrics;
pub mod detector;
pub mod error;
pub mod gfl_decoder;
pub mod image_file;
pub mod image_resample;
pub mod input_reference;
pub mod kernel_selection;
pub mod manifest;
pub mod nms;
pub mod occlusion_saliency;
pub mod preprocess;
pub mod verified_model;
pub mod zoo;

pub use detection::Detection2d;
pub use detector::Detector;
pub use error::ModelError;
pub use image_file::load_image_file;
pub use image_resample::{PixelView, Region};
pub use manifest::ModelManifest;
pub use verified_model::VerifiedModel;
