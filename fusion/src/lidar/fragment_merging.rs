//! Merging the fragments of one surface seen at a grazing angle.
//!
//! A spinning LiDAR samples a surface once per column (azimuth step `dθ`). On a surface seen
//! at a grazing angle `α` — the side of a car in the next lane — consecutive columns land
//! `r dθ / sin α` apart along it: at 25 m a 64-beam sensor (2048 columns) samples the side of
//! a car 2.6 m to the left every ~0.7 m, a 32-beam one (1024 columns) every ~1.5 m. The
//! clustering grid (0.3 m) then cuts the side into a row of one-column clusters, each a
//! separate (false) object. The fragments of such a surface have a signature that separate
//! objects rarely have: seen from the sensor they are **adjacent in bearing** (one column
//! apart, not overlapping) and **close in range** (the range step grows with range). Clusters
//! are merged when both hold, transitively — the same bearing/range-adaptive idea as the
//! distance-dependent tolerances of Autoware's Euclidean clustering, restricted to the radial
//! direction so that objects side by side (separated in bearing) stay apart.

use super::clustering::{ClusterConfig, ClusterSpan, PointClusters};
use super::roi_crop::VehiclePoints;
use crate::FusionError;
use serde::{Deserialize, Serialize};

/// Parameters of the fragment merging (bearings seen from the LiDAR, vehicle frame).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FragmentConfig {
    /// Largest bearing gap between two clusters that still counts as adjacent, degrees: a
    /// little more than two columns of a 1024-column sensor (0.35 deg each), so one dropped
    /// return does not break the chain. Default 0.8.
    pub max_bearing_gap_deg: f32,
    /// Largest bearing overlap of two clusters that are merged, degrees (fragments of one
    /// surface do not overlap; an object in front of another does). Default 0.2.
    pub max_bearing_overlap_deg: f32,
    /// Largest range gap between two merged clusters, as a fraction of their range. Default
    /// 0.08 (1.6 m at 20 m, 3.2 m at 40 m).
    pub max_range_gap_ratio: f32,
    /// Largest footprint (longer side of the x/y bounding box, metres) a merged group may
    /// reach: two groups are merged only if their union stays within it. In a dense street
    /// the adjacency test alone chains the fragments of parked cars, walls and kerbs into one
    /// group tens of metres across (seen on PandaSet: 78 x 50 m); bounded, the chain stops at
    /// about one road user. Default 10 (a rigid truck; a bus side seen at a grazing angle
    /// stays in two pieces).
    pub max_group_extent: f32,
}

impl Default for FragmentConfig {
    fn default() -> Self {
        Self {
            max_bearing_gap_deg: 0.8,
            max_bearing_overlap_deg: 0.2,
            max_range_gap_ratio: 0.08,
            max_group_extent: 10.0,
        }
    }
}

impl FragmentConfig {
    /// Checks the values (all zero disables the merging).
    pub fn validate(&self) -> Result<(), FusionError> {
        for (field, v) in [
            (
                "lidar.fragments.max_bearing_gap_deg",
                self.max_bearing_gap_deg,
            ),
            (
                "lidar.fragments.max_bearing_overlap_deg",
                self.max_bearing_overlap_deg,
            ),
            (
                "lidar.fragments.max_range_gap_ratio",
                self.max_range_gap_ratio,
            ),
            ("lidar.fragments.max_group_extent", self.max_group_extent),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(FusionError::InvalidConfig {
                    field,
                    value: v as f64,
                    reason: "must be finite and >= 0",
                });
            }
        }
        Ok(())
    }
}

/// Bearing and range intervals of one cluster seen from the sensor, and its x/y bounding box.
#[derive(Debug, Clone, Copy)]
struct PolarExtent {
    bearing: [f32; 2],
    range: [f32; 2],
    lo: [f32; 2],
    hi: [f32; 2],
}

