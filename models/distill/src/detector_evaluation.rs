//! Running detectors over labelled camera images and scoring them against the human labels:
//! the single-pass teacher, the ensemble teacher and students side by side, on the same
//! images, with every detection down to a low score so that average precision sees the whole
//! precision-recall curve.

use crate::DistillError;
use crate::ensemble_teacher::{EnsembleSettings, ensemble_detect};
use crate::human_labels::{LabelledCameraImage, score_detections};
use kestrel_models::Detection2d;
use kestrel_models::Detector;
use kestrel_models::detection_metrics::ClassScore;
use kestrel_sensors::CameraFrame;
use std::collections::BTreeMap;

/// Lowest detection score kept for the precision-recall curves.
pub const CURVE_FLOOR: f32 = 0.05;

/// How a detector looks at an image.
#[derive(Debug, Clone)]
pub enum Labeller {
    /// One pass of the detector over the whole image (its own letterbox).
    SinglePass(Detector),
    /// The test-time-augmented ensemble of the detector.
    Ensemble(Detector, EnsembleSettings),
}

impl Labeller {
    /// A single pass of `detector` as it is (its manifest's thresholds).
    pub fn as_configured(detector: &Detector) -> Self {
        Self::SinglePass(detector.clone())
    }

    /// A single pass of `detector`, reporting down to [`CURVE_FLOOR`].
    pub fn single(detector: &Detector) -> Result<Self, DistillError> {
        Ok(Self::SinglePass(
            detector.with_score_threshold(CURVE_FLOOR)?,
        ))
    }

    /// The ensemble of `detector`, each pass reporting down to [`CURVE_FLOOR`].
    pub fn ensemble(detector: &Detector, settings: EnsembleSettings) -> Result<Self, DistillError> {
        Ok(Self::Ensemble(
            detector.with_score_threshold(CURVE_FLOOR)?,
            settings,
        ))
    }

    /// Detections on one image, in its pixels.
    pub fn detect(
        &self,
        image: &kestrel_sensors::CameraFrame,
    ) -> Result<Vec<Detection2d>, DistillError> {
        match self {
            Labeller::SinglePass(d) => Ok(d.detect(image)?),
            Labeller::Ensemble(d, s) => ensemble_detect(d, image, s),
        }
    }
}

/// Runs `labeller` over `images` on `threads` worker threads (image order kept; each image
/// independent of the others, so the result does not depend on the thread count).
pub fn detect_all(
    labeller: &Labeller,
    images: &[&CameraFrame],
    threads: usize,
    progress: &(dyn Fn() + Sync),
) -> Result<Vec<Vec<Detection2d>>, DistillError> {
    let chunk = images.len().div_ceil(threads.max(1)).max(1);
    let parts: Vec<Result<Vec<Vec<Detection2d>>, DistillError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = images
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|img| {
                            let d = labeller.detect(img);
                            progress();
                            d
                        })
                        .collect()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(DistillError::Setting("detector worker panicked".into()))
                })
            })
            .collect()
    });
    let mut out = Vec::with_capacity(images.len());
    for p in parts {
        out.extend(p?);
    }
    Ok(out)
}

/// The scores of one detector on one image set, overall and per camera.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct DetectorScores {
    /// Per class, all cameras.
    pub classes: BTreeMap<String, ClassScore>,
    /// Per camera, per class.
    pub per_camera: BTreeMap<String, BTreeMap<String, ClassScore>>,
}

/// Scores detections (one list per image) overall and per camera.
pub fn score(images: &[LabelledCameraImage], detections: &[Vec<Detection2d>]) -> DetectorScores {
    let mut cameras: Vec<&str> = images.iter().map(|i| i.camera.as_str()).collect();
    cameras.sort();
    cameras.dedup();
    let per_camera = cameras
        .into_iter()
        .map(|cam| {
            let (imgs, dets): (Vec<_>, Vec<_>) = images
                .iter()
                .zip(detections)
                .filter(|(i, _)| i.camera == cam)
                .map(|(i, d)| (i.clone(), d.clone()))
                .unzip();
            (cam.to_owned(), score_detections(&imgs, &dets))
        })
        .collect();
    DetectorScores {
        classes: score_detections(images, detections),
        per_camera,
    }
}
