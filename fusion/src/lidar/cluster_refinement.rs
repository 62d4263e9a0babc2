//! Splitting clusters larger than one road user by clustering them again on a finer grid
//! (applied by the association to clusters no camera detection explains: a camera's boxes
//! divide the clusters they see more reliably than gaps in the points do).
//!
//! The clustering grid (0.3 m cells, 8-neighbourhood) joins points up to about 0.85 m apart,
//! so objects parked or standing closer than that — a row of parked cars, a small
//! construction vehicle touching a car, two pedestrians side by side — become one cluster. A
//! cluster whose oriented footprint is longer or wider than `max_length` x `max_width` (more
//! than one road user fits) is clustered again with `cell_size` cells, which separates gaps
//! of two fine cells (0.3 m at 0.15 m cells). Parts with fewer than `min_part_points` points
//! (single returns between two cars, a mirror) join the nearest substantial part; when only
//! one substantial part remains the cluster is kept as it was.
//!
//! Low clutter can bridge a gap: a traffic cone between a parked car and the van behind it, a
//! kerb stone, the wheels of two bumper-to-bumper cars. When all points show no gap, the
//! cluster is clustered again from its **body** alone — the points at least
//! `body_min_height` above the ground — and each lower point joins the part of the body cell
//! nearest to it (within about a metre; farther, the part with the nearest centroid). Solid
//! long objects (a bus, a truck) have no gaps in either and stay whole; what to do with a
//! cluster still larger than any road user is decided later, with the camera's help
//! (association).

use super::clustering::{ClusterConfig, components};
use super::roi_crop::VehiclePoints;
use crate::FusionError;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

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
    /// Points lower than this above the ground do not connect parts when no gap shows
    /// among all points (module docs), metres; 0 turns that second attempt off. Default
    /// 0.8.
    pub body_min_height: f32,
}

