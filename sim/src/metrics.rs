//! Perception metrics against ground truth: detection precision/recall by class and distance
//! band, tracking metrics (MOTA, ID switches, position and velocity RMSE), and an end-to-end
//! latency summary.
//!
//! Matching: per frame, ground-truth actors within the evaluation range and stack objects are
//! paired by CLEAR-MOT's rule ([`crate::clear_mot`]): an actor keeps its last track when that
//! track is still within [`MATCH_GATE`] metres (centre distance in the vehicle frame's x/y
//! plane); the rest are paired greedily by ascending centre distance within the gate, each used
//! at most once (ties broken by order, so deterministic).

use crate::clear_mot::{Candidate, ClearMot, greedy_assignment};
use crate::ground_truth::GroundTruthFrame;
use crate::observed_object::ObservedObject;
use kestrel_sensors::{ObjectClass, Timestamp};
use std::collections::BTreeMap;

/// Largest centre distance for a match, metres.
pub const MATCH_GATE: f64 = 2.5;

/// Upper edges of the distance bands, metres (the last band is open).
pub const DISTANCE_BANDS: [f64; 3] = [20.0, 40.0, 80.0];

/// Distance band index of a range: 0 for < 20 m, 1 for < 40 m, 2 for < 80 m, 3 beyond.
pub fn band_of(range: f64) -> usize {
    DISTANCE_BANDS
        .iter()
        .position(|&e| range < e)
        .unwrap_or(DISTANCE_BANDS.len())
}

/// The candidate pairs of one frame: every (truth, object) pair within [`MATCH_GATE`];
/// `truths` are `(x, y)` centres.
fn candidates(truths: &[(f64, f64)], objects: &[ObservedObject]) -> Vec<Candidate> {
    let mut out = Vec::new();
    for (i, t) in truths.iter().enumerate() {
        for (j, o) in objects.iter().enumerate() {
            let d = (t.0 - o.position.x).hypot(t.1 - o.position.y);
            if d <= MATCH_GATE {
                out.push(Candidate {
                    object: i,
                    hypothesis: j,
                    distance: d,
                });
            }
        }
    }
    out
}

/// Pairs `(truth index, object index)` for one frame, greedily by distance, without memory of
/// earlier frames; `truths` are `(x, y)` centres.
pub fn match_frame(truths: &[(f64, f64)], objects: &[ObservedObject]) -> Vec<(usize, usize)> {
    greedy_assignment(&candidates(truths, objects))
}

/// True/false positive and false negative counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts {
    /// Ground truth matched by an object of the same class.
    pub tp: u64,
    /// Objects unmatched or of the wrong class.
    pub fp: u64,
    /// Ground truth unmatched or matched with the wrong class.
    pub fn_: u64,
}

impl Counts {
    /// tp / (tp + fp), or `None` without objects.
    pub fn precision(&self) -> Option<f64> {
        let d = self.tp + self.fp;
        (d > 0).then(|| self.tp as f64 / d as f64)
    }

    /// tp / (tp + fn), or `None` without ground truth.
    pub fn recall(&self) -> Option<f64> {
        let d = self.tp + self.fn_;
        (d > 0).then(|| self.tp as f64 / d as f64)
    }
}

/// Tracking summary over a run.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct TrackingMetrics {
    /// Ground-truth object instances evaluated (sum over frames).
    pub gt_count: u64,
    /// Unmatched ground truth (class-agnostic).
    pub misses: u64,
    /// Unmatched objects.
    pub false_positives: u64,
    /// Times a ground-truth actor's matched track id changed.
    pub id_switches: u64,
    /// 1 - (misses + false positives + id switches) / gt_count (1 when there is no truth).
    pub mota: f64,
    /// Root-mean-square centre error of matches, metres (0 without matches).
    pub position_rmse: f64,
    /// Root-mean-square velocity error of matches, m/s (0 without matches).
    pub velocity_rmse: f64,
}

/// Accumulates metrics frame by frame.
#[derive(Debug, Clone)]
pub struct MetricsAccumulator {
    eval_range: f64,
    /// Counts by (class, distance band).
    pub detection: BTreeMap<(ObjectClass, usize), Counts>,
    clear_mot: ClearMot<u32, u64>,
    pos_sq: f64,
    vel_sq: f64,
}

impl MetricsAccumulator {
    /// Evaluates ground truth within `eval_range` metres of the vehicle origin (objects
    /// farther than that are ignored too).
    pub fn new(eval_range: f64) -> Self {
        Self {
            eval_range,
            detection: BTreeMap::new(),
            clear_mot: ClearMot::new(),
            pos_sq: 0.0,
            vel_sq: 0.0,
        }
    }