fn find(parent: &mut [usize], mut i: usize) -> usize {
    while parent[i] != i {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    i
}

/// Merges the fragment clusters of `clusters` (over `points`, vehicle frame) seen from
/// `sensor_xy` (vehicle frame, metres), then applies the size limits of `limits`: a merged
/// cluster with fewer than `min_points` points (`min_points_far` when its nearest point is
/// beyond `far_range`) is dropped and counted in `dropped_small` (so `clusters` should come
/// unfiltered: fragments of two points each make a surface), one whose footprint exceeds
/// `max_extent` along x or y (a wall or a kerb seen at a grazing angle) in `dropped_large`.
/// Merged clusters keep their cells. The output order is the raster order of each group's
/// first cluster, so it is deterministic.
pub fn merge_fragments(
    clusters: PointClusters,
    points: &VehiclePoints,
    sensor_xy: [f32; 2],
    limits: &ClusterConfig,
    config: &FragmentConfig,
) -> PointClusters {
    let n = clusters.clusters.len();
    let extents: Vec<PolarExtent> = clusters
        .clusters
        .iter()
        .map(|span| {
            let mut e = PolarExtent {
                bearing: [f32::MAX, f32::MIN],
                range: [f32::MAX, f32::MIN],
                lo: [f32::MAX; 2],
                hi: [f32::MIN; 2],
            };
            for &i in &clusters.order[span.points.clone()] {
                let (x, y) = (points.x[i as usize], points.y[i as usize]);
                let (dx, dy) = (x - sensor_xy[0], y - sensor_xy[1]);
                let (b, r) = (dy.atan2(dx), dx.hypot(dy));
                e.bearing = [e.bearing[0].min(b), e.bearing[1].max(b)];
                e.range = [e.range[0].min(r), e.range[1].max(r)];
                e.lo = [e.lo[0].min(x), e.lo[1].min(y)];
                e.hi = [e.hi[0].max(x), e.hi[1].max(y)];
            }
            e
        })
        .collect();
    let gap = config.max_bearing_gap_deg.to_radians();
    let overlap = config.max_bearing_overlap_deg.to_radians();
    // Sweep in order of the lower bearing: B after A can only be adjacent while it starts at
    // most `gap` past A's upper bearing.
    let mut by_bearing: Vec<usize> = (0..n).collect();
    by_bearing.sort_by(|&a, &b| extents[a].bearing[0].total_cmp(&extents[b].bearing[0]));
    let mut parent: Vec<usize> = (0..n).collect();
    // Bounding box of each group, valid at its root.
    let mut group_box: Vec<([f32; 2], [f32; 2])> = extents.iter().map(|e| (e.lo, e.hi)).collect();
    let enabled = config.max_range_gap_ratio > 0.0;
    for (k, &a) in by_bearing.iter().enumerate() {
        if !enabled {
            break;
        }
        let ea = extents[a];
        for &b in &by_bearing[k + 1..] {
            let eb = extents[b];
            let bearing_gap = eb.bearing[0] - ea.bearing[1];
            if bearing_gap > gap {
                break;
            }
            // Overlap: how far the two bearing intervals share directions.
            let shared = ea.bearing[1].min(eb.bearing[1]) - eb.bearing[0];
            if shared > overlap {
                continue;
            }
            let range_gap = (eb.range[0] - ea.range[1]).max(ea.range[0] - eb.range[1]);
            let range = ea.range[0].min(eb.range[0]);
            if range_gap <= config.max_range_gap_ratio * range {
                let (ra, rb) = (find(&mut parent, a), find(&mut parent, b));
                if ra == rb {
                    continue;
                }
                let (la, ha) = group_box[ra];
                let (lb, hb) = group_box[rb];
                let lo = [la[0].min(lb[0]), la[1].min(lb[1])];
                let hi = [ha[0].max(hb[0]), ha[1].max(hb[1])];
                if (hi[0] - lo[0]).max(hi[1] - lo[1]) > config.max_group_extent {
                    continue;
                }
                // The smaller index stays the root, so groups keep raster order.
                let (root, child) = (ra.min(rb), ra.max(rb));
                parent[child] = root;
                group_box[root] = (lo, hi);
            }
        }
    }
    let roots: Vec<usize> = (0..n).map(|i| find(&mut parent, i)).collect();
    let mut out = PointClusters {
        too_high: clusters.too_high,
        dropped_small: clusters.dropped_small,
        dropped_large: clusters.dropped_large,
        ..PointClusters::default()
    };
    for root in 0..n {
        if roots[root] != root {
            continue;
        }
        let members = (root..n).filter(|&i| roots[i] == root);
        let nearest = members
            .clone()
            .map(|i| extents[i].range[0])
            .fold(f32::MAX, f32::min);
        let min_points = if nearest > limits.far_range {
            limits.min_points_far
        } else {
            limits.min_points
        };
        let (mut lo, mut hi) = ([f32::MAX; 2], [f32::MIN; 2]);
        let (p0, c0) = (out.order.len(), out.cells.len());
        for i in members {
            let span: &ClusterSpan = &clusters.clusters[i];
            for cell in &clusters.cells[span.cells.clone()] {
                let a = out.order.len();
                for &k in &clusters.order[cell.clone()] {
                    let (x, y) = (points.x[k as usize], points.y[k as usize]);
                    lo = [lo[0].min(x), lo[1].min(y)];
                    hi = [hi[0].max(x), hi[1].max(y)];
                    out.order.push(k);
                }
                out.cells.push(a..out.order.len());
            }
        }
        let small = out.order.len() - p0 < min_points;
        if small || (hi[0] - lo[0]).max(hi[1] - lo[1]) > limits.max_extent {
            out.order.truncate(p0);
            out.cells.truncate(c0);
            if small {
                out.dropped_small += 1;
            } else {
                out.dropped_large += 1;
            }
            continue;
        }
        out.clusters.push(ClusterSpan {
            points: p0..out.order.len(),
            cells: c0..out.cells.len(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lidar::clustering::{ClusterConfig, cluster_points};
    use crate::lidar::roi_crop::RoiConfig;

    /// Points of one column per `step` degrees of bearing on the line y = `y`, three heights.
    fn grazing_side(pts: &mut VehiclePoints, y: f32, x0: f32, x1: f32, step_deg: f32) {
        let (b0, b1) = (y.atan2(x1), y.atan2(x0));
        let mut b = b0;
        while b <= b1 {
            let x = y / b.tan();
            for z in [0.4, 0.8, 1.2] {
                pts.push(x, y, z);
            }
            b += step_deg.to_radians();
        }
    }

    fn cluster(pts: &VehiclePoints) -> PointClusters {
        let n = pts.len();
        cluster_points(
            pts,
            &vec![true; n],
            &pts.z.clone(),
            &RoiConfig::default(),
            &ClusterConfig {
                min_points: 1,
                ..ClusterConfig::default()
            },
        )
    }

    #[test]
    fn a_sparsely_sampled_car_side_becomes_one_cluster() {
        let mut pts = VehiclePoints::default();
        // The side of a car in the next lane, 22-27 m ahead, one column per 0.35 deg.
        grazing_side(&mut pts, 2.6, 22.0, 26.5, 0.35);
        let raw = cluster(&pts);
        assert!(raw.clusters.len() >= 4, "{}", raw.clusters.len());
        let merged = merge_fragments(
            raw,
            &pts,
            [0.0, 0.0],
            &ClusterConfig::default(),
            &FragmentConfig::default(),
        );
        assert_eq!(merged.clusters.len(), 1);
        assert_eq!(merged.order.len(), pts.len());
        let mut idx = merged.order.clone();
        idx.sort_unstable();
        assert!(idx.iter().enumerate().all(|(i, &k)| i as u32 == k));
    }

    #[test]
    fn objects_side_by_side_or_one_in_front_of_another_stay_apart() {
        let mut pts = VehiclePoints::default();
        // Two pedestrians 0.7 m apart side by side at 30 m (1.3 deg apart in bearing).
        for y in [0.0f32, 0.9] {
            for k in 0..3 {
                for z in [0.5, 1.0, 1.5] {
                    pts.push(30.0, y + 0.1 * k as f32, z);
                }
            }
        }
        // A pedestrian 1 m in front of a car's rear face at 20 m (overlapping in bearing).
        for k in 0..6 {
            pts.push(19.0, -5.0 + 0.1 * k as f32, 1.0);
        }
        for k in 0..18 {
            pts.push(20.0, -5.8 + 0.1 * k as f32, 1.0);
        }
        let raw = cluster(&pts);
        assert_eq!(raw.clusters.len(), 4);
        let merged = merge_fragments(
            raw.clone(),
            &pts,
            [0.0, 0.0],
            &ClusterConfig::default(),
            &FragmentConfig::default(),
        );
        assert_eq!(merged, raw);
    }

    #[test]
    fn a_chain_of_fragments_stops_at_the_group_limit() {
        let mut pts = VehiclePoints::default();
        // A 14 m wall at a grazing angle: adjacent fragments all the way.
        grazing_side(&mut pts, 4.0, 20.0, 34.0, 0.35);
        let raw = cluster(&pts);
        let merged = merge_fragments(
            raw.clone(),
            &pts,
            [0.0, 0.0],
            &ClusterConfig::default(),
            &FragmentConfig::default(),
        );
        assert!(merged.clusters.len() >= 2 && merged.clusters.len() < raw.clusters.len());
        assert_eq!(merged.order.len(), pts.len());
        for span in &merged.clusters {
            let xs = merged.order[span.points.clone()]
                .iter()
                .map(|&i| pts.x[i as usize]);
            let (lo, hi) = xs.fold((f32::MAX, f32::MIN), |(a, b), x| (a.min(x), b.max(x)));
            assert!(
                hi - lo <= FragmentConfig::default().max_group_extent,
                "{lo}..{hi}"
            );
        }
        // The same chain is one group when the limit allows.
        let whole = merge_fragments(
            raw,
            &pts,
            [0.0, 0.0],
            &ClusterConfig::default(),
            &FragmentConfig {
                max_group_extent: 20.0,
                ..FragmentConfig::default()
            },
        );
        assert_eq!(whole.clusters.len(), 1);
    }

    #[test]
    fn two_returns_make_a_cluster_only_beyond_the_far_range() {
        let mut pts = VehiclePoints::default();
        // Two rings on a pedestrian at 38 m; the same two returns at 20 m are noise.
        for x in [38.0f32, 20.0] {
            pts.push(x, -3.0, 0.4);
            pts.push(x, -3.0, 1.4);
        }
        let merged = merge_fragments(
            cluster(&pts),
            &pts,
            [0.0, 0.0],
            &ClusterConfig::default(),
            &FragmentConfig::default(),
        );
        assert_eq!(merged.clusters.len(), 1);
        assert_eq!(merged.order, vec![0, 1]);
        assert_eq!(merged.dropped_small, 1);
    }
}
