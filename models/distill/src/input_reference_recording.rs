//! Recording a student's input reference ([`InputReference`]) on its training data, for the
//! runtime's drift and shadow-teacher monitors:
//!
//! - camera statistics over every training image (the dash-cam training frames and the six
//!   cameras of the PandaSet training frames, as in [`crate::recipe`]);
//! - LiDAR statistics over the PandaSet training sweeps (the frames the fusion was tuned on),
//!   exactly as the runtime receives them (motion-compensated, in the LiDAR frame);
//! - radar: none (the workspace holds a single real radar scan, which is no distribution);
//! - the student's agreement with the teacher (as the model card defines it) over the same
//!   training images, and the floor of the rolling recall over windows of consecutive images.

use crate::DistillError;
use crate::detector_evaluation::{Labeller, detect_all};
use crate::image_sets::{dashcam_split, load_frames};
use crate::recipe::teacher_for_agreement;
use kestrel_models::agreement::{MatchCounts, match_image};
use kestrel_models::input_reference::{AgreementReference, InputReference, StatisticReference};
use kestrel_models::{Detector, zoo};
use kestrel_sensors::CameraFrame;
use kestrel_sensors::input_statistics::{InputStatistics, camera_statistics, lidar_statistics};
use kestrel_sensors::pandaset::PandasetSequence;
use std::collections::BTreeMap;
use std::path::Path;

/// What to record the reference on.
#[derive(Debug, Clone)]
pub struct ReferenceSettings<'a> {
    /// The PandaSet sequence the student was trained on.
    pub pandaset: &'a Path,
    /// First held-out frame number (earlier frames are training frames).
    pub heldout_from: u32,
    /// Images per rolling agreement window (the runtime monitor's window).
    pub window: usize,
    /// Worker threads for the detectors.
    pub threads: usize,
}

/// Accumulates statistic values by kind and name.
#[derive(Default)]
struct Samples(BTreeMap<String, BTreeMap<String, Vec<f64>>>);

impl Samples {
    fn add(&mut self, s: &InputStatistics) {
        let kind = self.0.entry(s.kind.to_owned()).or_default();
        for (name, v) in &s.values {
            kind.entry((*name).to_owned()).or_default().push(*v);
        }
    }

    fn references(&self) -> BTreeMap<String, BTreeMap<String, StatisticReference>> {
        self.0
            .iter()
            .map(|(kind, stats)| {
                let refs = stats
                    .iter()
                    .filter_map(|(n, v)| Some((n.clone(), StatisticReference::from_values(v)?)))
                    .collect();
                (kind.clone(), refs)
            })
            .collect()
    }
}

/// Pooled counts -> recall over consecutive windows of `window` images; the windows without a
/// teacher detection are skipped.
fn window_recalls(per_image: &[MatchCounts], window: usize) -> Vec<f64> {
    per_image
        .windows(window.max(1))
        .filter_map(|w| {
            let mut c = MatchCounts::default();
            w.iter().for_each(|x| c.add(x));
            c.recall().map(f64::from)
        })
        .collect()
}

/// Records the input reference of `student` (see the module docs).
pub fn record_input_reference(
    student: &Detector,
    settings: &ReferenceSettings,
) -> Result<InputReference, DistillError> {
    let mut samples = Samples::default();
    let (dash_train, _) = dashcam_split(&zoo::dashcam_data_dir())?;
    let mut images = load_frames(&dash_train)?;
    let sequence = PandasetSequence::open(settings.pandaset)?;
    let mut sweeps = 0;
    for (i, f) in sequence.frames().iter().enumerate() {
        if f.number >= settings.heldout_from {
            continue;
        }
        samples.add(&lidar_statistics(&sequence.lidar(i)?.cloud));
        sweeps += 1;
        for cam in sequence.camera_names() {
            images.push(sequence.camera(i, cam)?);
        }
    }
    for image in &images {
        samples.add(&camera_statistics(image));
    }
    let refs: Vec<&CameraFrame> = images.iter().collect();
    let classes: Vec<&str> = student
        .manifest()
        .decoder
        .classes
        .iter()
        .map(String::as_str)
        .collect();
    let teacher = detect_all(
        &Labeller::as_configured(&teacher_for_agreement()?),
        &refs,
        settings.threads,
        &|| {},
    )?;
    let students = detect_all(
        &Labeller::as_configured(student),
        &refs,
        settings.threads,
        &|| {},
    )?;
    let per_image: Vec<MatchCounts> = teacher
        .iter()
        .zip(&students)
        .map(|(t, s)| {
            let mut c = MatchCounts::default();
            match_image(t, s, &classes).values().for_each(|x| c.add(x));
            c
        })
        .collect();
    let mut pooled = MatchCounts::default();
    per_image.iter().for_each(|c| pooled.add(c));
    let recalls = window_recalls(&per_image, settings.window);
    // The floor is the 5th percentile (`QUANTILE_LEVELS[1]`) of the training windows' recall.
    let floor = StatisticReference::from_values(&recalls)
        .map(|r| r.quantiles[1])
        .ok_or_else(|| {
            DistillError::Setting("no training window has a teacher detection".into())
        })?;
    Ok(InputReference {
        source: format!(
            "{} dash-cam training frames and PandaSet {} frames < {} ({} sweeps, {} images of six cameras); \
             no radar reference (the workspace holds one real radar scan)",
            images.len() - sweeps * sequence.camera_names().len(),
            sequence
                .root()
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("sequence"),
            settings.heldout_from,
            sweeps,
            sweeps * sequence.camera_names().len(),
        ),
        statistics: samples.references(),
        agreement: Some(AgreementReference {
            window: settings.window,
            recall: f64::from(pooled.recall().unwrap_or(0.0)),
            precision: f64::from(pooled.precision().unwrap_or(0.0)),
            recall_floor: floor,
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_pool_counts_and_skip_empty_ones() {
        let c = |teacher, matched| MatchCounts {
            teacher,
            student: matched,
            matched,
        };
        let per_image = [c(2, 2), c(0, 0), c(2, 0), c(0, 0), c(0, 0)];
        assert_eq!(window_recalls(&per_image, 2), vec![1.0, 0.0, 0.0]);
        assert_eq!(window_recalls(&per_image, 5), vec![0.5]);
    }
}
