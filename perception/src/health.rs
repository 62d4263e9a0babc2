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
}

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
        }
    }

    /// Records a message from `sensor` received at `now` (runtime clock).
    pub fn on_message(&mut self, sensor: &str, kind: &'static str, now: Timestamp) {
        let seen = self.sensors.entry(sensor.to_owned()).or_default();
        seen.kind = kind;
        seen.messages += 1;
        seen.first.get_or_insert(now);
        seen.last = Some(now);
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
            h.on_message("lidar_top", "lidar", Timestamp(10 * S + i * S / 10));
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
        h.on_message("radar", "radar", Timestamp(S));
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
}
