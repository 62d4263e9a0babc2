//! Euclidean clustering of obstacle points by connected components on a bird's-eye-view grid.
//!
//! Points are binned into square cells (counting sort, so each cell's points stay in input
//! order); occupied cells that touch (8-neighbourhood) form one cluster. Two points end up in
//! the same cluster when a chain of points links them with steps shorter than one cell
//! diagonal; two objects separated by a gap of at least two cells are always apart. Cells are
//! visited in raster order, so the output is deterministic.

use super::bev_grid::BevGrid;
use super::roi_crop::{RoiConfig, VehiclePoints};
use crate::FusionError;
use serde::{Deserialize, Serialize};
use std::ops::Range;

/// Parameters of the clustering (vehicle frame, metres).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClusterConfig {
    /// Side of a clustering cell, metres. Default 0.3.
    pub cell_size: f32,
    /// Clusters with fewer points are dropped (and counted). Default 3. [`cluster_points`]
    /// applies this count alone; the LiDAR branch clusters without it and applies it, or
    /// `min_points_far`, after merging fragments
    /// ([`merge_fragments`](super::fragment_merging::merge_fragments)).
    pub min_points: usize,
    /// Beyond `far_range` the smaller count `min_points_far` is enough: the returns per
    /// object fall with the square of the range, and a 32-beam sensor puts only two rings of
    /// one to three columns on a pedestrian at 35-40 m (the tracker's M-of-N confirmation
    /// then weeds out single blips). Default 2.
    pub min_points_far: usize,
    /// Range (metres, from the LiDAR, horizontal) beyond which `min_points_far` applies.
    /// Default 30.
    pub far_range: f32,
    /// Points higher than this above the ground (tree crowns, bridges, signs) are not
    /// clustered, metres. Default 3.0.
    pub max_height_above_ground: f32,
    /// Clusters whose footprint is longer than this along x or y (walls, hedges, kerbs) are
    /// dropped (and counted), metres. Default 20.
    pub max_extent: f32,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        Self {
            cell_size: 0.3,
            min_points: 3,
            min_points_far: 2,
            far_range: 30.0,
            max_height_above_ground: 3.0,
            max_extent: 20.0,
        }
    }
}

impl ClusterConfig {
    /// Checks the values.
    pub fn validate(&self) -> Result<(), FusionError> {
        for (field, v) in [
            ("lidar.cluster.cell_size", self.cell_size),
            (
                "lidar.cluster.max_height_above_ground",
                self.max_height_above_ground,
            ),
            ("lidar.cluster.max_extent", self.max_extent),
            ("lidar.cluster.far_range", self.far_range),
        ] {
            if !(v.is_finite() && v > 0.0) {
                return Err(FusionError::InvalidConfig {
                    field,
                    value: v as f64,
                    reason: "must be positive and finite",
                });
            }
        }
        for (field, v) in [
            ("lidar.cluster.min_points", self.min_points),
            ("lidar.cluster.min_points_far", self.min_points_far),
        ] {
            if v == 0 {
                return Err(FusionError::InvalidConfig {
                    field,
                    value: 0.0,
                    reason: "must be at least 1",
                });
            }
        }
        Ok(())
    }
}

/// Where one cluster's points are in [`PointClusters::order`] and its cells in
/// [`PointClusters::cells`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterSpan {
    /// Range in `order`.
    pub points: Range<usize>,
    /// Range in `cells`.
    pub cells: Range<usize>,
}

/// The result of clustering: indices into the input points, grouped by cluster and, within a
/// cluster, by cell.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PointClusters {
    /// Input point indices, each kept cluster's points contiguous.
    pub order: Vec<u32>,
    /// The kept clusters, in raster order of their first cell.
    pub clusters: Vec<ClusterSpan>,
    /// Per occupied cell of a kept cluster: the range of its points in `order`.
    pub cells: Vec<Range<usize>>,
    /// Candidate points skipped for being too high above the ground.
    pub too_high: usize,
    /// Clusters dropped for having fewer than `min_points` points.
    pub dropped_small: usize,
    /// Clusters dropped for a footprint longer than `max_extent`.
    pub dropped_large: usize,
}

