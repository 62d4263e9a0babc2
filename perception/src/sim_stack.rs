//! The real Kestrel stack in the simulator's closed loop: the production fusion pipeline
//! ([`crate::stage_factory::production_pipeline`]: time alignment, camera branch with the
//! shipped student, LiDAR and radar branches, association, EKF tracker) on the simulator's rig,
//! fed the simulated sensor messages and the ego's odometry, its confirmed tracks converted to
//! the simulator's [`ObservedObject`]s for the reference planner.
//!
//! Time is the simulator's: every timestamp comes from the simulated sensor clock, so a run is
//! bit-identical for the same scenario and seed. The stack's wall-clock compute time is
//! measured for the report only; it never delays the stack's output in the loop (the planner
//! sees a frame's tracks in the simulation step that completes the frame set).
//!
//! Between frame sets (e.g. after a radar-only instant) the stack's latest tracks stay in
//! force, as a planning node keeps the last message it received.

use crate::PerceptionError;
use crate::config::KestrelConfig;
use crate::fusion_pipeline::FusionPipelineStage;
use crate::output::{EncodedFrame, OutputDigest, OutputSink};
use crate::stage::{OutputFrame, PerceptionStage};
use crate::stage_factory::production_pipeline;
use kestrel_fusion::tracking::TrackedObject;
use kestrel_sensors::{Odometry, SensorMessage, Timestamp};
use kestrel_sim::metrics::{LatencySummary, latency_summary};
use kestrel_sim::odometry::EgoOdometry;
use kestrel_sim::{ObservedObject, Scenario, ScenarioReport, run_scenario_with_odometry};
use nalgebra::{Point3, Vector3};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

/// Name of the simulated vehicle's odometry source (its messages' sensor name).
pub const SIM_ODOMETRY_SOURCE: &str = "ego";

/// The simulator's odometry sample as the message a vehicle's odometry source sends
/// (`nav_msgs/Odometry` in a log): velocity and yaw rate in the vehicle frame, no pose (the
/// simulated vehicle reports no position).
pub fn odometry_message(odometry: &EgoOdometry) -> SensorMessage {
    SensorMessage::Odometry(Odometry {
        sensor: SIM_ODOMETRY_SOURCE.into(),
        timestamp: odometry.timestamp,
        frame_id: "odom".into(),
        pose: None,
        linear_velocity: Vector3::new(odometry.velocity.x, odometry.velocity.y, 0.0),
        angular_velocity: Vector3::new(0.0, 0.0, odometry.yaw_rate),
    })
}

/// A fused track as the simulator's planner and metrics see it (vehicle frame, velocity over
/// ground in the vehicle frame's axes, the voted class, the track id).
pub fn observed_object(track: &TrackedObject) -> ObservedObject {
    let p = track.position();
    ObservedObject {
        position: Point3::new(p.x, p.y, track.bbox.center.z),
        velocity: track.velocity(),
        class: track.class,
        track_id: track.id,
    }
}

/// What the stack did during a run, besides what the simulator scores.
#[derive(Debug, Clone, PartialEq)]
pub struct StackStats {
    /// Fused output frames (one per frame set, including those flushed at the end of the run).
    pub frames: u64,
    /// Frames with at least one degraded condition.
    pub degraded_frames: u64,
    /// How many frames had each degraded condition (`lidar missing`, ...).
    pub degraded: BTreeMap<String, u64>,
    /// Fused single-frame detections (before tracking), all frames.
    pub detected_objects: u64,
    /// Of those, how many had a camera detection associated (the student's contribution).
    pub camera_objects: u64,
    /// Messages the stage rejected, by error message (e.g. a late message), with counts.
    pub errors: BTreeMap<String, u64>,
    /// Wall-clock compute time of the stack per output frame (the stack call that completed
    /// it), seconds. Measured only: it does not change any result of the run.
    pub compute_latency: Option<LatencySummary>,
    /// From a frame's anchor timestamp to the moment its tracks are ready: the time alignment
    /// waits for the other sensors (simulation clock) plus the measured compute time, seconds.
    pub end_to_end_latency: Option<LatencySummary>,
    /// SHA-256 over the CDR of every output message (tracked and detected objects), in order:
    /// the same value as `kestrel replay --digest` computes for the stack's outputs.
    pub output_cdr_digest: String,
}

