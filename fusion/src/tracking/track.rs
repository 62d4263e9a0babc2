//! One track's full state, and the [`TrackedObject`] the tracker reports.

use super::class_vote::ClassVote;
use super::ego_motion::EgoMotion;
use super::kinematic_state::KinematicSummary;
use super::lifecycle::{Lifecycle, TrackStatus};
use super::manoeuvre_imm::ImmState;
use super::motion_model::{MotionModel, wrap_angle, wrap_half_turn};
use kestrel_sensors::{ObjectClass, OrientedBox3, Timestamp};
use nalgebra::{Matrix2, Point3, Vector2};

/// Heading variance reported when the heading comes from neither the filter nor a moving
/// velocity vector (box heading only), rad^2.
pub const BOX_HEADING_VARIANCE: f64 = 0.25;

/// Exponentially smoothed box shape of a track (vehicle frame).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ShapeEstimate {
    /// Length, width, height, metres.
    pub dims: [f64; 3],
    /// Box centre height, metres.
    pub z: f64,
    /// Box heading, radians (ambiguous by pi).
    pub box_yaw: f64,
}

impl ShapeEstimate {
    /// Shape of a first detection.
    pub fn new(b: &OrientedBox3) -> Self {
        Self {
            dims: [b.length, b.width, b.height],
            z: b.center.z,
            box_yaw: wrap_angle(b.yaw),
        }
    }

    /// Blends in a new box with weight `alpha` (0..1).
    pub fn update(&mut self, b: &OrientedBox3, alpha: f64) {
        for (d, new) in self.dims.iter_mut().zip([b.length, b.width, b.height]) {
            *d += alpha * (new - *d);
        }
        self.z += alpha * (b.center.z - self.z);
        self.box_yaw = wrap_angle(self.box_yaw + alpha * wrap_half_turn(b.yaw - self.box_yaw));
    }

    /// Re-expresses the heading in the current vehicle frame.
    pub fn apply_ego_motion(&mut self, ego: &EgoMotion) {
        self.box_yaw = wrap_angle(self.box_yaw - ego.dyaw);
    }
}

/// Internal state of one live track.
#[derive(Debug, Clone)]
pub(crate) struct Track {
    pub id: u64,
    pub kinematics: ImmState,
    pub class_vote: ClassVote,
    pub shape: ShapeEstimate,
    pub lifecycle: Lifecycle,
    pub born: Timestamp,
    pub last_update: Timestamp,
}

impl Track {
    /// The consumer view at time `now`.
    pub fn output(&self, now: Timestamp) -> TrackedObject {
        let kinematics = self
            .kinematics
            .summary(self.shape.box_yaw, BOX_HEADING_VARIANCE);
        let m = &kinematics.mean;
        let class = self.class_vote.class();
        let class_probabilities = self.class_vote.probabilities();
        TrackedObject {
            id: self.id,
            timestamp: now,
            status: self.lifecycle.status,
            existence_probability: self.lifecycle.existence,
            class,
            class_probability: class_probabilities[class.label() as usize],
            class_probabilities,
            motion_model: self.kinematics.model(),
            bbox: OrientedBox3 {
                center: Point3::new(m[0], m[1], self.shape.z),
                length: self.shape.dims[0],
                width: self.shape.dims[1],
                height: self.shape.dims[2],
                yaw: m[2],
            },
            kinematics,
            age_s: now.seconds_since(self.born),
            time_since_update_s: now.seconds_since(self.last_update),
            hits: self.lifecycle.hits,
        }
    }
}

/// A tracked object at one instant, in the **current vehicle frame** (x forward, y left,
/// z up, metres; yaw counter-clockwise, radians; velocities over ground in the vehicle
/// frame's axes, m/s).
///
/// For autoware `TrackedObject`: `kinematics.mean`/`covariance` give the pose (x, y, yaw) with
/// covariance and the twist (vx, vy, yaw rate) with covariance; autoware expresses the twist in
/// the object's own frame, i.e. rotate `(vx, vy)` by `-yaw`.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackedObject {
    /// Track id: assigned in increasing order at birth, never reused.
    pub id: u64,
    /// Time of the frame this state refers to.
    pub timestamp: Timestamp,
    /// Lifecycle state.
    pub status: TrackStatus,
    /// Probability that the object exists, 0..1.
    pub existence_probability: f64,
    /// Class by the track's decaying vote.
    pub class: ObjectClass,
    /// Vote share of `class`, 0..1.
    pub class_probability: f64,
    /// Vote share of every class, indexed by [`ObjectClass::label`].
    pub class_probabilities: [f64; ObjectClass::ALL.len()],
    /// Motion model in use.
    pub motion_model: MotionModel,
    /// Box: centre x/y filtered, centre z and dimensions smoothed, yaw = track heading.
    pub bbox: OrientedBox3,
    /// `[x, y, yaw, vx, vy, yaw_rate]` with covariance, and signed speed along the heading.
    pub kinematics: KinematicSummary,
    /// Seconds since the track was born.
    pub age_s: f64,
    /// Seconds since the track was last updated by a detection.
    pub time_since_update_s: f64,
    /// Number of detections that updated the track (including the one it was born from).
    pub hits: u32,
}

impl TrackedObject {
    /// Box centre x/y in the vehicle frame, metres.
    pub fn position(&self) -> Vector2<f64> {
        self.kinematics.mean.fixed_rows::<2>(0).into_owned()
    }

    /// Covariance of [`Self::position`], m^2.
    pub fn position_covariance(&self) -> Matrix2<f64> {
        self.kinematics
            .covariance
            .fixed_view::<2, 2>(0, 0)
            .into_owned()
    }

    /// Velocity over ground in the vehicle frame's axes, m/s.
    pub fn velocity(&self) -> Vector2<f64> {
        self.kinematics.mean.fixed_rows::<2>(3).into_owned()
    }

    /// Covariance of [`Self::velocity`], (m/s)^2.
    pub fn velocity_covariance(&self) -> Matrix2<f64> {
        self.kinematics
            .covariance
            .fixed_view::<2, 2>(3, 3)
            .into_owned()
    }

    /// Heading, radians.
    pub fn yaw(&self) -> f64 {
        self.kinematics.mean[2]
    }

    /// Yaw rate over ground, rad/s (0 for constant-velocity tracks).
    pub fn yaw_rate(&self) -> f64 {
        self.kinematics.mean[5]
    }

    /// Signed speed along the heading, m/s.
    pub fn speed(&self) -> f64 {
        self.kinematics.speed
    }

    /// True for confirmed and coasting tracks (the ones to publish).
    pub fn is_confirmed(&self) -> bool {
        self.status != TrackStatus::Tentative
    }
}
