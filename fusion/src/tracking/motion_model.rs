//! The two motion models of the tracker, in a ground-fixed planar frame (metres, seconds,
//! radians, counter-clockwise yaw):
//!
//! - **constant velocity (CV)**: state `[x, y, vx, vy]`, white-noise acceleration;
//! - **constant turn rate and velocity (CTRV)**: state `[x, y, yaw, v, yaw_rate]`, white-noise
//!   longitudinal and yaw acceleration. `v` is signed along the heading.
//!
//! Each model gives the predicted mean, the transition Jacobian and the process noise.

use nalgebra::{Matrix2x5, Matrix4, Matrix5, Vector5};
use serde::{Deserialize, Serialize};
use std::f64::consts::PI;

/// State dimension of the CV model.
pub const CV_DIM: usize = 4;
/// State dimension of the CTRV model.
pub const CTRV_DIM: usize = 5;
/// Below this |yaw_rate * dt| (radians) the CTRV transition uses its third-order Taylor
/// expansion in `yaw_rate * dt` (truncation ~1e-13 relative), avoiding the cancellation of the
/// exact formula's `v / yaw_rate` terms and keeping mean and Jacobian continuous.
pub const CTRV_SMALL_TURN: f64 = 1e-4;

/// Which motion model a track uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MotionModel {
    /// Constant velocity, state `[x, y, vx, vy]` (pedestrians, unknown objects).
    ConstantVelocity,
    /// Constant turn rate and velocity, state `[x, y, yaw, v, yaw_rate]` (vehicles, cyclists).
    Ctrv,
}

/// Motion parameters of one object class.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MotionParams {
    /// Motion model for tracks of this class.
    pub model: MotionModel,
    /// Standard deviation of the (longitudinal, for CTRV) acceleration noise, m/s^2.
    pub accel_std: f64,
    /// Standard deviation of the yaw acceleration noise (CTRV), rad/s^2.
    pub yaw_accel_std: f64,
    /// Standard deviation of a detected box's heading (modulo pi) used as a yaw measurement by
    /// CTRV tracks, radians; `None` = box heading not used as a measurement.
    pub box_yaw_std: Option<f64>,
    /// Standard deviation of the speed of a newly born track without measured velocity, m/s.
    pub initial_speed_std: f64,
    /// Standard deviation of the yaw rate of a newly born CTRV track, rad/s.
    pub initial_yaw_rate_std: f64,
}

/// Wraps an angle to `[-pi, pi)`, radians.
pub fn wrap_angle(a: f64) -> f64 {
    (a + PI).rem_euclid(2.0 * PI) - PI
}

/// Wraps an angle difference modulo pi to `[-pi/2, pi/2)`: the residual between a box heading
/// (which is ambiguous by pi) and a track heading.
pub fn wrap_half_turn(a: f64) -> f64 {
    (a + PI / 2.0).rem_euclid(PI) - PI / 2.0
}

/// CV transition matrix for a step of `dt` seconds (linear, so it is also the Jacobian).
pub fn cv_transition(dt: f64) -> Matrix4<f64> {
    let mut f = Matrix4::identity();
    f[(0, 2)] = dt;
    f[(1, 3)] = dt;
    f
}

/// CV process noise for a step of `dt` seconds: white-noise acceleration with standard
/// deviation `accel_std` (m/s^2) on each axis.
pub fn cv_process_noise(dt: f64, accel_std: f64) -> Matrix4<f64> {
    let q = accel_std * accel_std;
    let (p, pv, v) = (dt.powi(4) / 4.0 * q, dt.powi(3) / 2.0 * q, dt * dt * q);
    Matrix4::new(
        p, 0.0, pv, 0.0, //
        0.0, p, 0.0, pv, //
        pv, 0.0, v, 0.0, //
        0.0, pv, 0.0, v,
    )
}

/// CTRV prediction of `state` over `dt` seconds: the predicted mean (yaw wrapped) and the
/// transition Jacobian at `state`.
pub fn ctrv_predict(state: &Vector5<f64>, dt: f64) -> (Vector5<f64>, Matrix5<f64>) {
    let (x, y, yaw, v, w) = (state[0], state[1], state[2], state[3], state[4]);
    let (s0, c0) = yaw.sin_cos();
    let mut f = Matrix5::identity();
    f[(2, 4)] = dt;
    let (dx, dy);
    if (w * dt).abs() < CTRV_SMALL_TURN {
        // Third-order Taylor expansion in phi = w dt of the exact arc below.
        let phi = w * dt;
        let (a, b) = (0.5 * phi, phi * phi / 6.0);
        dx = v * dt * (c0 - a * s0 - b * c0);
        dy = v * dt * (s0 + a * c0 - b * s0);
        f[(0, 2)] = v * dt * (-s0 - a * c0 + b * s0);
        f[(0, 3)] = dt * (c0 - a * s0 - b * c0);
        f[(0, 4)] = v * dt * dt * (-0.5 * s0 - phi / 3.0 * c0);
        f[(1, 2)] = v * dt * (c0 - a * s0 - b * c0);
        f[(1, 3)] = dt * (s0 + a * c0 - b * s0);
        f[(1, 4)] = v * dt * dt * (0.5 * c0 - phi / 3.0 * s0);
    } else {
        let (s1, c1) = (yaw + w * dt).sin_cos();
        dx = v / w * (s1 - s0);
        dy = v / w * (c0 - c1);
        f[(0, 2)] = v / w * (c1 - c0);
        f[(0, 3)] = (s1 - s0) / w;
        f[(0, 4)] = v / (w * w) * (s0 - s1) + v * dt / w * c1;
        f[(1, 2)] = v / w * (s1 - s0);
        f[(1, 3)] = (c0 - c1) / w;
        f[(1, 4)] = v / (w * w) * (c1 - c0) + v * dt / w * s1;
    }
    let mean = Vector5::new(x + dx, y + dy, wrap_angle(yaw + w * dt), v, w);
    (mean, f)
}

