//! Velocity of a radar cluster from its detections' ego-motion-compensated radial velocities.
//!
//! Each detection `i` measures `r_i = u_i . v` (plus noise), where `u_i` is the unit
//! line-of-sight from the radar to the detection in the ground plane and `v` the target's
//! velocity over ground (all detections of a rigid, non-rotating target share `v`). With two or
//! more lines of sight spread in azimuth, least squares gives the full 2D velocity; otherwise
//! only the radial component is observed and the covariance says so.

use nalgebra::{Matrix2, Vector2};
use serde::{Deserialize, Serialize};

/// Noise and observability parameters of the velocity estimate.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct VelocityEstimationConfig {
    /// Standard deviation of one compensated radial velocity, m/s. Default 0.2.
    pub radial_sigma_mps: f64,
    /// Least squares is used only when the lines of sight span at least this azimuth,
    /// degrees. Default 3.
    pub min_azimuth_spread_deg: f64,
    /// Standard deviation reported for a velocity component that is not observed, m/s.
    /// Default 10.
    pub unobserved_sigma_mps: f64,
}

impl Default for VelocityEstimationConfig {
    fn default() -> Self {
        Self {
            radial_sigma_mps: 0.2,
            min_azimuth_spread_deg: 3.0,
            unobserved_sigma_mps: 10.0,
        }
    }
}

/// How much of the velocity a radar cluster observed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VelocityObservability {
    /// Both components, from least squares over several lines of sight.
    Full,
    /// Only the component along the line of sight; the other has
    /// `unobserved_sigma_mps` standard deviation.
    RadialOnly,
}

/// A velocity estimate over ground, vehicle frame x/y, m/s.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VelocityEstimate {
    /// Velocity, m/s.
    pub velocity: Vector2<f64>,
    /// Covariance, (m/s)^2.
    pub covariance: Matrix2<f64>,
    /// What was observed.
    pub observability: VelocityObservability,
}

/// Estimates a velocity from `(line_of_sight, compensated_radial_velocity)` pairs (unit
/// vectors in the vehicle frame's x/y, m/s). Returns `None` for no measurements.
pub fn estimate_velocity(
    measurements: &[(Vector2<f64>, f64)],
    config: &VelocityEstimationConfig,
) -> Option<VelocityEstimate> {
    let n = measurements.len();
    if n == 0 {
        return None;
    }
    let var = config.radial_sigma_mps.powi(2);
    if n >= 2 && azimuth_spread(measurements) >= config.min_azimuth_spread_deg.to_radians() {
        let (mut ata, mut atb) = (Matrix2::zeros(), Vector2::zeros());
        for (u, r) in measurements {
            ata += u * u.transpose();
            atb += u * *r;
        }
        if let Some(inv) = ata.try_inverse() {
            let v = inv * atb;
            // Inflate the noise by the fit's residuals when there is redundancy.
            let scale = if n > 2 {
                let rss: f64 = measurements
                    .iter()
                    .map(|(u, r)| (u.dot(&v) - r).powi(2))
                    .sum();
                (rss / (n - 2) as f64).max(var)
            } else {
                var
            };
            return Some(VelocityEstimate {
                velocity: v,
                covariance: inv * scale,
                observability: VelocityObservability::Full,
            });
        }
    }
    let sum_u: Vector2<f64> = measurements.iter().map(|(u, _)| *u).sum();
    let u = sum_u.try_normalize(1e-9).unwrap_or(measurements[0].0);
    let r = measurements.iter().map(|(_, r)| r).sum::<f64>() / n as f64;
    let t = Vector2::new(-u.y, u.x);
    Some(VelocityEstimate {
        velocity: u * r,
        covariance: u * u.transpose() * (var / n as f64)
            + t * t.transpose() * config.unobserved_sigma_mps.powi(2),
        observability: VelocityObservability::RadialOnly,
    })
}

/// Largest angle between any two lines of sight, radians (0..pi).
fn azimuth_spread(measurements: &[(Vector2<f64>, f64)]) -> f64 {
    let mut best: f64 = 0.0;
    for (i, (a, _)) in measurements.iter().enumerate() {
        for (b, _) in &measurements[i + 1..] {
            best = best.max(a.dot(b).clamp(-1.0, 1.0).acos());
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn radial_only_for_one_line_of_sight() {
        let u = Vector2::new(0.6, 0.8);
        let e = estimate_velocity(&[(u, 3.0)], &VelocityEstimationConfig::default()).unwrap();
        assert_eq!(e.observability, VelocityObservability::RadialOnly);
        assert!((e.velocity - u * 3.0).norm() < 1e-12);
        // Along the line of sight: 0.2 m/s; across: 10 m/s.
        assert!((u.dot(&(e.covariance * u)) - 0.04).abs() < 1e-9);
        let t = Vector2::new(-0.8, 0.6);
        assert!((t.dot(&(e.covariance * t)) - 100.0).abs() < 1e-9);
        assert!(estimate_velocity(&[], &VelocityEstimationConfig::default()).is_none());
    }
}
