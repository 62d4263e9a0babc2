//! One labelled frame with its outputs, matched, and which labels and outputs count.
//!
//! - A **label counts** when its centre is within the evaluation range of the vehicle origin
//!   (ground plane, default 50 m), inside the dataset's labelled region ([`LabelScope`], e.g.
//!   KITTI's camera field of view) and not marked as not evaluable (nuScenes boxes without a
//!   LiDAR point).
//! - An **output counts** when it is matched to a counted label, or when it is unmatched and its
//!   own centre is within range and inside the labelled region. An output matched to a label
//!   that does not count (beyond range, outside the region) is ignored: it found a real object
//!   the evaluation does not score.
//! - **Range band** of a label: `0-30 m` below 30 m, `30-50 m` from 30 m up to the range; of an
//!   output: its label's band when matched, else its own.
//!
//! Matching happens over **all** labels and outputs of the frame (see [`super::matching`]), so
//! that the range cut never turns a found object just beyond it into a false positive.

use super::class_group::ClassGroup;
use super::error::EvalError;
use super::label_source::{LabelScope, SequenceFrame};
use super::matching::{FrameMatch, ground_range};
use crate::object_messages::ObjectRecord;
use kestrel_sensors::GroundTruthObject;
use serde::Serialize;

/// Where labels and outputs are scored.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EvalRegion {
    /// Largest ground-plane range from the vehicle origin, metres.
    pub max_range: f64,
    /// Upper edge of the near band, metres (`0-30 m` below, `30-50 m` from there to the range).
    pub near_band_edge: f64,
    /// The dataset's labelled region, if it labels only part of the surroundings.
    pub scope: Option<LabelScope>,
}

impl EvalRegion {
    /// True when the ground-plane point `(x, y)` is scored.
    pub fn contains(&self, x: f64, y: f64) -> bool {
        ground_range(x, y) <= self.max_range && self.scope.is_none_or(|s| s.contains(x, y))
    }

    /// The band of a ground-plane point.
    pub fn band_of(&self, x: f64, y: f64) -> Band {
        if ground_range(x, y) < self.near_band_edge {
            Band::Near
        } else {
            Band::Far
        }
    }
}

/// A range band.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Band {
    /// Below the near edge (30 m).
    Near,
    /// From the near edge to the evaluation range (30-50 m).
    Far,
}

/// A frame ready for scoring.
#[derive(Debug, Clone)]
pub struct ScoredFrame<'a> {
    /// The frame's number in its sequence.
    pub number: u32,
    /// The labels (vehicle frame).
    pub labels: &'a [GroundTruthObject],
    /// The band of each counted label; `None` for labels that do not count.
    pub label_band: Vec<Option<Band>>,
    /// The outputs (vehicle frame).
    pub outputs: &'a [ObjectRecord],
    /// The band of each counted output; `None` for outputs that do not count.
    pub output_band: Vec<Option<Band>>,
    /// The matching over all labels and outputs.
    pub matching: FrameMatch,
}

impl<'a> ScoredFrame<'a> {
    /// Matches `outputs` to the labels of `frame` and decides what counts (module docs).
    pub fn new(
        frame: &'a SequenceFrame,
        outputs: &'a [ObjectRecord],
        region: &EvalRegion,
    ) -> Result<ScoredFrame<'a>, EvalError> {
        let labels = frame.labels.objects.as_slice();
        let matching = FrameMatch::compute(labels, outputs)?;
        let label_band: Vec<Option<Band>> = labels
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let (x, y) = (l.bbox.center.x, l.bbox.center.y);
                (region.contains(x, y) && !frame.not_evaluable.contains(&i))
                    .then(|| region.band_of(x, y))
            })
            .collect();
        let output_band = outputs
            .iter()
            .enumerate()
            .map(|(j, o)| match matching.output_to_label[j] {
                Some(i) => label_band[i],
                None => {
                    let (x, y) = (o.position[0], o.position[1]);
                    region.contains(x, y).then(|| region.band_of(x, y))
                }
            })
            .collect();
        Ok(ScoredFrame {
            number: frame.number,
            labels,
            label_band,
            outputs,
            output_band,
            matching,
        })
    }

    /// The group of label `i`.
    pub fn label_group(&self, i: usize) -> ClassGroup {
        ClassGroup::of_label(self.labels[i].class)
    }
}
