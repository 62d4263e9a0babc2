//! Health and diagnostics: per-sensor rate and age, stage latencies, queue drops and degraded
//! flags, gathered by the runtime and published periodically.
//!
//! Times are on the runtime clock (log time in replay, wall time in real time); the report is a
//! diagnostic, never part of the output digest.

use crate::bounded_queue::QueueStats;
use crate::deadline_monitor::StageReport;
use crate::monitors::MonitorReport;
use kestrel_sensors::Timestamp;
use serde::Serialize;
use std::collections::BTreeMap;

/// What the runtime knows about one sensor.
#[derive(Debug, Clone, Default)]
struct SensorSeen {
    kind: &'static str,
    messages: u64,
    first: Option<Timestamp>,
    last: Option<Timestamp>,
    /// Content fingerprint of the last message, and how many messages in a row repeated it.
    fingerprint: Option<u64>,
    repeats: u64,
    /// Messages refused at admission.
    refused: u64,
}

/// A sensor whose last this-many messages repeat the content of the one before them is
/// flagged frozen.
pub const FROZEN_AFTER_REPEATS: u64 = 2;

/// Health of one sensor.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SensorHealth {
    /// Sensor name in the rig.
    pub sensor: String,
    /// "camera", "lidar", "radar", or "" when never seen.
    pub kind: String,
    /// Messages received.
    pub messages: u64,
    /// Mean message rate since the first message, Hz (0 with fewer than two messages).
    pub rate_hz: f64,
    /// Time since the last message on the runtime clock, seconds (`None`: never received).
    pub age_s: Option<f64>,
    /// Silent for longer than the stale threshold (`runtime.stale_after_s`).
    pub stale: bool,
    /// Delivering the same content again and again (at least [`FROZEN_AFTER_REPEATS`]
    /// repeats in a row; see [`crate::content_fingerprint`]).
    pub frozen: bool,
    /// Messages refused at admission: duplicates, reordered messages, clock jumps (see
    /// [`crate::input_order`]).
    pub refused: u64,
}

/// Health of one queue.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QueueHealth {
    /// Queue name (`input/<sensor>`, `output`).
    pub queue: String,
    /// Counters.
    #[serde(flatten)]
    pub stats: QueueStats,
}

/// A periodic health message.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HealthReport {
    /// Time of the report on the runtime clock.
    pub stamp: Timestamp,
    /// One entry per expected or seen sensor, sorted by name.
    pub sensors: Vec<SensorHealth>,
    /// Stage latencies against budgets.
    pub stages: Vec<StageReport>,
    /// Queue counters.
    pub queues: Vec<QueueHealth>,
    /// Output frames published so far.
    pub outputs: u64,
    /// Messages the stage rejected with an error (counted, skipped).
    pub stage_errors: u64,
    /// Frames published with each degraded flag of the stage (`lidar missing`, ...), so far.
    pub frame_flags: BTreeMap<String, u64>,
    /// Human-readable degraded conditions; empty when healthy.
    pub degraded: Vec<String>,
    /// The model monitors' findings (input drift, shadow teacher); their warnings are not
    /// degraded conditions of the pipeline, they say the model may be out of its depth.
    pub monitors: MonitorReport,
}

impl HealthReport {
    /// True when no degraded condition holds.
    pub fn is_healthy(&self) -> bool {
        self.degraded.is_empty()
    }
}

/// Gathers per-sensor arrival statistics and builds [`HealthReport`]s.
#[derive(Debug, Clone)]
pub struct HealthMonitor {
    sensors: BTreeMap<String, SensorSeen>,
    stale_after_s: f64,
    stage_errors: u64,
    /// Frames the stage flagged degraded, per flag.
    frame_flags: BTreeMap<String, u64>,
    /// Times tracking restarted after a clock step back.
    tracking_restarts: u64,
    /// Frames not published for want of a vehicle pose (world-frame output).
    unplaced_frames: u64,
}

