//! Splitting clusters larger than one road user by clustering them again on a finer grid.
//!
//! The clustering grid (0.3 m cells, 8-neighbourhood) joins points up to about 0.85 m apart,
//! so objects parked or standing closer than that — a row of parked cars, a small
//! construction vehicle touching a car, two pedestrians side by side — become one cluster. A
//! cluster whose oriented footprint is longer or wider than `max_length` x `max_width` (more
//! than one road user fits) is clustered again with `cell_size` cells, which separates gaps
//! of two fine cells (0.3 m at 0.15 m cells). Parts with fewer than `min_part_points` points
//! (single returns between two cars, a mirror) join the nearest substantial part; when only
//! one substantial part remains the cluster is kept as it was. Solid long objects (a bus, a
//! truck) have no gaps and stay whole; what to do with a cluster still larger than any road
//! user is decided later, with the camera's help (association).

use super::box_fitting::{BoxFitConfig, fit_direction};
use super::clustering::{ClusterConfig, ClusterSpan, PointClusters, cluster_points};
use super::roi_crop::{RoiConfig, VehiclePoints};
use crate::FusionError;
use serde::{Deserialize, Serialize};
use std::ops::Range;

/// Parameters of the refinement (vehicle frame, metres).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RefineConfig {
    /// A cluster whose footprint is longer than this is re-clustered, metres. Default 6.0
    /// (longer than a pickup; a truck or bus without gaps stays whole).
    pub max_length: f32,
    /// ... or wider than this, metres. Default 2.8 (wider than any road vehicle: two cars
    /// side by side).
    pub max_width: f32,
    /// Cell side of the finer clustering, metres. Default 0.15. Must be smaller than the
    /// clustering cell.
    pub cell_size: f32,
    /// Smallest part kept on its own; smaller parts join the nearest part. Default 8.
    pub min_part_points: usize,
}

impl Default for RefineConfig {
    fn default() -> Self {
        Self {
            max_length: 6.0,
            max_width: 2.8,
            cell_size: 0.15,
            min_part_points: 8,
        }
    }
}

impl RefineConfig {
    /// Checks the values against the clustering cell they refine.
    pub fn validate(&self, cluster: &ClusterConfig) -> Result<(), FusionError> {
        for (field, v) in [
            ("lidar.refine.max_length", self.max_length),
            ("lidar.refine.max_width", self.max_width),
            ("lidar.refine.cell_size", self.cell_size),
        ] {
            if !(v.is_finite() && v > 0.0) {
                return Err(FusionError::InvalidConfig {
                    field,
                    value: v as f64,
                    reason: "must be positive and finite",
                });
            }
        }
        if self.cell_size >= cluster.cell_size {
            return Err(FusionError::InvalidConfig {
                field: "lidar.refine.cell_size",
                value: self.cell_size as f64,
                reason: "must be smaller than lidar.cluster.cell_size",
            });
        }
        if self.min_part_points == 0 {
            return Err(FusionError::InvalidConfig {
                field: "lidar.refine.min_part_points",
                value: 0.0,
                reason: "must be at least 1",
            });
        }
        Ok(())
    }
}

/// Length and width (metres) of the oriented footprint of `samples` (x/y), the direction
/// found by the L-shape search.
pub fn footprint_extent(samples: &[[f32; 2]], box_fit: &BoxFitConfig) -> (f32, f32) {
    let theta = fit_direction(samples, box_fit);
    let (s, c) = theta.sin_cos();
    let (mut lo1, mut hi1, mut lo2, mut hi2) = (f32::MAX, f32::MIN, f32::MAX, f32::MIN);
    for &[x, y] in samples {
        let (a, b) = (c * x + s * y, -s * x + c * y);
        lo1 = lo1.min(a);
        hi1 = hi1.max(a);
        lo2 = lo2.min(b);
        hi2 = hi2.max(b);
    }
    let (e1, e2) = ((hi1 - lo1).max(0.0), (hi2 - lo2).max(0.0));
    (e1.max(e2), e1.min(e2))
}

