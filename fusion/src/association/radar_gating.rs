//! Attaching radar objects to fused objects: position gate (distance from the radar object to
//! the object's footprint), velocity plausibility gate (speed within the class's limit), then a
//! global assignment (Hungarian, smallest total distance).

use super::class_priors::ClassPrior;
use crate::class_table::ClassTable;
use crate::radar::RadarCluster;
use crate::tracking::{CostMatrix, solve_assignment};
use crate::{DetectedObject, FusionError};
use kestrel_sensors::OrientedBox3;
use nalgebra::Point2;
use serde::{Deserialize, Serialize};

/// Gates of the radar-to-object association.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RadarGateConfig {
    /// Largest distance from the radar object to the object's footprint, metres. Default 1.5.
    pub distance_gate_m: f64,
    /// A radar speed may exceed the class's plausible maximum by this many standard
    /// deviations before it is rejected. Default 3.
    pub speed_gate_sigmas: f64,
}

impl RadarGateConfig {
    /// Checks the values.
    pub fn validate(&self) -> Result<(), FusionError> {
        for (field, v) in [
            (
                "association.radar_gate.distance_gate_m",
                self.distance_gate_m,
            ),
            (
                "association.radar_gate.speed_gate_sigmas",
                self.speed_gate_sigmas,
            ),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(FusionError::InvalidConfig {
                    field,
                    value: v,
                    reason: "must be finite and >= 0",
                });
            }
        }
        Ok(())
    }
}

impl Default for RadarGateConfig {
    fn default() -> Self {
        Self {
            distance_gate_m: 1.5,
            speed_gate_sigmas: 3.0,
        }
    }
}

/// Ground-plane distance from `p` to the footprint of `b` (0 inside), metres.
pub fn distance_to_footprint(b: &OrientedBox3, p: &Point2<f64>) -> f64 {
    let (s, c) = b.yaw.sin_cos();
    let (dx, dy) = (p.x - b.center.x, p.y - b.center.y);
    let along = (c * dx + s * dy).abs() - b.length / 2.0;
    let across = (-s * dx + c * dy).abs() - b.width / 2.0;
    along.max(0.0).hypot(across.max(0.0))
}

/// True when the radar speed is plausible for the object's class. For a radial-only estimate
/// the measured magnitude is a lower bound of the speed, so the same test applies.
fn speed_plausible(
    object: &DetectedObject,
    radar: &RadarCluster,
    sigmas: f64,
    priors: &ClassTable<ClassPrior>,
) -> bool {
    let v = &radar.velocity;
    let speed = v.velocity.norm();
    let sigma = v
        .velocity
        .try_normalize(1e-9)
        .map_or(0.0, |d| d.dot(&(v.covariance * d)).max(0.0).sqrt());
    speed <= priors.get(object.class).max_speed + sigmas * sigma
}

/// For each object, the index of the radar object attached to it (at most one each way);
/// speeds are judged against the objects' class `priors`.
pub fn gate_radar(
    objects: &[DetectedObject],
    radar: &[RadarCluster],
    config: &RadarGateConfig,
    priors: &ClassTable<ClassPrior>,
) -> Result<Vec<Option<usize>>, FusionError> {
    if objects.is_empty() || radar.is_empty() {
        return Ok(vec![None; objects.len()]);
    }
    let costs = CostMatrix::from_fn(objects.len(), radar.len(), |i, j| {
        let r = &radar[j];
        let d = distance_to_footprint(&objects[i].bbox, &Point2::new(r.position.x, r.position.y));
        if d <= config.distance_gate_m
            && speed_plausible(&objects[i], r, config.speed_gate_sigmas, priors)
        {
            d
        } else {
            f64::INFINITY
        }
    });
    Ok(solve_assignment(&costs)?.row_to_col)
}

#[cfg(test)]
mod tests {
    use super::*;
    use nalgebra::Point3;

    #[test]
    fn footprint_distance() {
        let b = OrientedBox3 {
            center: Point3::new(10.0, 0.0, 0.75),
            length: 4.0,
            width: 2.0,
            height: 1.5,
            yaw: std::f64::consts::FRAC_PI_2,
        };
        assert_eq!(distance_to_footprint(&b, &Point2::new(10.5, 1.0)), 0.0);
        assert!((distance_to_footprint(&b, &Point2::new(13.0, 0.0)) - 2.0).abs() < 1e-12);
        assert!((distance_to_footprint(&b, &Point2::new(10.0, 3.0)) - 1.0).abs() < 1e-12);
    }
}
