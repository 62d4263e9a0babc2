//! Per-frame detection metrics, by class group and range band, over one output topic.
//!
//! Counted labels and outputs, bands and matches: [`super::scored_frame`] and
//! [`super::matching`]. For a group `g` and band `b` (labels of group `g` in band `b`):
//!
//! - **recall** = matched labels / labels (class-agnostic: an `unknown` output on a label
//!   counts as found);
//! - **named share** = matched labels whose output *names* the group
//!   ([`ClassGroup::is_named_by`]) / matched labels; **class exact share** = matched labels whose
//!   output has exactly the label's class / matched labels;
//! - **precision** = outputs *claiming* `g` ([`ClassGroup::claimed_by`]) that are matched to a
//!   label of `g` / outputs claiming `g` (the output's band: its label's if matched, else its
//!   own); not defined for `other`, which no output claims;
//! - **median centre error**: ground-plane centre distance of the matches, metres; **median
//!   heading error**: `|yaw_out - yaw_label|` wrapped to 0-180 degrees; **median axis error**:
//!   the same modulo 180 degrees (0-90), for boxes whose front/back is not known (single-frame
//!   detections publish orientation "sign unknown"). Median of an even count: the mean of the
//!   two middle values.
//!
//! Over all counted outputs of a band:
//!
//! - **precision** = matched outputs / outputs; **unknown share** = outputs of class `unknown`
//!   / outputs;
//! - **on-label share** = outputs with a class other than `unknown` that *lie on a label* /
//!   such outputs, where an output lies on a label when it is matched, or its centre lies in the
//!   footprint of any label of the frame (counted or not) grown by the on-label margin
//!   (default 0.5 m) on every side;
//! - **merged**: an output *covers two or more labels* when its own footprint contains the
//!   centres of at least two labels of the frame; **merged share of matched** = matched outputs
//!   that cover two or more labels / matched outputs.

use super::class_group::ClassGroup;
use super::matching::{centre_distance, footprint_contains, output_box};
use super::scored_frame::{Band, ScoredFrame};
use kestrel_sensors::ObjectClass;
use serde::Serialize;
use std::collections::BTreeMap;

/// Label-side tallies of one (group, band).
#[derive(Debug, Clone, Default)]
struct LabelCell {
    labels: u64,
    matched: u64,
    named: u64,
    class_exact: u64,
    centre_errors: Vec<f64>,
    heading_errors: Vec<f64>,
    axis_errors: Vec<f64>,
    claiming: u64,
    claiming_matched: u64,
}

impl LabelCell {
    fn merge(&mut self, o: &LabelCell) {
        self.labels += o.labels;
        self.matched += o.matched;
        self.named += o.named;
        self.class_exact += o.class_exact;
        self.centre_errors.extend_from_slice(&o.centre_errors);
        self.heading_errors.extend_from_slice(&o.heading_errors);
        self.axis_errors.extend_from_slice(&o.axis_errors);
        self.claiming += o.claiming;
        self.claiming_matched += o.claiming_matched;
    }
}

/// Output-side tallies of one band.
#[derive(Debug, Clone, Copy, Default)]
struct OutputCell {
    outputs: u64,
    matched: u64,
    unknown: u64,
    classed: u64,
    classed_on_label: u64,
    merged: u64,
    merged_matched: u64,
}

impl OutputCell {
    fn merge(&mut self, o: &OutputCell) {
        self.outputs += o.outputs;
        self.matched += o.matched;
        self.unknown += o.unknown;
        self.classed += o.classed;
        self.classed_on_label += o.classed_on_label;
        self.merged += o.merged;
        self.merged_matched += o.merged_matched;
    }
}

/// `a / b`, `None` when `b` is 0.
pub fn ratio(a: u64, b: u64) -> Option<f64> {
    (b > 0).then(|| a as f64 / b as f64)
}

/// The median (mean of the two middle values for an even count); `None` when empty.
pub fn median(values: &[f64]) -> Option<f64> {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(v[n / 2]),
        _ => Some((v[n / 2 - 1] + v[n / 2]) / 2.0),
    }
}

