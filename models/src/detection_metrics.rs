//! Scoring 2D detections against labelled boxes: per-class average precision at an IoU
//! threshold (AP50 at 0.5) and the recall reached at a fixed precision.
//!
//! Matching, per class, over all images: detections in descending score order (ties: image
//! order, then detection order) take the unmatched label of that class with the highest IoU
//! at or above the threshold. A detection that finds none is a false positive unless it is
//! *excused*: it overlaps (IoU at or above the threshold) a label marked `ignore` (an object
//! whose class the detector does not cover, e.g. a towed trailer), or it is a `person` whose
//! box lies mostly (at least [`RIDER_INSIDE`] of its area) inside a `bicycle` or `motorcycle`
//! label: labelled datasets box a cyclist as one object (bike and rider) while COCO-style
//! detectors box the rider as a person and the bicycle apart, so the rider is neither a hit
//! nor a false alarm. Excused detections are dropped from the curve.
//!
//! AP is the area under the precision-recall curve made monotone (every-point interpolation,
//! PASCAL VOC 2010+ and COCO style without the 101-point sampling).

use crate::detection::box_iou;
use std::collections::BTreeMap;

/// Least share of a person detection's area inside a bicycle or motorcycle label for it to be
/// taken as that cyclist's rider.
pub const RIDER_INSIDE: f32 = 0.6;

/// One labelled box.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelBox {
    /// Detector class name (`person`, `car`, ...).
    pub class: String,
    /// Box `[x1, y1, x2, y2]`, pixels.
    pub bbox: [f32; 4],
    /// Not scored: neither a miss when undetected, nor a false positive source when hit.
    pub ignore: bool,
}

/// One detection.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoredBox {
    /// Detector class name.
    pub class: String,
    /// Confidence, 0..1.
    pub score: f32,
    /// Box `[x1, y1, x2, y2]`, pixels.
    pub bbox: [f32; 4],
}

/// The labels and detections of one image.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ImageResult {
    /// Labelled boxes.
    pub labels: Vec<LabelBox>,
    /// Detections (any score).
    pub detections: Vec<ScoredBox>,
}

/// The precision-recall summary of one class.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ClassScore {
    /// Labels scored (not ignored).
    pub labels: usize,
    /// Detections on the curve (not excused).
    pub detections: usize,
    /// Average precision at the IoU threshold; `None` without labels.
    pub ap: Option<f64>,
    /// Highest recall at any score threshold.
    pub max_recall: f64,
    /// Highest recall at a threshold where precision is at least the requested precision.
    pub recall_at_precision: f64,
}

fn area(b: &[f32; 4]) -> f32 {
    (b[2] - b[0]).max(0.0) * (b[3] - b[1]).max(0.0)
}

fn intersection(a: &[f32; 4], b: &[f32; 4]) -> f32 {
    area(&[
        a[0].max(b[0]),
        a[1].max(b[1]),
        a[2].min(b[2]),
        a[3].min(b[3]),
    ])
}

/// Scores `class` over `images` at IoU `iou`; `precision` is the precision at which recall is
/// reported.
pub fn score_class(images: &[ImageResult], class: &str, iou: f32, precision: f64) -> ClassScore {
    let mut dets: Vec<(f32, usize, usize)> = Vec::new();
    let mut n_labels = 0;
    let mut taken: Vec<Vec<bool>> = Vec::with_capacity(images.len());
    for (i, img) in images.iter().enumerate() {
        n_labels += img
            .labels
            .iter()
            .filter(|l| l.class == class && !l.ignore)
            .count();
        taken.push(vec![false; img.labels.len()]);
        for (j, d) in img.detections.iter().enumerate() {
            if d.class == class {
                dets.push((d.score, i, j));
            }
        }
    }
    dets.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    let mut hits: Vec<bool> = Vec::with_capacity(dets.len());
    for &(_, i, j) in &dets {
        let img = &images[i];
        let d = &img.detections[j];
        let best = img
            .labels
            .iter()
            .enumerate()
            .filter(|(k, l)| l.class == class && !l.ignore && !taken[i][*k])
            .map(|(k, l)| (box_iou(&d.bbox, &l.bbox), k))
            .filter(|(v, _)| *v >= iou)
            .max_by(|a, b| a.0.total_cmp(&b.0).then(b.1.cmp(&a.1)));
        if let Some((_, k)) = best {
            taken[i][k] = true;
            hits.push(true);
            continue;
        }
        let excused = img.labels.iter().any(|l| {
            (l.ignore && box_iou(&d.bbox, &l.bbox) >= iou)
                || (class == "person"
                    && matches!(l.class.as_str(), "bicycle" | "motorcycle")
                    && intersection(&d.bbox, &l.bbox) >= RIDER_INSIDE * area(&d.bbox))
        });
        if !excused {
            hits.push(false);
        }
    }
    curve_summary(&hits, n_labels, precision)
}

