//! Shared support for the tracking tests: a seeded RNG, synthetic ground-truth trajectories,
//! noisy detections, and tracking metrics (ID switches, RMSE, false tracks).
#![allow(dead_code)] // each test binary uses a different subset

use kestrel_fusion::tracking::motion_model::{wrap_angle, wrap_half_turn};
use kestrel_fusion::tracking::{
    CostMatrix, EgoMotion, TrackedObject, Tracker, TrackerConfig, solve_assignment,
};
use kestrel_fusion::{DetectedObject, SensorSources};
use kestrel_sensors::{ObjectClass, OrientedBox3, Timestamp};
use nalgebra::{Matrix2, Point3, Vector2};
use rand_xoshiro::SplitMix64;
use rand_xoshiro::rand_core::{Rng as _, SeedableRng};
use std::collections::BTreeMap;

/// The workspace's seeded generator crate in its SplitMix64 stream (the stream these scenarios
/// were written against), with Box-Muller normals: seeded, platform-independent.
pub struct Rng(SplitMix64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(SplitMix64::seed_from_u64(seed))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// Uniform in [0, 1).
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in [lo, hi).
    pub fn uniform_in(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.uniform()
    }

    /// Standard normal.
    pub fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.uniform(); // (0, 1]
        let u2 = self.uniform();
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }
}

/// Ground truth of one object at one instant, in the frame the detections are in.
#[derive(Debug, Clone, Copy)]
pub struct TruthState {
    pub id: usize,
    pub class: ObjectClass,
    pub position: Vector2<f64>,
    /// Over ground, in the same frame's axes.
    pub velocity: Vector2<f64>,
    pub yaw: f64,
}

/// A planar kinematic object: constant speed and yaw rate (CTRV), yaw rate 0 = straight.
#[derive(Debug, Clone, Copy)]
pub struct Mover {
    pub id: usize,
    pub class: ObjectClass,
    pub x: f64,
    pub y: f64,
    pub yaw: f64,
    pub speed: f64,
    pub yaw_rate: f64,
}

impl Mover {
    pub fn state_at(&self, t: f64) -> TruthState {
        let (x, y, yaw) = if self.yaw_rate.abs() < 1e-12 {
            let (s, c) = self.yaw.sin_cos();
            (
                self.x + self.speed * t * c,
                self.y + self.speed * t * s,
                self.yaw,
            )
        } else {
            let yaw1 = self.yaw + self.yaw_rate * t;
            let r = self.speed / self.yaw_rate;
            (
                self.x + r * (yaw1.sin() - self.yaw.sin()),
                self.y + r * (self.yaw.cos() - yaw1.cos()),
                yaw1,
            )
        };
        TruthState {
            id: self.id,
            class: self.class,
            position: Vector2::new(x, y),
            velocity: Vector2::new(yaw.cos(), yaw.sin()) * self.speed,
            yaw,
        }
    }
}

/// Sensor noise of the synthetic detector.
#[derive(Debug, Clone, Copy)]
pub struct Noise {
    pub position_std: f64,
    /// Radar-like velocity measurement; `None` = position only.
    pub velocity_std: Option<f64>,
    pub yaw_std: f64,
}

impl Default for Noise {
    fn default() -> Self {
        Self {
            position_std: 0.3,
            velocity_std: None,
            yaw_std: 0.05,
        }
    }
}

/// Box size of a class (length, width, height).
pub fn dims(class: ObjectClass) -> (f64, f64, f64) {
    match class {
        ObjectClass::Pedestrian => (0.6, 0.6, 1.7),
        ObjectClass::Truck => (8.0, 2.5, 3.2),
        _ => (4.5, 1.9, 1.6),
    }
}