/// Heading difference wrapped to `[0, pi]`, radians.
fn heading_error(a: f64, b: f64) -> f64 {
    let d = (a - b).rem_euclid(std::f64::consts::TAU);
    d.min(std::f64::consts::TAU - d)
}

/// Accumulates detection metrics over frames.
#[derive(Debug, Clone)]
pub struct DetectionAccumulator {
    on_label_margin: f64,
    labels: BTreeMap<(ClassGroup, Band), LabelCell>,
    outputs: BTreeMap<Band, OutputCell>,
}

impl DetectionAccumulator {
    /// An empty accumulator; `on_label_margin` grows label footprints for "lies on a label",
    /// metres.
    pub fn new(on_label_margin: f64) -> Self {
        Self {
            on_label_margin,
            labels: BTreeMap::new(),
            outputs: BTreeMap::new(),
        }
    }

    /// Adds one frame.
    pub fn add_frame(&mut self, f: &ScoredFrame<'_>) {
        for (i, l) in f.labels.iter().enumerate() {
            let Some(band) = f.label_band[i] else {
                continue;
            };
            let group = f.label_group(i);
            let cell = self.labels.entry((group, band)).or_default();
            cell.labels += 1;
            if let Some(j) = f.matching.label_to_output[i] {
                let o = &f.outputs[j];
                cell.matched += 1;
                cell.named += u64::from(group.is_named_by(o.class));
                cell.class_exact += u64::from(o.class == l.class);
                cell.centre_errors.push(centre_distance(l, o));
                let h = heading_error(o.yaw, l.bbox.yaw);
                cell.heading_errors.push(h.to_degrees());
                cell.axis_errors
                    .push(h.min(std::f64::consts::PI - h).to_degrees());
            }
        }
        for (j, o) in f.outputs.iter().enumerate() {
            let Some(band) = f.output_band[j] else {
                continue;
            };
            let matched_label = f.matching.output_to_label[j];
            if let Some(g) = ClassGroup::claimed_by(o.class) {
                let cell = self.labels.entry((g, band)).or_default();
                cell.claiming += 1;
                cell.claiming_matched +=
                    u64::from(matched_label.is_some_and(|i| f.label_group(i) == g));
            }
            let (x, y) = (o.position[0], o.position[1]);
            let on_label = matched_label.is_some()
                || f.labels
                    .iter()
                    .any(|l| footprint_contains(&l.bbox, x, y, self.on_label_margin));
            let b = output_box(o);
            let covered = f
                .labels
                .iter()
                .filter(|l| footprint_contains(&b, l.bbox.center.x, l.bbox.center.y, 0.0))
                .count();
            let merged = covered >= 2;
            let cell = self.outputs.entry(band).or_default();
            cell.outputs += 1;
            cell.matched += u64::from(matched_label.is_some());
            let unknown = o.class == ObjectClass::Unknown;
            cell.unknown += u64::from(unknown);
            cell.classed += u64::from(!unknown);
            cell.classed_on_label += u64::from(!unknown && on_label);
            cell.merged += u64::from(merged);
            cell.merged_matched += u64::from(merged && matched_label.is_some());
        }
    }

    /// The metrics so far: per group, the near band, the far band, then both together; per
    /// band of outputs likewise.
    pub fn report(&self) -> DetectionReport {
        let mut groups = Vec::new();
        for g in ClassGroup::ALL {
            let near = self
                .labels
                .get(&(g, Band::Near))
                .cloned()
                .unwrap_or_default();
            let far = self
                .labels
                .get(&(g, Band::Far))
                .cloned()
                .unwrap_or_default();
            let mut all = near.clone();
            all.merge(&far);
            for (band, cell) in [
                (BandName::Near, near),
                (BandName::Far, far),
                (BandName::All, all),
            ] {
                groups.push(GroupBandMetrics::of(g, band, &cell));
            }
        }
        let near = self.outputs.get(&Band::Near).copied().unwrap_or_default();
        let far = self.outputs.get(&Band::Far).copied().unwrap_or_default();
        let mut all = near;
        all.merge(&far);
        let outputs = [
            (BandName::Near, near),
            (BandName::Far, far),
            (BandName::All, all),
        ]
        .into_iter()
        .map(|(band, c)| OutputBandMetrics {
            band,
            outputs: c.outputs,
            matched: c.matched,
            precision: ratio(c.matched, c.outputs),
            unknown: c.unknown,
            unknown_share: ratio(c.unknown, c.outputs),
            classed: c.classed,
            classed_on_label: c.classed_on_label,
            on_label_share: ratio(c.classed_on_label, c.classed),
            merged: c.merged,
            merged_matched: c.merged_matched,
            merged_share_of_matched: ratio(c.merged_matched, c.matched),
        })
        .collect();
        DetectionReport { groups, outputs }
    }
}