/// Clusters the points with `candidate[i]` true (non-ground points) whose height above ground
/// `height_above_ground[i]` is at most `config.max_height_above_ground`.
pub fn cluster_points(
    points: &VehiclePoints,
    candidate: &[bool],
    height_above_ground: &[f32],
    roi: &RoiConfig,
    config: &ClusterConfig,
) -> PointClusters {
    let grid = BevGrid::covering(roi.x_min, roi.x_max, roi.y_min, roi.y_max, config.cell_size);
    let mut out = PointClusters::default();
    // Counting sort of the candidate points by cell.
    let mut cell_of = Vec::with_capacity(points.len());
    let mut count = vec![0u32; grid.len() + 1];
    for i in 0..points.len() {
        let keep = candidate.get(i).copied().unwrap_or(false);
        let cell = if !keep {
            None
        } else if height_above_ground
            .get(i)
            .is_some_and(|&h| h <= config.max_height_above_ground)
        {
            grid.index(points.x[i], points.y[i])
        } else {
            out.too_high += 1;
            None
        };
        if let Some(c) = cell {
            count[c + 1] += 1;
        }
        cell_of.push(cell);
    }
    for c in 0..grid.len() {
        count[c + 1] += count[c];
    }
    let start = count; // start[c]..start[c + 1] is cell c's slice of `sorted`
    let mut fill = start.clone();
    let mut sorted = vec![0u32; start[grid.len()] as usize];
    for (i, cell) in cell_of.iter().enumerate() {
        if let Some(c) = *cell {
            sorted[fill[c] as usize] = i as u32;
            fill[c] += 1;
        }
    }
    let occupied = |c: usize| start[c + 1] > start[c];
    // Connected components over occupied cells, 8-neighbourhood.
    let mut visited = vec![false; grid.len()];
    let mut stack = Vec::new();
    let mut members = Vec::new();
    for seed in 0..grid.len() {
        if visited[seed] || !occupied(seed) {
            continue;
        }
        visited[seed] = true;
        stack.push(seed);
        members.clear();
        while let Some(c) = stack.pop() {
            members.push(c);
            let (ix, iy) = (c / grid.ny, c % grid.ny);
            for jx in ix.saturating_sub(1)..=(ix + 1).min(grid.nx - 1) {
                for jy in iy.saturating_sub(1)..=(iy + 1).min(grid.ny - 1) {
                    let n = jx * grid.ny + jy;
                    if !visited[n] && occupied(n) {
                        visited[n] = true;
                        stack.push(n);
                    }
                }
            }
        }
        members.sort_unstable();
        let n_points: usize = members
            .iter()
            .map(|&c| (start[c + 1] - start[c]) as usize)
            .sum();
        if n_points < config.min_points {
            out.dropped_small += 1;
            continue;
        }
        let (mut lo_x, mut hi_x, mut lo_y, mut hi_y) = (usize::MAX, 0, usize::MAX, 0);
        for &c in &members {
            let (ix, iy) = (c / grid.ny, c % grid.ny);
            lo_x = lo_x.min(ix);
            hi_x = hi_x.max(ix);
            lo_y = lo_y.min(iy);
            hi_y = hi_y.max(iy);
        }
        let extent = (hi_x - lo_x).max(hi_y - lo_y) as f32 * grid.cell;
        if extent > config.max_extent {
            out.dropped_large += 1;
            continue;
        }
        let (p0, c0) = (out.order.len(), out.cells.len());
        for &c in &members {
            let a = out.order.len();
            out.order
                .extend_from_slice(&sorted[start[c] as usize..start[c + 1] as usize]);
            out.cells.push(a..out.order.len());
        }
        out.clusters.push(ClusterSpan {
            points: p0..out.order.len(),
            cells: c0..out.cells.len(),
        });
    }
    out
}

