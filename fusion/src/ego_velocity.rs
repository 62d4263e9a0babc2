//! The ego vehicle's instantaneous motion, used to compensate radar Doppler velocities.

use kestrel_sensors::Odometry;
use nalgebra::Vector2;

/// Instantaneous motion of the vehicle frame's origin (rear-axle centre) over ground,
/// expressed in the **vehicle frame** (x forward, y left): velocity in m/s and yaw rate in
/// rad/s (counter-clockwise seen from above).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct EgoVelocity {
    /// Velocity of the origin, m/s, vehicle frame.
    pub velocity: Vector2<f64>,
    /// Yaw rate, rad/s.
    pub yaw_rate: f64,
}

impl EgoVelocity {
    /// Velocity over ground (m/s, vehicle frame axes) of a point rigidly attached to the
    /// vehicle at `offset` (metres, vehicle frame): `v + omega x offset`.
    pub fn velocity_at(&self, offset: &Vector2<f64>) -> Vector2<f64> {
        self.velocity + Vector2::new(-self.yaw_rate * offset.y, self.yaw_rate * offset.x)
    }

    /// True when every component is finite.
    pub fn is_finite(&self) -> bool {
        self.velocity.iter().all(|v| v.is_finite()) && self.yaw_rate.is_finite()
    }
}

impl From<&Odometry> for EgoVelocity {
    /// The planar part of an odometry sample: x/y velocity and yaw rate.
    fn from(o: &Odometry) -> Self {
        Self {
            velocity: Vector2::new(o.linear_velocity.x, o.linear_velocity.y),
            yaw_rate: o.yaw_rate(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_point_on_a_turning_vehicle_moves_sideways() {
        let ego = EgoVelocity {
            velocity: Vector2::new(10.0, 0.0),
            yaw_rate: 0.5,
        };
        let v = ego.velocity_at(&Vector2::new(4.0, 1.0));
        assert!((v - Vector2::new(9.5, 2.0)).norm() < 1e-12);
    }
}