/// A band as reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum BandName {
    /// Below 30 m.
    #[serde(rename = "0-30 m")]
    Near,
    /// 30 m to the evaluation range.
    #[serde(rename = "30-50 m")]
    Far,
    /// Both.
    #[serde(rename = "0-50 m")]
    All,
}

impl BandName {
    /// The band's label in tables.
    pub fn label(self) -> &'static str {
        match self {
            BandName::Near => "0-30 m",
            BandName::Far => "30-50 m",
            BandName::All => "0-50 m",
        }
    }
}

/// Label-side metrics of one group and band (module docs).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupBandMetrics {
    /// The group.
    pub group: ClassGroup,
    /// The band.
    pub band: BandName,
    /// Counted labels.
    pub labels: u64,
    /// Of those, matched.
    pub matched: u64,
    /// `matched / labels`.
    pub recall: Option<f64>,
    /// Matched labels whose output names the group.
    pub named: u64,
    /// `named / matched`.
    pub named_share: Option<f64>,
    /// Matched labels whose output has exactly the label's class, over matched.
    pub class_exact_share: Option<f64>,
    /// Counted outputs claiming the group.
    pub claiming_outputs: u64,
    /// Of those, matched to a label of the group.
    pub claiming_matched: u64,
    /// `claiming_matched / claiming_outputs`.
    pub precision: Option<f64>,
    /// Median ground-plane centre error of the matches, metres.
    pub median_centre_error_m: Option<f64>,
    /// Median heading error of the matches, degrees (0-180).
    pub median_heading_error_deg: Option<f64>,
    /// Median axis error of the matches, degrees (0-90).
    pub median_axis_error_deg: Option<f64>,
}

impl GroupBandMetrics {
    fn of(group: ClassGroup, band: BandName, c: &LabelCell) -> Self {
        GroupBandMetrics {
            group,
            band,
            labels: c.labels,
            matched: c.matched,
            recall: ratio(c.matched, c.labels),
            named: c.named,
            named_share: ratio(c.named, c.matched),
            class_exact_share: ratio(c.class_exact, c.matched),
            claiming_outputs: c.claiming,
            claiming_matched: c.claiming_matched,
            precision: ratio(c.claiming_matched, c.claiming),
            median_centre_error_m: median(&c.centre_errors),
            median_heading_error_deg: median(&c.heading_errors),
            median_axis_error_deg: median(&c.axis_errors),
        }
    }
}

/// Output-side metrics of one band (module docs).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutputBandMetrics {
    /// The band.
    pub band: BandName,
    /// Counted outputs.
    pub outputs: u64,
    /// Of those, matched to a label.
    pub matched: u64,
    /// `matched / outputs`.
    pub precision: Option<f64>,
    /// Outputs of class `unknown`.
    pub unknown: u64,
    /// `unknown / outputs`.
    pub unknown_share: Option<f64>,
    /// Outputs with a class other than `unknown`.
    pub classed: u64,
    /// Of those, lying on a label.
    pub classed_on_label: u64,
    /// `classed_on_label / classed`.
    pub on_label_share: Option<f64>,
    /// Outputs covering two or more labels.
    pub merged: u64,
    /// Matched outputs covering two or more labels.
    pub merged_matched: u64,
    /// `merged_matched / matched`.
    pub merged_share_of_matched: Option<f64>,
}

/// Detection metrics of one topic.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DetectionReport {
    /// Per group: near, far, all.
    pub groups: Vec<GroupBandMetrics>,
    /// Per band: near, far, all.
    pub outputs: Vec<OutputBandMetrics>,
}