impl StackStats {
    /// Share of output frames with `condition` (0..1); 0 when there were no frames.
    pub fn degraded_share(&self, condition: &str) -> f64 {
        let n = self.degraded.get(condition).copied().unwrap_or(0);
        if self.frames == 0 {
            0.0
        } else {
            n as f64 / self.frames as f64
        }
    }

    /// One line naming the degraded conditions and how often they held, e.g.
    /// `stack degraded in 100/100 frames: lidar missing (100), radar missing (100)`;
    /// `None` when no frame was degraded.
    pub fn degraded_line(&self) -> Option<String> {
        (self.degraded_frames > 0).then(|| {
            let what: Vec<String> = self
                .degraded
                .iter()
                .map(|(k, n)| format!("{k} ({n})"))
                .collect();
            format!(
                "stack degraded in {}/{} frames: {}",
                self.degraded_frames,
                self.frames,
                what.join(", ")
            )
        })
    }
}

/// The production pipeline as a closed-loop stack: sensor messages and odometry in, the
/// latest confirmed tracks out; optional sinks receive every input and output frame (e.g.
/// [`crate::mcap_recorder::McapRecorder`]).
pub struct SimStack {
    pipeline: FusionPipelineStage,
    sinks: Vec<Box<dyn OutputSink>>,
    latest: Vec<ObservedObject>,
    digest: OutputDigest,
    frames: u64,
    degraded_frames: u64,
    degraded: BTreeMap<String, u64>,
    detected_objects: u64,
    camera_objects: u64,
    errors: BTreeMap<String, u64>,
    compute: Vec<(Timestamp, Timestamp)>,
    end_to_end: Vec<(Timestamp, Timestamp)>,
    sink_error: Option<PerceptionError>,
}

impl SimStack {
    /// The production pipeline for the simulator's rig of `scenario` (its LiDAR layout), with
    /// the camera detector of `model_manifest` (usually the shipped student) and the built-in
    /// pipeline configuration.
    pub fn new(
        scenario: &Scenario,
        model_manifest: Option<&Path>,
    ) -> Result<Self, PerceptionError> {
        let rig = kestrel_sim::sim_rig::sim_rig(scenario.sensors.lidar_pattern);
        Ok(Self {
            pipeline: production_pipeline(
                &rig,
                model_manifest,
                &KestrelConfig::builtin()?.pipeline(),
            )?,
            sinks: Vec::new(),
            latest: Vec::new(),
            digest: OutputDigest::default(),
            frames: 0,
            degraded_frames: 0,
            degraded: BTreeMap::new(),
            detected_objects: 0,
            camera_objects: 0,
            errors: BTreeMap::new(),
            compute: Vec::new(),
            end_to_end: Vec::new(),
            sink_error: None,
        })
    }

    /// Adds a sink that receives every input message and every output frame.
    pub fn add_sink(&mut self, sink: Box<dyn OutputSink>) {
        self.sinks.push(sink);
    }

    /// One closed-loop call at simulation time `odometry.timestamp`: the odometry sample (as
    /// the vehicle's [`Odometry`] message, [`odometry_message`]), then the messages due now,
    /// go into the pipeline, and to the sinks as inputs, so a recorded run replays with the
    /// same ego motion; returns the latest confirmed tracks. A message the stage rejects is
    /// counted in [`StackStats::errors`] and the run goes on.
    pub fn step(
        &mut self,
        messages: &[SensorMessage],
        odometry: &EgoOdometry,
    ) -> Vec<ObservedObject> {
        let now = odometry.timestamp;
        let odometry = odometry_message(odometry);
        let inputs = || std::iter::once(&odometry).chain(messages);
        let started = Instant::now();
        let mut frames = Vec::new();
        for m in inputs() {
            match self.pipeline.process(m) {
                Ok(f) => frames.extend(f),
                Err(e) => *self.errors.entry(e.to_string()).or_default() += 1,
            }
        }
        let elapsed = started.elapsed().as_nanos() as u64;
        let ready = Timestamp(now.as_nanos().saturating_add(elapsed));
        for f in &frames {
            self.compute.push((now, ready));
            self.end_to_end.push((f.stamp, ready));
        }
        for m in inputs() {
            self.call_sinks(|s| s.on_input(m));
        }
        for f in frames {
            self.output(&f);
        }
        self.latest.clone()
    }

