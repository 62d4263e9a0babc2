//! Ground segmentation by a slope-limited lower envelope of per-cell minimum heights.
//!
//! The ground height of a bird's-eye-view cell is the lowest value of
//! `min_z(n) + max_slope * distance(cell, n)` over all cells `n` that hold points: the surface
//! follows the lowest returns where the ground is visible and, under objects and in shadows,
//! rises at most `max_slope` from the nearest visible ground. Ramps and hills steeper than flat
//! but gentler than `max_slope` are followed; a car's roof or side cannot become "ground"
//! because the surface may not climb from the road onto it. Two chamfer passes (3 x 3 mask)
//! compute the envelope exactly for the chamfer distance, in time linear in the cell count.
//!
//! Guarantee and limit: in a cell where the ground itself is visible, everything more than
//! `height_threshold` above it is an obstacle. In a cell without visible ground (under a car,
//! in a shadow) the surface may sit up to `max_slope * cell_size` above the true ground, so
//! only points more than `height_threshold + max_slope * cell_size` (0.45 m by default) above
//! the ground are guaranteed obstacles; an object's lowest few decimetres there may be taken as
//! ground.

use super::bev_grid::BevGrid;
use super::roi_crop::{RoiConfig, VehiclePoints};
use crate::FusionError;
use serde::{Deserialize, Serialize};

/// Parameters of the ground segmentation (vehicle frame, metres).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GroundConfig {
    /// Side of a ground cell, metres. Default 1.0.
    pub cell_size: f32,
    /// Steepest ground slope followed (rise over run). Default 0.2 (11 degrees).
    pub max_slope: f32,
    /// Points at most this far above the local ground are ground, metres. Default 0.25.
    pub height_threshold: f32,
    /// A cell whose lowest point lies more than this below the median of its neighbours'
    /// lowest points (a reflection below the road, a pit, a drop behind a wall) does not seed
    /// the ground surface, metres. Default 0.5.
    pub max_drop: f32,
}

impl Default for GroundConfig {
    fn default() -> Self {
        Self {
            cell_size: 1.0,
            max_slope: 0.2,
            height_threshold: 0.25,
            max_drop: 0.5,
        }
    }
}

