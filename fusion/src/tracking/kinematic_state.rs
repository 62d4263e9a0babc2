//! The kinematic state of one track: an EKF belief under either motion model, with the
//! measurement models (position, velocity over ground, box heading), the ego-motion frame
//! change and the conversion between models.
//!
//! Frame: the current vehicle frame (x forward, y left, metres); velocities are over ground,
//! expressed in the vehicle frame's axes (m/s); yaw counter-clockwise from x (radians).

use super::ego_motion::EgoMotion;
use super::ekf::{Gaussian, Innovation};
use super::motion_model::{
    MotionModel, MotionParams, ctrv_predict, ctrv_process_noise, cv_process_noise, cv_transition,
    wrap_angle, wrap_half_turn,
};
use nalgebra::{
    Matrix1, Matrix2, Matrix2x4, Matrix2x5, Matrix4, Matrix5, Matrix6, SMatrix, Vector1, Vector2,
    Vector4, Vector5, Vector6,
};

/// Below this speed (m/s) a heading is not derived from the velocity vector; the box heading
/// is used instead.
pub const MIN_HEADING_SPEED: f64 = 0.5;
/// A CTRV track whose signed speed is below minus this value (m/s), and more than three
/// standard deviations below zero, is flipped (heading + pi, speed negated): box headings are
/// ambiguous by pi and objects rarely reverse fast.
pub const REVERSE_FLIP_SPEED: f64 = 1.0;
/// Chi-square gate (1 degree of freedom, 99.9 %) on a box-heading residual; outside it the
/// heading is not used for that frame.
const BOX_YAW_GATE: f64 = 10.83;

/// One detection, prepared for the filter (vehicle frame).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Measurement {
    /// Box centre x/y, metres.
    pub position: Vector2<f64>,
    /// Covariance of `position`, m^2.
    pub position_covariance: Matrix2<f64>,
    /// Velocity over ground and its covariance ((m/s), (m/s)^2), when measured.
    pub velocity: Option<(Vector2<f64>, Matrix2<f64>)>,
    /// Box heading, radians (ambiguous by pi).
    pub box_yaw: f64,
}

/// Track kinematics as seen by consumers, derived from either model.
#[derive(Debug, Clone, PartialEq)]
pub struct KinematicSummary {
    /// `[x, y, yaw, vx, vy, yaw_rate]`: position (m), heading (rad), velocity over ground in
    /// the vehicle frame's axes (m/s), yaw rate (rad/s).
    pub mean: Vector6<f64>,
    /// Covariance of `mean` (first-order propagation of the filter covariance).
    pub covariance: Matrix6<f64>,
    /// Signed speed along the heading, m/s.
    pub speed: f64,
}

/// The EKF belief of a track under its current motion model.
#[derive(Debug, Clone, PartialEq)]
pub enum KinematicState {
    /// Constant velocity: `[x, y, vx, vy]`.
    ConstantVelocity(Gaussian<4>),
    /// CTRV: `[x, y, yaw, v, yaw_rate]`.
    Ctrv(Gaussian<5>),
}

fn pos_h<const N: usize>() -> SMatrix<f64, 2, N> {
    let mut h = SMatrix::<f64, 2, N>::zeros();
    h[(0, 0)] = 1.0;
    h[(1, 1)] = 1.0;
    h
}

fn ctrv_velocity_h(m: &Vector5<f64>) -> (Vector2<f64>, Matrix2x5<f64>) {
    let (s, c) = m[2].sin_cos();
    let v = m[3];
    let h = Matrix2x5::new(
        0.0,
        0.0,
        -v * s,
        c,
        0.0, //
        0.0,
        0.0,
        v * c,
        s,
        0.0,
    );
    (Vector2::new(v * c, v * s), h)
}

/// Jacobian of `(vx, vy) -> (heading, speed)` at a non-zero velocity.
fn polar_jacobian(v: &Vector2<f64>) -> Matrix2<f64> {
    let s2 = v.norm_squared();
    let s = s2.sqrt();
    Matrix2::new(-v.y / s2, v.x / s2, v.x / s, v.y / s)
}

