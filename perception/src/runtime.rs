//! The runtime core shared by both modes: takes sensor messages one at a time, runs the stage,
//! measures latencies, keeps health, encodes and digests outputs and feeds the sinks. Replay
//! calls it from one thread in timestamp order; real-time mode calls it from the fusion thread
//! with messages taken from the sensor queues.

use crate::budgets::StageBudget;
use crate::clock::Clock;
use crate::content_fingerprint::content_fingerprint;
use crate::deadline_monitor::DeadlineMonitor;
use crate::error::PerceptionError;
use crate::health::{HealthMonitor, HealthReport, QueueHealth};
use crate::input_order::{InputOrder, Refusal};
use crate::monitors::{MonitorSpec, Monitors};
use crate::output::{EncodedFrame, OutputDigest, OutputSink};
use crate::stage::{OutputFrame, PerceptionStage};
use crate::world_frame::ObjectFrame;
use kestrel_sensors::{SensorMessage, Timestamp};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Instant;

/// Stage name under which output encoding + sinks are measured (see `budgets.toml`).
pub const OUTPUT_STAGE: &str = "output";

/// Settings of the runtime core.
#[derive(Debug, Clone)]
pub struct RuntimeSettings {
    /// Health report period on the runtime clock, seconds.
    pub health_period_s: f64,
    /// A sensor silent for longer than this (runtime clock, seconds) is flagged stale.
    pub stale_after_s: f64,
    /// Forward clock jumps larger than this are refused, seconds (see [`InputOrder`]).
    pub max_clock_jump_s: f64,
    /// A message this far behind its sensor's previous one is a clock step back, seconds
    /// (see [`InputOrder`]).
    pub clock_step_back_s: f64,
    /// Per-stage budgets on the running machine class.
    pub budgets: BTreeMap<String, StageBudget>,
    /// Sensors whose messages are discarded on arrival (`--drop-sensor`); they stay expected,
    /// so their absence shows as degraded.
    pub drop_sensors: BTreeSet<String>,
    /// Model monitors to run (input drift, shadow teacher), if any.
    pub monitors: Option<MonitorSpec>,
    /// Frame the published objects are expressed in ([`crate::world_frame`]).
    pub object_frame: ObjectFrame,
}

/// Counters of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct RunCounters {
    /// Sensor messages given to the stage.
    pub inputs: u64,
    /// Messages discarded because their sensor was dropped on request.
    pub dropped_by_request: u64,
    /// Messages refused because their time was not later than the previous admitted message
    /// of the same sensor: duplicates, reordered messages, a sensor clock stepping back.
    pub out_of_order: u64,
    /// Messages refused because their sensor's clock jumped ahead of the others or stepped
    /// back (see [`InputOrder`]).
    pub clock_jumps: u64,
    /// Times tracking restarted because a sensor's clock stepped back.
    pub tracking_restarts: u64,
    /// Messages a source failed to read (counted, skipped).
    pub source_errors: u64,
    /// Fused frames published.
    pub frames: u64,
    /// Tracked objects published (sum over frames).
    pub tracked_objects: u64,
    /// Detected objects published (sum over frames).
    pub detected_objects: u64,
    /// Fused frames not published because they could not be placed in the world frame (no
    /// vehicle pose; see [`crate::world_frame`]).
    pub unplaced_frames: u64,
}

/// What a finished run reports.
#[derive(Debug, Clone, Serialize)]
pub struct RunSummary {
    /// Counters.
    pub counters: RunCounters,
    /// SHA-256 of the output stream (see [`OutputDigest`]), hex.
    pub digest: String,
    /// Output messages in the digest.
    pub digest_messages: u64,
    /// Health at the end of the run.
    pub health: HealthReport,
}

