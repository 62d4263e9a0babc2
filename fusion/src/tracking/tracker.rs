//! The multi-object tracker: per frame, predict every track (with ego-motion compensation),
//! associate detections by Mahalanobis-gated global assignment, update, run the lifecycle,
//! and report the live tracks.

use super::class_vote::ClassVote;
use super::ego_motion::EgoMotion;
use super::error::TrackingError;
use super::hungarian::{CostMatrix, solve_assignment_below};
use super::kinematic_state::Measurement;
use super::lifecycle::{Lifecycle, LifecycleConfig, TrackStatus};
use super::manoeuvre_imm::{ImmState, ManoeuvreConfig};
use super::motion_model::{MotionModel, MotionParams};
use super::track::{BOX_HEADING_VARIANCE, ShapeEstimate, Track, TrackedObject};
use crate::DetectedObject;
use crate::class_table::ClassTable;
use kestrel_sensors::{ObjectClass, Timestamp};
use nalgebra::{Matrix2, Vector2};
use serde::{Deserialize, Serialize};

/// Tracker parameters (the `[tracking]` table of a configuration file).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrackerConfig {
    /// Lifecycle and existence parameters.
    pub lifecycle: LifecycleConfig,
    /// Motion model and noise per class (the steady mode's).
    pub motion: ClassTable<MotionParams>,
    /// The manoeuvre mode run beside each class's motion model.
    pub manoeuvre: ManoeuvreConfig,
    /// Gate probability of the chi-square (2 dof) gates on the position innovation and, when
    /// a velocity is measured, on the velocity innovation; 0..1.
    pub gate_probability: f64,
    /// Velocity standard deviation (m/s) assumed when a detection has a velocity but no
    /// velocity covariance.
    pub default_velocity_std: f64,
    /// Weight of a new box in the smoothed box dimensions, 0..1.
    pub shape_smoothing: f64,
    /// Factor applied to a track's class votes at each classified detection, 0..1.
    pub class_vote_decay: f64,
}

impl Default for TrackerConfig {
    fn default() -> Self {
        let cv = |accel_std, initial_speed_std| MotionParams {
            model: MotionModel::ConstantVelocity,
            accel_std,
            yaw_accel_std: 0.0,
            box_yaw_std: None,
            initial_speed_std,
            initial_yaw_rate_std: 0.0,
        };
        let ctrv = |accel_std, yaw_accel_std, initial_speed_std| MotionParams {
            model: MotionModel::Ctrv,
            accel_std,
            yaw_accel_std,
            box_yaw_std: Some(0.2),
            initial_speed_std,
            initial_yaw_rate_std: 0.3,
        };
        let vehicle = ctrv(3.0, 1.0, 10.0);
        let two_wheeler = ctrv(3.0, 2.0, 6.0);
        Self {
            lifecycle: LifecycleConfig::default(),
            motion: ClassTable {
                unknown: cv(2.5, 5.0),
                car: vehicle,
                truck: vehicle,
                bus: vehicle,
                trailer: vehicle,
                motorcycle: two_wheeler,
                bicycle: two_wheeler,
                pedestrian: cv(1.5, 1.5),
            },
            manoeuvre: ManoeuvreConfig::default(),
            gate_probability: 0.999,
            default_velocity_std: 1.0,
            shape_smoothing: 0.3,
            class_vote_decay: 0.95,
        }
    }
}

impl TrackerConfig {
    /// Motion parameters of `class`.
    pub fn motion_params(&self, class: ObjectClass) -> &MotionParams {
        self.motion.get(class)
    }

    /// Checks value ranges.
    pub fn validate(&self) -> Result<(), TrackingError> {
        self.lifecycle.validate()?;
        self.manoeuvre.validate()?;
        let bad = |field, value, reason| {
            Err(TrackingError::InvalidConfig {
                field,
                value,
                reason,
            })
        };
        let unit = |v: f64| v > 0.0 && v < 1.0;
        if !unit(self.gate_probability) {
            return bad("gate_probability", self.gate_probability, "in (0, 1)");
        }
        if !(self.default_velocity_std > 0.0 && self.default_velocity_std.is_finite()) {
            return bad("default_velocity_std", self.default_velocity_std, "> 0");
        }
        if !(self.shape_smoothing > 0.0 && self.shape_smoothing <= 1.0) {
            return bad("shape_smoothing", self.shape_smoothing, "in (0, 1]");
        }
        if !(self.class_vote_decay > 0.0 && self.class_vote_decay <= 1.0) {
            return bad("class_vote_decay", self.class_vote_decay, "in (0, 1]");
        }
        for (_, p) in self.motion.iter() {
            for (field, v) in [
                ("motion.accel_std", p.accel_std),
                ("motion.yaw_accel_std", p.yaw_accel_std),
                ("motion.initial_speed_std", p.initial_speed_std),
                ("motion.initial_yaw_rate_std", p.initial_yaw_rate_std),
                ("motion.box_yaw_std", p.box_yaw_std.unwrap_or(1.0)),
            ] {
                if !(v >= 0.0 && v.is_finite()) {
                    return bad(field, v, "finite, >= 0");
                }
            }
        }
        Ok(())
    }
}

