//! The acceptance criteria of issue 14, checked against a block of frames. All of them are
//! measured on the `tracked` topic (what planners consume):
//!
//! | criterion | metric |
//! |---|---|
//! | vehicles within 50 m: recall >= 0.90 | vehicle, 0-50 m, recall |
//! | vehicles within 50 m: named as a vehicle class >= 0.80 of matched | vehicle, 0-50 m, named share |
//! | pedestrians within 30 m: recall >= 0.80 | pedestrian, 0-30 m, recall |
//! | pedestrians within 30 m: named pedestrian >= 0.70 of matched | pedestrian, 0-30 m, named share |
//! | cyclists within 30 m: recall >= 0.85 | cyclist, 0-30 m, recall |
//! | cyclists within 30 m: named cyclist or pedestrian-on-bike >= 0.60 | cyclist, 0-30 m, named share |
//! | outputs with a class other than `unknown`: >= 0.85 lie on a label | 0-50 m on-label share |
//! | outputs covering two or more labels: < 2% of matched outputs | 0-50 m merged share of matched |
//! | tracks with a class: MOTA >= 0.60 within 50 m | "tracks with a class" MOTA |
//! | ID switches <= 1 per 100 labelled track-frames | "tracks with a class" IDSW per 100 |
//!
//! A criterion whose metric is undefined (nothing to measure in the block) is reported as
//! such, neither passed nor failed.

use super::class_group::ClassGroup;
use super::detection_metrics::{BandName, DetectionReport};
use super::tracking_metrics::{TrackingMetrics, TrackingVariant};
use serde::Serialize;

/// How a value is compared with its threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Comparison {
    /// Passes when the value is at least the threshold.
    #[serde(rename = ">=")]
    AtLeast,
    /// Passes when the value is below the threshold.
    #[serde(rename = "<")]
    Below,
    /// Passes when the value is at most the threshold.
    #[serde(rename = "<=")]
    AtMost,
}

impl Comparison {
    /// The operator as text.
    pub fn symbol(self) -> &'static str {
        match self {
            Comparison::AtLeast => ">=",
            Comparison::Below => "<",
            Comparison::AtMost => "<=",
        }
    }

    fn holds(self, value: f64, threshold: f64) -> bool {
        match self {
            Comparison::AtLeast => value >= threshold,
            Comparison::Below => value < threshold,
            Comparison::AtMost => value <= threshold,
        }
    }
}

/// One criterion, measured.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AcceptanceCheck {
    /// What is required.
    pub criterion: &'static str,
    /// The measured value; `None` when undefined in the block.
    pub value: Option<f64>,
    /// The comparison.
    pub comparison: Comparison,
    /// The threshold.
    pub threshold: f64,
    /// Whether it holds; `None` when the value is undefined.
    pub passed: Option<bool>,
}

/// The checks of issue 14 for a block (tracked-topic detection metrics and tracking metrics).
pub fn acceptance_checks(
    tracked: &DetectionReport,
    tracking: &[TrackingMetrics],
) -> Vec<AcceptanceCheck> {
    let recall = |g, b| tracked.group(g, b).and_then(|m| m.recall);
    let named = |g, b| tracked.group(g, b).and_then(|m| m.named_share);
    let outputs = tracked.outputs_in(BandName::All);
    let classed = tracking
        .iter()
        .find(|t| t.variant == TrackingVariant::Classed);
    let rows: [(&'static str, Option<f64>, Comparison, f64); 10] = [
        (
            "vehicles within 50 m: recall",
            recall(ClassGroup::Vehicle, BandName::All),
            Comparison::AtLeast,
            0.90,
        ),
        (
            "vehicles within 50 m: named as a vehicle class, share of matched",
            named(ClassGroup::Vehicle, BandName::All),
            Comparison::AtLeast,
            0.80,
        ),
        (
            "pedestrians within 30 m: recall",
            recall(ClassGroup::Pedestrian, BandName::Near),
            Comparison::AtLeast,
            0.80,
        ),
        (
            "pedestrians within 30 m: named pedestrian, share of matched",
            named(ClassGroup::Pedestrian, BandName::Near),
            Comparison::AtLeast,
            0.70,
        ),
        (
            "cyclists within 30 m: recall",
            recall(ClassGroup::Cyclist, BandName::Near),
            Comparison::AtLeast,
            0.85,
        ),
        (
            "cyclists within 30 m: named cyclist or pedestrian, share of matched",
            named(ClassGroup::Cyclist, BandName::Near),
            Comparison::AtLeast,
            0.60,
        ),
        (
            "outputs with a class other than unknown: share lying on a label",
            outputs.and_then(|o| o.on_label_share),
            Comparison::AtLeast,
            0.85,
        ),
        (
            "matched outputs covering two or more labels: share",
            outputs.and_then(|o| o.merged_share_of_matched),
            Comparison::Below,
            0.02,
        ),
        (
            "tracks with a class within 50 m: MOTA",
            classed.and_then(|t| t.mota),
            Comparison::AtLeast,
            0.60,
        ),
        (
            "tracks with a class: ID switches per 100 labelled track-frames",
            classed.and_then(|t| t.id_switches_per_100),
            Comparison::AtMost,
            1.0,
        ),
    ];
    rows.into_iter()
        .map(
            |(criterion, value, comparison, threshold)| AcceptanceCheck {
                criterion,
                value,
                comparison,
                threshold,
                passed: value.map(|v| comparison.holds(v, threshold)),
            },
        )
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comparisons() {
        assert!(Comparison::AtLeast.holds(0.9, 0.9));
        assert!(!Comparison::Below.holds(0.02, 0.02));
        assert!(Comparison::AtMost.holds(1.0, 1.0));
    }
}