/// The runtime core.
pub struct Runtime {
    stage: Box<dyn PerceptionStage>,
    sinks: Vec<Box<dyn OutputSink>>,
    clock: Arc<dyn Clock>,
    deadlines: DeadlineMonitor,
    health: HealthMonitor,
    digest: OutputDigest,
    settings: RuntimeSettings,
    next_health: Option<Timestamp>,
    counters: RunCounters,
    monitors: Option<Monitors>,
    order: InputOrder,
    /// Runtime-clock time of the last tracking restart.
    last_restart: Option<Timestamp>,
}

impl Runtime {
    /// A runtime driving `stage` into `sinks`, on `clock`; `expected_sensors` are the sensors
    /// the inputs should deliver (health flags the ones that stay silent). Starts the
    /// settings' monitors (errors when their models cannot be loaded; a model without an
    /// input reference runs unmonitored, with a warning, unless frames were to be mined: then
    /// it is an error, as nothing could ever be mined).
    pub fn new(
        stage: Box<dyn PerceptionStage>,
        sinks: Vec<Box<dyn OutputSink>>,
        clock: Arc<dyn Clock>,
        settings: RuntimeSettings,
        expected_sensors: &[String],
    ) -> Result<Self, PerceptionError> {
        let monitors = match &settings.monitors {
            Some(spec) => {
                let started = Monitors::start(spec)?;
                if started.is_none()
                    && let Some(log) = &spec.mining_log
                {
                    return Err(PerceptionError::Config(format!(
                        "mining into {}: model {} has no input reference (`[monitoring]` in its \
                         manifest), so no monitor could flag a frame; record one with \
                         `kestrel-distill input-reference`",
                        log.display(),
                        spec.student_manifest.display()
                    )));
                }
                if started.is_none() {
                    tracing::warn!(
                        "model {} has no input reference: drift and shadow-teacher monitors off",
                        spec.student_manifest.display()
                    );
                }
                started
            }
            None => None,
        };
        let expected: BTreeSet<&str> = expected_sensors
            .iter()
            .map(String::as_str)
            .chain(settings.drop_sensors.iter().map(String::as_str))
            .collect();
        // `budgets.toml` also budgets the sub-stages the benches measure; the runtime watches
        // only the two stages it times itself.
        let watched = settings
            .budgets
            .iter()
            .filter(|(name, _)| *name == stage.name() || *name == OUTPUT_STAGE)
            .map(|(name, budget)| (name.clone(), *budget))
            .collect();
        Ok(Self {
            health: HealthMonitor::new(expected, settings.stale_after_s),
            order: InputOrder::new(settings.max_clock_jump_s, settings.clock_step_back_s),
            last_restart: None,
            deadlines: DeadlineMonitor::new(watched),
            stage,
            sinks,
            clock,
            digest: OutputDigest::default(),
            settings,
            next_health: None,
            counters: RunCounters::default(),
            monitors,
        })
    }

    /// Whether `msg` may be handled, by its stamp (see [`InputOrder`]): refused messages are
    /// counted and logged and must not be given to [`Runtime::handle`] (nor advance a replay
    /// clock).
    pub fn admit(&mut self, msg: &SensorMessage) -> bool {
        let refusal = match self.order.admit(msg) {
            Ok(()) => return true,
            Err(r) => r,
        };
        self.health.on_refused(msg.sensor());
        let why = match refusal {
            Refusal::NotAfterPrevious => {
                self.counters.out_of_order += 1;
                "not after its previous message"
            }
            Refusal::ClockJump => {
                self.counters.clock_jumps += 1;
                "its clock jumped ahead of the other sensors"
            }
            Refusal::ClockStepBack { first } => {
                self.counters.clock_jumps += 1;
                // Sensors stepping back together (one clock correction) restart tracking
                // once: no message is admitted between their detections.
                let now = self.clock.now();
                if first && self.last_restart != Some(now) {
                    self.last_restart = Some(now);
                    self.counters.tracking_restarts += 1;
                    self.health.on_tracking_restart();
                    self.stage.on_clock_discontinuity();
                    "its clock stepped back (tracking restarts)"
                } else {
                    "its clock stepped back"
                }
            }
        };
        tracing::warn!(
            "refusing {} message of `{}` at {}: {why}",
            msg.kind(),
            msg.sensor(),
            msg.timestamp()
        );
        false
    }

