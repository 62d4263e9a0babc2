//! The closed-loop runner: world -> sensor messages -> perception stack (a callback) ->
//! reference planner -> ego command, every step, with ground-truth bookkeeping, metrics and the
//! scenario's pass/fail verdict.

use crate::collision::time_to_collision;
use crate::ego_dynamics::{EgoCommand, Lateral, Longitudinal};
use crate::error::SimError;
use crate::ground_truth::GroundTruthFrame;
use crate::message_digest::Digest;
use crate::metrics::{Counts, MetricsAccumulator, TrackingMetrics, match_frame};
use crate::observed_object::ObservedObject;
use crate::odometry::EgoOdometry;
use crate::planner::{Planner, PlannerConfig, PlannerMode};
use crate::scenario::Scenario;
use crate::world::{Collision, World};
use kestrel_sensors::{ObjectClass, SensorMessage};
use nalgebra::Point3;
use std::collections::BTreeMap;

/// Range within which detection and tracking metrics are evaluated, metres.
pub const EVAL_RANGE: f64 = 80.0;
/// Look-ahead of the time-to-collision check, seconds.
pub const TTC_HORIZON: f64 = 10.0;
/// Trace sampling period, seconds.
const TRACE_PERIOD: f64 = 0.1;

/// Paths of a run for plotting, world frame `(x, y)` metres.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunTrace {
    /// Ego rear-axle positions, every 0.1 s.
    pub ego: Vec<(f64, f64)>,
    /// Actor centre positions by actor name, every 0.1 s.
    pub actors: BTreeMap<String, Vec<(f64, f64)>>,
    /// Stack object positions (converted to the world frame with the ego pose of their time).
    pub detections: Vec<(f64, f64)>,
    /// Where the ego's rear axle was at the first contact, if any.
    pub collision_at: Option<(f64, f64)>,
}

/// The smallest time-to-collision seen during a run.
#[derive(Debug, Clone, PartialEq)]
pub struct MinTtc {
    /// Time-to-collision, seconds.
    pub ttc: f64,
    /// When it was seen, seconds.
    pub time: f64,
    /// With which actor.
    pub actor: String,
}

/// Result of one closed-loop run.
#[derive(Debug, Clone)]
pub struct ScenarioReport {
    /// Scenario name.
    pub scenario: String,
    /// Seed used.
    pub seed: u64,
    /// True when every criterion held.
    pub passed: bool,
    /// One sentence per failed criterion.
    pub failures: Vec<String>,
    /// First contact, if any (the run stops there).
    pub collision: Option<Collision>,
    /// Smallest time-to-collision, if any actor was ever on a collision course.
    pub min_ttc: Option<MinTtc>,
    /// Time (seconds) at which the stack first reported each actor, by actor name.
    pub first_reported: BTreeMap<String, Option<f64>>,
    /// Detection counts by (class, distance band index; see [`crate::metrics::DISTANCE_BANDS`]).
    pub detection: BTreeMap<(ObjectClass, usize), Counts>,
    /// Tracking metrics.
    pub tracking: TrackingMetrics,
    /// Messages emitted per sensor.
    pub message_counts: BTreeMap<String, u64>,
    /// Digest of every emitted sensor message.
    pub sensor_digest: u64,
    /// Digest of every stack output and planner command.
    pub output_digest: u64,
    /// Time of the last step, seconds.
    pub end_time: f64,
    /// Time spent in AEB, seconds.
    pub aeb_time: f64,
    /// Ego speed at the end, m/s.
    pub final_ego_speed: f64,
    /// Paths for plotting.
    pub trace: RunTrace,
}