impl KinematicState {
    /// A new belief from a first detection, under `model`, with the initial uncertainties of
    /// `params`.
    pub fn new(model: MotionModel, m: &Measurement, params: &MotionParams) -> Self {
        let speed_var = params.initial_speed_std.powi(2);
        match model {
            MotionModel::ConstantVelocity => {
                let (vel, vel_cov) = m
                    .velocity
                    .unwrap_or((Vector2::zeros(), Matrix2::identity() * speed_var));
                let mut p = Matrix4::zeros();
                p.fixed_view_mut::<2, 2>(0, 0)
                    .copy_from(&m.position_covariance);
                p.fixed_view_mut::<2, 2>(2, 2).copy_from(&vel_cov);
                Self::ConstantVelocity(Gaussian {
                    mean: Vector4::new(m.position.x, m.position.y, vel.x, vel.y),
                    covariance: p,
                })
            }
            MotionModel::Ctrv => {
                let box_yaw_var = params.box_yaw_std.map_or(1.0, |s| s * s);
                let (yaw, speed, polar_cov) = match m.velocity {
                    Some((v, cov)) if v.norm() > MIN_HEADING_SPEED => {
                        let j = polar_jacobian(&v);
                        (v.y.atan2(v.x), v.norm(), j * cov * j.transpose())
                    }
                    _ => (
                        m.box_yaw,
                        0.0,
                        Matrix2::new(box_yaw_var, 0.0, 0.0, speed_var),
                    ),
                };
                let mut p = Matrix5::zeros();
                p.fixed_view_mut::<2, 2>(0, 0)
                    .copy_from(&m.position_covariance);
                p.fixed_view_mut::<2, 2>(2, 2).copy_from(&polar_cov);
                p[(4, 4)] = params.initial_yaw_rate_std.powi(2);
                Self::Ctrv(Gaussian {
                    mean: Vector5::new(m.position.x, m.position.y, wrap_angle(yaw), speed, 0.0),
                    covariance: p,
                })
            }
        }
    }

    /// The moment-matched mixture of `parts` with `weights` (summing to 1), the heading
    /// averaged as an angle. Beliefs under different motion models are not mixed: the first
    /// part is returned (the IMM keeps its modes under one model).
    pub fn mixture(parts: [&Self; 2], weights: [f64; 2]) -> Self {
        match parts {
            [Self::ConstantVelocity(a), Self::ConstantVelocity(b)] => {
                Self::ConstantVelocity(Gaussian::mixture(&[a, b], &weights, None))
            }
            [Self::Ctrv(a), Self::Ctrv(b)] => {
                Self::Ctrv(Gaussian::mixture(&[a, b], &weights, Some((2, wrap_angle))))
            }
            [first, _] => first.clone(),
        }
    }

    /// The motion model in use.
    pub fn model(&self) -> MotionModel {
        match self {
            Self::ConstantVelocity(_) => MotionModel::ConstantVelocity,
            Self::Ctrv(_) => MotionModel::Ctrv,
        }
    }

    /// Predicts `dt` seconds ahead (dt > 0) with the process noise of `params`.
    pub fn predict(&mut self, dt: f64, params: &MotionParams) {
        match self {
            Self::ConstantVelocity(g) => {
                let f = cv_transition(dt);
                g.predict(f * g.mean, &f, &cv_process_noise(dt, params.accel_std));
            }
            Self::Ctrv(g) => {
                let q = ctrv_process_noise(g.mean[2], dt, params.accel_std, params.yaw_accel_std);
                let (mean, f) = ctrv_predict(&g.mean, dt);
                g.predict(mean, &f, &q);
            }
        }
    }

    /// Re-expresses the belief in the current vehicle frame after the vehicle moved by `ego`.
    pub fn apply_ego_motion(&mut self, ego: &EgoMotion) {
        let r = ego.rotation_to_current();
        match self {
            Self::ConstantVelocity(g) => {
                let p = ego.point_to_current(&g.mean.fixed_rows::<2>(0).into_owned());
                let v = r * g.mean.fixed_rows::<2>(2);
                let mut j = Matrix4::zeros();
                j.fixed_view_mut::<2, 2>(0, 0).copy_from(&r);
                j.fixed_view_mut::<2, 2>(2, 2).copy_from(&r);
                g.transform(Vector4::new(p.x, p.y, v.x, v.y), &j);
            }
            Self::Ctrv(g) => {
                let p = ego.point_to_current(&g.mean.fixed_rows::<2>(0).into_owned());
                let mut j = Matrix5::identity();
                j.fixed_view_mut::<2, 2>(0, 0).copy_from(&r);
                let m = g.mean;
                g.transform(
                    Vector5::new(p.x, p.y, wrap_angle(m[2] - ego.dyaw), m[3], m[4]),
                    &j,
                );
            }
        }
    }

