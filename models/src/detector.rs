//! [`Detector`]: a verified model plus its manifest's preprocessing and decoding — the one way
//! teacher and student models turn camera frames into [`Detection2d`]s.

use crate::gfl_decoder::{GflDecoder, LevelMaps};
use crate::image_resample::PixelView;
use crate::preprocess::{InputTransform, prepare};
use crate::{Detection2d, ModelError, ModelManifest, VerifiedModel};
use kestrel_sensors::CameraFrame;
use ndarray::{Array4, ArrayD, Ix2};
use std::path::Path;

/// A 2D object detector described by a [`ModelManifest`].
///
/// ```no_run
/// use kestrel_models::{Detector, load_image_file, zoo};
/// let detector = Detector::load(&zoo::default_student_manifest())?;
/// let frame = load_image_file(std::path::Path::new("frame.png"))?;
/// for d in detector.detect(&frame)? {
///     println!("{} {:.2} {:?}", d.label, d.score, d.bbox); // bbox in frame pixels
/// }
/// # Ok::<(), kestrel_models::ModelError>(())
/// ```
///
/// `detect` takes `&self` and keeps no state between calls, so one detector can serve
/// frames one after another; outputs are deterministic (same frame -> same detections).
#[derive(Debug, Clone)]
pub struct Detector {
    manifest: ModelManifest,
    model: VerifiedModel,
    decoder: GflDecoder,
    /// For each decoder level, the indices of its (scores, boxes) outputs.
    level_outputs: Vec<(usize, usize)>,
}

impl Detector {
    /// Loads and verifies the model a manifest file describes (see [`VerifiedModel::load`]).
    pub fn load(manifest_path: &Path) -> Result<Self, ModelError> {
        let manifest = ModelManifest::load(manifest_path)?;
        let model = VerifiedModel::load(&manifest, manifest_path)?;
        Self::from_parts(manifest, model)
    }

    /// Builds a detector from an already verified model and its manifest (validated here
    /// again, since the manifest may have been edited in memory, e.g. `report_classes`).
    pub fn from_parts(manifest: ModelManifest, model: VerifiedModel) -> Result<Self, ModelError> {
        manifest.validate(Path::new(&manifest.name))?;
        let index = |name: &str| {
            manifest
                .outputs
                .iter()
                .position(|o| o.name == name)
                .ok_or_else(|| ModelError::Manifest {
                    path: Path::new(&manifest.name).to_path_buf(),
                    reason: format!("level output `{name}` is not declared"),
                })
        };
        let level_outputs = manifest
            .decoder
            .levels
            .iter()
            .map(|l| Ok((index(&l.scores)?, index(&l.boxes)?)))
            .collect::<Result<_, ModelError>>()?;
        let decoder = GflDecoder::new(&manifest.decoder, manifest.input.width());
        Ok(Self {
            manifest,
            model,
            decoder,
            level_outputs,
        })
    }

    /// The same model reporting every detection that scores at least `threshold`, for every
    /// class (the manifest's per-class thresholds are dropped): what average precision needs,
    /// below the calibrated operating point. Errors when `threshold` is not in 0..1.
    pub fn with_score_threshold(&self, threshold: f32) -> Result<Self, ModelError> {
        let mut manifest = self.manifest.clone();
        manifest.decoder.score_threshold = threshold;
        manifest.decoder.class_thresholds.clear();
        Self::from_parts(manifest, self.model.clone())
    }

    /// The same model reporting only the classes `classes` (e.g. a teacher restricted to a
    /// student's classes, to measure their agreement).
    pub fn with_report_classes(&self, classes: &[String]) -> Result<Self, ModelError> {
        let mut manifest = self.manifest.clone();
        manifest.decoder.report_classes = classes.to_vec();
        Self::from_parts(manifest, self.model.clone())
    }

    /// The manifest of the model.
    pub fn manifest(&self) -> &ModelManifest {
        &self.manifest
    }

    /// Detects objects in a camera frame. Boxes are in the frame's own pixels (x right,
    /// y down, origin top-left corner), sorted by descending score.
    pub fn detect(&self, frame: &CameraFrame) -> Result<Vec<Detection2d>, ModelError> {
        self.detect_pixels(&PixelView::from_frame(frame))
    }

    /// Detects objects in an 8-bit image buffer (e.g. an RGB buffer wrapped with
    /// [`PixelView::new`]); boxes in the buffer's pixels.
    pub fn detect_pixels(&self, image: &PixelView<'_>) -> Result<Vec<Detection2d>, ModelError> {
        let (input, transform) = prepare(&self.manifest.input, image);
        let outputs = self.model.run(input)?;
        self.decode(&outputs, &transform)
    }

    /// Runs the network on a prepared input; raw outputs in manifest order.
    pub fn run_raw(&self, input: Array4<f32>) -> Result<Vec<ArrayD<f32>>, ModelError> {
        self.model.run(input)
    }

    /// Decodes raw outputs (manifest order) into detections in image pixels.
    pub fn decode(
        &self,
        outputs: &[ArrayD<f32>],
        transform: &InputTransform,
    ) -> Result<Vec<Detection2d>, ModelError> {
        let bad = |reason: String| ModelError::Inference {
            name: self.manifest.name.clone(),
            reason,
        };
        let as_2d = |i: usize| {
            let a = outputs
                .get(i)
                .ok_or_else(|| bad(format!("output {i} missing ({} given)", outputs.len())))?;
            let shape = a.shape();
            a.view()
                .into_shape_with_order((shape[shape.len() - 2], shape[shape.len() - 1]))
                .map(|v| v.into_dimensionality::<Ix2>())
                .map_err(|e| bad(format!("output {i}: {e}")))?
                .map_err(|e| bad(format!("output {i}: {e}")))
        };
        let mut levels = Vec::with_capacity(self.level_outputs.len());
        for (level, &(s, b)) in self.manifest.decoder.levels.iter().zip(&self.level_outputs) {
            levels.push(LevelMaps {
                stride: level.stride,
                scores: as_2d(s)?,
                boxes: as_2d(b)?,
            });
        }
        let (dets, skipped) = self.decoder.decode(&levels, transform);
        if skipped > 0 {
            tracing::warn!(model = %self.manifest.name, skipped, "cells with non-finite outputs skipped");
        }
        Ok(dets)
    }
}