impl ScenarioReport {
    /// A few human-readable lines.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "{} (seed {}): {} | end {:.2} s, ego {:.1} m/s, AEB {:.2} s, MOTA {:.3}, digest {:016x}/{:016x}",
            self.scenario,
            self.seed,
            if self.passed { "PASS" } else { "FAIL" },
            self.end_time,
            self.final_ego_speed,
            self.aeb_time,
            self.tracking.mota,
            self.sensor_digest,
            self.output_digest
        );
        if let Some(m) = &self.min_ttc {
            s += &format!(
                "\n  min TTC {:.2} s with `{}` at {:.2} s",
                m.ttc, m.actor, m.time
            );
        }
        for f in &self.failures {
            s += &format!("\n  failed: {f}");
        }
        s
    }
}

/// Perfect perception for tests: every actor within `max_range` metres, from ground truth.
pub fn oracle_stack(
    max_range: f64,
) -> impl FnMut(&[SensorMessage], &GroundTruthFrame) -> Vec<ObservedObject> {
    move |_, truth| truth.oracle(max_range)
}

/// Runs `scenario` with a perception `stack` that sees only sensor messages.
pub fn run_scenario(
    scenario: &Scenario,
    stack: &mut dyn FnMut(&[SensorMessage]) -> Vec<ObservedObject>,
) -> Result<ScenarioReport, SimError> {
    run_scenario_with_truth(scenario, &mut |m, _| stack(m))
}

/// Runs `scenario` with a stack that sees sensor messages and the ego's odometry (as on a real
/// vehicle); the odometry is sampled at the time of the messages.
pub fn run_scenario_with_odometry(
    scenario: &Scenario,
    stack: &mut dyn FnMut(&[SensorMessage], &EgoOdometry) -> Vec<ObservedObject>,
) -> Result<ScenarioReport, SimError> {
    run_scenario_with_truth(scenario, &mut |m, truth| {
        stack(m, &EgoOdometry::from_truth(truth.timestamp, &truth.ego))
    })
}

/// Runs `scenario`; `stack` also receives the ground truth of the instant (for oracle and
/// degraded-oracle stacks in tests; a real stack must ignore it).
///
/// Each step: the world emits the messages due now; if there are any, the stack is called
/// with them and its output replaces the planner's object list; the planner computes an
/// acceleration (the lane keeper steers); the world advances one step. The run stops at the
/// scenario's duration or at the first collision.
pub fn run_scenario_with_truth(
    scenario: &Scenario,
    stack: &mut dyn FnMut(&[SensorMessage], &GroundTruthFrame) -> Vec<ObservedObject>,
) -> Result<ScenarioReport, SimError> {
    let mut world = World::new(scenario)?;
    let mut planner = Planner::new(PlannerConfig::new(scenario.ego.set_speed()));
    let mut metrics = MetricsAccumulator::new(EVAL_RANGE);
    let mut sensor_digest = Digest::default();
    let mut output_digest = Digest::default();
    let mut message_counts: BTreeMap<String, u64> = BTreeMap::new();
    let mut first_reported: BTreeMap<String, Option<f64>> = scenario
        .actors
        .iter()
        .map(|a| (a.name.clone(), None))
        .collect();
    let mut trace = RunTrace::default();
    let mut objects: Vec<ObservedObject> = Vec::new();
    let mut min_ttc: Option<MinTtc> = None;
    let mut aeb_steps = 0u64;
    let trace_every = ((TRACE_PERIOD / scenario.step).round() as u64).max(1);
    let mut step = 0u64;
    while !world.finished() {
        let obs = world.observe()?;
        let t = world.time();
        let truth = &obs.truth;
        if !obs.messages.is_empty() {
            for m in &obs.messages {
                sensor_digest.message(m);
                *message_counts.entry(m.sensor().to_owned()).or_default() += 1;
            }
            objects = stack(&obs.messages, truth);
            objects.iter().for_each(|o| output_digest.object(o));
            metrics.add_frame(truth, &objects);
            let centres: Vec<_> = truth
                .actors
                .iter()
                .map(|a| (a.box_vehicle.center.x, a.box_vehicle.center.y))
                .collect();
            for (i, _) in match_frame(&centres, &objects) {
                first_reported
                    .entry(truth.actors[i].name.clone())
                    .or_default()
                    .get_or_insert(t);
            }
            for o in &objects {
                let p = truth.ego.pose * Point3::new(o.position.x, o.position.y, 0.0);
                trace.detections.push((p.x, p.y));
            }
        }
        track_min_ttc(truth, t, &mut min_ttc);
        if step.is_multiple_of(trace_every) {
            let p = truth.ego.pose.translation.vector;
            trace.ego.push((p.x, p.y));
            for a in &truth.actors {
                trace
                    .actors
                    .entry(a.name.clone())
                    .or_default()
                    .push((a.box_world.center.x, a.box_world.center.y));
            }
        }
        let curvature = world.lane_keeping_curvature();
        let plan = planner.plan(&objects, truth.ego.speed, curvature);
        if plan.mode == PlannerMode::Aeb {
            aeb_steps += 1;
        }
        output_digest.f64(plan.acceleration);
        world.advance(EgoCommand {
            longitudinal: Longitudinal::Acceleration(plan.acceleration),
            lateral: Lateral::Curvature(curvature),
        });
        step += 1;
        if world.collision().is_some() {
            let s = world.ego().state;
            trace.collision_at = Some((s.x, s.y));
            break;
        }
    }
    let collision = world.collision().cloned();
    let failures = verdict(
        scenario,
        collision.as_ref(),
        min_ttc.as_ref(),
        &first_reported,
    );
    Ok(ScenarioReport {
        scenario: scenario.name.clone(),
        seed: scenario.seed,
        passed: failures.is_empty(),
        failures,
        collision,
        min_ttc,
        first_reported,
        detection: metrics.detection.clone(),
        tracking: metrics.tracking(),
        message_counts,
        sensor_digest: sensor_digest.value(),
        output_digest: output_digest.value(),
        end_time: world.time(),
        aeb_time: aeb_steps as f64 * scenario.step,
        final_ego_speed: world.ego().state.speed,
        trace,
    })
}

