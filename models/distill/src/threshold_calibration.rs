//! Choosing the student's score thresholds (its operating point) on the **training** frames'
//! human labels: one threshold for every class that maximises the F1 of the labelled classes
//! pooled, then, class by class, a threshold of its own where that raises the class's F1 (a
//! class the student over-reports gets a stricter one). Classes without labels on the training
//! frames keep the common threshold. Held-out frames are never looked at.

use crate::human_labels::{LabelledCameraImage, MATCH_IOU};
use crate::student_classes::STUDENT_CLASSES;
use kestrel_models::Detection2d;
use kestrel_models::detection_metrics::{ImageResult, ScoredBox, score_class};
use std::collections::BTreeMap;

/// Score thresholds tried, ascending.
pub const THRESHOLD_GRID: [f32; 12] = [
    0.10, 0.15, 0.20, 0.25, 0.30, 0.35, 0.40, 0.45, 0.50, 0.55, 0.60, 0.70,
];

/// Classes need at least this many labels on the calibration images to get a threshold of
/// their own (fewer: the common threshold).
pub const MIN_LABELS_PER_CLASS: usize = 10;

/// Hits, detections and labels of one class at one operating point.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Counts {
    /// Labels matched at IoU >= 0.5.
    pub hits: usize,
    /// Detections counted (excused ones left out).
    pub detections: usize,
    /// Labels scored.
    pub labels: usize,
}

impl Counts {
    /// hits / labels.
    pub fn recall(&self) -> Option<f64> {
        (self.labels > 0).then(|| self.hits as f64 / self.labels as f64)
    }

    /// hits / detections.
    pub fn precision(&self) -> Option<f64> {
        (self.detections > 0).then(|| self.hits as f64 / self.detections as f64)
    }

    /// `2 hits / (labels + detections)` (0 when both are 0).
    pub fn f1(&self) -> f64 {
        let n = self.labels + self.detections;
        if n == 0 {
            0.0
        } else {
            2.0 * self.hits as f64 / n as f64
        }
    }

    fn add(&mut self, o: &Counts) {
        self.hits += o.hits;
        self.detections += o.detections;
        self.labels += o.labels;
    }
}

/// The chosen operating point.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ThresholdCalibration {
    /// The common threshold.
    pub chosen: f32,
    /// Classes with a threshold of their own.
    pub class_thresholds: BTreeMap<String, f32>,
    /// Per class, its counts on the calibration images at the chosen operating point.
    pub calibrated: BTreeMap<String, Counts>,
    /// Number of calibration images.
    pub images: usize,
}

impl ThresholdCalibration {
    /// The threshold of `class`.
    pub fn threshold(&self, class: &str) -> f32 {
        self.class_thresholds
            .get(class)
            .copied()
            .unwrap_or(self.chosen)
    }
}

/// Counts of `class` when only detections scoring at least `threshold` are kept.
pub fn counts_at(
    images: &[LabelledCameraImage],
    detections: &[Vec<Detection2d>],
    class: &str,
    threshold: f32,
) -> Counts {
    let results: Vec<ImageResult> = images
        .iter()
        .zip(detections)
        .map(|(img, dets)| ImageResult {
            labels: img.labels.clone(),
            detections: dets
                .iter()
                .filter(|d| d.label == class && d.score >= threshold)
                .map(|d| ScoredBox {
                    class: d.label.clone(),
                    score: d.score,
                    bbox: d.bbox,
                })
                .collect(),
        })
        .collect();
    let s = score_class(&results, class, MATCH_IOU, 0.0);
    Counts {
        hits: (s.max_recall * s.labels as f64).round() as usize,
        detections: s.detections,
        labels: s.labels,
    }
}

