//! Choosing the student's score threshold on training frames: a distilled student's scores
//! are softer than its teacher's (it learns the teacher's probabilities, blurred), so the
//! teacher's own threshold would drop many of the objects the student does find. The threshold
//! that maximises agreement (F1 of vehicle recall and precision against the teacher) on the
//! gate frames is written into the shipped manifest. Held-out frames are never looked at.

use crate::DistillError;
use crate::agreement::{AgreementReport, MatchCounts, match_image};
use kestrel_models::{Detection2d, Detector, ModelManifest, VerifiedModel};
use kestrel_sensors::CameraFrame;
use std::path::Path;

/// Score thresholds tried, ascending.
pub const THRESHOLD_GRID: [f32; 7] = [0.20, 0.25, 0.30, 0.35, 0.40, 0.45, 0.50];

/// Vehicle agreement at every candidate threshold and the one chosen.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ThresholdCalibration {
    /// `(threshold, vehicle counts on the gate frames)` for each of [`THRESHOLD_GRID`].
    pub candidates: Vec<(f32, MatchCounts)>,
    /// The threshold with the highest F1 (the higher one on ties).
    pub chosen: f32,
}

/// F1 of recall and precision: `2 matched / (teacher + student)` (0 without detections).
pub fn f1(c: &MatchCounts) -> f32 {
    let n = c.teacher + c.student;
    if n == 0 {
        0.0
    } else {
        2.0 * c.matched as f32 / n as f32
    }
}

/// Picks the threshold for `manifest` + `onnx` on `frames`, given the teacher's detections on
/// the same frames. The detector runs once at the lowest threshold; a higher threshold keeps
/// exactly the detections scoring at or above it (greedy NMS visits boxes by descending
/// score, so boxes below a threshold never suppress boxes above it).
pub fn calibrate_threshold(
    manifest: &ModelManifest,
    onnx: &[u8],
    frames: &[&CameraFrame],
    teacher: &[Vec<Detection2d>],
    threads: usize,
) -> Result<ThresholdCalibration, DistillError> {
    let mut low = manifest.clone();
    low.decoder.score_threshold = THRESHOLD_GRID[0];
    let model = VerifiedModel::from_bytes(&low, Path::new(&manifest.name), onnx)?;
    let detector = Detector::from_parts(low, model)?;
    let dets = crate::recipe::detect_all(&detector, frames, threads)?;
    let candidates: Vec<(f32, MatchCounts)> = THRESHOLD_GRID
        .iter()
        .map(|&th| {
            let mut report = AgreementReport::default();
            for (t, s) in teacher.iter().zip(&dets) {
                let kept: Vec<Detection2d> = s.iter().filter(|d| d.score >= th).cloned().collect();
                report.add("gate", &match_image(t, &kept));
            }
            (th, report.vehicles(&[]))
        })
        .collect();
    let chosen = candidates
        .iter()
        .fold((THRESHOLD_GRID[0], -1.0f32), |best, (th, c)| {
            let f = f1(c);
            if f >= best.1 { (*th, f) } else { best }
        })
        .0;
    Ok(ThresholdCalibration { candidates, chosen })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn f1_is_harmonic_mean_of_recall_and_precision() {
        let c = MatchCounts {
            teacher: 10,
            student: 30,
            matched: 9,
        };
        let (r, p) = (0.9f32, 0.3f32);
        assert!((f1(&c) - 2.0 * r * p / (r + p)).abs() < 1e-6);
        assert_eq!(f1(&MatchCounts::default()), 0.0);
    }
}