pub fn detect(truth: &TruthState, noise: &Noise, rng: &mut Rng) -> DetectedObject {
    let (l, w, h) = dims(truth.class);
    let p = truth.position + Vector2::new(rng.normal(), rng.normal()) * noise.position_std;
    let velocity = noise
        .velocity_std
        .map(|s| truth.velocity + Vector2::new(rng.normal(), rng.normal()) * s);
    DetectedObject {
        lidar_shape: None,
        bbox: OrientedBox3 {
            center: Point3::new(p.x, p.y, h / 2.0),
            length: l * (1.0 + 0.05 * rng.normal()),
            width: w * (1.0 + 0.05 * rng.normal()),
            height: h,
            yaw: truth.yaw + noise.yaw_std * rng.normal(),
        },
        class: truth.class,
        class_confidence: 0.8,
        existence_confidence: 0.8,
        position_covariance: Matrix2::identity() * noise.position_std.powi(2),
        velocity,
        velocity_covariance: noise.velocity_std.map(|s| Matrix2::identity() * s * s),
        sources: SensorSources {
            camera: true,
            lidar: true,
            radar: noise.velocity_std.is_some(),
        },
    }
}

/// A spurious detection (class unknown, LiDAR only) at `p`.
pub fn clutter(p: Vector2<f64>) -> DetectedObject {
    DetectedObject {
        lidar_shape: None,
        bbox: OrientedBox3 {
            center: Point3::new(p.x, p.y, 0.5),
            length: 1.0,
            width: 1.0,
            height: 1.0,
            yaw: 0.0,
        },
        class: ObjectClass::Unknown,
        class_confidence: 0.3,
        existence_confidence: 0.5,
        position_covariance: Matrix2::identity() * 0.09,
        velocity: None,
        velocity_covariance: None,
        sources: SensorSources {
            lidar: true,
            ..SensorSources::default()
        },
    }
}

/// One frame of a scenario.
#[derive(Debug, Clone)]
pub struct Frame {
    pub timestamp: Timestamp,
    pub truths: Vec<TruthState>,
    pub detections: Vec<DetectedObject>,
    pub ego: Option<EgoMotion>,
}

pub const FRAME_NS: u64 = 100_000_000; // 10 Hz
pub const T0_NS: u64 = 1_700_000_000_000_000_000;

pub fn timestamp(frame: usize) -> Timestamp {
    Timestamp::from_nanos(T0_NS + frame as u64 * FRAME_NS)
}

/// Frames of `movers` seen by a static sensor; `visible(frame, id)` decides detection.
pub fn static_sensor_frames(
    movers: &[Mover],
    frames: usize,
    noise: &Noise,
    rng: &mut Rng,
    visible: impl Fn(usize, usize) -> bool,
) -> Vec<Frame> {
    (0..frames)
        .map(|k| {
            let t = k as f64 * FRAME_NS as f64 * 1e-9;
            let truths: Vec<_> = movers.iter().map(|m| m.state_at(t)).collect();
            let detections = truths
                .iter()
                .filter(|s| visible(k, s.id))
                .map(|s| detect(s, noise, rng))
                .collect();
            Frame {
                timestamp: timestamp(k),
                truths,
                detections,
                ego: None,
            }
        })
        .collect()
}

/// Metrics of one run, truths matched to confirmed tracks per frame (global nearest
/// neighbour within `MATCH_RADIUS`).
#[derive(Debug, Clone, Default)]
pub struct Metrics {
    pub frames: usize,
    pub id_switches: usize,
    pub position_rmse: f64,
    pub velocity_rmse: f64,
    /// Heading error; modulo pi for static truths (box heading ambiguity).
    pub yaw_rmse_deg: f64,
    /// Truth-frames (after `converge_s`) with no confirmed track matched.
    pub missed: usize,
    /// Truth-frames considered after `converge_s`.
    pub truth_frames: usize,
    /// Confirmed tracks not matched to any truth, summed over frames.
    pub false_track_frames: usize,
    /// Distinct ids of confirmed tracks that were never matched to a truth.
    pub false_track_ids: usize,
    /// Distinct track ids matched to each truth.
    pub ids_per_truth: BTreeMap<usize, Vec<u64>>,
}

