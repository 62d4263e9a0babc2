//! Vehicle odometry the simulator hands the stack next to the sensor messages: what a real
//! vehicle reports on its bus (wheel speed, yaw-rate sensor), not knowledge of other road users.

use crate::ground_truth::EgoTruth;
use kestrel_sensors::Timestamp;
use nalgebra::Vector2;

/// The ego's motion at one instant, in its **vehicle frame** (x forward, y left; origin at the
/// rear-axle centre, so the kinematic bicycle's lateral velocity there is zero). Exact (no
/// sensor noise): odometry errors are not simulated.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EgoOdometry {
    /// Time of the sample (simulation clock), ns.
    pub timestamp: Timestamp,
    /// Velocity of the vehicle-frame origin over ground, vehicle frame axes, m/s.
    pub velocity: Vector2<f64>,
    /// Yaw rate, rad/s (counter-clockwise seen from above).
    pub yaw_rate: f64,
}

impl EgoOdometry {
    /// The odometry of the ego state `ego` at `timestamp`.
    pub fn from_truth(timestamp: Timestamp, ego: &EgoTruth) -> Self {
        Self {
            timestamp,
            velocity: Vector2::new(ego.speed, 0.0),
            yaw_rate: ego.yaw_rate,
        }
    }
}