impl DetectionReport {
    /// The metrics of `group` in `band`.
    pub fn group(&self, group: ClassGroup, band: BandName) -> Option<&GroupBandMetrics> {
        self.groups
            .iter()
            .find(|m| m.group == group && m.band == band)
    }

    /// The output metrics of `band`.
    pub fn outputs_in(&self, band: BandName) -> Option<&OutputBandMetrics> {
        self.outputs.iter().find(|m| m.band == band)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evaluation::label_source::SequenceFrame;
    use crate::evaluation::matching::tests::{label, output};
    use crate::evaluation::scored_frame::EvalRegion;
    use kestrel_sensors::{LabelledFrame, Timestamp};

    fn region() -> EvalRegion {
        EvalRegion {
            max_range: 50.0,
            near_band_edge: 30.0,
            scope: None,
        }
    }

    fn frame(labels: Vec<kestrel_sensors::GroundTruthObject>) -> SequenceFrame {
        SequenceFrame {
            number: 0,
            name: "0".into(),
            labels: LabelledFrame {
                timestamp: Timestamp(0),
                frame: "vehicle".into(),
                objects: labels,
            },
            not_evaluable: vec![],
        }
    }

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(&[]), None);
        assert!((heading_error(3.0, -3.0) - (std::f64::consts::TAU - 6.0)).abs() < 1e-12);
    }

    /// Two pedestrians side by side and one box over both (merged), a car found as `unknown`,
    /// a car missed, a ghost `car` output and a `car` output on a far label (ignored).
    #[test]
    fn hand_computed_frame() {
        use ObjectClass::*;
        let f = frame(vec![
            label(Pedestrian, 10.0, 0.0, 0.6, 0.6),
            label(Pedestrian, 10.0, 0.8, 0.6, 0.6),
            label(Car, 20.0, 5.0, 4.0, 1.8),
            label(Car, 40.0, -5.0, 4.0, 1.8),
            label(Car, 60.0, 0.0, 4.0, 1.8),
        ]);
        let outputs = vec![
            // Covers both pedestrians' centres, matched to the first (0.3 m away).
            output(Pedestrian, 10.0, 0.3, 1.0, 1.6, Some(1)),
            output(Unknown, 20.5, 5.0, 4.0, 1.8, Some(2)),
            output(Car, 25.0, -20.0, 4.0, 1.8, Some(3)),
            output(Car, 60.5, 0.0, 4.0, 1.8, Some(4)),
        ];
        let scored = ScoredFrame::new(&f, &outputs, &region()).unwrap();
        assert_eq!(
            scored.output_band[3], None,
            "matched to a label beyond range"
        );
        let mut acc = DetectionAccumulator::new(0.5);
        acc.add_frame(&scored);
        let r = acc.report();
        let ped = r.group(ClassGroup::Pedestrian, BandName::Near).unwrap();
        assert_eq!((ped.labels, ped.matched, ped.named), (2, 1, 1));
        assert_eq!(ped.recall, Some(0.5));
        assert_eq!(ped.precision, Some(1.0));
        assert!((ped.median_centre_error_m.unwrap() - 0.3).abs() < 1e-12);
        let cars = r.group(ClassGroup::Vehicle, BandName::All).unwrap();
        assert_eq!((cars.labels, cars.matched, cars.named), (2, 1, 0));
        assert_eq!(cars.named_share, Some(0.0));
        assert_eq!((cars.claiming_outputs, cars.claiming_matched), (1, 0));
        let far = r.group(ClassGroup::Vehicle, BandName::Far).unwrap();
        assert_eq!((far.labels, far.matched), (1, 0));
        let all = r.outputs_in(BandName::All).unwrap();
        assert_eq!((all.outputs, all.matched, all.unknown), (3, 2, 1));
        assert_eq!((all.classed, all.classed_on_label), (2, 1));
        assert_eq!(all.on_label_share, Some(0.5));
        assert_eq!((all.merged, all.merged_matched), (1, 1));
        assert_eq!(all.merged_share_of_matched, Some(0.5));
        assert_eq!(all.unknown_share, Some(1.0 / 3.0));
    }
}