impl HealthMonitor {
    /// A monitor expecting `expected` sensors; a sensor is stale when silent for longer than
    /// `stale_after_s` seconds of runtime clock.
    pub fn new<'a>(expected: impl IntoIterator<Item = &'a str>, stale_after_s: f64) -> Self {
        Self {
            sensors: expected
                .into_iter()
                .map(|s| (s.to_owned(), SensorSeen::default()))
                .collect(),
            stale_after_s,
            stage_errors: 0,
            frame_flags: BTreeMap::new(),
            tracking_restarts: 0,
            unplaced_frames: 0,
        }
    }

    /// Records a message from `sensor` received at `now` (runtime clock), with the
    /// fingerprint of its content when its kind has one.
    pub fn on_message(
        &mut self,
        sensor: &str,
        kind: &'static str,
        now: Timestamp,
        fingerprint: Option<u64>,
    ) {
        let seen = self.sensors.entry(sensor.to_owned()).or_default();
        seen.kind = kind;
        seen.repeats = match (fingerprint, seen.fingerprint) {
            (Some(f), Some(last)) if f == last => seen.repeats + 1,
            _ => 0,
        };
        seen.fingerprint = fingerprint;
        seen.messages += 1;
        seen.first.get_or_insert(now);
        seen.last = Some(now);
    }

    /// Records a message of `sensor` refused at admission (see [`crate::input_order`]).
    pub fn on_refused(&mut self, sensor: &str) {
        self.sensors.entry(sensor.to_owned()).or_default().refused += 1;
    }

    /// Records a restart of tracking (a sensor's clock stepped back).
    pub fn on_tracking_restart(&mut self) {
        self.tracking_restarts += 1;
    }

    /// Records a frame not published because no vehicle pose placed it in the world frame.
    pub fn on_frame_unplaced(&mut self) {
        self.unplaced_frames += 1;
    }

    /// Records a message the stage failed on.
    pub fn on_stage_error(&mut self) {
        self.stage_errors += 1;
    }

    /// Records the degraded flags the stage set on an output frame.
    pub fn on_frame_degraded(&mut self, flags: &[String]) {
        for f in flags {
            *self.frame_flags.entry(f.clone()).or_default() += 1;
        }
    }

    /// Messages the stage failed on so far.
    pub fn stage_errors(&self) -> u64 {
        self.stage_errors
    }

    /// The report at `now`.
    pub fn report(
        &self,
        now: Timestamp,
        stages: Vec<StageReport>,
        queues: Vec<QueueHealth>,
        outputs: u64,
    ) -> HealthReport {
        let mut degraded = Vec::new();
        let sensors = self
            .sensors
            .iter()
            .map(|(name, s)| {
                let age_s = s.last.map(|l| now.seconds_since(l).max(0.0));
                match age_s {
                    None => degraded.push(format!("sensor `{name}` missing: no message received")),
                    Some(a) if a > self.stale_after_s => {
                        degraded.push(format!("sensor `{name}` stale: last message {a:.3} s ago"))
                    }
                    Some(_) => {}
                }
                if s.refused > 0 {
                    degraded.push(format!(
                        "sensor `{name}`: {} messages refused (duplicate, reordered or clock \
                         jump)",
                        s.refused
                    ));
                }
                let frozen = s.repeats >= FROZEN_AFTER_REPEATS;
                if frozen {
                    degraded.push(format!(
                        "sensor `{name}` frozen: its last {} messages repeat the same data",
                        s.repeats + 1
                    ));
                }
                let rate_hz = match (s.first, s.last) {
                    (Some(f), Some(l)) if s.messages > 1 && l > f => {
                        (s.messages - 1) as f64 / l.seconds_since(f)
                    }
                    _ => 0.0,
                };
                SensorHealth {
                    sensor: name.clone(),
                    kind: s.kind.to_owned(),
                    messages: s.messages,
                    rate_hz,
                    age_s,
                    stale: age_s.is_some_and(|a| a > self.stale_after_s),
                    frozen,
                    refused: s.refused,
                }
            })
            .collect();
        for q in &queues {
            if q.stats.dropped > 0 {
                degraded.push(format!(
                    "queue `{}` dropped {} of {} messages",
                    q.queue, q.stats.dropped, q.stats.pushed
                ));
            }
        }
        for s in &stages {
            if !s.within_budget {
                degraded.push(format!(
                    "stage `{}` over budget: p{} = {:.2} ms > {:.2} ms ({} misses)",
                    s.stage,
                    s.budget_percentile.unwrap_or_default(),
                    s.at_budget_percentile_ms.unwrap_or_default(),
                    s.budget_ms.unwrap_or_default(),
                    s.deadline_misses
                ));
            }
        }
        for (flag, frames) in &self.frame_flags {
            degraded.push(format!("stage: {flag} in {frames} frames"));
        }
        if self.tracking_restarts > 0 {
            degraded.push(format!(
                "tracking restarted {} times after a sensor clock stepped back",
                self.tracking_restarts
            ));
        }
        if self.unplaced_frames > 0 {
            degraded.push(format!(
                "{} frames not published: no vehicle pose to place them in the world frame",
                self.unplaced_frames
            ));
        }
        if self.stage_errors > 0 {
            degraded.push(format!(
                "{} messages rejected by the stage",
                self.stage_errors
            ));
        }
        HealthReport {
            stamp: now,
            sensors,
            stages,
            queues,
            outputs,
            stage_errors: self.stage_errors,
            frame_flags: self.frame_flags.clone(),
            degraded,
            monitors: MonitorReport::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: u64 = 1_000_000_000;

    #[test]
    fn rates_ages_and_missing_sensors() {
        let mut h = HealthMonitor::new(["lidar_top", "cam_front"], 0.5);
        for i in 0..11 {
            h.on_message("lidar_top", "lidar", Timestamp(10 * S + i * S / 10), None);
        }
        let r = h.report(Timestamp(11 * S + S / 10), vec![], vec![], 3);
        let lidar = r.sensors.iter().find(|s| s.sensor == "lidar_top").unwrap();
        assert!((lidar.rate_hz - 10.0).abs() < 1e-9);
        assert!((lidar.age_s.unwrap() - 0.1).abs() < 1e-9);
        let cam = r.sensors.iter().find(|s| s.sensor == "cam_front").unwrap();
        assert_eq!(cam.age_s, None);
        assert!(
            !lidar.stale && !cam.stale,
            "never received is missing, not stale"
        );
        assert_eq!(r.degraded.len(), 1);
        assert!(r.degraded[0].contains("cam_front") && r.degraded[0].contains("missing"));
        assert!(!r.is_healthy());
    }

    #[test]
    fn stale_sensor_and_queue_drops_are_degraded() {
        let mut h = HealthMonitor::new(["radar"], 0.5);
        h.on_message("radar", "radar", Timestamp(S), None);
        let q = QueueHealth {
            queue: "input/radar".into(),
            stats: QueueStats {
                pushed: 10,
                dropped: 4,
                len: 1,
                high_water: 3,
            },
        };
        let r = h.report(Timestamp(2 * S), vec![], vec![q], 0);
        assert_eq!(r.degraded.len(), 2, "{:?}", r.degraded);
        assert!(r.degraded[0].contains("stale"));
        assert!(r.sensors[0].stale);
        assert!(r.degraded[1].contains("dropped 4 of 10"));
        let fresh = h.report(Timestamp(S + S / 10), vec![], vec![], 0);
        assert!(fresh.is_healthy());
    }

    #[test]
    fn frames_without_a_pose_are_degraded() {
        let mut h = HealthMonitor::new(["lidar"], 0.5);
        h.on_message("lidar", "lidar", Timestamp(S), None);
        assert!(h.report(Timestamp(S), vec![], vec![], 0).is_healthy());
        h.on_frame_unplaced();
        h.on_frame_unplaced();
        let r = h.report(Timestamp(S), vec![], vec![], 0);
        assert_eq!(
            r.degraded,
            ["2 frames not published: no vehicle pose to place them in the world frame"]
        );
    }

    #[test]
    fn repeated_content_is_frozen_until_it_changes() {
        let mut h = HealthMonitor::new(["cam"], 0.5);
        let at = |i: u64| Timestamp(S + i * S / 10);
        h.on_message("cam", "camera", at(0), Some(7));
        h.on_message("cam", "camera", at(1), Some(7));
        assert!(
            h.report(at(1), vec![], vec![], 0).is_healthy(),
            "one repeat"
        );
        h.on_message("cam", "camera", at(2), Some(7));
        let r = h.report(at(2), vec![], vec![], 0);
        assert!(r.sensors[0].frozen);
        assert!(r.degraded[0].contains("`cam` frozen"), "{:?}", r.degraded);
        h.on_message("cam", "camera", at(3), Some(8));
        assert!(h.report(at(3), vec![], vec![], 0).is_healthy());
        h.on_refused("cam");
        let r = h.report(at(3), vec![], vec![], 0);
        assert_eq!(r.sensors[0].refused, 1);
        assert!(
            r.degraded[0].contains("1 messages refused"),
            "{:?}",
            r.degraded
        );
        let mut h = HealthMonitor::new(["cam"], 0.5);
        h.on_message("cam", "camera", at(4), None);
        h.on_message("cam", "camera", at(5), None);
        h.on_message("cam", "camera", at(6), None);
        assert!(
            h.report(at(6), vec![], vec![], 0).is_healthy(),
            "no fingerprint, never frozen"
        );
    }
}