/// CTRV process noise for a step of `dt` seconds at heading `yaw`: white longitudinal
/// acceleration (`accel_std`, m/s^2) and yaw acceleration (`yaw_accel_std`, rad/s^2), mapped
/// into the state by the usual noise-gain matrix.
pub fn ctrv_process_noise(yaw: f64, dt: f64, accel_std: f64, yaw_accel_std: f64) -> Matrix5<f64> {
    let (s, c) = yaw.sin_cos();
    let h = 0.5 * dt * dt;
    let g = Matrix2x5::new(
        h * c,
        h * s,
        0.0,
        dt,
        0.0, //
        0.0,
        0.0,
        h,
        0.0,
        dt,
    )
    .transpose();
    let q = nalgebra::Matrix2::new(
        accel_std * accel_std,
        0.0,
        0.0,
        yaw_accel_std * yaw_accel_std,
    );
    g * q * g.transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numeric_jacobian(state: &Vector5<f64>, dt: f64) -> Matrix5<f64> {
        let mut j = Matrix5::zeros();
        for k in 0..5 {
            let eps = 1e-6;
            let (mut a, mut b) = (*state, *state);
            a[k] += eps;
            b[k] -= eps;
            let d = ctrv_predict(&a, dt).0 - ctrv_predict(&b, dt).0;
            let mut col = d / (2.0 * eps);
            col[2] = wrap_angle(d[2]) / (2.0 * eps);
            j.set_column(k, &col);
        }
        j
    }

    #[test]
    fn ctrv_jacobian_matches_finite_differences_turning_and_straight() {
        for &w in &[0.4, -0.25, 1e-7, 0.0, 2e-4] {
            let state = Vector5::new(3.0, -2.0, 0.7, 8.0, w);
            let (_, f) = ctrv_predict(&state, 0.1);
            let n = numeric_jacobian(&state, 0.1);
            assert!((f - n).abs().max() < 1e-6, "w = {w}: {f} vs {n}");
        }
    }

    #[test]
    fn ctrv_is_continuous_across_the_small_turn_threshold() {
        let dt = 0.1;
        // Yaw rates a hair apart on both sides of the branch threshold.
        let below = Vector5::new(0.0, 0.0, 0.3, 10.0, (1.0 - 1e-9) * CTRV_SMALL_TURN / dt);
        let above = Vector5::new(0.0, 0.0, 0.3, 10.0, (1.0 + 1e-9) * CTRV_SMALL_TURN / dt);
        let (a, fa) = ctrv_predict(&below, dt);
        let (b, fb) = ctrv_predict(&above, dt);
        assert!((a - b).abs().max() < 1e-8, "{}", (a - b).abs().max());
        assert!((fa - fb).abs().max() < 1e-8, "{}", (fa - fb).abs().max());
    }

    #[test]
    fn ctrv_full_circle_returns_to_start() {
        // Quarter turns of radius v/w = 10 m.
        let mut s = Vector5::new(0.0, 0.0, 0.0, 5.0, 0.5);
        let quarter = std::f64::consts::FRAC_PI_2 / 0.5;
        s = ctrv_predict(&s, quarter).0;
        assert!((s[0] - 10.0).abs() < 1e-9 && (s[1] - 10.0).abs() < 1e-9);
        for _ in 0..3 {
            s = ctrv_predict(&s, quarter).0;
        }
        assert!(s[0].abs() < 1e-9 && s[1].abs() < 1e-9 && s[2].abs() < 1e-9);
    }

    #[test]
    fn angle_wrapping() {
        assert!((wrap_angle(3.0 * PI) + PI).abs() < 1e-12);
        assert!((wrap_angle(-0.5) + 0.5).abs() < 1e-15);
        assert!((wrap_half_turn(PI - 0.1) + 0.1).abs() < 1e-12);
        assert!((wrap_half_turn(0.2) - 0.2).abs() < 1e-15);
    }
}
