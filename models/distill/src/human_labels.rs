//! Camera images with human labels: PandaSet cuboids projected into each of the six cameras
//! ([`kestrel_sensors::image_labels`]), as boxes in the student's class names, and the scores of
//! any detector against them ([`kestrel_models::detection_metrics`]).
//!
//! Class mapping: car (PandaSet Car, Pickup Truck), truck (trucks, construction and emergency
//! vehicles), bus, motorcycle, bicycle (bicycles, with or without rider: the label boxes bike
//! and rider together; see [`kestrel_models::detection_metrics`] for how riders are scored),
//! person (Pedestrian, Pedestrian with Object). Towed objects are *ignored* regions (a detector
//! that calls a trailer a truck is neither right nor wrong). Other labels (cones, signs,
//! barriers, animals) are not road users the student reports: not scored.
//!
//! Split: PandaSet sequence 002 is one continuous drive, so neighbouring frames are nearly the
//! same images. Frames before [`HELDOUT_FROM`] are the training block, the rest are held out of
//! training and tuning, for all six cameras.

use crate::DistillError;
use crate::student_classes::STUDENT_CLASSES;
use kestrel_models::Detection2d;
use kestrel_models::detection_metrics::{
    ClassScore, ImageResult, LabelBox, ScoredBox, score_classes,
};
use kestrel_sensors::image_labels::ImageLabelSettings;
use kestrel_sensors::pandaset::PandasetSequence;
use kestrel_sensors::{CameraFrame, ObjectClass};
use std::collections::BTreeMap;
use std::path::Path;

pub use kestrel_sensors::pandaset::HELDOUT_FROM;

/// IoU of a hit.
pub const MATCH_IOU: f32 = 0.5;

/// Precision at which recall is reported.
pub const REPORT_PRECISION: f64 = 0.5;

/// One camera image and its labels.
#[derive(Debug, Clone)]
pub struct LabelledCameraImage {
    /// Frame number in the sequence.
    pub frame: u32,
    /// Camera name.
    pub camera: String,
    /// The image (RGB8).
    pub image: CameraFrame,
    /// Labels in the student's class names (ignored regions flagged).
    pub labels: Vec<LabelBox>,
}

/// The student class name of a stack class; `None` for classes that are not scored.
/// Trailers map to an ignored region, `Some(("trailer", true))`.
pub fn scored_class(class: ObjectClass) -> Option<(&'static str, bool)> {
    match class {
        ObjectClass::Car => Some(("car", false)),
        ObjectClass::Truck => Some(("truck", false)),
        ObjectClass::Bus => Some(("bus", false)),
        ObjectClass::Motorcycle => Some(("motorcycle", false)),
        ObjectClass::Bicycle => Some(("bicycle", false)),
        ObjectClass::Pedestrian => Some(("person", false)),
        ObjectClass::Trailer => Some(("trailer", true)),
        ObjectClass::Unknown => None,
    }
}

/// Loads every camera image of the frames of `root` whose number satisfies `keep`, with its
/// projected labels: scored when at least `settings.min_height_px` tall and visible in the
/// LiDAR, ignored regions otherwise (objects the camera may see that the labels cannot confirm
/// as visible: a detection there is neither a hit nor a false alarm).
pub fn load_pandaset_images(
    root: &Path,
    keep: impl Fn(u32) -> bool,
    settings: &ImageLabelSettings,
) -> Result<Vec<LabelledCameraImage>, DistillError> {
    let seq = PandasetSequence::open(root)?;
    let mut out = Vec::new();
    for (i, f) in seq.frames().iter().enumerate() {
        if !keep(f.number) {
            continue;
        }
        for cam in seq.camera_names() {
            let labels = seq
                .image_labels(i, cam, settings)?
                .into_iter()
                .filter_map(|l| {
                    let (class, ignore) = scored_class(l.class)?;
                    Some(LabelBox {
                        class: class.to_owned(),
                        bbox: l.bbox.map(|v| v as f32),
                        ignore: ignore || !l.scored,
                    })
                })
                .collect();
            out.push(LabelledCameraImage {
                frame: f.number,
                camera: cam.to_owned(),
                image: seq.camera(i, cam)?,
                labels,
            });
        }
    }
    Ok(out)
}

/// Per-class scores (AP at [`MATCH_IOU`], recall at [`REPORT_PRECISION`]) of detections
/// (one list per image, same order as `images`) against the images' labels.
pub fn score_detections(
    images: &[LabelledCameraImage],
    detections: &[Vec<Detection2d>],
) -> BTreeMap<String, ClassScore> {
    let results: Vec<ImageResult> = images
        .iter()
        .zip(detections)
        .map(|(img, dets)| ImageResult {
            labels: img.labels.clone(),
            detections: dets
                .iter()
                .map(|d| ScoredBox {
                    class: d.label.clone(),
                    score: d.score,
                    bbox: d.bbox,
                })
                .collect(),
        })
        .collect();
    score_classes(&results, &STUDENT_CLASSES, MATCH_IOU, REPORT_PRECISION)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slice() -> std::path::PathBuf {
        kestrel_models::zoo::models_dir().join("../sensors/testdata/pandaset/seq002-36-55")
    }

    #[test]
    fn slice_images_carry_scored_labels() {
        let images =
            load_pandaset_images(&slice(), |n| n == 45, &ImageLabelSettings::default()).unwrap();
        assert_eq!(images.len(), 6);
        let cars: usize = images
            .iter()
            .map(|i| {
                i.labels
                    .iter()
                    .filter(|l| l.class == "car" && !l.ignore)
                    .count()
            })
            .sum();
        assert!(cars > 20, "{cars}");
        // Perfect detections score AP 1 for the classes present.
        let perfect: Vec<Vec<Detection2d>> = images
            .iter()
            .map(|i| {
                i.labels
                    .iter()
                    .filter(|l| !l.ignore)
                    .map(|l| Detection2d {
                        bbox: l.bbox,
                        score: 0.9,
                        class_id: 0,
                        label: l.class.clone(),
                    })
                    .collect()
            })
            .collect();
        let scores = score_detections(&images, &perfect);
        assert_eq!(scores["car"].ap, Some(1.0));
        assert_eq!(scores["car"].labels, cars);
        // No detections: recall 0.
        let none = score_detections(&images, &vec![Vec::new(); images.len()]);
        assert_eq!(none["car"].ap, Some(0.0));
    }
}