    /// Position x/y, metres.
    pub fn position(&self) -> Vector2<f64> {
        match self {
            Self::ConstantVelocity(g) => g.mean.fixed_rows::<2>(0).into_owned(),
            Self::Ctrv(g) => g.mean.fixed_rows::<2>(0).into_owned(),
        }
    }

    /// Covariance of the position x/y, m^2.
    pub fn position_covariance(&self) -> Matrix2<f64> {
        match self {
            Self::ConstantVelocity(g) => g.covariance.fixed_view::<2, 2>(0, 0).into_owned(),
            Self::Ctrv(g) => g.covariance.fixed_view::<2, 2>(0, 0).into_owned(),
        }
    }

    /// Innovation of a position measurement `z` with covariance `r`; `None` if degenerate.
    pub fn position_innovation(&self, z: &Vector2<f64>, r: &Matrix2<f64>) -> Option<Innovation<2>> {
        let y = z - self.position();
        match self {
            Self::ConstantVelocity(g) => g.innovation(y, &pos_h::<4>(), r),
            Self::Ctrv(g) => g.innovation(y, &pos_h::<5>(), r),
        }
    }

    /// Innovation of a velocity measurement `z` (over ground, m/s) with covariance `r`.
    pub fn velocity_innovation(&self, z: &Vector2<f64>, r: &Matrix2<f64>) -> Option<Innovation<2>> {
        match self {
            Self::ConstantVelocity(g) => {
                let h = Matrix2x4::new(0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0);
                g.innovation(z - h * g.mean, &h, r)
            }
            Self::Ctrv(g) => {
                let (pred, h) = ctrv_velocity_h(&g.mean);
                g.innovation(z - pred, &h, r)
            }
        }
    }

    /// Sequential EKF update with one detection: position, then velocity (if measured), then
    /// the box heading (CTRV, when `box_yaw_std` is set). Returns the position innovation
    /// (for the existence update), or `None` if the position update was degenerate and
    /// nothing was changed.
    pub fn update(&mut self, m: &Measurement, box_yaw_std: Option<f64>) -> Option<Innovation<2>> {
        let r = &m.position_covariance;
        let pos = self.position_innovation(&m.position, r)?;
        match self {
            Self::ConstantVelocity(g) => g.update(&pos, &pos_h::<4>(), r),
            Self::Ctrv(g) => g.update(&pos, &pos_h::<5>(), r),
        }
        if let Some((v, rv)) = &m.velocity
            && let Some(inn) = self.velocity_innovation(v, rv)
        {
            match self {
                Self::ConstantVelocity(g) => {
                    let h = Matrix2x4::new(0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0);
                    g.update(&inn, &h, rv);
                }
                Self::Ctrv(g) => g.update(&inn, &ctrv_velocity_h(&g.mean).1, rv),
            }
        }
        if let (Self::Ctrv(g), Some(std)) = (&mut *self, box_yaw_std) {
            let h = SMatrix::<f64, 1, 5>::new(0.0, 0.0, 1.0, 0.0, 0.0);
            let r1 = Matrix1::new(std * std);
            let y = Vector1::new(wrap_half_turn(m.box_yaw - g.mean[2]));
            if let Some(inn) = g.innovation(y, &h, &r1)
                && inn.mahalanobis_sq() <= BOX_YAW_GATE
            {
                g.update(&inn, &h, &r1);
            }
        }
        self.normalize();
        Some(pos)
    }

    /// Wraps the CTRV heading and flips a clearly negative speed (see [`REVERSE_FLIP_SPEED`]).
    fn normalize(&mut self) {
        if let Self::Ctrv(g) = self {
            let mut mean = g.mean;
            let mut j = Matrix5::identity();
            if mean[3] < -REVERSE_FLIP_SPEED && mean[3].powi(2) > 9.0 * g.covariance[(3, 3)] {
                mean[2] += std::f64::consts::PI;
                mean[3] = -mean[3];
                j[(3, 3)] = -1.0;
            }
            mean[2] = wrap_angle(mean[2]);
            g.transform(mean, &j);
        }
    }

