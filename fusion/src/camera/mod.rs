//! The camera detection branch: a 2D detector ([`kestrel_models::Detector`]) on the cameras
//! the [`CameraSchedule`] picks for the frame, classes mapped to the stack's taxonomy.
//!
//! Each scheduled image is one job of the frame (`CameraBranch::detect_frame`): the fusion
//! stage runs them next to the LiDAR and radar branches on its configured threads
//! ([`crate::branch_jobs`]); the detector is deterministic and keeps no state between calls.

pub mod class_map;
pub mod schedule;

use crate::FusionError;
use crate::class_table::ClassTable;
use class_map::coco_to_class;
use kestrel_models::Detector;
use kestrel_models::detection::box_iou;
use kestrel_sensors::{CameraFrame, ObjectClass, Timestamp};
pub use schedule::CameraSchedule;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Configuration of the camera branch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CameraConfig {
    /// Per stack class, detections scoring below this are dropped (on top of the model
    /// manifest's own thresholds; these depend on the camera model). Default 0.35 for every
    /// class.
    pub min_score: ClassTable<f32>,
    /// Which cameras run in which frame.
    pub schedule: CameraSchedule,
}

impl Default for CameraConfig {
    fn default() -> Self {
        Self {
            min_score: ClassTable::from_fn(|_| 0.35),
            schedule: CameraSchedule::default(),
        }
    }
}

impl CameraConfig {
    /// Checks the values.
    pub fn validate(&self) -> Result<(), FusionError> {
        for (_, &v) in self.min_score.iter() {
            if !(v.is_finite() && (0.0..=1.0).contains(&v)) {
                return Err(FusionError::InvalidConfig {
                    field: "camera.min_score",
                    value: v as f64,
                    reason: "must be in 0..1",
                });
            }
        }
        Ok(())
    }
}

/// One 2D detection of a road user, in the pixels of camera `camera`'s image.
#[derive(Debug, Clone, PartialEq)]
pub struct CameraDetection {
    /// Camera name in the rig.
    pub camera: String,
    /// Capture time of the image, sensor clock.
    pub stamp: Timestamp,
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

/// The camera branch: one detector, run on the scheduled frames.
#[derive(Debug, Clone)]
pub struct CameraBranch {
    detector: Detector,
    config: CameraConfig,
}

impl CameraBranch {
    /// Wraps a loaded detector.
    pub fn new(detector: Detector, config: CameraConfig) -> Result<Self, FusionError> {
        config.validate()?;
        Ok(Self { detector, config })
    }

    /// Loads the detector from a model manifest (see [`Detector::load`]).
    pub fn load(manifest: &Path, config: CameraConfig) -> Result<Self, FusionError> {
        Self::new(Detector::load(manifest)?, config)
    }

    /// The configuration.
    pub fn config(&self) -> &CameraConfig {
        &self.config
    }

    /// Which of `frames` run in frame set number `sequence` (see [`CameraSchedule`]).
    pub fn scheduled(&self, frames: &[CameraFrame], sequence: u64) -> Vec<bool> {
        let names: Vec<&str> = frames.iter().map(|f| f.sensor.as_str()).collect();
        self.config.schedule.select(&names, sequence)
    }

    /// Detects road users in one image, in the detector's order (descending score). Labels
    /// outside the taxonomy and low scores are dropped.
    pub fn detect_frame(&self, frame: &CameraFrame) -> Result<Vec<CameraDetection>, FusionError> {
        let mut out = Vec::new();
        for d in self.detector.detect(frame)? {
            if let Some(class) = coco_to_class(&d.label)
                && d.score >= *self.config.min_score.get(class)
            {
                out.push(CameraDetection {
                    camera: frame.sensor.clone(),
                    stamp: frame.timestamp,
                    bbox: d.bbox,
                    class,
                    score: d.score,
                });
            }
        }
        Ok(out)
    }

    /// Detects road users in the frames whose `run` flag is set, one after another on the
    /// calling thread, in frame order (each frame as [`Self::detect_frame`]).
    pub fn detect(
        &self,
        frames: &[CameraFrame],
        run: &[bool],
    ) -> Result<Vec<CameraDetection>, FusionError> {
        let mut out = Vec::new();
        for (frame, _) in frames.iter().zip(run).filter(|(_, r)| **r) {
            out.extend(self.detect_frame(frame)?);
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

    #[test]
    fn config_validation_names_the_field() {
        let mut c = CameraConfig::default();
        c.validate().unwrap();
        c.min_score.truck = 1.5;
        assert!(
            c.validate()
                .unwrap_err()
                .to_string()
                .contains("camera.min_score")
        );
    }
}