/// The connected components (on a grid of `cell_size` cells, 8-neighbourhood) of the points
/// `members` (indices into `points`): per component, its occupied cells in raster order, each
/// cell listing its members in the given order. Deterministic for a given member order.
pub fn components(members: &[u32], points: &VehiclePoints, cell_size: f32) -> Vec<Vec<Vec<u32>>> {
    let mut sub = VehiclePoints::default();
    let (mut lo, mut hi) = ([f32::MAX; 2], [f32::MIN; 2]);
    for &k in members {
        let (x, y) = (points.x[k as usize], points.y[k as usize]);
        sub.push(x, y, points.z[k as usize]);
        lo = [lo[0].min(x), lo[1].min(y)];
        hi = [hi[0].max(x), hi[1].max(y)];
    }
    if sub.is_empty() {
        return Vec::new();
    }
    let roi = RoiConfig {
        x_min: lo[0],
        x_max: hi[0],
        y_min: lo[1],
        y_max: hi[1],
        ..RoiConfig::default()
    };
    let found = cluster_points(
        &sub,
        &vec![true; sub.len()],
        &vec![0.0; sub.len()],
        &roi,
        &ClusterConfig {
            cell_size,
            min_points: 1,
            max_extent: f32::MAX,
            ..ClusterConfig::default()
        },
    );
    found
        .clusters
        .iter()
        .map(|span| {
            found.cells[span.cells.clone()]
                .iter()
                .map(|cell| {
                    found.order[cell.clone()]
                        .iter()
                        .map(|&i| members[i as usize])
                        .collect()
                })
                .collect()
        })
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Points on the outline of an axis-aligned box footprint, every 0.1 m, at two heights.
    pub(crate) fn box_outline(pts: &mut VehiclePoints, x0: f32, y0: f32, len: f32, wid: f32) {
        let nl = (len / 0.1) as usize;
        let nw = (wid / 0.1) as usize;
        for z in [0.5, 1.0] {
            for i in 0..=nl {
                let x = x0 + i as f32 * 0.1;
                pts.push(x, y0, z);
                pts.push(x, y0 + wid, z);
            }
            for j in 0..=nw {
                let y = y0 + j as f32 * 0.1;
                pts.push(x0, y, z);
                pts.push(x0 + len, y, z);
            }
        }
    }

    #[test]
    fn two_nearby_boxes_are_two_clusters() {
        let mut pts = VehiclePoints::default();
        // Two parked cars side by side with a 0.8 m gap, plus an isolated 2-point blip.
        box_outline(&mut pts, 10.0, 0.0, 4.5, 1.8);
        let first = pts.len();
        box_outline(&mut pts, 10.0, 2.6, 4.5, 1.8);
        pts.push(30.0, 10.0, 1.0);
        pts.push(30.05, 10.0, 1.2);
        let n = pts.len();
        let c = cluster_points(
            &pts,
            &vec![true; n],
            &pts.z.clone(),
            &RoiConfig::default(),
            &ClusterConfig::default(),
        );
        assert_eq!(c.clusters.len(), 2);
        assert_eq!(c.dropped_small, 1);
        for (k, span) in c.clusters.iter().enumerate() {
            let idx = &c.order[span.points.clone()];
            assert_eq!(idx.len(), first);
            assert!(idx.iter().all(|&i| ((i as usize) < first) == (k == 0)));
        }
    }

    #[test]
    fn filters_high_points_non_candidates_and_huge_clusters() {
        let mut pts = VehiclePoints::default();
        for i in 0..300 {
            pts.push(-20.0 + i as f32 * 0.1, 20.0, 1.0); // 30 m wall
        }
        pts.push(5.0, 5.0, 5.0);
        pts.push(5.0, 5.1, 1.0);
        let n = pts.len();
        let mut cand = vec![true; n];
        cand[n - 1] = false;
        let c = cluster_points(
            &pts,
            &cand,
            &pts.z.clone(),
            &RoiConfig::default(),
            &ClusterConfig::default(),
        );
        assert!(c.clusters.is_empty());
        assert_eq!((c.too_high, c.dropped_large, c.dropped_small), (1, 1, 0));
        let empty = cluster_points(
            &VehiclePoints::default(),
            &[],
            &[],
            &RoiConfig::default(),
            &ClusterConfig::default(),
        );
        assert!(empty.clusters.is_empty() && empty.order.is_empty());
    }
}