/// What one frame produced.
#[derive(Debug, Clone, PartialEq)]
pub struct FrameOutput {
    /// Time of the frame.
    pub timestamp: Timestamp,
    /// All live tracks (tentative, confirmed, coasting), in increasing id order.
    pub tracks: Vec<TrackedObject>,
    /// Indices (into the frame's detections) of detections rejected as invalid (non-finite
    /// values, covariance not positive definite, negative box size).
    pub rejected_detections: Vec<usize>,
    /// Ids of the tracks deleted in this frame.
    pub deleted_track_ids: Vec<u64>,
}

/// Counters since the tracker was created.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TrackerStats {
    /// Frames accepted.
    pub frames: u64,
    /// Frames refused (timestamp not increasing, invalid ego motion).
    pub rejected_frames: u64,
    /// Detections received in accepted frames.
    pub detections: u64,
    /// Detections rejected as invalid.
    pub rejected_detections: u64,
    /// Unassigned detections that fell inside an existing track's gate and so did not start
    /// a new track (split or duplicate detections).
    pub suppressed_births: u64,
    /// Tracks born.
    pub births: u64,
    /// Tracks deleted.
    pub deletions: u64,
    /// Assigned detections whose update was numerically degenerate (counted as misses).
    pub degenerate_updates: u64,
    /// Association stages that could not be solved (their tracks counted as missed).
    pub association_failures: u64,
}

/// Multi-object tracker in the vehicle frame (see the module docs of [`super`]).
#[derive(Debug, Clone)]
pub struct Tracker {
    config: TrackerConfig,
    gate: f64,
    assign_threshold: f64,
    tracks: Vec<Track>,
    next_id: u64,
    last_timestamp: Option<Timestamp>,
    stats: TrackerStats,
}

/// A validated detection.
struct Prepared {
    index: usize,
    measurement: Measurement,
}

