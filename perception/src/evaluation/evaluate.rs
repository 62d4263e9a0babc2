//! Scores a label sequence against output frames: pairs each labelled frame with the output
//! frame nearest in time (within a tolerance; none -> the stack published nothing for it),
//! scores every frame ([`ScoredFrame`]) into the detection metrics of both topics and the
//! tracking metrics of the `tracked` topic, for all frames and, with a split, separately for
//! the tuning frames and the held-out frames.

use super::acceptance::acceptance_checks;
use super::class_group::ClassGroup;
use super::detection_metrics::DetectionAccumulator;
use super::error::EvalError;
use super::label_source::{LabelSequence, SequenceFrame};
use super::output_frames::{FrameOutputs, OutputFrames};
use super::report::{BlockReport, EvaluationReport, SettingsReport};
use super::scored_frame::{EvalRegion, ScoredFrame};
use super::tracking_metrics::TrackingAccumulator;
use std::ops::RangeInclusive;

/// Evaluation settings.
#[derive(Debug, Clone, PartialEq)]
pub struct EvalSettings {
    /// Largest scored ground-plane range, metres (50).
    pub max_range: f64,
    /// Edge between the near and far bands, metres (30).
    pub near_band_edge: f64,
    /// Margin of "lies on a label", metres (0.5).
    pub on_label_margin: f64,
    /// Largest time offset between a labelled frame and its output frame, ns (50 ms: half a
    /// 10 Hz period).
    pub time_tolerance_ns: u64,
    /// Frame numbers used for tuning; the others are reported as held out. `None`: no split.
    pub tuning_frames: Option<RangeInclusive<u32>>,
}

impl Default for EvalSettings {
    fn default() -> Self {
        Self {
            max_range: 50.0,
            near_band_edge: 30.0,
            on_label_margin: 0.5,
            time_tolerance_ns: 50_000_000,
            tuning_frames: None,
        }
    }
}

/// Parses a frame range `A-B` (inclusive) or a single frame `A`.
pub fn parse_frame_range(text: &str) -> Result<RangeInclusive<u32>, EvalError> {
    let bad = || EvalError::Settings(format!("frame range `{text}`: expected `A-B`, e.g. `0-39`"));
    let (a, b) = match text.split_once('-') {
        Some((a, b)) => (a, b),
        None => (text, text),
    };
    let a: u32 = a.trim().parse().map_err(|_| bad())?;
    let b: u32 = b.trim().parse().map_err(|_| bad())?;
    if a > b {
        return Err(bad());
    }
    Ok(a..=b)
}