    fn output(&mut self, frame: &OutputFrame) {
        self.frames += 1;
        if !frame.degraded.is_empty() {
            self.degraded_frames += 1;
        }
        for d in &frame.degraded {
            *self.degraded.entry(d.clone()).or_default() += 1;
        }
        self.detected_objects += frame.detected.len() as u64;
        self.camera_objects += frame.detected.iter().filter(|d| d.sources.camera).count() as u64;
        self.latest = frame.tracked.iter().map(observed_object).collect();
        match EncodedFrame::encode(frame) {
            Ok(encoded) => {
                self.digest.update(&encoded);
                self.call_sinks(|s| s.on_frame(&encoded));
            }
            Err(e) => *self.errors.entry(e.to_string()).or_default() += 1,
        }
    }

    /// Calls every sink; keeps the first error (reported by [`SimStack::finish`]).
    fn call_sinks(
        &mut self,
        mut call: impl FnMut(&mut dyn OutputSink) -> Result<(), PerceptionError>,
    ) {
        if self.sink_error.is_some() {
            return;
        }
        for s in &mut self.sinks {
            if let Err(e) = call(s.as_mut()) {
                self.sink_error = Some(e);
                return;
            }
        }
    }

    /// Ends the run: the pipeline emits the frame sets it still holds (to the sinks and the
    /// statistics; the run is over, so no planner sees them), the sinks are closed; returns
    /// the statistics, or the first sink error.
    pub fn finish(mut self) -> Result<StackStats, PerceptionError> {
        match self.pipeline.finish() {
            Ok(frames) => frames.iter().for_each(|f| self.output(f)),
            Err(e) => *self.errors.entry(e.to_string()).or_default() += 1,
        }
        if let Some(e) = self.sink_error.take() {
            return Err(e);
        }
        for s in &mut self.sinks {
            s.finish()?;
        }
        Ok(StackStats {
            frames: self.frames,
            degraded_frames: self.degraded_frames,
            degraded: self.degraded,
            detected_objects: self.detected_objects,
            camera_objects: self.camera_objects,
            errors: self.errors,
            compute_latency: latency_summary(&self.compute),
            end_to_end_latency: latency_summary(&self.end_to_end),
            output_cdr_digest: self.digest.hex(),
        })
    }
}

/// A closed-loop run of the real stack: the simulator's verdict and metrics, and the stack's
/// own statistics.
#[derive(Debug, Clone)]
pub struct SimRun {
    /// Verdict, metrics and digests from the simulator.
    pub report: ScenarioReport,
    /// Frames, degraded conditions, rejected messages, latencies, CDR digest.
    pub stack: StackStats,
}

/// Runs `scenario` closed-loop with `stack` (see [`SimStack::new`]).
pub fn run_scenario_with_stack(
    scenario: &Scenario,
    mut stack: SimStack,
) -> Result<SimRun, PerceptionError> {
    let report =
        run_scenario_with_odometry(scenario, &mut |m, odo| stack.step(m, odo)).map_err(|e| {
            PerceptionError::Source {
                source_name: format!("simulator scenario `{}`", scenario.name),
                message: e.to_string(),
            }
        })?;
    Ok(SimRun {
        report,
        stack: stack.finish()?,
    })
}

/// Runs `scenario` closed-loop with the production stack and the shipped student
/// ([`kestrel_models::zoo::default_student_manifest`]), no recording.
pub fn run_real_stack(scenario: &Scenario) -> Result<SimRun, PerceptionError> {
    let manifest = kestrel_models::zoo::default_student_manifest();
    run_scenario_with_stack(scenario, SimStack::new(scenario, Some(&manifest))?)
}