    /// Adds one frame: the truth at the time of the stack's output and the output.
    pub fn add_frame(&mut self, truth: &GroundTruthFrame, objects: &[ObservedObject]) {
        let gts: Vec<_> = truth
            .actors
            .iter()
            .filter(|a| a.range() <= self.eval_range)
            .collect();
        let objs: Vec<ObservedObject> = objects
            .iter()
            .filter(|o| o.position.x.hypot(o.position.y) <= self.eval_range)
            .copied()
            .collect();
        let centres: Vec<(f64, f64)> = gts
            .iter()
            .map(|a| (a.box_vehicle.center.x, a.box_vehicle.center.y))
            .collect();
        let actor_ids: Vec<u32> = gts.iter().map(|a| a.id).collect();
        let track_ids: Vec<u64> = objs.iter().map(|o| o.track_id).collect();
        let pairs = self.clear_mot.add_frame(
            &actor_ids,
            &track_ids,
            &candidates(&centres, &objs),
            greedy_assignment,
        );
        let mut gt_matched = vec![None; gts.len()];
        let mut obj_matched = vec![false; objs.len()];
        for &(i, j) in &pairs {
            gt_matched[i] = Some(j);
            obj_matched[j] = true;
        }
        for (i, a) in gts.iter().enumerate() {
            let band = band_of(a.range());
            match gt_matched[i] {
                Some(j) => {
                    let o = &objs[j];
                    if o.class == a.class {
                        self.detection.entry((a.class, band)).or_default().tp += 1;
                    } else {
                        self.detection.entry((a.class, band)).or_default().fn_ += 1;
                        self.detection.entry((o.class, band)).or_default().fp += 1;
                    }
                    let c = a.box_vehicle.center;
                    self.pos_sq += (c.x - o.position.x).powi(2) + (c.y - o.position.y).powi(2);
                    self.vel_sq += (a.velocity_vehicle - o.velocity).norm_squared();
                }
                None => {
                    self.detection.entry((a.class, band)).or_default().fn_ += 1;
                }
            }
        }
        for (j, o) in objs.iter().enumerate() {
            if !obj_matched[j] {
                self.detection
                    .entry((o.class, band_of(o.position.x.hypot(o.position.y))))
                    .or_default()
                    .fp += 1;
            }
        }
    }

    /// The tracking summary so far.
    pub fn tracking(&self) -> TrackingMetrics {
        let t = self.clear_mot.totals();
        let rmse = |sq: f64| {
            if t.matches == 0 {
                0.0
            } else {
                (sq / t.matches as f64).sqrt()
            }
        };
        TrackingMetrics {
            gt_count: t.objects,
            misses: t.misses,
            false_positives: t.false_positives,
            id_switches: t.id_switches,
            mota: t.mota().unwrap_or(1.0),
            position_rmse: rmse(self.pos_sq),
            velocity_rmse: rmse(self.vel_sq),
        }
    }

    /// Counts summed over distance bands, by class.
    pub fn detection_by_class(&self) -> BTreeMap<ObjectClass, Counts> {
        let mut out: BTreeMap<ObjectClass, Counts> = BTreeMap::new();
        for (&(class, _), c) in &self.detection {
            let e = out.entry(class).or_default();
            e.tp += c.tp;
            e.fp += c.fp;
            e.fn_ += c.fn_;
        }
        out
    }
}

/// End-to-end latency statistics, seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LatencySummary {
    /// Number of samples.
    pub count: usize,
    /// Mean.
    pub mean: f64,
    /// Median (nearest rank).
    pub p50: f64,
    /// 95th percentile (nearest rank).
    pub p95: f64,
    /// Largest.
    pub max: f64,
}