/// The frames' names as runs of consecutive frame numbers: `00-39, 41`.
fn describe_frames(frames: &[&SequenceFrame]) -> String {
    let mut runs: Vec<(&SequenceFrame, &SequenceFrame)> = Vec::new();
    for f in frames {
        match runs.last_mut() {
            Some((_, last)) if last.number + 1 == f.number => *last = f,
            _ => runs.push((f, f)),
        }
    }
    runs.iter()
        .map(|(a, b)| {
            if a.number == b.number {
                a.name.clone()
            } else {
                format!("{}-{}", a.name, b.name)
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Labels, outputs and settings of one evaluation.
#[derive(Debug, Clone)]
pub struct Evaluation<'a> {
    /// The labels.
    pub labels: &'a LabelSequence,
    /// The outputs.
    pub outputs: &'a OutputFrames,
    /// The settings.
    pub settings: EvalSettings,
}

/// The empty output frame (for labelled frames without one).
static NO_OUTPUTS: FrameOutputs = FrameOutputs {
    tracked: Vec::new(),
    detected: Vec::new(),
};

impl<'a> Evaluation<'a> {
    /// The scored region.
    pub fn region(&self) -> EvalRegion {
        EvalRegion {
            max_range: self.settings.max_range,
            near_band_edge: self.settings.near_band_edge,
            scope: self.labels.scope,
        }
    }

    /// The output frame scored with `frame`: its stamp (ns) and objects, or `None` and no
    /// objects when no output frame lies within the tolerance.
    pub fn outputs_of(&self, frame: &SequenceFrame) -> (Option<u64>, &'a FrameOutputs) {
        match self.outputs.nearest(
            frame.labels.timestamp.as_nanos(),
            self.settings.time_tolerance_ns,
        ) {
            Some((stamp, f)) => (Some(stamp), f),
            None => (None, &NO_OUTPUTS),
        }
    }

    fn block(&self, name: &str, frames: &[&SequenceFrame]) -> Result<BlockReport, EvalError> {
        let region = self.region();
        let margin = self.settings.on_label_margin;
        let (mut tracked, mut detected) = (
            DetectionAccumulator::new(margin),
            DetectionAccumulator::new(margin),
        );
        let mut tracking = TrackingAccumulator::new();
        let mut with_outputs = 0;
        for frame in frames {
            let (stamp, outputs) = self.outputs_of(frame);
            with_outputs += usize::from(stamp.is_some());
            let t = ScoredFrame::new(frame, &outputs.tracked, &region)?;
            tracked.add_frame(&t);
            tracking.add_frame(&t)?;
            detected.add_frame(&ScoredFrame::new(frame, &outputs.detected, &region)?);
        }
        let tracked = tracked.report();
        let tracking = tracking.report()?;
        Ok(BlockReport {
            name: name.into(),
            frames: describe_frames(frames),
            frame_count: frames.len(),
            frames_with_outputs: with_outputs,
            labels: frames.iter().map(|f| f.labels.objects.len()).sum(),
            acceptance: acceptance_checks(&tracked, &tracking),
            tracked,
            detected: detected.report(),
            tracking,
        })
    }

    /// The report: all frames, then (with a split) the tuning and held-out blocks. `input`,
    /// `labels` and `outputs` describe the sources for the reader.
    pub fn report(
        &self,
        input: &str,
        labels: &str,
        outputs: &str,
    ) -> Result<EvaluationReport, EvalError> {
        let all: Vec<&SequenceFrame> = self.labels.frames.iter().collect();
        let mut blocks = vec![self.block("all frames", &all)?];
        if let Some(tuning) = &self.settings.tuning_frames {
            let (tune, held): (Vec<&SequenceFrame>, Vec<&SequenceFrame>) =
                all.iter().partition(|f| tuning.contains(&f.number));
            blocks.push(self.block("tuning", &tune)?);
            blocks.push(self.block("held-out", &held)?);
        }
        let s = &self.settings;
        Ok(EvaluationReport {
            input: input.into(),
            labels: labels.into(),
            dataset: self.labels.dataset.clone(),
            outputs: outputs.into(),
            settings: SettingsReport {
                max_range_m: s.max_range,
                near_band_edge_m: s.near_band_edge,
                vehicle_gate_m: ClassGroup::Vehicle.match_gate(),
                other_gate_m: ClassGroup::Pedestrian.match_gate(),
                on_label_margin_m: s.on_label_margin,
                time_tolerance_ms: s.time_tolerance_ns as f64 / 1e6,
                matching: "one-to-one, globally optimal (Hungarian: most pairs, then least \
                           total ground-plane centre distance), class-agnostic",
                label_scope: self.labels.scope.map(|sc| {
                    format!(
                        "camera field of view from ({:.2}, {:.2}) m, azimuth {:.1} to {:.1} deg",
                        sc.apex[0],
                        sc.apex[1],
                        sc.azimuth_min.to_degrees(),
                        sc.azimuth_max.to_degrees()
                    )
                }),
                labels_have_track_ids: self.labels.has_track_ids,
            },
            blocks,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_ranges() {
        assert_eq!(parse_frame_range("0-39").unwrap(), 0..=39);
        assert_eq!(parse_frame_range("7").unwrap(), 7..=7);
        assert!(parse_frame_range("9-3").is_err());
        assert!(parse_frame_range("a-b").is_err());
    }

    #[test]
    fn frames_describe_as_runs() {
        let f = |n: u32| SequenceFrame {
            number: n,
            name: format!("{n:02}"),
            labels: kestrel_sensors::LabelledFrame {
                timestamp: kestrel_sensors::Timestamp(0),
                frame: "vehicle".into(),
                objects: vec![],
            },
            not_evaluable: vec![],
        };
        let frames = [f(0), f(1), f(2), f(5), f(7), f(8)];
        let refs: Vec<&SequenceFrame> = frames.iter().collect();
        assert_eq!(describe_frames(&refs), "00-02, 05, 07-08");
    }
}
