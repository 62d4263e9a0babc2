//! How well an anonymiser covered people, judged by human labels: for every labelled pedestrian
//! a camera sees (PandaSet cuboids projected into the image, at least 20 px tall and visible
//! in the LiDAR: the labels `kestrel-distill evaluate` scores detectors on), its head region
//! ([`head_region`] of the projected box, the same rule the anonymiser applies to detections)
//! counts as covered when at least [`COVERED_FRACTION`] of its pixels were pixelated.

use crate::anonymiser::{AnonymisedImages, head_region};
use crate::error::PerceptionError;
use kestrel_sensors::ObjectClass;
use kestrel_sensors::image_labels::ImageLabelSettings;
use kestrel_sensors::pandaset::PandasetSequence;
use serde::Serialize;

/// Share of a head region's pixels that must be pixelated for it to count as covered.
pub const COVERED_FRACTION: f64 = 0.5;

/// Labelled heads and how many were covered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct HeadCoverage {
    /// Labelled pedestrians' head regions in the images.
    pub labelled: usize,
    /// Of those, covered.
    pub covered: usize,
}

impl HeadCoverage {
    /// covered / labelled (`None` without labels).
    pub fn fraction(&self) -> Option<f64> {
        (self.labelled > 0).then(|| self.covered as f64 / self.labelled as f64)
    }
}

/// Share of `head`'s pixels inside any of `regions` (all `[u1, v1, u2, v2)`).
pub fn covered_fraction(head: [u32; 4], regions: &[[u32; 4]]) -> f64 {
    let [u1, v1, u2, v2] = head;
    let total = u64::from(u2 - u1) * u64::from(v2 - v1);
    if total == 0 {
        return 0.0;
    }
    let mut inside = 0u64;
    for v in v1..v2 {
        for u in u1..u2 {
            if regions
                .iter()
                .any(|r| (r[0]..r[2]).contains(&u) && (r[1]..r[3]).contains(&v))
            {
                inside += 1;
            }
        }
    }
    inside as f64 / total as f64
}

/// Head coverage of `done` over the pedestrians of `sequence`, split into the frames before
/// `heldout_from` (tuning) and from it on (held out).
pub fn pandaset_head_coverage(
    sequence: &PandasetSequence,
    done: &AnonymisedImages,
    heldout_from: u32,
) -> Result<(HeadCoverage, HeadCoverage), PerceptionError> {
    let settings = ImageLabelSettings::default();
    let err = |e: kestrel_sensors::SensorError| PerceptionError::Config(e.to_string());
    let (mut tuning, mut heldout) = (HeadCoverage::default(), HeadCoverage::default());
    for (i, frame) in sequence.frames().iter().enumerate() {
        let slot = if frame.number < heldout_from {
            &mut tuning
        } else {
            &mut heldout
        };
        for camera in sequence.camera_names() {
            let stamp = sequence.camera_time(camera, frame.number).map_err(err)?;
            let regions = done
                .regions
                .get(&(camera.to_owned(), stamp.0))
                .map_or(&[][..], Vec::as_slice);
            for label in sequence.image_labels(i, camera, &settings).map_err(err)? {
                if label.class != ObjectClass::Pedestrian || !label.scored {
                    continue;
                }
                let Some(head) = head_region(label.bbox, u32::MAX, u32::MAX) else {
                    continue;
                };
                slot.labelled += 1;
                if covered_fraction(head, regions) >= COVERED_FRACTION {
                    slot.covered += 1;
                }
            }
        }
    }
    Ok((tuning, heldout))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coverage_counts_pixels_in_the_union_of_regions() {
        let head = [0, 0, 10, 10];
        assert_eq!(covered_fraction(head, &[]), 0.0);
        assert_eq!(covered_fraction(head, &[[0, 0, 5, 10]]), 0.5);
        // Overlapping regions are not counted twice.
        assert_eq!(
            covered_fraction(head, &[[0, 0, 5, 10], [0, 0, 10, 5]]),
            0.75
        );
        assert_eq!(covered_fraction([3, 3, 3, 9], &[[0, 0, 10, 10]]), 0.0);
        let c = HeadCoverage {
            labelled: 4,
            covered: 3,
        };
        assert_eq!(c.fraction(), Some(0.75));
    }
}