/// Chooses thresholds from detections made at the grid's lowest threshold (keeping those at
/// or above a higher one gives what the decoder gives there: NMS is per class and by
/// descending score, so lower boxes never suppress higher ones).
pub fn calibrate(
    images: &[LabelledCameraImage],
    detections: &[Vec<Detection2d>],
) -> ThresholdCalibration {
    let table: BTreeMap<&str, Vec<Counts>> = STUDENT_CLASSES
        .iter()
        .map(|c| {
            (
                *c,
                THRESHOLD_GRID
                    .iter()
                    .map(|&t| counts_at(images, detections, c, t))
                    .collect(),
            )
        })
        .collect();
    let labelled: Vec<&str> = STUDENT_CLASSES
        .iter()
        .copied()
        .filter(|c| table[c][0].labels >= MIN_LABELS_PER_CLASS)
        .collect();
    let pooled = |k: usize| {
        let mut c = Counts::default();
        for class in &labelled {
            c.add(&table[class][k]);
        }
        c.f1()
    };
    // Highest pooled F1; the higher threshold on ties.
    let mut best_k = 0;
    for k in 1..THRESHOLD_GRID.len() {
        if pooled(k) >= pooled(best_k) {
            best_k = k;
        }
    }
    let chosen = THRESHOLD_GRID[best_k];
    let mut class_thresholds = BTreeMap::new();
    for class in &labelled {
        let row = &table[class];
        let own = (0..THRESHOLD_GRID.len())
            .fold(best_k, |b, k| if row[k].f1() > row[b].f1() { k } else { b });
        if own != best_k {
            class_thresholds.insert((*class).to_owned(), THRESHOLD_GRID[own]);
        }
    }
    let calibration = ThresholdCalibration {
        chosen,
        class_thresholds,
        calibrated: BTreeMap::new(),
        images: images.len(),
    };
    let calibrated = STUDENT_CLASSES
        .iter()
        .map(|c| {
            (
                (*c).to_owned(),
                counts_at(images, detections, c, calibration.threshold(c)),
            )
        })
        .collect();
    ThresholdCalibration {
        calibrated,
        ..calibration
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kestrel_models::detection_metrics::LabelBox;
    use kestrel_sensors::{CameraFrame, PixelEncoding, Timestamp};

    fn image(labels: Vec<LabelBox>) -> LabelledCameraImage {
        LabelledCameraImage {
            frame: 0,
            camera: "cam".into(),
            image: CameraFrame::new("cam", Timestamp(0), 1, 1, PixelEncoding::Mono8, vec![0])
                .unwrap(),
            labels,
        }
    }

    fn label(class: &str, x: f32) -> LabelBox {
        LabelBox {
            class: class.into(),
            bbox: [x, 0.0, x + 10.0, 10.0],
            ignore: false,
        }
    }

    fn det(class: &str, x: f32, score: f32) -> Detection2d {
        Detection2d {
            bbox: [x, 0.0, x + 10.0, 10.0],
            score,
            class_id: 0,
            label: class.into(),
        }
    }

    #[test]
    fn an_over_reported_class_gets_a_stricter_threshold() {
        // Twelve cars, found at 0.5 (and a weak false car at 0.12 each); twelve people found
        // at 0.22, each with a false person at 0.33 beside it.
        let images: Vec<LabelledCameraImage> = (0..12)
            .map(|_| image(vec![label("car", 0.0), label("person", 100.0)]))
            .collect();
        let dets: Vec<Vec<Detection2d>> = (0..12)
            .map(|_| {
                vec![
                    det("car", 0.0, 0.5),
                    det("car", 50.0, 0.12),
                    det("person", 100.0, 0.22),
                    det("person", 200.0, 0.33),
                ]
            })
            .collect();
        let c = calibrate(&images, &dets);
        // Pooled F1: at 0.15-0.20 cars are clean and people are 1 hit of 2 (F1 0.8); at 0.25+
        // the people are lost (0.6 at best): 0.20 wins the tie.
        assert_eq!(c.chosen, 0.20, "{c:?}");
        assert!(c.class_thresholds.is_empty() || c.class_thresholds["car"] > 0.12);
        assert_eq!(c.calibrated["car"].hits, 12);
        assert_eq!(c.calibrated["person"].recall(), Some(1.0));
        assert_eq!(c.calibrated["person"].precision(), Some(0.5));
        assert_eq!(c.threshold("bus"), c.chosen);
    }
}
