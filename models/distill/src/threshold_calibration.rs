//! Choosing the student's score thresholds on training frames: a distilled student's scores
//! are softer than its teacher's (it learns the teacher's probabilities, blurred), so the
//! teacher's own threshold would drop many of the objects the student does find, and a class
//! the student over-reports (e.g. `truck` boxes on cars) needs a stricter threshold than the
//! rest. The thresholds that maximise agreement (F1 of vehicle recall and precision against
//! the teacher) on the gate frames are written into the shipped manifest. Held-out frames are
//! never looked at.

use crate::DistillError;
use crate::agreement::{AgreementReport, MatchCounts, match_image};
use crate::student_classes::VEHICLE_CLASSES;
use kestrel_models::{Detection2d, Detector, ModelManifest, VerifiedModel};
use kestrel_sensors::CameraFrame;
use std::collections::BTreeMap;
use std::path::Path;

/// Score thresholds tried, ascending.
pub const THRESHOLD_GRID: [f32; 10] = [0.20, 0.25, 0.30, 0.35, 0.40, 0.45, 0.50, 0.55, 0.60, 0.70];

/// Vehicle agreement at every candidate threshold and the thresholds chosen.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ThresholdCalibration {
    /// `(threshold, vehicle counts on the gate frames)` for each of [`THRESHOLD_GRID`] applied
    /// to every class.
    pub candidates: Vec<(f32, MatchCounts)>,
    /// The threshold with the highest F1 (the higher one on ties).
    pub chosen: f32,
    /// Vehicle classes whose own threshold raises the F1 further (one class at a time, in
    /// [`VEHICLE_CLASSES`] order, the others kept): class -> threshold.
    pub class_thresholds: BTreeMap<String, f32>,
    /// Vehicle counts on the gate frames with `chosen` and `class_thresholds`.
    pub calibrated: MatchCounts,
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

/// Vehicle counts when the student keeps detections scoring at least their class's threshold
/// (`per_class`, else `global`).
fn counts_at(
    teacher: &[Vec<Detection2d>],
    student: &[Vec<Detection2d>],
    global: f32,
    per_class: &BTreeMap<String, f32>,
) -> MatchCounts {
    let mut report = AgreementReport::default();
    for (t, s) in teacher.iter().zip(student) {
        let kept: Vec<Detection2d> = s
            .iter()
            .filter(|d| d.score >= per_class.get(&d.label).copied().unwrap_or(global))
            .cloned()
            .collect();
        report.add("gate", &match_image(t, &kept));
    }
    report.vehicles(&[])
}

/// Chooses the thresholds from detections made at the lowest threshold of the grid. Keeping
/// the detections scoring at or above a higher threshold gives exactly what the decoder gives
/// at that threshold: NMS is per class and visits boxes by descending score, so boxes below a
/// threshold never suppress boxes above it.
pub fn choose_thresholds(
    teacher: &[Vec<Detection2d>],
    student: &[Vec<Detection2d>],
) -> ThresholdCalibration {
    let none = BTreeMap::new();
    let candidates: Vec<(f32, MatchCounts)> = THRESHOLD_GRID
        .iter()
        .map(|&th| (th, counts_at(teacher, student, th, &none)))
        .collect();
    let (chosen, mut best) =
        candidates
            .iter()
            .fold((THRESHOLD_GRID[0], -1.0f32), |best, (th, c)| {
                let f = f1(c);
                if f >= best.1 { (*th, f) } else { best }
            });
    let mut class_thresholds = BTreeMap::new();
    for class in VEHICLE_CLASSES {
        let mut pick = None;
        for th in THRESHOLD_GRID.into_iter().filter(|&th| th != chosen) {
            let mut trial = class_thresholds.clone();
            trial.insert(class.to_string(), th);
            let f = f1(&counts_at(teacher, student, chosen, &trial));
            if f > best {
                (best, pick) = (f, Some(th));
            }
        }
        if let Some(th) = pick {
            class_thresholds.insert(class.to_string(), th);
        }
    }
    let calibrated = counts_at(teacher, student, chosen, &class_thresholds);
    ThresholdCalibration {
        candidates,
        chosen,
        class_thresholds,
        calibrated,
    }
}

/// Calibrates `manifest` + `onnx` on `frames`, given the teacher's detections on the same
/// frames (see [`choose_thresholds`]); the detector runs once, at the grid's lowest threshold.
pub fn calibrate_threshold(
    manifest: &ModelManifest,
    onnx: &[u8],
    frames: &[&CameraFrame],
    teacher: &[Vec<Detection2d>],
    threads: usize,
) -> Result<ThresholdCalibration, DistillError> {
    let mut low = manifest.clone();
    low.decoder.score_threshold = THRESHOLD_GRID[0];
    low.decoder.class_thresholds.clear();
    let model = VerifiedModel::from_bytes(&low, Path::new(&manifest.name), onnx)?;
    let detector = Detector::from_parts(low, model)?;
    let dets = crate::recipe::detect_all(&detector, frames, threads)?;
    Ok(choose_thresholds(teacher, &dets))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn det(label: &str, x: f32, score: f32) -> Detection2d {
        Detection2d {
            bbox: [x, 0.0, x + 10.0, 10.0],
            score,
            class_id: 0,
            label: label.into(),
        }
    }

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

    #[test]
    fn an_over_reported_class_gets_its_own_stricter_threshold() {
        // The teacher sees two cars; the student finds both (one weakly, at 0.26) and adds a
        // confident truck the teacher never reported.
        let teacher = vec![vec![det("car", 0.0, 0.9), det("car", 50.0, 0.8)]];
        let student = vec![vec![
            det("car", 0.0, 0.40),
            det("car", 50.0, 0.26),
            det("truck", 100.0, 0.45),
        ]];
        let c = choose_thresholds(&teacher, &student);
        // One threshold for all: 0.25 keeps both cars (F1 0.8), higher ones lose the weak car.
        assert_eq!(c.chosen, 0.25);
        // A truck threshold above 0.45 removes the false truck: F1 1.0.
        assert_eq!(c.class_thresholds.len(), 1);
        assert!(c.class_thresholds["truck"] > 0.45, "{c:?}");
        assert_eq!(
            (
                c.calibrated.matched,
                c.calibrated.student,
                c.calibrated.teacher
            ),
            (2, 2, 2)
        );
    }
}