pub const MATCH_RADIUS: f64 = 2.5;

/// Runs `frames` through a fresh tracker and scores the confirmed tracks against truth;
/// errors from the tracker fail the test. `converge_s`: RMSE and misses only count after
/// this many seconds.
pub fn run(
    frames: &[Frame],
    config: TrackerConfig,
    converge_s: f64,
) -> (Metrics, Vec<Vec<TrackedObject>>) {
    let mut tracker = Tracker::new(config).expect("valid config");
    let mut m = Metrics::default();
    let mut last_id: BTreeMap<usize, u64> = BTreeMap::new();
    let mut matched_ids = std::collections::BTreeSet::new();
    let mut confirmed_ids = std::collections::BTreeSet::new();
    let (mut pos_se, mut vel_se, mut yaw_se, mut n) = (0.0, 0.0, 0.0, 0usize);
    let mut outputs = Vec::new();
    let t0 = frames[0].timestamp;
    for f in frames {
        let out = tracker
            .step(f.timestamp, &f.detections, f.ego)
            .expect("frame accepted");
        let confirmed: Vec<&TrackedObject> =
            out.tracks.iter().filter(|t| t.is_confirmed()).collect();
        confirmed_ids.extend(confirmed.iter().map(|t| t.id));
        let costs = CostMatrix::from_fn(f.truths.len(), confirmed.len(), |i, j| {
            let d = (f.truths[i].position - confirmed[j].position()).norm();
            if d <= MATCH_RADIUS { d } else { f64::INFINITY }
        });
        let a = solve_assignment(&costs).expect("finite costs");
        let counted = f.timestamp.seconds_since(t0) >= converge_s;
        for (i, truth) in f.truths.iter().enumerate() {
            match a.row_to_col[i] {
                Some(j) => {
                    let tr = confirmed[j];
                    matched_ids.insert(tr.id);
                    if let Some(prev) = last_id.insert(truth.id, tr.id)
                        && prev != tr.id
                    {
                        m.id_switches += 1;
                    }
                    let ids = m.ids_per_truth.entry(truth.id).or_default();
                    if !ids.contains(&tr.id) {
                        ids.push(tr.id);
                    }
                    if counted {
                        pos_se += (truth.position - tr.position()).norm_squared();
                        vel_se += (truth.velocity - tr.velocity()).norm_squared();
                        // A static object's heading is only known modulo pi (box axis).
                        let dyaw = if truth.velocity.norm() < 0.5 {
                            wrap_half_turn(truth.yaw - tr.yaw())
                        } else {
                            wrap_angle(truth.yaw - tr.yaw())
                        };
                        yaw_se += dyaw * dyaw;
                        n += 1;
                    }
                }
                None if counted => m.missed += 1,
                None => {}
            }
        }
        if counted {
            m.truth_frames += f.truths.len();
        }
        m.false_track_frames += confirmed.len() - a.pairs().count();
        outputs.push(out.tracks);
        m.frames += 1;
    }
    let n = n.max(1) as f64;
    m.position_rmse = (pos_se / n).sqrt();
    m.velocity_rmse = (vel_se / n).sqrt();
    m.yaw_rmse_deg = (yaw_se / n).sqrt().to_degrees();
    m.false_track_ids = confirmed_ids.difference(&matched_ids).count();
    (m, outputs)
}

/// Prints the metrics in one line per scenario (visible with `--nocapture`).
pub fn report(name: &str, m: &Metrics) {
    println!(
        "[tracking] {name}: frames={} id_switches={} pos_rmse={:.3} m vel_rmse={:.3} m/s \
         yaw_rmse={:.2} deg missed={}/{} false_track_frames={} false_track_ids={} ids_per_truth={:?}",
        m.frames,
        m.id_switches,
        m.position_rmse,
        m.velocity_rmse,
        m.yaw_rmse_deg,
        m.missed,
        m.truth_frames,
        m.false_track_frames,
        m.false_track_ids,
        m.ids_per_truth
    );
}
