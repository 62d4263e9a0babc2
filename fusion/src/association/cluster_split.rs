//! Dividing a LiDAR cluster among the objects the cameras name in it.
//!
//! A cluster claimed by one object that fits the object's class, or whose points are mostly
//! that object's members, stays whole. Otherwise — two cars parked side by side under one
//! cluster, a pedestrian merged with the wall behind — each point goes to the object whose
//! claims have it as a member (in the box, at the object's depth); a point that is a member of
//! several objects goes to the nearest anchor; a point of none joins the nearest anchor within
//! that object's reach (the part of a car its box cut off), or else is **remainder** (the
//! wall, an unseen car), left for the caller to cluster again as objects without a class.

use super::camera_claims::Claim;

/// One object in a cluster: the claims that name it and its points.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterObject {
    /// Indices of its claims (into the caller's claim list).
    pub claims: Vec<usize>,
    /// Its points (obstacle point indices, increasing).
    pub points: Vec<u32>,
}

/// How one cluster was divided.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterParts {
    /// The objects, in the order of their first claim.
    pub objects: Vec<ClusterObject>,
    /// Points of no object (increasing).
    pub remainder: Vec<u32>,
    /// True when the cluster went whole to its single object.
    pub whole: bool,
}

/// How [`split_cluster`] decides.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SplitRule {
    /// The cluster's footprint fits the class of a single object.
    pub fits: bool,
    /// A single object whose members are at least this share of the cluster takes it whole.
    pub whole_share: f32,
    /// Objects left with fewer points give them to the remainder and are dropped.
    pub min_points: usize,
}

/// Divides `cluster_points` (obstacle point indices, increasing) among `objects` (each a list
/// of indices into `claims`, all claims on this cluster; `reach[o]` is how far, metres, a
/// point of no object's members may lie from object `o`'s nearest anchor to join it);
/// `position` gives a point's ground position (vehicle frame x/y).
pub fn split_cluster(
    cluster_points: &[u32],
    claims: &[Claim],
    objects: &[Vec<usize>],
    reach: &[f32],
    rule: SplitRule,
    position: impl Fn(u32) -> [f32; 2],
) -> ClusterParts {
    let single_share = || {
        let n: usize = objects[0]
            .iter()
            .map(|&c| claims[c].members.len())
            .max()
            .unwrap_or(0);
        n as f32 >= rule.whole_share * cluster_points.len() as f32
    };
    if objects.len() == 1 && (rule.fits || single_share()) {
        return ClusterParts {
            objects: vec![ClusterObject {
                claims: objects[0].clone(),
                points: cluster_points.to_vec(),
            }],
            remainder: Vec::new(),
            whole: true,
        };
    }
    let mut assigned: Vec<Vec<u32>> = vec![Vec::new(); objects.len()];
    let mut remainder = Vec::new();
    let mut candidates = Vec::with_capacity(objects.len());
    // Squared distance from a point to object `o`'s nearest anchor.
    let anchor_distance = |o: usize, p: [f32; 2]| {
        objects[o]
            .iter()
            .map(|&c| {
                let a = claims[c].anchor;
                (a[0] - p[0]).powi(2) + (a[1] - p[1]).powi(2)
            })
            .fold(f32::MAX, f32::min)
    };
    let nearest = |among: &mut dyn Iterator<Item = usize>, p: [f32; 2]| {
        among
            .map(|o| (anchor_distance(o, p), o))
            .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)))
    };
    for &i in cluster_points {
        candidates.clear();
        for (o, members) in objects.iter().enumerate() {
            if members
                .iter()
                .any(|&c| claims[c].members.binary_search(&i).is_ok())
            {
                candidates.push(o);
            }
        }
        let p = position(i);
        let chosen = match candidates.as_slice() {
            [] => nearest(&mut (0..objects.len()), p)
                .filter(|&(d2, o)| d2 <= reach[o] * reach[o])
                .map(|(_, o)| o),
            [o] => Some(*o),
            many => nearest(&mut many.iter().copied(), p).map(|(_, o)| o),
        };
        match chosen {
            Some(o) => assigned[o].push(i),
            None => remainder.push(i),
        }
    }
    let mut out = Vec::new();
    for (claims_of, points) in objects.iter().zip(assigned) {
        if points.len() >= rule.min_points.max(1) {
            out.push(ClusterObject {
                claims: claims_of.clone(),
                points,
            });
        } else {
            remainder.extend(points);
        }
    }
    remainder.sort_unstable();
    ClusterParts {
        objects: out,
        remainder,
        whole: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claim(detection: usize, anchor: [f32; 2], members: Vec<u32>) -> Claim {
        Claim {
            detection,
            cluster: 0,
            front: 10.0,
            anchor,
            members,
        }
    }

    #[test]
    fn two_cars_under_one_cluster_are_divided_and_the_rest_is_remainder() {
        // Points 0..10 on car A (x = 10), 10..20 on car B (x = 12.5), 20..25 on a bush.
        let xs: Vec<f32> = (0..25)
            .map(|i| {
                if i < 10 {
                    10.0
                } else if i < 20 {
                    12.5
                } else {
                    20.0
                }
            })
            .collect();
        let pts: Vec<u32> = (0..25).collect();
        // Box of A also covers the near part of B (points 10..13).
        let claims = vec![
            claim(0, [10.0, 0.0], (0..13).collect()),
            claim(1, [12.5, 0.0], (10..20).collect()),
        ];
        let rule = SplitRule {
            fits: false,
            whole_share: 0.6,
            min_points: 3,
        };
        let parts = split_cluster(&pts, &claims, &[vec![0], vec![1]], &[1.0, 1.0], rule, |i| {
            [xs[i as usize], 0.0]
        });
        assert!(!parts.whole);
        assert_eq!(parts.objects.len(), 2);
        assert_eq!(parts.objects[0].points, (0..10).collect::<Vec<u32>>());
        assert_eq!(parts.objects[1].points, (10..20).collect::<Vec<u32>>());
        assert_eq!(parts.remainder, (20..25).collect::<Vec<u32>>());
    }

    #[test]
    fn a_fitting_single_object_takes_the_whole_cluster_and_tiny_objects_are_dropped() {
        let pts: Vec<u32> = (0..8).collect();
        let claims = vec![claim(0, [0.0, 0.0], vec![0, 1])];
        let mut rule = SplitRule {
            fits: true,
            whole_share: 0.6,
            min_points: 3,
        };
        let far = |_| [5.0, 0.0];
        let whole = split_cluster(&pts, &claims, &[vec![0]], &[1.0], rule, far);
        assert!(whole.whole && whole.objects[0].points == pts && whole.remainder.is_empty());
        rule.fits = false;
        let carved = split_cluster(&pts, &claims, &[vec![0]], &[1.0], rule, far);
        assert!(carved.objects.is_empty());
        assert_eq!(carved.remainder, pts);
        // Points near the anchor join the object even outside its members.
        let near = split_cluster(&pts, &claims, &[vec![0]], &[1.0], rule, |_| [0.5, 0.0]);
        assert_eq!(near.objects[0].points, pts);
        // Most of the cluster in the members: whole, whatever the size.
        let most = vec![claim(0, [0.0, 0.0], (0..5).collect())];
        assert!(split_cluster(&pts, &most, &[vec![0]], &[0.0], rule, far).whole);
    }
}
