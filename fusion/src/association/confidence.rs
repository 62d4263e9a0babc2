//! Heuristic existence confidences and measurement covariances of fused objects.

use nalgebra::{Matrix2, Vector2};

/// Existence probability of a LiDAR object with `n` points (0.5..0.9).
pub fn lidar_existence(n: usize) -> f32 {
    0.5 + 0.4 * (1.0 - (-(n as f32) / 20.0).exp())
}

/// Existence probability of a radar object with `n` detections (0.4..0.7).
pub fn radar_existence(n: usize) -> f32 {
    0.3 + 0.1 * n.min(4) as f32
}

/// `1 - prod(1 - p)`: the object exists unless every sensor is wrong.
pub fn combine(ps: &[f32]) -> f32 {
    1.0 - ps.iter().map(|p| 1.0 - p.clamp(0.0, 1.0)).product::<f32>()
}

/// Covariance with standard deviation `along` in direction `dir` and `across` normal to it.
pub fn oriented_covariance(dir: &Vector2<f64>, along: f64, across: f64) -> Matrix2<f64> {
    let n = Vector2::new(-dir.y, dir.x);
    dir * dir.transpose() * along.powi(2) + n * n.transpose() * across.powi(2)
}

/// Isotropic covariance with standard deviation `sigma`.
pub fn isotropic(sigma: f64) -> Matrix2<f64> {
    Matrix2::identity() * sigma.powi(2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confidences_grow_with_evidence() {
        assert!(lidar_existence(1) < lidar_existence(50) && lidar_existence(1000) <= 0.9);
        assert!((combine(&[0.5, 0.5]) - 0.75).abs() < 1e-6);
        let c = oriented_covariance(&Vector2::new(1.0, 0.0), 2.0, 0.5);
        assert!((c - Matrix2::new(4.0, 0.0, 0.0, 0.25)).norm() < 1e-12);
    }
}