    /// Counts a message a source failed to read (the caller logs it).
    pub fn count_source_error(&mut self) {
        self.counters.source_errors += 1;
    }

    /// Counters so far.
    pub fn counters(&self) -> RunCounters {
        self.counters
    }

    /// Handles one sensor message; `queues` are the current queue counters (for health).
    /// Stage errors are counted and logged; sink errors end the run.
    pub fn handle(
        &mut self,
        msg: &SensorMessage,
        queues: &[QueueHealth],
    ) -> Result<(), PerceptionError> {
        let now = self.clock.now();
        if self.settings.drop_sensors.contains(msg.sensor()) {
            self.counters.dropped_by_request += 1;
        } else {
            self.health
                .on_message(msg.sensor(), msg.kind(), now, content_fingerprint(msg));
            self.counters.inputs += 1;
            if let Some(m) = &mut self.monitors {
                m.observe(msg);
            }
            for sink in &mut self.sinks {
                sink.on_input(msg)?;
            }
            let start = Instant::now();
            let result = self.stage.process(msg);
            self.deadlines.record(self.stage.name(), start.elapsed());
            match result {
                Ok(frames) => {
                    for frame in &frames {
                        self.publish(frame)?;
                    }
                }
                Err(e) => {
                    tracing::warn!(
                        "stage failed on {} message of `{}` at {}: {e}",
                        msg.kind(),
                        msg.sensor(),
                        msg.timestamp()
                    );
                    self.health.on_stage_error();
                }
            }
        }
        self.maybe_report_health(now, queues)
    }

    fn publish(&mut self, frame: &OutputFrame) -> Result<(), PerceptionError> {
        let start = Instant::now();
        let Some(encoded) = EncodedFrame::encode_in(frame, &self.settings.object_frame)? else {
            tracing::warn!(
                "frame at {} has no vehicle pose: not published in `{}`",
                frame.stamp,
                self.settings.object_frame.frame_id()
            );
            self.counters.unplaced_frames += 1;
            self.health.on_frame_unplaced();
            return Ok(());
        };
        self.digest.update(&encoded);
        for sink in &mut self.sinks {
            sink.on_frame(&encoded)?;
        }
        self.deadlines.record(OUTPUT_STAGE, start.elapsed());
        self.counters.frames += 1;
        self.health.on_frame_degraded(&frame.degraded);
        self.counters.tracked_objects += frame.tracked.len() as u64;
        self.counters.detected_objects += frame.detected.len() as u64;
        Ok(())
    }

    /// When the next health report is due on the runtime clock (`None` before the first
    /// message). Replay uses it to publish the reports a live run would have published during
    /// a silence of every sensor.
    pub fn next_health_due(&self) -> Option<Timestamp> {
        self.next_health
    }

    /// Publishes a health report when one is due on the runtime clock.
    pub fn maybe_report_health(
        &mut self,
        now: Timestamp,
        queues: &[QueueHealth],
    ) -> Result<(), PerceptionError> {
        let period_ns = (self.settings.health_period_s * 1e9).max(1.0) as u64;
        let due = match self.next_health {
            None => {
                self.next_health = Some(Timestamp(now.as_nanos().saturating_add(period_ns)));
                false
            }
            Some(t) => now >= t,
        };
        if due {
            self.next_health = Some(Timestamp(now.as_nanos().saturating_add(period_ns)));
            let report = self.report(now, queues);
            for sink in &mut self.sinks {
                sink.on_health(&report)?;
            }
        }
        Ok(())
    }

    fn report(&self, now: Timestamp, queues: &[QueueHealth]) -> HealthReport {
        let mut report = self.health.report(
            now,
            self.deadlines.reports(),
            queues.to_vec(),
            self.counters.frames,
        );
        if let Some(m) = &self.monitors {
            report.monitors = m.report();
        }
        report
    }