/// The mean x/y of each cell (the box fit's samples): `cells` are ranges of positions, and
/// `point_of` maps a position to its index in `points`.
pub fn cell_means(
    cells: &[Range<usize>],
    point_of: impl Fn(usize) -> usize,
    points: &VehiclePoints,
) -> Vec<[f32; 2]> {
    cells
        .iter()
        .map(|cell| {
            let n = cell.len() as f32;
            let (sx, sy) = cell.clone().fold((0.0f32, 0.0f32), |(sx, sy), k| {
                let i = point_of(k);
                (sx + points.x[i], sy + points.y[i])
            });
            [sx / n, sy / n]
        })
        .collect()
}

/// Splits the parts of one cluster's points (`members`, indices into `points`): the finer
/// clustering's parts as lists of member positions, small parts folded into the nearest
/// substantial one. `None` when fewer than two substantial parts exist.
fn split_members(
    members: &[u32],
    points: &VehiclePoints,
    config: &RefineConfig,
) -> Option<Vec<Vec<Vec<u32>>>> {
    let mut sub = VehiclePoints::default();
    let (mut lo, mut hi) = ([f32::MAX; 2], [f32::MIN; 2]);
    for &k in members {
        let (x, y, z) = (
            points.x[k as usize],
            points.y[k as usize],
            points.z[k as usize],
        );
        sub.push(x, y, z);
        lo = [lo[0].min(x), lo[1].min(y)];
        hi = [hi[0].max(x), hi[1].max(y)];
    }
    let roi = RoiConfig {
        x_min: lo[0],
        x_max: hi[0],
        y_min: lo[1],
        y_max: hi[1],
        ..RoiConfig::default()
    };
    let fine = cluster_points(
        &sub,
        &vec![true; sub.len()],
        &vec![0.0; sub.len()],
        &roi,
        &ClusterConfig {
            cell_size: config.cell_size,
            min_points: 1,
            max_extent: f32::MAX,
            ..ClusterConfig::default()
        },
    );
    // Parts as lists of cells (each cell a list of member positions).
    let parts: Vec<Vec<Vec<u32>>> = fine
        .clusters
        .iter()
        .map(|span| {
            fine.cells[span.cells.clone()]
                .iter()
                .map(|cell| fine.order[cell.clone()].to_vec())
                .collect()
        })
        .collect();
    let size = |p: &Vec<Vec<u32>>| p.iter().map(Vec::len).sum::<usize>();
    let (big, small): (Vec<_>, Vec<_>) = parts
        .into_iter()
        .partition(|p| size(p) >= config.min_part_points);
    if big.len() < 2 {
        return None;
    }
    let centroid = |p: &Vec<Vec<u32>>| {
        let n = size(p) as f32;
        let (sx, sy) = p.iter().flatten().fold((0.0f32, 0.0f32), |(a, b), &i| {
            (a + sub.x[i as usize], b + sub.y[i as usize])
        });
        [sx / n, sy / n]
    };
    let centres: Vec<[f32; 2]> = big.iter().map(centroid).collect();
    let mut big = big;
    for part in small {
        let c = centroid(&part);
        let nearest = centres
            .iter()
            .enumerate()
            .min_by(|a, b| {
                let d = |q: &[f32; 2]| (q[0] - c[0]).powi(2) + (q[1] - c[1]).powi(2);
                d(a.1).total_cmp(&d(b.1))
            })
            .map_or(0, |(i, _)| i);
        big[nearest].extend(part);
    }
    // Member positions back to point indices.
    Some(
        big.into_iter()
            .map(|p| {
                p.into_iter()
                    .map(|cell| cell.into_iter().map(|i| members[i as usize]).collect())
                    .collect()
            })
            .collect(),
    )
}