/// Updates the run's smallest time-to-collision with the ego's current situation.
fn track_min_ttc(truth: &GroundTruthFrame, t: f64, min_ttc: &mut Option<MinTtc>) {
    let yaw = truth.ego.yaw;
    let v_ego = nalgebra::Vector2::new(yaw.cos(), yaw.sin()) * truth.ego.speed;
    for a in &truth.actors {
        if let Some(ttc) = time_to_collision(
            &truth.ego.body,
            &v_ego,
            &a.box_world,
            &a.velocity_world,
            TTC_HORIZON,
        ) && min_ttc.as_ref().is_none_or(|m| ttc < m.ttc)
        {
            *min_ttc = Some(MinTtc {
                ttc,
                time: t,
                actor: a.name.clone(),
            });
        }
    }
}

/// The failed criteria, one sentence each.
fn verdict(
    scenario: &Scenario,
    collision: Option<&Collision>,
    min_ttc: Option<&MinTtc>,
    first_reported: &BTreeMap<String, Option<f64>>,
) -> Vec<String> {
    let c = &scenario.criteria;
    let mut out = Vec::new();
    if c.no_collision
        && let Some(col) = collision
    {
        out.push(format!(
            "collision with `{}` at t = {:.2} s (ego speed {:.1} m/s)",
            col.actor, col.time, col.ego_speed
        ));
    }
    if let (Some(limit), Some(m)) = (c.min_ttc, min_ttc)
        && m.ttc < limit
    {
        out.push(format!(
            "time-to-collision {:.2} s with `{}` at t = {:.2} s is below the required {limit:.2} s",
            m.ttc, m.actor, m.time
        ));
    }
    for f in &c.first_track {
        match first_reported.get(&f.actor).copied().flatten() {
            None => out.push(format!(
                "actor `{}` was never reported by the stack (required by t = {:.2} s)",
                f.actor, f.by
            )),
            Some(t) if t > f.by + 1e-9 => out.push(format!(
                "actor `{}` first reported at t = {t:.2} s, required by t = {:.2} s",
                f.actor, f.by
            )),
            Some(_) => {}
        }
    }
    out
}
