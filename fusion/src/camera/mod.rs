//! The camera detection branch: a 2D detector ([`kestrel_models::Detector`]) per camera
//! frame, classes mapped to the stack's taxonomy.

pub mod class_map;

use crate::FusionError;
use class_map::coco_to_class;
use kestrel_models::Detector;
use kestrel_models::detection::box_iou;
use kestrel_sensors::{CameraFrame, ObjectClass};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Configuration of the camera branch.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CameraConfig {
    /// Detections scoring below this are dropped. Default 0.35.
    pub min_score: f32,
}

impl Default for CameraConfig {
    fn default() -> Self {
        Self { min_score: 0.35 }
    }
}

/// One 2D detection of a road user, in the pixels of camera `camera`'s image.
#[derive(Debug, Clone, PartialEq)]
pub struct CameraDetection {
    /// Camera name in the rig.
    pub camera: String,
    /// Box `[u1, v1, u2, v2]`, pixels (u right, v down, origin top-left corner).
    pub bbox: [f32; 4],
    /// Stack class.
    pub class: ObjectClass,
    /// Detector confidence, 0..1.
    pub score: f32,
}

impl CameraDetection {
    /// Intersection over union with a box `[u1, v1, u2, v2]` (pixels).
    pub fn iou(&self, other: &[f32; 4]) -> f32 {
        box_iou(&self.bbox, other)
    }
}

/// The camera branch: one detector, run on every frame given.
#[derive(Debug, Clone)]
pub struct CameraBranch {
    detector: Detector,
    config: CameraConfig,
}

impl CameraBranch {
    /// Wraps a loaded detector.
    pub fn new(detector: Detector, config: CameraConfig) -> Result<Self, FusionError> {
        if !(config.min_score.is_finite() && (0.0..=1.0).contains(&config.min_score)) {
            return Err(FusionError::InvalidConfig {
                field: "camera.min_score",
                value: config.min_score as f64,
                reason: "must be in 0..1",
            });
        }
        Ok(Self { detector, config })
    }

    /// Loads the detector from a model manifest (see [`Detector::load`]).
    pub fn load(manifest: &Path, config: CameraConfig) -> Result<Self, FusionError> {
        Self::new(Detector::load(manifest)?, config)
    }

    /// Detects road users in every frame, in frame order; within a frame in the detector's
    /// order (descending score). Labels outside the taxonomy and low scores are dropped.
    pub fn detect(&self, frames: &[CameraFrame]) -> Result<Vec<CameraDetection>, FusionError> {
        let mut out = Vec::new();
        for frame in frames {
            for d in self.detector.detect(frame)? {
                if d.score < self.config.min_score {
                    continue;
                }
                if let Some(class) = coco_to_class(&d.label) {
                    out.push(CameraDetection {
                        camera: frame.sensor.clone(),
                        bbox: d.bbox,
                        class,
                        score: d.score,
                    });
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iou_of_boxes() {
        assert!((box_iou(&[0.0, 0.0, 2.0, 1.0], &[1.0, 0.0, 3.0, 1.0]) - 1.0 / 3.0).abs() < 1e-6);
        assert_eq!(box_iou(&[0.0, 0.0, 0.0, 0.0], &[0.0, 0.0, 0.0, 0.0]), 0.0);
    }
}