/// Re-clusters every cluster of `clusters` (over `points`) whose footprint exceeds
/// `config`'s limits (module docs). Returns the clusters, split ones replaced in place by
/// their parts (in the finer grid's raster order), and how many clusters were split.
pub fn refine_oversize(
    clusters: PointClusters,
    points: &VehiclePoints,
    box_fit: &BoxFitConfig,
    config: &RefineConfig,
) -> (PointClusters, usize) {
    let mut out = PointClusters {
        too_high: clusters.too_high,
        dropped_small: clusters.dropped_small,
        dropped_large: clusters.dropped_large,
        ..PointClusters::default()
    };
    let mut split = 0;
    let push = |out: &mut PointClusters, cells: Vec<Vec<u32>>| {
        let (p0, c0) = (out.order.len(), out.cells.len());
        for cell in cells {
            let a = out.order.len();
            out.order.extend(cell);
            out.cells.push(a..out.order.len());
        }
        out.clusters.push(ClusterSpan {
            points: p0..out.order.len(),
            cells: c0..out.cells.len(),
        });
    };
    for span in &clusters.clusters {
        let samples = cell_means(
            &clusters.cells[span.cells.clone()],
            |k| clusters.order[k] as usize,
            points,
        );
        let (length, width) = footprint_extent(&samples, box_fit);
        let oversize = length > config.max_length || width > config.max_width;
        let parts = oversize
            .then(|| split_members(&clusters.order[span.points.clone()], points, config))
            .flatten();
        match parts {
            Some(parts) => {
                split += 1;
                for p in parts {
                    push(&mut out, p);
                }
            }
            None => {
                let cells = clusters.cells[span.cells.clone()]
                    .iter()
                    .map(|c| clusters.order[c.clone()].to_vec())
                    .collect();
                push(&mut out, cells);
            }
        }
    }
    (out, split)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lidar::clustering::tests::box_outline;

    fn clustered(pts: &VehiclePoints) -> PointClusters {
        let n = pts.len();
        cluster_points(
            pts,
            &vec![true; n],
            &pts.z.clone(),
            &RoiConfig::default(),
            &ClusterConfig::default(),
        )
    }

    #[test]
    fn cars_parked_a_foot_apart_are_split() {
        let mut pts = VehiclePoints::default();
        // Two cars side by side with a 0.35 m gap: one cluster at 0.3 m cells.
        box_outline(&mut pts, 10.0, 0.0, 4.5, 1.8);
        let first = pts.len();
        box_outline(&mut pts, 10.0, 2.15, 4.5, 1.8);
        let raw = clustered(&pts);
        assert_eq!(raw.clusters.len(), 1);
        let (refined, split) = refine_oversize(
            raw,
            &pts,
            &BoxFitConfig::default(),
            &RefineConfig::default(),
        );
        assert_eq!((split, refined.clusters.len()), (1, 2));
        for span in &refined.clusters {
            let idx = &refined.order[span.points.clone()];
            assert_eq!(idx.len(), first);
            let left = (idx[0] as usize) < first;
            assert!(idx.iter().all(|&i| ((i as usize) < first) == left));
        }
    }

    #[test]
    fn a_bus_and_a_car_sized_cluster_stay_whole() {
        let mut pts = VehiclePoints::default();
        box_outline(&mut pts, 10.0, 0.0, 12.0, 2.5); // bus: long but solid
        box_outline(&mut pts, 10.0, 8.0, 4.5, 1.8); // car, far from it
        let raw = clustered(&pts);
        assert_eq!(raw.clusters.len(), 2);
        let (refined, split) = refine_oversize(
            raw.clone(),
            &pts,
            &BoxFitConfig::default(),
            &RefineConfig::default(),
        );
        assert_eq!(split, 0);
        assert_eq!(refined, raw);
    }

    #[test]
    fn a_stray_return_between_two_cars_joins_one_of_them() {
        let mut pts = VehiclePoints::default();
        box_outline(&mut pts, 10.0, 0.0, 4.5, 1.8);
        box_outline(&mut pts, 15.0, 0.0, 4.5, 1.8); // 0.5 m behind the first, in a row
        pts.push(14.75, 0.9, 0.8); // a lone return in the gap
        let n = pts.len();
        let (refined, split) = refine_oversize(
            clustered(&pts),
            &pts,
            &BoxFitConfig::default(),
            &RefineConfig::default(),
        );
        assert_eq!((split, refined.clusters.len()), (1, 2));
        assert_eq!(refined.order.len(), n);
    }

    #[test]
    fn validation_names_the_field() {
        let bad = RefineConfig {
            cell_size: 0.3,
            ..RefineConfig::default()
        };
        let e = bad.validate(&ClusterConfig::default()).unwrap_err();
        assert!(e.to_string().contains("lidar.refine.cell_size"), "{e}");
    }
}