/// Summarises `(sensor timestamp, output timestamp)` pairs; `None` when empty. Pairs whose
/// output precedes the input count as zero latency.
pub fn latency_summary(pairs: &[(Timestamp, Timestamp)]) -> Option<LatencySummary> {
    if pairs.is_empty() {
        return None;
    }
    let mut l: Vec<f64> = pairs
        .iter()
        .map(|(a, b)| b.seconds_since(*a).max(0.0))
        .collect();
    l.sort_by(f64::total_cmp);
    let rank = |q: f64| l[((q * l.len() as f64).ceil() as usize).clamp(1, l.len()) - 1];
    Some(LatencySummary {
        count: l.len(),
        mean: l.iter().sum::<f64>() / l.len() as f64,
        p50: rank(0.5),
        p95: rank(0.95),
        max: l[l.len() - 1],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use nalgebra::{Point3, Vector2};

    fn obj(x: f64, id: u64, class: ObjectClass) -> ObservedObject {
        ObservedObject {
            position: Point3::new(x, 0.0, 0.7),
            velocity: Vector2::zeros(),
            class,
            track_id: id,
        }
    }

    #[test]
    fn greedy_matching_prefers_closest() {
        let pairs = match_frame(
            &[(10.0, 0.0), (12.0, 0.0)],
            &[
                obj(11.9, 1, ObjectClass::Car),
                obj(10.5, 2, ObjectClass::Car),
            ],
        );
        assert_eq!(pairs, vec![(1, 0), (0, 1)]);
        assert!(match_frame(&[(10.0, 0.0)], &[obj(13.0, 1, ObjectClass::Car)]).is_empty());
    }

    fn truth(actors: &[(u32, f64, ObjectClass)]) -> GroundTruthFrame {
        use crate::ground_truth::{ActorTruth, EgoTruth};
        use kestrel_sensors::OrientedBox3;
        let bx = |x: f64| OrientedBox3 {
            center: Point3::new(x, 0.0, 0.75),
            length: 4.5,
            width: 1.8,
            height: 1.5,
            yaw: 0.0,
        };
        GroundTruthFrame {
            timestamp: Timestamp(0),
            ego: EgoTruth {
                pose: nalgebra::Isometry3::identity(),
                yaw: 0.0,
                speed: 0.0,
                accel: 0.0,
                yaw_rate: 0.0,
                s: 0.0,
                d: 0.0,
                body: bx(1.45),
            },
            actors: actors
                .iter()
                .map(|&(id, x, class)| ActorTruth {
                    id,
                    name: format!("a{id}"),
                    class,
                    box_world: bx(x),
                    velocity_world: Vector2::new(1.0, 0.0),
                    box_vehicle: bx(x),
                    velocity_vehicle: Vector2::new(1.0, 0.0),
                })
                .collect(),
        }
    }

    #[test]
    fn tracking_metrics_count_misses_false_positives_and_switches() {
        let mut m = MetricsAccumulator::new(80.0);
        let gt = truth(&[
            (1, 10.0, ObjectClass::Car),
            (2, 30.0, ObjectClass::Pedestrian),
            (3, 90.0, ObjectClass::Car),
        ]);
        // Frame 1: car found 1 m off (track 7), pedestrian missed, a ghost at 50 m.
        m.add_frame(
            &gt,
            &[
                obj(11.0, 7, ObjectClass::Car),
                obj(50.0, 8, ObjectClass::Car),
            ],
        );
        // Frame 2: car found exactly but under a new track id, pedestrian found as a car.
        m.add_frame(
            &gt,
            &[
                obj(10.0, 9, ObjectClass::Car),
                obj(30.0, 10, ObjectClass::Car),
            ],
        );
        let t = m.tracking();
        // The car at 90 m is outside the evaluation range.
        assert_eq!(
            (t.gt_count, t.misses, t.false_positives, t.id_switches),
            (4, 1, 1, 1)
        );
        assert!((t.mota - (1.0 - 3.0 / 4.0)).abs() < 1e-12);
        // Matches: 1 m, 0 m, 0 m of position error; velocity error 1 m/s each (objects report 0).
        assert!((t.position_rmse - (1.0f64 / 3.0).sqrt()).abs() < 1e-12);
        assert!((t.velocity_rmse - 1.0).abs() < 1e-12);
        let by_class = m.detection_by_class();
        assert_eq!(
            by_class[&ObjectClass::Car],
            Counts {
                tp: 2,
                fp: 2,
                fn_: 0
            }
        );
        assert_eq!(
            by_class[&ObjectClass::Pedestrian],
            Counts {
                tp: 0,
                fp: 0,
                fn_: 2
            }
        );
        assert_eq!(m.detection[&(ObjectClass::Pedestrian, 1)].fn_, 2);
        assert_eq!(by_class[&ObjectClass::Car].precision(), Some(0.5));
    }

    #[test]
    fn latency_percentiles() {
        let pairs: Vec<_> = (1..=100u64)
            .map(|i| (Timestamp(0), Timestamp(i * 1_000_000)))
            .collect();
        let s = latency_summary(&pairs).unwrap();
        assert_eq!(s.count, 100);
        assert!(
            (s.p50 - 0.050).abs() < 1e-12
                && (s.p95 - 0.095).abs() < 1e-12
                && (s.max - 0.1).abs() < 1e-12
        );
        assert!((s.mean - 0.0505).abs() < 1e-12);
        assert!(latency_summary(&[]).is_none());
    }
}
