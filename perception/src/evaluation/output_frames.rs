//! The stack's outputs to score, frame by frame: either produced here by running the
//! production pipeline over an input in deterministic replay (as `kestrel replay` does), or read
//! from a `kestrel replay --json` file. Both give the same [`ObjectRecord`]s: what planners
//! receive, decoded from the wire messages, in the vehicle frame.
//!
//! A JSON-lines file lists objects, not frames: an output frame with no object leaves no line,
//! so frames are known only by the stamps of their objects (an absent frame reads as "no
//! objects", which is what the stack published).

use super::error::EvalError;
use crate::config::KestrelConfig;
use crate::error::PerceptionError;
use crate::object_messages::{ObjectRecord, detected_records, tracked_records};
use crate::output::{EncodedFrame, OutputSink};
use crate::replay::replay;
use crate::runtime::RunSummary;
use crate::sensor_source::SensorSource;
use crate::stage_factory::production_stage;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::io::BufRead;
use std::path::Path;
use std::sync::mpsc;

/// The two object topics the stack publishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OutputTopic {
    /// `TrackedObjects`: confirmed and coasting tracks, with track ids.
    Tracked,
    /// `DetectedObjects`: the single-frame fused detections, without ids.
    Detected,
}

impl OutputTopic {
    /// Both topics, in report order.
    pub const ALL: [OutputTopic; 2] = [OutputTopic::Tracked, OutputTopic::Detected];

    /// The name used in `replay --json` lines and in reports.
    pub fn name(self) -> &'static str {
        match self {
            OutputTopic::Tracked => "tracked",
            OutputTopic::Detected => "detected",
        }
    }
}

/// The objects of one output frame.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FrameOutputs {
    /// Tracks.
    pub tracked: Vec<ObjectRecord>,
    /// Single-frame detections.
    pub detected: Vec<ObjectRecord>,
}

impl FrameOutputs {
    /// The objects of `topic`.
    pub fn of(&self, topic: OutputTopic) -> &[ObjectRecord] {
        match topic {
            OutputTopic::Tracked => &self.tracked,
            OutputTopic::Detected => &self.detected,
        }
    }
}

/// Output frames by stamp (ns, sensor clock).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct OutputFrames {
    /// The frames.
    pub frames: BTreeMap<u64, FrameOutputs>,
}

/// One `replay --json` line.
#[derive(Deserialize)]
struct Line {
    topic: String,
    #[serde(flatten)]
    object: ObjectRecord,
}

/// Collects encoded frames from the runtime.
struct CollectSink {
    frames: mpsc::Sender<(u64, FrameOutputs)>,
}

impl OutputSink for CollectSink {
    fn on_frame(&mut self, frame: &EncodedFrame) -> Result<(), PerceptionError> {
        let outputs = FrameOutputs {
            tracked: tracked_records(&frame.tracked),
            detected: detected_records(&frame.detected),
        };
        self.frames
            .send((frame.stamp.as_nanos(), outputs))
            .map_err(|_| PerceptionError::Order("evaluation collector closed".into()))
    }
}

impl OutputFrames {
    /// Reads a `kestrel replay --json` file.
    pub fn read_json_lines(path: &Path) -> Result<OutputFrames, EvalError> {
        let file = std::fs::File::open(path).map_err(|e| EvalError::io(path, e))?;
        let mut out = OutputFrames::default();
        for (i, line) in std::io::BufReader::new(file).lines().enumerate() {
            let line = line.map_err(|e| EvalError::io(path, e))?;
            if line.trim().is_empty() {
                continue;
            }
            let bad = |message: String| EvalError::Outputs {
                path: path.to_owned(),
                message: format!("line {}: {message}", i + 1),
            };
            let l: Line = serde_json::from_str(&line).map_err(|e| bad(e.to_string()))?;
            let frame = out.frames.entry(l.object.stamp_ns).or_default();
            match l.topic.as_str() {
                "tracked" => frame.tracked.push(l.object),
                "detected" => frame.detected.push(l.object),
                other => return Err(bad(format!("unknown topic `{other}`"))),
            }
        }
        Ok(out)
    }

