//! What one replay showed, as the fault matrix judges it: every published frame (its stamp,
//! track ids and whether any value on the wire is not finite), every health report and the
//! run's summary.

use crate::error::PerceptionError;
use crate::health::HealthReport;
use crate::output::{EncodedFrame, OutputSink};
use crate::runtime::RunSummary;
use kestrel_log::dynamic_decode::{self, Value};
use kestrel_log::msg_schema::Schema;
use kestrel_log::ros2_msg::RosMessage;
use kestrel_log::ros2_msg::autoware_perception_msgs::{DetectedObjects, TrackedObjects};
use kestrel_sensors::{SensorMessage, Timestamp};
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

/// One published frame.
#[derive(Debug, Clone, PartialEq)]
pub struct FrameSeen {
    /// Frame time.
    pub stamp: Timestamp,
    /// Ids of the tracks published.
    pub tracks: Vec<[u8; 16]>,
    /// Detected objects published.
    pub detected: usize,
    /// Float values on the wire (tracked and detected messages) that are NaN or infinite.
    pub non_finite: usize,
}

/// Everything a replay published.
#[derive(Debug, Clone, Default)]
pub struct Observed {
    /// Stamp of the first admitted input message.
    pub first_input: Option<Timestamp>,
    /// Published frames, in order.
    pub frames: Vec<FrameSeen>,
    /// Health reports, in order (the last one is the final report).
    pub reports: Vec<HealthReport>,
}

/// One replay's observation.
#[derive(Debug, Clone)]
pub struct Observation {
    /// What was published.
    pub seen: Observed,
    /// The run's summary.
    pub summary: RunSummary,
    /// Messages hit by each fault of the plan.
    pub hits: Vec<u64>,
}

impl Observation {
    /// Seconds after the first input message of `t`.
    pub fn elapsed_s(&self, t: Timestamp) -> f64 {
        let first = self.seen.first_input.unwrap_or(t);
        (t.as_nanos() as f64 - first.as_nanos() as f64) * 1e-9
    }

    /// Distinct track ids over the run.
    pub fn distinct_tracks(&self) -> usize {
        let ids: BTreeSet<&[u8; 16]> = self.seen.frames.iter().flat_map(|f| &f.tracks).collect();
        ids.len()
    }

    /// Most tracks published in one frame.
    pub fn max_tracks(&self) -> usize {
        self.seen
            .frames
            .iter()
            .map(|f| f.tracks.len())
            .max()
            .unwrap_or(0)
    }

    /// Non-finite values in all published frames.
    pub fn non_finite(&self) -> usize {
        self.seen.frames.iter().map(|f| f.non_finite).sum()
    }

    /// Frames published with a stamp in `[from_s, to_s)` seconds after the first input.
    pub fn frames_between(&self, from_s: f64, to_s: f64) -> usize {
        self.seen
            .frames
            .iter()
            .filter(|f| (from_s..to_s).contains(&self.elapsed_s(f.stamp)))
            .count()
    }

    /// Seconds after the first input of the first health report at or after `after_s` for
    /// which `holds` is true.
    pub fn first_report(&self, after_s: f64, holds: impl Fn(&HealthReport) -> bool) -> Option<f64> {
        self.seen
            .reports
            .iter()
            .map(|r| (self.elapsed_s(r.stamp), r))
            .find(|(s, r)| *s >= after_s - 1e-6 && holds(r))
            .map(|(s, _)| s)
    }
}

/// Whether the report flags `sensor` stale.
pub fn stale(report: &HealthReport, sensor: &str) -> bool {
    report.sensors.iter().any(|s| s.sensor == sensor && s.stale)
}

/// Whether the report flags `sensor` frozen.
pub fn frozen(report: &HealthReport, sensor: &str) -> bool {
    report
        .sensors
        .iter()
        .any(|s| s.sensor == sensor && s.frozen)
}

/// Whether the input drift monitor flags `statistic` of `sensor` in the report.
pub fn drifted(report: &HealthReport, sensor: &str, statistic: &str) -> bool {
    report
        .monitors
        .drift
        .iter()
        .any(|d| d.sensor == sensor && d.statistic == statistic && d.drifted)
}

/// A sink recording what the runtime publishes.
pub struct ObservingSink {
    seen: Arc<Mutex<Observed>>,
    tracked: Schema,
    detected: Schema,
}

impl ObservingSink {
    /// A sink writing into `seen`.
    pub fn new(seen: Arc<Mutex<Observed>>) -> Result<Self, PerceptionError> {
        let schema = |name: &str, text: String| {
            Schema::parse(name, &text)
                .map_err(|e| PerceptionError::Config(format!("definition of `{name}`: {e}")))
        };
        Ok(Self {
            seen,
            tracked: schema(TrackedObjects::type_name(), TrackedObjects::schema_text())?,
            detected: schema(DetectedObjects::type_name(), DetectedObjects::schema_text())?,
        })
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, Observed>, PerceptionError> {
        self.seen
            .lock()
            .map_err(|_| PerceptionError::Config("fault matrix observer poisoned".into()))
    }
}

/// Float values in `v` that are not finite.
fn count_non_finite(v: &Value) -> usize {
    match v {
        Value::Float(f) => usize::from(!f.is_finite()),
        Value::Array(items) => items.iter().map(count_non_finite).sum(),
        Value::Message(fields) => fields.iter().map(|(_, v)| count_non_finite(v)).sum(),
        _ => 0,
    }
}

impl OutputSink for ObservingSink {
    fn on_input(&mut self, msg: &SensorMessage) -> Result<(), PerceptionError> {
        self.lock()?.first_input.get_or_insert(msg.timestamp());
        Ok(())
    }

    fn on_frame(&mut self, frame: &EncodedFrame) -> Result<(), PerceptionError> {
        let decode = |schema: &Schema, cdr: &[u8]| {
            dynamic_decode::decode(schema, cdr)
                .map_err(|e| PerceptionError::Config(format!("published frame: {e}")))
        };
        let non_finite = count_non_finite(&decode(&self.tracked, &frame.tracked_cdr)?)
            + count_non_finite(&decode(&self.detected, &frame.detected_cdr)?);
        let seen = FrameSeen {
            stamp: frame.stamp,
            tracks: frame
                .tracked
                .objects
                .iter()
                .map(|o| o.object_id.uuid)
                .collect(),
            detected: frame.detected.objects.len(),
            non_finite,
        };
        self.lock()?.frames.push(seen);
        Ok(())
    }

    fn on_health(&mut self, report: &HealthReport) -> Result<(), PerceptionError> {
        self.lock()?.reports.push(report.clone());
        Ok(())
    }
}