impl Default for RefineConfig {
    fn default() -> Self {
        Self {
            max_length: 6.0,
            max_width: 2.8,
            cell_size: 0.15,
            min_part_points: 8,
            body_min_height: 0.8,
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
        if !(self.body_min_height.is_finite() && self.body_min_height >= 0.0) {
            return Err(FusionError::InvalidConfig {
                field: "lidar.refine.body_min_height",
                value: self.body_min_height as f64,
                reason: "must be zero or positive and finite",
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

/// Splits the parts of one cluster's points (`members`, indices into `points`): the finer
/// clustering's parts (each listing its points cell by cell), small parts folded into the
/// substantial one with the nearest centroid. `None` when fewer than two substantial parts
/// exist.
fn split_members(
    members: &[u32],
    points: &VehiclePoints,
    config: &RefineConfig,
) -> Option<Vec<Vec<u32>>> {
    let (mut big, small): (Vec<Vec<u32>>, Vec<Vec<u32>>) =
        components(members, points, config.cell_size)
            .into_iter()
            .map(|p| p.into_iter().flatten().collect())
            .partition(|p: &Vec<u32>| p.len() >= config.min_part_points);
    if big.len() < 2 {
        return None;
    }
    let centres: Vec<[f32; 2]> = big.iter().map(|p| centroid(p, points)).collect();
    for part in small {
        let nearest = nearest_centre(&centres, centroid(&part, points));
        big[nearest].extend(part);
    }
    Some(big)
}

/// Body cells searched around a low point: rings of cells up to this many cells away (about
/// 1 m at 0.15 m cells); a low point with no body cell that near joins the nearest part's
/// centroid.
const LOW_POINT_RINGS: i32 = 7;

/// The part owning the body cell nearest to `c` (cell-centre distance; ties: the first in scan
/// order), searching rings of cells outwards until no farther ring can hold a nearer cell.
fn nearest_owner(c: (i32, i32), owner: &HashMap<(i32, i32), usize>) -> Option<usize> {
    let mut best: Option<(i32, usize)> = None;
    for r in 0..=LOW_POINT_RINGS {
        // A cell in ring r lies at least r cells away: stop once that exceeds the best found.
        if best.is_some_and(|(d2, _)| r * r > d2) {
            break;
        }
        for dx in -r..=r {
            for dy in -r..=r {
                if dx.abs().max(dy.abs()) != r {
                    continue;
                }
                if let Some(&k) = owner.get(&(c.0 + dx, c.1 + dy)) {
                    let d2 = dx * dx + dy * dy;
                    if best.is_none_or(|(b, _)| d2 < b) {
                        best = Some((d2, k));
                    }
                }
            }
        }
    }
    best.map(|(_, k)| k)
}

/// Mean ground position of `part`'s points.
fn centroid(part: &[u32], points: &VehiclePoints) -> [f32; 2] {
    let n = part.len().max(1) as f32;
    let (sx, sy) = part.iter().fold((0.0f32, 0.0f32), |(a, b), &i| {
        (a + points.x[i as usize], b + points.y[i as usize])
    });
    [sx / n, sy / n]
}

/// Index of the centre of `centres` nearest to `p` (the first on ties).
fn nearest_centre(centres: &[[f32; 2]], p: [f32; 2]) -> usize {
    centres
        .iter()
        .enumerate()
        .min_by(|a, b| {
            let d = |q: &[f32; 2]| (q[0] - p[0]).powi(2) + (q[1] - p[1]).powi(2);
            d(a.1).total_cmp(&d(b.1))
        })
        .map_or(0, |(i, _)| i)
}

/// The parts of the body of a cluster (its points at least `config.body_min_height` above
/// `ground_z`), each lower point joined to the part of the nearest body cell; `None` when
/// the body shows fewer than two substantial parts either.
fn split_body(
    members: &[u32],
    ground_z: f32,
    points: &VehiclePoints,
    config: &RefineConfig,
) -> Option<Vec<Vec<u32>>> {
    let (body, low): (Vec<u32>, Vec<u32>) = members
        .iter()
        .partition(|&&i| points.z[i as usize] - ground_z >= config.body_min_height);
    let mut parts = split_members(&body, points, config)?;
    // The part of each body cell (a grid of the refinement's cell size; a cell holding points
    // of two parts, possible where parts nearly touch, keeps the later part).
    let cell = config.cell_size;
    let cell_of = |i: u32| {
        let i = i as usize;
        (
            (points.x[i] / cell).floor() as i32,
            (points.y[i] / cell).floor() as i32,
        )
    };
    let mut owner: HashMap<(i32, i32), usize> = HashMap::new();
    for (k, p) in parts.iter().enumerate() {
        for &i in p {
            owner.insert(cell_of(i), k);
        }
    }
    let centres: Vec<[f32; 2]> = parts.iter().map(|p| centroid(p, points)).collect();
    for i in low {
        let nearest = nearest_owner(cell_of(i), &owner).unwrap_or_else(|| {
            nearest_centre(&centres, [points.x[i as usize], points.y[i as usize]])
        });
        parts[nearest].push(i);
    }
    for p in &mut parts {
        p.sort_unstable();
    }
    Some(parts)
}

/// The parts of a cluster with footprint `length` x `width` (metres), points `members`
/// (indices into `points`) and ground height `ground_z` under it, each part a list of point
/// indices: `None` when the cluster is within `config`'s limits or no gap divides it, neither
/// among all its points nor in its body (module docs).
pub fn refine_cluster(
    members: &[u32],
    length: f64,
    width: f64,
    ground_z: f32,
    points: &VehiclePoints,
    config: &RefineConfig,
) -> Option<Vec<Vec<u32>>> {
    if length <= config.max_length as f64 && width <= config.max_width as f64 {
        return None;
    }
    match split_members(members, points, config) {
        Some(parts) => Some(parts),
        None if config.body_min_height > 0.0 => split_body(members, ground_z, points, config),
        None => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lidar::clustering::tests::box_outline;
    use crate::lidar::clustering::{PointClusters, cluster_points};
    use crate::lidar::roi_crop::RoiConfig;

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

    fn all(c: &PointClusters) -> Vec<u32> {
        c.order.clone()
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
        let parts = refine_cluster(&all(&raw), 4.5, 3.95, 0.0, &pts, &RefineConfig::default())
            .expect("split");
        assert_eq!(parts.len(), 2);
        for part in &parts {
            assert_eq!(part.len(), first);
            let left = (part[0] as usize) < first;
            assert!(part.iter().all(|&i| ((i as usize) < first) == left));
        }
        // Within the limits nothing is tried.
        assert!(
            refine_cluster(&all(&raw), 4.5, 2.0, 0.0, &pts, &RefineConfig::default()).is_none()
        );
    }

    #[test]
    fn a_bus_stays_whole() {
        let mut pts = VehiclePoints::default();
        box_outline(&mut pts, 10.0, 0.0, 12.0, 2.5); // long but solid
        let raw = clustered(&pts);
        assert!(
            refine_cluster(&all(&raw), 12.0, 2.5, 0.0, &pts, &RefineConfig::default()).is_none()
        );
    }

    #[test]
    fn a_stray_return_between_two_cars_joins_one_of_them() {
        let mut pts = VehiclePoints::default();
        box_outline(&mut pts, 10.0, 0.0, 4.5, 1.8);
        box_outline(&mut pts, 15.0, 0.0, 4.5, 1.8); // 0.5 m behind the first, in a row
        pts.push(14.75, 0.9, 0.8); // a lone return in the gap
        let n = pts.len();
        let parts = refine_cluster(
            &all(&clustered(&pts)),
            9.5,
            1.8,
            0.0,
            &pts,
            &RefineConfig::default(),
        )
        .expect("split");
        assert_eq!(parts.len(), 2);
        assert_eq!(parts.iter().map(Vec::len).sum::<usize>(), n);
    }

    #[test]
    fn a_low_cone_bridging_two_cars_does_not_join_them() {
        let mut pts = VehiclePoints::default();
        box_outline(&mut pts, 10.0, 0.0, 4.5, 1.8);
        let first = pts.len();
        box_outline(&mut pts, 14.85, 0.0, 4.5, 1.8); // 0.35 m behind the first
        let second = pts.len();
        // A 0.6-m cone filling the gap at the cars' side, rings of returns every 0.05 m.
        for k in 0..8 {
            for z in [0.1, 0.3, 0.5] {
                pts.push(14.5 + 0.05 * k as f32, 1.6, z);
            }
        }
        let n = pts.len();
        let members = all(&clustered(&pts));
        let config = RefineConfig::default();
        // Every point together: the cone bridges the gap at 0.15 m cells.
        let no_body = RefineConfig {
            body_min_height: 0.0,
            ..config
        };
        assert!(refine_cluster(&members, 9.35, 1.8, 0.0, &pts, &no_body).is_none());
        // The body (points from 0.8 m up) shows the gap; the cone joins the car its returns
        // lie nearest to, every point is kept, and each car keeps all of its own.
        let parts = refine_cluster(&members, 9.35, 1.8, 0.0, &pts, &config).expect("split");
        assert_eq!(parts.len(), 2);
        assert_eq!(parts.iter().map(Vec::len).sum::<usize>(), n);
        let car = |i: u32| match i as usize {
            i if i < first => Some(0),
            i if i < second => Some(1),
            _ => None,
        };
        for part in &parts {
            let cars: Vec<usize> = part.iter().filter_map(|&i| car(i)).collect();
            assert!(cars.iter().all(|&c| c == cars[0]), "a part mixes two cars");
        }
        // On a raised ground the same body lies below 0.8 m: nothing to split.
        assert!(refine_cluster(&members, 9.35, 1.8, 0.5, &pts, &config).is_none());
    }

    #[test]
    fn validation_names_the_field() {
        let bad = RefineConfig {
            cell_size: 0.3,
            ..RefineConfig::default()
        };
        let e = bad.validate(&ClusterConfig::default()).unwrap_err();
        assert!(e.to_string().contains("lidar.refine.cell_size"), "{e}");
        let bad = RefineConfig {
            body_min_height: f32::NAN,
            ..RefineConfig::default()
        };
        let e = bad.validate(&ClusterConfig::default()).unwrap_err();
        assert!(
            e.to_string().contains("lidar.refine.body_min_height"),
            "{e}"
        );
    }
}