    /// Runs the production pipeline (camera detector of `model`, or none) over `input` in
    /// deterministic replay with the runtime settings of `config`, and collects every frame.
    pub fn from_stack(
        input: &Path,
        config: &KestrelConfig,
        model: Option<&Path>,
    ) -> Result<(OutputFrames, RunSummary), EvalError> {
        let err = |e: PerceptionError| EvalError::Outputs {
            path: input.to_owned(),
            message: e.to_string(),
        };
        let source = SensorSource::open_path(input).map_err(err)?;
        let stage = production_stage(source.rig(), model, &config.pipeline()).map_err(err)?;
        let settings = config.runtime_settings(BTreeSet::new()).map_err(err)?;
        let (tx, rx) = mpsc::channel();
        let sinks: Vec<Box<dyn OutputSink>> = vec![Box::new(CollectSink { frames: tx })];
        let summary = replay(vec![source], stage, sinks, settings, |_| {}).map_err(err)?;
        let mut out = OutputFrames::default();
        for (stamp, frame) in rx.try_iter() {
            let f = out.frames.entry(stamp).or_default();
            f.tracked.extend(frame.tracked);
            f.detected.extend(frame.detected);
        }
        Ok((out, summary))
    }

    /// The frame whose stamp is nearest to `stamp_ns`, within `tolerance_ns` (ties: the
    /// earlier frame).
    pub fn nearest(&self, stamp_ns: u64, tolerance_ns: u64) -> Option<(u64, &FrameOutputs)> {
        let lo = stamp_ns.saturating_sub(tolerance_ns);
        let hi = stamp_ns.saturating_add(tolerance_ns);
        self.frames
            .range(lo..=hi)
            .min_by_key(|(s, _)| s.abs_diff(stamp_ns))
            .map(|(s, f)| (*s, f))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json_lines_sink::JsonLinesSink;
    use crate::stage::OutputFrame;
    use kestrel_fusion::{DetectedObject, SensorSources};
    use kestrel_sensors::{ObjectClass, OrientedBox3, Timestamp};
    use nalgebra::{Matrix2, Point3};

    #[test]
    fn json_lines_read_back_as_frames() {
        let dir = std::env::temp_dir().join(format!("kestrel-eval-json-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("out.jsonl");
        let det = DetectedObject {
            lidar_shape: None,
            bbox: OrientedBox3 {
                center: Point3::new(10.0, 2.0, 0.8),
                length: 4.0,
                width: 1.8,
                height: 1.5,
                yaw: 0.1,
            },
            class: ObjectClass::Car,
            class_confidence: 0.7,
            existence_confidence: 0.9,
            position_covariance: Matrix2::identity(),
            velocity: None,
            velocity_covariance: None,
            sources: SensorSources {
                camera: true,
                lidar: true,
                radar: false,
            },
        };
        let mut sink = JsonLinesSink::create(&path).unwrap();
        for (stamp, n) in [(100_000_000u64, 1usize), (200_000_000, 0), (300_000_000, 2)] {
            let frame = OutputFrame {
                stamp: Timestamp::from_nanos(stamp),
                detected: vec![det.clone(); n],
                tracked: vec![],
                degraded: vec![],
                vehicle_pose: None,
            };
            sink.on_frame(&EncodedFrame::encode(&frame).unwrap())
                .unwrap();
        }
        sink.finish().unwrap();
        let frames = OutputFrames::read_json_lines(&path).unwrap();
        assert_eq!(frames.frames.len(), 2, "the empty frame leaves no line");
        assert_eq!(frames.frames[&300_000_000].detected.len(), 2);
        assert_eq!(
            frames.frames[&100_000_000].detected[0].class,
            ObjectClass::Car
        );
        assert_eq!(
            frames.nearest(120_000_000, 50_000_000).map(|f| f.0),
            Some(100_000_000)
        );
        assert!(frames.nearest(200_000_000, 50_000_000).is_none());
        std::fs::write(&path, "{\"topic\":\"x\"}\n").unwrap();
        assert!(OutputFrames::read_json_lines(&path).is_err());
        std::fs::remove_dir_all(&dir).ok();
    }
}