impl Tracker {
    /// A tracker with no tracks; errors if `config` is out of range.
    pub fn new(config: TrackerConfig) -> Result<Self, TrackingError> {
        config.validate()?;
        // Chi-square quantile for 2 degrees of freedom.
        let gate = -2.0 * (1.0 - config.gate_probability).ln();
        // A pair is worth making when its log-likelihood ratio against "track missed,
        // detection is clutter" is positive: -ln g < ln(Pd / ((1 - Pd) lambda)).
        let pd = config.lifecycle.detection_probability;
        let assign_threshold = (pd / ((1.0 - pd) * config.lifecycle.clutter_density)).ln();
        Ok(Self {
            config,
            gate,
            assign_threshold,
            tracks: Vec::new(),
            next_id: 1,
            last_timestamp: None,
            stats: TrackerStats::default(),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &TrackerConfig {
        &self.config
    }

    /// Counters since creation.
    pub fn stats(&self) -> &TrackerStats {
        &self.stats
    }

    /// The live tracks as of the last accepted frame, in increasing id order.
    pub fn tracks(&self) -> Vec<TrackedObject> {
        let now = self.last_timestamp.unwrap_or_default();
        self.tracks.iter().map(|t| t.output(now)).collect()
    }

    /// Deletes every track (counted in [`TrackerStats::deletions`]), e.g. after a clock
    /// discontinuity; identities stay unique: the next track gets a new id.
    pub fn drop_tracks(&mut self) {
        self.stats.deletions += self.tracks.len() as u64;
        self.tracks.clear();
    }

    /// Processes one frame: `detections` in the vehicle frame at `timestamp`, and `ego` = the
    /// vehicle's motion since the previous frame (`None`: the vehicle is taken as static).
    ///
    /// Errors (tracks untouched): [`TrackingError::NonIncreasingTimestamp`] when `timestamp`
    /// is not after the previous frame's; [`TrackingError::InvalidEgoMotion`]. Invalid
    /// detections are skipped and reported in [`FrameOutput::rejected_detections`].
    pub fn step(
        &mut self,
        timestamp: Timestamp,
        detections: &[DetectedObject],
        ego: Option<EgoMotion>,
    ) -> Result<FrameOutput, TrackingError> {
        let dt = match self.last_timestamp {
            Some(previous) => {
                let dt = timestamp.seconds_since(previous);
                if timestamp <= previous {
                    self.stats.rejected_frames += 1;
                    return Err(TrackingError::NonIncreasingTimestamp {
                        previous,
                        current: timestamp,
                        dt_s: dt,
                    });
                }
                Some(dt)
            }
            None => None,
        };
        if let Some(e) = ego.filter(|e| !e.is_finite()) {
            self.stats.rejected_frames += 1;
            return Err(TrackingError::InvalidEgoMotion {
                timestamp,
                dx: e.dx,
                dy: e.dy,
                dyaw: e.dyaw,
            });
        }
        self.last_timestamp = Some(timestamp);
        self.stats.frames += 1;
        self.stats.detections += detections.len() as u64;

        let mut rejected = Vec::new();
        let mut prepared = Vec::with_capacity(detections.len());
        for (index, d) in detections.iter().enumerate() {
            match self.prepare(d) {
                Some(measurement) => prepared.push(Prepared { index, measurement }),
                None => rejected.push(index),
            }
        }
        self.stats.rejected_detections += rejected.len() as u64;

        if let Some(dt) = dt {
            self.predict(dt, ego.as_ref());
        }
        let (track_match, det_taken, det_gated) = self.associate(&prepared);

        for (track, matched) in self.tracks.iter_mut().zip(&track_match) {
            match matched {
                Some(c) => {
                    let det = &detections[prepared[*c].index];
                    if Self::update_track(&self.config, track, det, &prepared[*c].measurement) {
                        track.last_update = timestamp;
                    } else {
                        self.stats.degenerate_updates += 1;
                        track.lifecycle.record_miss(&self.config.lifecycle);
                    }
                }
                None => track.lifecycle.record_miss(&self.config.lifecycle),
            }
        }

        for (c, p) in prepared.iter().enumerate() {
            if det_taken[c] {
                continue;
            }
            if det_gated[c] {
                self.stats.suppressed_births += 1;
            } else {
                self.birth(&detections[p.index], &p.measurement, timestamp);
            }
        }

        let cfg = self.config.lifecycle;
        let mut deleted = Vec::new();
        self.tracks.retain(|t| {
            let keep = !t
                .lifecycle
                .should_delete(&cfg, timestamp.seconds_since(t.last_update));
            if !keep {
                deleted.push(t.id);
            }
            keep
        });
        self.stats.deletions += deleted.len() as u64;

        Ok(FrameOutput {
            timestamp,
            tracks: self.tracks(),
            rejected_detections: rejected,
            deleted_track_ids: deleted,
        })
    }

    /// Validates a detection and turns it into a filter measurement.
    fn prepare(&self, d: &DetectedObject) -> Option<Measurement> {
        let b = &d.bbox;
        let finite = b.center.iter().all(|v| v.is_finite())
            && [b.length, b.width, b.height, b.yaw]
                .iter()
                .all(|v| v.is_finite())
            && d.class_confidence.is_finite()
            && d.existence_confidence.is_finite();
        if !finite || b.length < 0.0 || b.width < 0.0 || b.height < 0.0 {
            return None;
        }
        let pd = |m: &Matrix2<f64>| m.iter().all(|v| v.is_finite()) && m.cholesky().is_some();
        if !pd(&d.position_covariance) {
            return None;
        }
        let velocity = match d.velocity {
            None => None,
            Some(v) => {
                let cov = d.velocity_covariance.unwrap_or_else(|| {
                    Matrix2::identity() * self.config.default_velocity_std.powi(2)
                });
                if !v.iter().all(|x| x.is_finite()) || !pd(&cov) {
                    return None;
                }
                Some((v, cov))
            }
        };
        Some(Measurement {
            position: Vector2::new(b.center.x, b.center.y),
            position_covariance: d.position_covariance,
            velocity,
            box_yaw: b.yaw,
        })
    }

    fn predict(&mut self, dt: f64, ego: Option<&EgoMotion>) {
        for track in &mut self.tracks {
            let params = self.config.motion_params(track.class_vote.class());
            track.kinematics.predict(dt, params, &self.config.manoeuvre);
            if let Some(e) = ego {
                track.kinematics.apply_ego_motion(e);
                track.shape.apply_ego_motion(e);
            }
            track.lifecycle.predict(&self.config.lifecycle, dt);
        }
    }

    /// Matching cascade: confirmed and coasting tracks first, then tentative tracks with the
    /// detections left over, each stage a global assignment with a non-assignment option.
    /// Returns the detection of each track, and per detection whether it was taken and
    /// whether it fell inside any track's gate.
    fn associate(&mut self, prepared: &[Prepared]) -> (Vec<Option<usize>>, Vec<bool>, Vec<bool>) {
        let mut track_match = vec![None; self.tracks.len()];
        let mut taken = vec![false; prepared.len()];
        let mut gated = vec![false; prepared.len()];
        for tentative in [false, true] {
            let rows: Vec<usize> = (0..self.tracks.len())
                .filter(|&t| {
                    (self.tracks[t].lifecycle.status == TrackStatus::Tentative) == tentative
                })
                .collect();
            let cols: Vec<usize> = (0..prepared.len()).filter(|&c| !taken[c]).collect();
            let costs = CostMatrix::from_fn(rows.len(), cols.len(), |i, j| {
                self.pair_cost(&self.tracks[rows[i]], &prepared[cols[j]].measurement)
            });
            for (j, &c) in cols.iter().enumerate() {
                gated[c] |= (0..rows.len()).any(|i| costs.get(i, j).is_some_and(f64::is_finite));
            }
            // Costs are clamped finite below, so the solver cannot fail; should it ever, the
            // stage is counted and its tracks treated as missed rather than aborting a frame
            // whose tracks are already predicted.
            let Ok(assignment) = solve_assignment_below(&costs, self.assign_threshold) else {
                self.stats.association_failures += 1;
                continue;
            };
            for (i, j) in assignment.pairs() {
                track_match[rows[i]] = Some(cols[j]);
                taken[cols[j]] = true;
            }
        }
        (track_match, taken, gated)
    }

    /// Association cost of a track and a measurement: `-ln N(y; 0, S)` of the position
    /// innovation; `+inf` outside the position gate or (when a velocity is measured) the
    /// velocity gate.
    fn pair_cost(&self, track: &Track, m: &Measurement) -> f64 {
        let k = &track.kinematics;
        // Cheap pre-gate: d^2 >= |y|^2 / lambda_max(S) >= |y|^2 / trace(S).
        let trace_s = k.position_covariance().trace() + m.position_covariance.trace();
        if (m.position - k.position()).norm_squared() > self.gate * trace_s {
            return f64::INFINITY;
        }
        let Some(pos) = k.position_innovation(&m.position, &m.position_covariance) else {
            return f64::INFINITY;
        };
        let d2 = pos.mahalanobis_sq();
        if d2.is_nan() || d2 > self.gate {
            return f64::INFINITY;
        }
        if let Some((v, rv)) = &m.velocity {
            match k.velocity_innovation(v, rv) {
                Some(inn) if inn.mahalanobis_sq() <= self.gate => {}
                _ => return f64::INFINITY,
            }
        }
        let cost = pos.association_cost() + (2.0 * std::f64::consts::PI).ln();
        if cost.is_finite() {
            cost.max(-1e6)
        } else {
            f64::INFINITY
        }
    }

    /// Updates `track` with a detection; false if the update was degenerate (track unchanged).
    fn update_track(
        config: &TrackerConfig,
        track: &mut Track,
        det: &DetectedObject,
        m: &Measurement,
    ) -> bool {
        let params = config.motion_params(track.class_vote.class());
        let Some(innovation) = track.kinematics.update(m, params.box_yaw_std) else {
            return false;
        };
        track
            .lifecycle
            .record_hit(&config.lifecycle, innovation.likelihood());
        track.shape.update(&det.bbox, config.shape_smoothing);
        track.class_vote.add(
            det.class,
            f64::from(det.class_confidence),
            config.class_vote_decay,
        );
        let params = config.motion_params(track.class_vote.class());
        if params.model != track.kinematics.model() {
            track.kinematics = track.kinematics.converted(
                params.model,
                params,
                track.shape.box_yaw,
                BOX_HEADING_VARIANCE,
            );
        }
        true
    }

    fn birth(&mut self, det: &DetectedObject, m: &Measurement, timestamp: Timestamp) {
        let mut class_vote = ClassVote::default();
        class_vote.add(
            det.class,
            f64::from(det.class_confidence),
            self.config.class_vote_decay,
        );
        let params = self.config.motion_params(class_vote.class());
        self.tracks.push(Track {
            id: self.next_id,
            kinematics: ImmState::new(params.model, m, params, &self.config.manoeuvre),
            class_vote,
            shape: ShapeEstimate::new(&det.bbox),
            lifecycle: Lifecycle::new(&self.config.lifecycle, f64::from(det.existence_confidence)),
            born: timestamp,
            last_update: timestamp,
        });
        self.next_id += 1;
        self.stats.births += 1;
    }
}