impl GroundConfig {
    /// Checks that the values are positive and finite.
    pub fn validate(&self) -> Result<(), FusionError> {
        for (field, v) in [
            ("lidar.ground.cell_size", self.cell_size),
            ("lidar.ground.max_slope", self.max_slope),
            ("lidar.ground.height_threshold", self.height_threshold),
            ("lidar.ground.max_drop", self.max_drop),
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

/// The ground surface and each point's height above it.
#[derive(Debug, Clone, PartialEq)]
pub struct GroundSurface {
    /// The grid of the height map (covers the region of interest).
    pub grid: BevGrid,
    /// Ground height per cell (z, vehicle frame, metres); `+inf` only when no cell holds points.
    pub height: Vec<f32>,
    /// Per input point: height above the local ground, metres.
    pub height_above_ground: Vec<f32>,
    /// Per input point: true when the point is ground.
    pub is_ground: Vec<bool>,
}

impl GroundSurface {
    /// Ground height (z, metres) under `(x, y)`, or `None` outside the grid or where no ground
    /// could be estimated.
    pub fn height_at(&self, x: f32, y: f32) -> Option<f32> {
        self.grid
            .index(x, y)
            .map(|i| self.height[i])
            .filter(|h| h.is_finite())
    }

    /// Number of ground points.
    pub fn ground_count(&self) -> usize {
        self.is_ground.iter().filter(|&&g| g).count()
    }
}

/// Segments `points` (vehicle frame, already cropped to `roi`) into ground and non-ground.
pub fn segment_ground(
    points: &VehiclePoints,
    roi: &RoiConfig,
    config: &GroundConfig,
) -> GroundSurface {
    let grid = BevGrid::covering(roi.x_min, roi.x_max, roi.y_min, roi.y_max, config.cell_size);
    let mut height = vec![f32::INFINITY; grid.len()];
    let cells: Vec<Option<usize>> = points
        .x
        .iter()
        .zip(&points.y)
        .map(|(&x, &y)| grid.index(x, y))
        .collect();
    for (cell, &z) in cells.iter().zip(&points.z) {
        if let Some(c) = *cell {
            // `min` ignores NaN, so a stray NaN cannot poison a cell.
            height[c] = height[c].min(z);
        }
    }
    reject_low_outliers(&mut height, &grid, config.max_drop);
    lower_envelope(&mut height, &grid, config.max_slope);
    let height_above_ground: Vec<f32> = cells
        .iter()
        .zip(&points.z)
        .map(|(cell, &z)| match *cell {
            Some(c) if height[c].is_finite() => z - height[c],
            // Outside the grid (not cropped to it) or no ground at all: measure from z = 0.
            _ => z,
        })
        .collect();
    let is_ground = height_above_ground
        .iter()
        .map(|&h| h <= config.height_threshold)
        .collect();
    GroundSurface {
        grid,
        height,
        height_above_ground,
        is_ground,
    }
}

/// Clears (to `+inf`) every cell whose value lies more than `max_drop` below the median of
/// its occupied 8-neighbours: isolated low returns must not drag the surface down around them.
fn reject_low_outliers(h: &mut [f32], grid: &BevGrid, max_drop: f32) {
    let (nx, ny) = (grid.nx, grid.ny);
    let mut rejected = Vec::new();
    let mut around = Vec::with_capacity(8);
    for ix in 0..nx {
        for iy in 0..ny {
            let v = h[ix * ny + iy];
            if !v.is_finite() {
                continue;
            }
            around.clear();
            for jx in ix.saturating_sub(1)..=(ix + 1).min(nx - 1) {
                for jy in iy.saturating_sub(1)..=(iy + 1).min(ny - 1) {
                    let n = h[jx * ny + jy];
                    if (jx, jy) != (ix, iy) && n.is_finite() {
                        around.push(n);
                    }
                }
            }
            if around.is_empty() {
                continue;
            }
            around.sort_by(f32::total_cmp);
            if v < around[around.len() / 2] - max_drop {
                rejected.push(ix * ny + iy);
            }
        }
    }
    for i in rejected {
        h[i] = f32::INFINITY;
    }
}

/// In place: `h(c) = min_n h(n) + slope * chamfer_distance(c, n)` with two raster passes.
fn lower_envelope(h: &mut [f32], grid: &BevGrid, slope: f32) {
    let (nx, ny) = (grid.nx, grid.ny);
    let straight = slope * grid.cell;
    let diagonal = straight * std::f32::consts::SQRT_2;
    // Forward pass: neighbours already visited are (ix-1, *) and (ix, iy-1).
    for ix in 0..nx {
        for iy in 0..ny {
            let i = ix * ny + iy;
            let mut v = h[i];
            if iy > 0 {
                v = v.min(h[i - 1] + straight);
            }
            if ix > 0 {
                let up = i - ny;
                v = v.min(h[up] + straight);
                if iy > 0 {
                    v = v.min(h[up - 1] + diagonal);
                }
                if iy + 1 < ny {
                    v = v.min(h[up + 1] + diagonal);
                }
            }
            h[i] = v;
        }
    }
    // Backward pass: (ix+1, *) and (ix, iy+1).
    for ix in (0..nx).rev() {
        for iy in (0..ny).rev() {
            let i = ix * ny + iy;
            let mut v = h[i];
            if iy + 1 < ny {
                v = v.min(h[i + 1] + straight);
            }
            if ix + 1 < nx {
                let down = i + ny;
                v = v.min(h[down] + straight);
                if iy > 0 {
                    v = v.min(h[down - 1] + diagonal);
                }
                if iy + 1 < ny {
                    v = v.min(h[down + 1] + diagonal);
                }
            }
            h[i] = v;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_xoshiro::Xoshiro256StarStar;
    use rand_xoshiro::rand_core::{Rng, SeedableRng};

    fn roi() -> RoiConfig {
        RoiConfig {
            x_min: -20.0,
            x_max: 40.0,
            y_min: -20.0,
            y_max: 20.0,
            ..RoiConfig::default()
        }
    }

    /// A road climbing at 8 % along x (a ramp), sampled every 0.2 m, with a 1.5 m tall box
    /// standing on the slope at x = 20 (ground there 1.6 m above the origin) and a 0.6 m tall
    /// low obstacle at x = 8 (in a cell with visible ground, so 0.3 m suffices there).
    #[test]
    fn follows_a_slope_and_keeps_objects_above_it() {
        let ground_z = |x: f32| 0.08 * x.max(0.0);
        let mut pts = VehiclePoints::default();
        let mut truth = Vec::new();
        // Deterministic +-2 cm noise.
        let mut rng = Xoshiro256StarStar::seed_from_u64(1);
        let mut noise = || (rng.next_u32() >> 8) as f32 / (1u32 << 24) as f32 * 0.04 - 0.02;
        for ix in 0..300 {
            for iy in -50..50 {
                let (x, y) = (-19.0 + ix as f32 * 0.2, iy as f32 * 0.2);
                let under_box = (19.0..21.0).contains(&x) && (-1.0..1.0).contains(&y);
                let under_low = (7.6..8.4).contains(&x) && (-0.4..0.4).contains(&y);
                if !under_box && !under_low {
                    pts.push(x, y, ground_z(x) + noise());
                    truth.push(true);
                }
            }
        }
        for i in 0..11 {
            for j in 0..8 {
                // Front face and side of the box, from 0.5 m to 1.55 m above the slope: above
                // `height_threshold + max_slope * cell_size` = 0.45 m, the guaranteed margin.
                let z = ground_z(19.0) + 0.5 + 0.15 * j as f32;
                pts.push(19.0, -1.0 + 0.2 * i as f32, z);
                pts.push(19.0 + 0.2 * i as f32, 1.0, z);
                truth.extend([false, false]);
            }
        }
        for j in 0..4 {
            pts.push(7.6, 0.0, ground_z(7.6) + 0.3 + 0.1 * j as f32);
            truth.push(false);
        }
        let s = segment_ground(&pts, &roi(), &GroundConfig::default());
        let wrong = s
            .is_ground
            .iter()
            .zip(&truth)
            .filter(|(a, b)| a != b)
            .count();
        assert_eq!(wrong, 0, "misclassified {wrong} of {} points", truth.len());
        // The height map follows the ramp (within one cell of slope) under the box too.
        let under_box = s.height_at(20.0, 0.0).unwrap();
        assert!(
            (under_box - ground_z(20.0)).abs() < 0.25,
            "ground under box {under_box}"
        );
        let far = s.height_at(35.0, 5.0).unwrap();
        assert!((far - ground_z(35.0)).abs() < 0.1, "ground at 35 m {far}");
    }

    #[test]
    fn empty_cloud_gives_empty_segmentation() {
        let s = segment_ground(&VehiclePoints::default(), &roi(), &GroundConfig::default());
        assert!(s.is_ground.is_empty());
        assert_eq!(s.height_at(0.0, 0.0), None);
    }
}
