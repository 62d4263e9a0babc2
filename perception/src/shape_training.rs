//! Training data and measurement for the LiDAR shape classifier
//! (`kestrel_fusion::lidar::shape_classifier`), from a labelled PandaSet sequence.
//!
//! Each sweep of the chosen frames goes through the production LiDAR branch and association
//! without cameras and without a shape classifier, so every object is one the classifier will
//! see at run time (a cluster, or a part of one, that no camera named). Objects are matched to
//! the human labels of their frame as `kestrel eval` matches (one-to-one, ground-plane centre
//! distance, 2 m vehicles / 1 m others); an object's true class is its label's group
//! (vehicle -> `car`, pedestrian -> `pedestrian`, cyclist -> `bicycle`) and `unknown` for an
//! object matched to a label of the "other" group (cones, signs) or to none (walls, poles,
//! vegetation). Objects beyond 50 m are left out, as in the evaluation.

use crate::error::PerceptionError;
use crate::evaluation::class_group::ClassGroup;
use crate::evaluation::matching::FrameMatch;
use crate::object_messages::{detected_objects, detected_records};
use kestrel_fusion::association::NO_SHAPE_CLASSIFIER;
use kestrel_fusion::lidar::shape_classifier::ShapeClassifier;
use kestrel_fusion::lidar::shape_features::ShapeFeatures;
use kestrel_fusion::{DetectedObject, FusionConfig, FusionStage, SensorFrameSet};
use kestrel_sensors::pandaset::PandasetSequence;
use kestrel_sensors::{GroundTruthObject, ObjectClass};
use std::ops::RangeInclusive;

/// Objects farther than this from the vehicle origin are not samples, metres.
pub const SAMPLE_RANGE_M: f64 = 50.0;

/// The classes the classifier is fitted on: `unknown` (nothing to name) and one per group.
pub const SHAPE_CLASSES: [ObjectClass; 4] = [
    ObjectClass::Unknown,
    ObjectClass::Car,
    ObjectClass::Pedestrian,
    ObjectClass::Bicycle,
];

/// One training or test sample.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ShapeSample {
    /// Frame number in the sequence.
    pub frame: u32,
    /// The object's descriptors.
    pub features: ShapeFeatures,
    /// Its true class (module docs).
    pub class: ObjectClass,
}

/// The class an object matched to a label of class `label` should be named (module docs).
pub fn sample_class(label: Option<ObjectClass>) -> ObjectClass {
    match label.map(ClassGroup::of_label) {
        Some(ClassGroup::Vehicle) => ObjectClass::Car,
        Some(ClassGroup::Pedestrian) => ObjectClass::Pedestrian,
        Some(ClassGroup::Cyclist) => ObjectClass::Bicycle,
        Some(ClassGroup::Other) | None => ObjectClass::Unknown,
    }
}

/// The samples of the frames of `sequence` whose numbers lie in `frames`, with the LiDAR and
/// association settings of `config` (its shape classifier is not used).
pub fn collect_samples(
    sequence: &PandasetSequence,
    frames: &RangeInclusive<u32>,
    config: &FusionConfig,
) -> Result<Vec<ShapeSample>, PerceptionError> {
    let mut config = config.clone();
    config.association.shape_classifier = NO_SHAPE_CLASSIFIER.into();
    let fusion_error = |e: kestrel_fusion::FusionError| PerceptionError::Stage {
        stage: "fusion".into(),
        message: e.to_string(),
    };
    let stage = FusionStage::new(sequence.rig().clone(), config, None).map_err(fusion_error)?;
    let source_error = |e: kestrel_sensors::SensorError| PerceptionError::Source {
        source_name: sequence.root().display().to_string(),
        message: e.to_string(),
    };
    let mut samples = Vec::new();
    for (index, frame) in sequence.frames().iter().enumerate() {
        if !frames.contains(&frame.number) {
            continue;
        }
        let sweep = sequence.lidar(index).map_err(source_error)?;
        let labels = sequence.labels(index).map_err(source_error)?;
        let mut set = SensorFrameSet::new(frame.lidar_time);
        set.lidars.push(sweep.cloud);
        set.sequence = u64::from(frame.number);
        let fused = stage.process(&set).map_err(fusion_error)?;
        let objects: Vec<DetectedObject> = fused
            .objects
            .into_iter()
            .filter(|o| o.lidar_shape.is_some())
            .filter(|o| o.bbox.center.x.hypot(o.bbox.center.y) <= SAMPLE_RANGE_M)
            .collect();
        // The records `kestrel eval` matches: the objects as published, read back.
        let records = detected_records(&detected_objects(frame.lidar_time, &objects));
        let matching =
            FrameMatch::compute(&labels.objects, &records).map_err(|e| PerceptionError::Stage {
                stage: "label matching".into(),
                message: e.to_string(),
            })?;
        for (o, label) in objects.iter().zip(&matching.output_to_label) {
            let label: Option<&GroundTruthObject> = label.map(|l| &labels.objects[l]);
            if let Some(features) = o.lidar_shape {
                samples.push(ShapeSample {
                    frame: frame.number,
                    features,
                    class: sample_class(label.map(|l| l.class)),
                });
            }
        }
    }
    Ok(samples)
}

/// How a classifier names the samples of one class.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClassScore {
    /// The class.
    pub class: ObjectClass,
    /// Samples of the class.
    pub samples: usize,
    /// Samples the classifier named with the class (a vehicle named `car` or `truck`).
    pub named: usize,
    /// Of those, samples of the class.
    pub correct: usize,
}

impl ClassScore {
    /// correct / named (`None` when nothing was named).
    pub fn precision(&self) -> Option<f64> {
        (self.named > 0).then(|| self.correct as f64 / self.named as f64)
    }

    /// correct / samples (`None` without samples).
    pub fn recall(&self) -> Option<f64> {
        (self.samples > 0).then(|| self.correct as f64 / self.samples as f64)
    }
}

/// Scores `classifier` on `samples`, one row per naming class of [`SHAPE_CLASSES`].
pub fn score(classifier: &ShapeClassifier, samples: &[ShapeSample]) -> Vec<ClassScore> {
    let group = |c: ObjectClass| sample_class(Some(c));
    SHAPE_CLASSES[1..]
        .iter()
        .map(|&class| {
            let mut s = ClassScore {
                class,
                samples: 0,
                named: 0,
                correct: 0,
            };
            for sample in samples {
                let truth = sample.class == class;
                let named = classifier
                    .name(&sample.features)
                    .is_some_and(|(c, _)| group(c) == class);
                s.samples += usize::from(truth);
                s.named += usize::from(named);
                s.correct += usize::from(truth && named);
            }
            s
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_groups_become_the_classes_fitted() {
        assert_eq!(sample_class(Some(ObjectClass::Bus)), ObjectClass::Car);
        assert_eq!(sample_class(Some(ObjectClass::Truck)), ObjectClass::Car);
        assert_eq!(
            sample_class(Some(ObjectClass::Motorcycle)),
            ObjectClass::Bicycle
        );
        assert_eq!(
            sample_class(Some(ObjectClass::Pedestrian)),
            ObjectClass::Pedestrian
        );
        assert_eq!(
            sample_class(Some(ObjectClass::Unknown)),
            ObjectClass::Unknown
        );
        assert_eq!(sample_class(None), ObjectClass::Unknown);
    }
}