    /// The same belief under `model` (first-order conversion). A CV belief slower than
    /// [`MIN_HEADING_SPEED`] takes `fallback_yaw` (rad, variance `fallback_yaw_var`) as heading.
    pub fn converted(
        &self,
        model: MotionModel,
        params: &MotionParams,
        fallback_yaw: f64,
        fallback_yaw_var: f64,
    ) -> Self {
        match (self, model) {
            (Self::ConstantVelocity(g), MotionModel::Ctrv) => {
                let v = g.mean.fixed_rows::<2>(2).into_owned();
                let mut j = SMatrix::<f64, 5, 4>::zeros();
                j[(0, 0)] = 1.0;
                j[(1, 1)] = 1.0;
                let (yaw, speed, mut extra) = if v.norm() > MIN_HEADING_SPEED {
                    j.fixed_view_mut::<2, 2>(2, 2)
                        .copy_from(&polar_jacobian(&v));
                    (v.y.atan2(v.x), v.norm(), Matrix5::zeros())
                } else {
                    let mut extra = Matrix5::zeros();
                    extra[(2, 2)] = fallback_yaw_var;
                    extra[(3, 3)] = 0.5 * g.covariance.fixed_view::<2, 2>(2, 2).trace();
                    (fallback_yaw, v.norm(), extra)
                };
                extra[(4, 4)] = params.initial_yaw_rate_std.powi(2);
                let (x, y) = (g.mean[0], g.mean[1]);
                Self::Ctrv(Gaussian {
                    mean: Vector5::new(x, y, wrap_angle(yaw), speed, 0.0),
                    covariance: j * g.covariance * j.transpose() + extra,
                })
            }
            (Self::Ctrv(g), MotionModel::ConstantVelocity) => {
                let (vel, hv) = ctrv_velocity_h(&g.mean);
                let mut j = SMatrix::<f64, 4, 5>::zeros();
                j[(0, 0)] = 1.0;
                j[(1, 1)] = 1.0;
                j.fixed_view_mut::<2, 5>(2, 0).copy_from(&hv);
                Self::ConstantVelocity(Gaussian {
                    mean: Vector4::new(g.mean[0], g.mean[1], vel.x, vel.y),
                    covariance: j * g.covariance * j.transpose(),
                })
            }
            _ => self.clone(),
        }
    }

    /// Consumer view `[x, y, yaw, vx, vy, yaw_rate]` with covariance. A CV belief slower than
    /// [`MIN_HEADING_SPEED`] reports `fallback_yaw` (variance `fallback_yaw_var`) as heading
    /// and a zero yaw rate with zero variance (CV does not model turning).
    pub fn summary(&self, fallback_yaw: f64, fallback_yaw_var: f64) -> KinematicSummary {
        match self {
            Self::ConstantVelocity(g) => {
                let v = g.mean.fixed_rows::<2>(2).into_owned();
                let mut j = SMatrix::<f64, 6, 4>::zeros();
                j[(0, 0)] = 1.0;
                j[(1, 1)] = 1.0;
                j[(3, 2)] = 1.0;
                j[(4, 3)] = 1.0;
                let moving = v.norm() > MIN_HEADING_SPEED;
                let yaw = if moving {
                    j.fixed_view_mut::<1, 2>(2, 2)
                        .copy_from(&polar_jacobian(&v).fixed_view::<1, 2>(0, 0));
                    v.y.atan2(v.x)
                } else {
                    fallback_yaw
                };
                let mut cov = j * g.covariance * j.transpose();
                if !moving {
                    cov[(2, 2)] = fallback_yaw_var;
                }
                KinematicSummary {
                    mean: Vector6::new(g.mean[0], g.mean[1], wrap_angle(yaw), v.x, v.y, 0.0),
                    covariance: cov,
                    speed: v.norm(),
                }
            }
            Self::Ctrv(g) => {
                let (vel, hv) = ctrv_velocity_h(&g.mean);
                let mut j = SMatrix::<f64, 6, 5>::zeros();
                j[(0, 0)] = 1.0;
                j[(1, 1)] = 1.0;
                j[(2, 2)] = 1.0;
                j.fixed_view_mut::<2, 5>(3, 0).copy_from(&hv);
                j[(5, 4)] = 1.0;
                let m = g.mean;
                KinematicSummary {
                    mean: Vector6::new(m[0], m[1], m[2], vel.x, vel.y, m[4]),
                    covariance: j * g.covariance * j.transpose(),
                    speed: m[3],
                }
            }
        }
    }
}