/// AP, maximum recall and recall at `precision` of a ranked list of hits (true = matched)
/// against `n_labels` labels.
fn curve_summary(hits: &[bool], n_labels: usize, precision: f64) -> ClassScore {
    let (mut tp, mut fp) = (0usize, 0usize);
    let mut points: Vec<(f64, f64)> = Vec::with_capacity(hits.len());
    for &h in hits {
        if h {
            tp += 1
        } else {
            fp += 1
        }
        let recall = if n_labels > 0 {
            tp as f64 / n_labels as f64
        } else {
            0.0
        };
        points.push((recall, tp as f64 / (tp + fp) as f64));
    }
    let max_recall = points.last().map_or(0.0, |p| p.0);
    let recall_at_precision = points
        .iter()
        .filter(|p| p.1 >= precision)
        .map(|p| p.0)
        .fold(0.0, f64::max);
    let ap = (n_labels > 0).then(|| {
        // Every-point interpolation: precision made non-increasing from the right.
        let mut envelope: Vec<f64> = points.iter().map(|p| p.1).collect();
        for k in (0..envelope.len().saturating_sub(1)).rev() {
            envelope[k] = envelope[k].max(envelope[k + 1]);
        }
        let mut ap = 0.0;
        let mut prev_recall = 0.0;
        for (p, e) in points.iter().zip(&envelope) {
            ap += (p.0 - prev_recall) * e;
            prev_recall = p.0;
        }
        ap
    });
    ClassScore {
        labels: n_labels,
        detections: hits.len(),
        ap,
        max_recall,
        recall_at_precision,
    }
}

/// [`score_class`] for each of `classes`.
pub fn score_classes(
    images: &[ImageResult],
    classes: &[&str],
    iou: f32,
    precision: f64,
) -> BTreeMap<String, ClassScore> {
    classes
        .iter()
        .map(|c| ((*c).to_owned(), score_class(images, c, iou, precision)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn label(class: &str, b: [f32; 4]) -> LabelBox {
        LabelBox {
            class: class.into(),
            bbox: b,
            ignore: false,
        }
    }

    fn det(class: &str, score: f32, b: [f32; 4]) -> ScoredBox {
        ScoredBox {
            class: class.into(),
            score,
            bbox: b,
        }
    }

    #[test]
    fn ap_of_a_hand_computed_ranking() {
        // Two images, three cars. Ranking: hit (0.9), false (0.8), hit (0.7), duplicate of
        // the first car (0.6, false). One car is never found.
        let images = vec![
            ImageResult {
                labels: vec![
                    label("car", [0., 0., 10., 10.]),
                    label("car", [20., 0., 30., 10.]),
                ],
                detections: vec![
                    det("car", 0.9, [0., 0., 10., 10.]),
                    det("car", 0.8, [50., 50., 60., 60.]),
                    det("car", 0.6, [1., 0., 10., 10.]),
                ],
            },
            ImageResult {
                labels: vec![label("car", [0., 0., 10., 10.])],
                detections: vec![det("car", 0.7, [0., 0., 10., 11.])],
            },
        ];
        let s = score_class(&images, "car", 0.5, 0.6);
        // Points: (1/3, 1), (1/3, 1/2), (2/3, 2/3), (2/3, 1/2). Envelope: 1, 2/3, 2/3, 1/2.
        // AP = 1/3 * 1 + 1/3 * 2/3 = 5/9.
        assert!((s.ap.unwrap() - 5.0 / 9.0).abs() < 1e-12, "{s:?}");
        assert!((s.max_recall - 2.0 / 3.0).abs() < 1e-12);
        assert!((s.recall_at_precision - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!((s.labels, s.detections), (3, 4));
        let none = score_class(&images, "bus", 0.5, 0.6);
        assert_eq!((none.ap, none.max_recall), (None, 0.0));
    }

    #[test]
    fn riders_and_ignored_objects_are_excused() {
        let images = vec![ImageResult {
            labels: vec![
                label("bicycle", [0., 0., 20., 40.]),
                LabelBox {
                    class: "truck".into(),
                    bbox: [100., 0., 140., 40.],
                    ignore: true,
                },
            ],
            detections: vec![
                det("person", 0.9, [4., 0., 16., 30.]),   // the rider
                det("bicycle", 0.8, [0., 10., 20., 40.]), // IoU 0.75 with the label
                det("truck", 0.7, [100., 0., 140., 40.]), // on an ignored trailer
                det("person", 0.6, [60., 0., 70., 30.]),  // a real false positive
            ],
        }];
        let person = score_class(&images, "person", 0.5, 0.5);
        assert_eq!((person.labels, person.detections), (0, 1));
        let bike = score_class(&images, "bicycle", 0.5, 0.5);
        assert_eq!(bike.ap, Some(1.0));
        let truck = score_class(&images, "truck", 0.5, 0.5);
        assert_eq!((truck.labels, truck.detections, truck.ap), (0, 0, None));
    }
}