    /// End of input: flushes the stage, sends a final health report, closes the sinks.
    pub fn finish(mut self, queues: &[QueueHealth]) -> Result<RunSummary, PerceptionError> {
        let start = Instant::now();
        let flushed = self.stage.finish();
        self.deadlines.record(self.stage.name(), start.elapsed());
        match flushed {
            Ok(frames) => {
                for frame in &frames {
                    self.publish(frame)?;
                }
            }
            Err(e) => {
                tracing::warn!("stage failed at end of input: {e}");
                self.health.on_stage_error();
            }
        }
        let mut health = self.report(self.clock.now(), queues);
        if let Some(m) = &mut self.monitors {
            health.monitors = m.finish();
        }
        for sink in &mut self.sinks {
            sink.on_health(&health)?;
            sink.finish()?;
        }
        Ok(RunSummary {
            counters: self.counters,
            digest: self.digest.hex(),
            digest_messages: self.digest.messages(),
            health,
        })
    }
}

impl std::fmt::Display for RunSummary {
    /// A multi-line human summary: counters, latencies against budgets, degraded conditions.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let c = &self.counters;
        writeln!(
            f,
            "inputs {} (dropped by request {}, out of order {}, clock jumps {}, unreadable {})",
            c.inputs, c.dropped_by_request, c.out_of_order, c.clock_jumps, c.source_errors
        )?;
        writeln!(
            f,
            "frames {}: {} tracked objects, {} detected objects",
            c.frames, c.tracked_objects, c.detected_objects
        )?;
        if c.unplaced_frames > 0 {
            writeln!(
                f,
                "frames not published: {} without a vehicle pose to place them in the world frame",
                c.unplaced_frames
            )?;
        }
        for s in &self.health.stages {
            write!(
                f,
                "stage {:<8} {:>6} samples  mean {:.3} ms  p50 {:.3} ms  p99 {:.3} ms  max {:.3} ms",
                s.stage, s.samples, s.mean_ms, s.p50_ms, s.p99_ms, s.max_ms
            )?;
            if let (Some(b), Some(p)) = (s.budget_ms, s.budget_percentile) {
                write!(
                    f,
                    "  budget p{p} {b} ms: {} ({} misses)",
                    if s.within_budget { "ok" } else { "OVER" },
                    s.deadline_misses
                )?;
            }
            writeln!(f)?;
        }
        for q in &self.health.queues {
            writeln!(
                f,
                "queue {:<20} pushed {} dropped {}",
                q.queue, q.stats.pushed, q.stats.dropped
            )?;
        }
        if self.health.degraded.is_empty() {
            writeln!(f, "health: ok")?;
        } else {
            for d in &self.health.degraded {
                writeln!(f, "degraded: {d}")?;
            }
        }
        let m = &self.health.monitors;
        if let Some(s) = &m.shadow {
            writeln!(f, "monitor: {}", s.describe())?;
        }
        if let Some(mined) = &m.mining {
            writeln!(
                f,
                "monitor: mined {} frames into {} ({}; {} refused by the rate limit, {} dropped busy)",
                mined.written,
                mined.path.display(),
                mined
                    .mined
                    .iter()
                    .map(|(t, n)| format!("{n} {}", t.name()))
                    .collect::<Vec<_>>()
                    .join(", "),
                mined.rate_limited,
                mined.dropped_busy
            )?;
        }
        let drifted = m.drift.iter().filter(|d| d.drifted).count();
        if !m.drift.is_empty() {
            writeln!(
                f,
                "monitor: input drift: {drifted} of {} sensor statistics outside the model's reference",
                m.drift.len()
            )?;
        }
        for w in &m.warnings {
            writeln!(f, "WARN {w}")?;
        }
        write!(
            f,
            "output digest (sha256 of {} CDR messages): {}",
            self.digest_messages, self.digest
        )
    }
}
