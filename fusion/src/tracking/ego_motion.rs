//! Planar ego-motion between two frames, used to keep tracks in the current vehicle frame.

use nalgebra::{Isometry3, Matrix2, Vector2};

/// The vehicle's planar motion from the previous frame to the current one: the pose of the
/// **current** vehicle frame expressed in the **previous** vehicle frame (x forward, y left,
/// metres; yaw counter-clockwise, radians). A vehicle driving straight ahead at 10 m/s for
/// 0.1 s gives `dx = 1, dy = 0, dyaw = 0`.
///
/// Tracks hold positions in the vehicle frame and velocities over ground expressed in the
/// vehicle frame's axes; when the vehicle moves, a position `p` in the previous frame becomes
/// `R(-dyaw) (p - [dx, dy])` in the current one, a velocity `v` becomes `R(-dyaw) v`, and a
/// heading `yaw` becomes `yaw - dyaw`. Speeds and yaw rates over ground do not change.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct EgoMotion {
    /// Forward displacement, metres, in the previous vehicle frame.
    pub dx: f64,
    /// Leftward displacement, metres, in the previous vehicle frame.
    pub dy: f64,
    /// Heading change, radians, counter-clockwise.
    pub dyaw: f64,
}

impl EgoMotion {
    /// Motion of a vehicle driving for `dt` seconds at constant `speed` (m/s, forward) and
    /// `yaw_rate` (rad/s, counter-clockwise) along a circular arc (straight when the yaw rate
    /// is zero); e.g. from wheel odometry and a gyro.
    pub fn from_speed_yaw_rate(speed: f64, yaw_rate: f64, dt: f64) -> Self {
        let dyaw = yaw_rate * dt;
        let (dx, dy) = if dyaw.abs() < 1e-6 {
            (speed * dt, 0.5 * speed * dt * dyaw)
        } else {
            let r = speed / yaw_rate;
            (r * dyaw.sin(), r * (1.0 - dyaw.cos()))
        };
        Self { dx, dy, dyaw }
    }

    /// True when every component is finite.
    pub fn is_finite(&self) -> bool {
        self.dx.is_finite() && self.dy.is_finite() && self.dyaw.is_finite()
    }

    /// Rotation taking vectors in the previous frame's axes to the current frame's axes,
    /// `R(-dyaw)`.
    pub fn rotation_to_current(&self) -> Matrix2<f64> {
        let (s, c) = self.dyaw.sin_cos();
        Matrix2::new(c, s, -s, c)
    }

    /// The pose of the current vehicle frame in the previous one, as a rigid transform
    /// (current-frame coordinates -> previous-frame coordinates; planar, z unchanged).
    pub fn to_isometry(&self) -> Isometry3<f64> {
        Isometry3::new(
            nalgebra::Vector3::new(self.dx, self.dy, 0.0),
            nalgebra::Vector3::new(0.0, 0.0, self.dyaw),
        )
    }

    /// A point in the previous vehicle frame expressed in the current one, metres.
    pub fn point_to_current(&self, p: &Vector2<f64>) -> Vector2<f64> {
        self.rotation_to_current() * (p - Vector2::new(self.dx, self.dy))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn straight_and_turning_arcs() {
        let s = EgoMotion::from_speed_yaw_rate(10.0, 0.0, 0.1);
        assert_eq!((s.dx, s.dy, s.dyaw), (1.0, 0.0, 0.0));
        // Quarter circle of radius 10 m to the left.
        let q = EgoMotion::from_speed_yaw_rate(10.0, 1.0, std::f64::consts::FRAC_PI_2);
        assert!((q.dx - 10.0).abs() < 1e-12 && (q.dy - 10.0).abs() < 1e-12);
        // A point at the new origin ends up at the origin; the old origin is now at
        // (-10, +10) seen from a vehicle facing +y of the old frame.
        assert!(q.point_to_current(&Vector2::new(10.0, 10.0)).norm() < 1e-12);
        let o = q.point_to_current(&Vector2::zeros());
        assert!((o - Vector2::new(-10.0, 10.0)).norm() < 1e-12);
    }
}
