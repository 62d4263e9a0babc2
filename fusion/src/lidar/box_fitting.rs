//! Oriented box fitting for a LiDAR cluster: L-shape search with the closeness criterion
//! (Zhang et al., "Efficient L-Shape Fitting for Vehicle Detection Using Laser Scanners",
//! IV 2017), then extents from all points along the found axes.
//!
//! The search runs over directions in `[0, pi/2)`: a coarse sweep, then a fine sweep around the
//! best coarse angle. The criterion is evaluated on one representative point per occupied
//! grid cell (the cell's mean), which bounds the cost for dense near-range clusters without
//! changing where the edges are.

use super::clustering::components;
use super::roi_crop::VehiclePoints;
use crate::FusionError;
use kestrel_sensors::OrientedBox3;
use nalgebra::Point3;
use serde::{Deserialize, Serialize};
use std::f32::consts::FRAC_PI_2;

/// Parameters of the box search.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BoxFitConfig {
    /// Step of the coarse direction sweep, degrees. Default 3.
    pub coarse_step_deg: f32,
    /// Step of the fine sweep (over +- one coarse step around the best coarse angle), degrees.
    /// Default 0.5.
    pub fine_step_deg: f32,
    /// Distances to an edge below this count as this in the closeness criterion, metres.
    /// Default 0.05.
    pub min_edge_distance: f32,
    /// Smallest box side reported, metres (a single scan line has no width). Default 0.1.
    pub min_side: f32,
}

impl Default for BoxFitConfig {
    fn default() -> Self {
        Self {
            coarse_step_deg: 3.0,
            fine_step_deg: 0.5,
            min_edge_distance: 0.05,
            min_side: 0.1,
        }
    }
}

impl BoxFitConfig {
    /// Checks the values.
    pub fn validate(&self) -> Result<(), FusionError> {
        for (field, v) in [
            ("lidar.box_fit.coarse_step_deg", self.coarse_step_deg),
            ("lidar.box_fit.fine_step_deg", self.fine_step_deg),
            ("lidar.box_fit.min_edge_distance", self.min_edge_distance),
            ("lidar.box_fit.min_side", self.min_side),
        ] {
            if !(v.is_finite() && v > 0.0) {
                return Err(FusionError::InvalidConfig {
                    field,
                    value: v as f64,
                    reason: "must be positive and finite",
                });
            }
        }
        Ok(())
    }
}

/// Closeness score of direction `theta` for `samples` (higher is better).
fn closeness(samples: &[[f32; 2]], theta: f32, d0: f32) -> f32 {
    let (s, c) = theta.sin_cos();
    let (mut lo1, mut hi1, mut lo2, mut hi2) = (f32::MAX, f32::MIN, f32::MAX, f32::MIN);
    for &[x, y] in samples {
        let (a, b) = (c * x + s * y, -s * x + c * y);
        lo1 = lo1.min(a);
        hi1 = hi1.max(a);
        lo2 = lo2.min(b);
        hi2 = hi2.max(b);
    }
    samples
        .iter()
        .map(|&[x, y]| {
            let (a, b) = (c * x + s * y, -s * x + c * y);
            let d1 = (hi1 - a).min(a - lo1);
            let d2 = (hi2 - b).min(b - lo2);
            1.0 / d1.min(d2).max(d0)
        })
        .sum()
}

/// The direction in `[0, pi/2)` (radians, about z) of the rectangle that best explains
/// `samples` (x/y, metres) under the closeness criterion. Ties go to the smaller angle.
pub fn fit_direction(samples: &[[f32; 2]], config: &BoxFitConfig) -> f32 {
    if samples.len() < 2 {
        return 0.0;
    }
    let coarse = config.coarse_step_deg.to_radians();
    let fine = config.fine_step_deg.to_radians();
    let best_of = |angles: &mut dyn Iterator<Item = f32>| {
        let mut best = (f32::MIN, 0.0f32);
        for t in angles {
            let score = closeness(samples, t, config.min_edge_distance);
            if score > best.0 {
                best = (score, t);
            }
        }
        best.1
    };
    let n_coarse = (FRAC_PI_2 / coarse).ceil() as usize;
    let t0 = best_of(&mut (0..n_coarse).map(|k| k as f32 * coarse));
    let n_fine = (coarse / fine).ceil() as i32;
    let t1 = best_of(&mut (-n_fine..=n_fine).map(|k| t0 + k as f32 * fine));
    t1.rem_euclid(FRAC_PI_2)
}

/// Fits an oriented box (vehicle frame) to a cluster: direction from `samples` (see
/// [`fit_direction`]), footprint from all `points` (x, y, z, metres), bottom at `ground_z`
/// (or the lowest point, if lower), top at the highest point. The heading is along the longer
/// side, in `(-pi/2, pi/2]` (the sign of the heading is not observable from one sweep).
/// `points` must not be empty.
pub fn fit_box(
    samples: &[[f32; 2]],
    points: impl Iterator<Item = [f32; 3]>,
    ground_z: f32,
    config: &BoxFitConfig,
) -> OrientedBox3 {
    let theta = fit_direction(samples, config);
    let (s, c) = theta.sin_cos();
    let (mut lo1, mut hi1, mut lo2, mut hi2) = (f32::MAX, f32::MIN, f32::MAX, f32::MIN);
    let (mut z_lo, mut z_hi) = (ground_z, f32::MIN);
    for [x, y, z] in points {
        let (a, b) = (c * x + s * y, -s * x + c * y);
        lo1 = lo1.min(a);
        hi1 = hi1.max(a);
        lo2 = lo2.min(b);
        hi2 = hi2.max(b);
        z_lo = z_lo.min(z);
        z_hi = z_hi.max(z);
    }
    let (m1, m2) = ((lo1 + hi1) / 2.0, (lo2 + hi2) / 2.0);
    let (cx, cy) = (c * m1 - s * m2, s * m1 + c * m2);
    let (e1, e2) = (hi1 - lo1, hi2 - lo2);
    let (length, width, yaw) = if e1 >= e2 {
        (e1, e2, theta)
    } else {
        (e2, e1, theta + FRAC_PI_2)
    };
    let yaw = if yaw > FRAC_PI_2 {
        yaw - std::f32::consts::PI
    } else {
        yaw
    };
    let z_hi = z_hi.max(z_lo + config.min_side);
    OrientedBox3 {
        center: Point3::new(cx as f64, cy as f64, ((z_lo + z_hi) / 2.0) as f64),
        length: length.max(config.min_side) as f64,
        width: width.max(config.min_side) as f64,
        height: (z_hi - z_lo) as f64,
        yaw: yaw as f64,
    }
}

/// Fits a box to the points `members` (indices into `points`, vehicle frame): the samples
/// of the direction search are the means of the occupied `cell` x `cell` cells, the extents
/// come from every point (see [`fit_box`]). `members` must not be empty.
pub fn fit_point_set(
    members: &[u32],
    points: &VehiclePoints,
    ground_z: f32,
    cell: f32,
    config: &BoxFitConfig,
) -> OrientedBox3 {
    let samples: Vec<[f32; 2]> = components(members, points, cell)
        .iter()
        .flatten()
        .map(|c| {
            let n = c.len() as f32;
            let (sx, sy) = c.iter().fold((0.0f32, 0.0f32), |(a, b), &i| {
                (a + points.x[i as usize], b + points.y[i as usize])
            });
            [sx / n, sy / n]
        })
        .collect();
    let pts = members.iter().map(|&i| {
        let i = i as usize;
        [points.x[i], points.y[i], points.z[i]]
    });
    fit_box(&samples, pts, ground_z, config)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The two sides of a 4.5 x 1.8 m car visible from the origin: the car is at (15, 5) with
    /// heading `yaw`, and only points on its two near sides are given (every 0.1 m).
    fn l_shape(yaw: f32) -> Vec<[f32; 3]> {
        let (s, c) = yaw.sin_cos();
        let (cx, cy) = (15.0f32, 5.0f32);
        let corner = |a: f32, b: f32| [cx + c * a - s * b, cy + s * a + c * b];
        // Pick the corner nearest the sensor and walk the two edges from it.
        let corners = [(-2.25, -0.9), (-2.25, 0.9), (2.25, -0.9), (2.25, 0.9)];
        let &(a0, b0) = corners
            .iter()
            .min_by(|p, q| {
                let d = |&(a, b): &(f32, f32)| {
                    let [x, y] = corner(a, b);
                    x * x + y * y
                };
                d(p).total_cmp(&d(q))
            })
            .unwrap();
        let mut pts = Vec::new();
        for i in 0..=45 {
            let a = a0 - a0.signum() * i as f32 * 0.1;
            let [x, y] = corner(a, b0);
            pts.push([x, y, 0.8]);
        }
        for j in 1..=18 {
            let b = b0 - b0.signum() * j as f32 * 0.1;
            let [x, y] = corner(a0, b);
            pts.push([x, y, 0.8]);
        }
        pts
    }

    fn yaw_error(a: f64, b: f64) -> f64 {
        let d = (a - b).rem_euclid(std::f64::consts::PI);
        d.min(std::f64::consts::PI - d)
    }

    #[test]
    fn l_shape_recovers_heading_and_extent() {
        for deg in [-80.0f32, -45.0, -20.0, 0.0, 10.0, 33.0, 60.0, 89.0] {
            let yaw = deg.to_radians();
            let pts = l_shape(yaw);
            let samples: Vec<[f32; 2]> = pts.iter().map(|p| [p[0], p[1]]).collect();
            let b = fit_box(&samples, pts.iter().copied(), 0.0, &BoxFitConfig::default());
            let err = yaw_error(b.yaw, yaw as f64).to_degrees();
            assert!(err < 1.0, "yaw {deg}: error {err} deg");
            assert!(
                (b.length - 4.5).abs() < 0.05 && (b.width - 1.8).abs() < 0.05,
                "{b:?}"
            );
            assert!(
                (b.center.x - 15.0).abs() < 0.05 && (b.center.y - 5.0).abs() < 0.05,
                "{b:?}"
            );
            assert!((b.height - 0.8).abs() < 1e-6 && (b.center.z - 0.4).abs() < 1e-6);
        }
    }

    #[test]
    fn degenerate_clusters_get_minimum_sides() {
        let b = fit_box(
            &[[5.0, 1.0]],
            [[5.0, 1.0, 0.5]].into_iter(),
            0.0,
            &BoxFitConfig::default(),
        );
        assert_eq!((b.length, b.width), (0.1f32 as f64, 0.1f32 as f64));
        assert_eq!(b.yaw, 0.0);
        assert!((b.center.x - 5.0).abs() < 1e-6);
    }
}
