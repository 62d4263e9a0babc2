//! LiDAR clusters as objects, named and kept apart by the cameras.
//!
//! Every detection of every camera claims the cluster it looks at ([`camera_claims`]); claims
//! on one cluster that see the same object are grouped; the cluster is then divided among its
//! objects ([`cluster_split`]) — whole when one object of a fitting size claims it — and each
//! object gets its class (a rider with a two-wheeler is the two-wheeler), a box fitted to its
//! points and completed to the class's size. Points no camera explains become objects named by
//! the LiDAR shape classifier, when one is loaded and confident, else of class `unknown`, as do
//! unclaimed clusters — split where their points have gaps when larger than
//! one road user ([`refine_cluster`]); those larger than any road user (the `unknown` prior's
//! largest footprint: a building, a hedge) are rejected.
//!
//! [`camera_claims`]: super::camera_claims
//! [`cluster_split`]: super::cluster_split

use super::AssociationConfig;
use super::AssociationStats;
use super::camera_claims::{Claim, NO_CLUSTER, claim, rider_pair, same_object};
use super::camera_points::ProjectedPoints;
use super::class_priors::ClassPrior;
use super::cluster_split::{SplitRule, split_cluster};
use super::confidence::{combine, isotropic, lidar_existence};
use super::shape_completion::complete_shape;
use crate::camera::CameraDetection;
use crate::lidar::box_fitting::fit_point_set;
use crate::lidar::cluster_refinement::refine_cluster;
use crate::lidar::clustering::components;
use crate::lidar::roi_crop::VehiclePoints;
use crate::lidar::shape_classifier::ShapeClassifier;
use crate::lidar::shape_features::ShapeFeatures;
use crate::lidar::{LidarConfig, LidarDetections};
use crate::{DetectedObject, SensorSources};
use kestrel_sensors::{ObjectClass, OrientedBox3};
use nalgebra::Vector2;
use std::collections::BTreeMap;

/// The class and confidence of an object named by `dets`: the best-scoring detection's, except
/// that a pedestrian together with a bicycle or motorcycle is that two-wheeler (its rider).
pub fn object_class(dets: &[&CameraDetection]) -> (ObjectClass, f32) {
    // The highest score among `dets` passing `keep` (ties: the earlier detection).
    let best = |keep: &dyn Fn(ObjectClass) -> bool| {
        dets.iter().copied().filter(|d| keep(d.class)).fold(
            None::<&CameraDetection>,
            |b, d| match b {
                Some(b) if b.score >= d.score => Some(b),
                _ => Some(d),
            },
        )
    };
    let two_wheeler = best(&|c| matches!(c, ObjectClass::Bicycle | ObjectClass::Motorcycle));
    let person = best(&|c| c == ObjectClass::Pedestrian);
    match (two_wheeler, person) {
        (Some(t), Some(p)) if rider_pair(t.class, p.class) => (t.class, t.score.max(p.score)),
        _ => best(&|_| true).map_or((ObjectClass::Unknown, 0.0), |d| (d.class, d.score)),
    }
}

/// The class of an object named `named` by the detections `dets` of its group, checked against
/// its body's larger horizontal extent `extent` (metres): a vehicle class on a body shorter
/// than `vehicle_min_extent` gives way to the group's pedestrian or two-wheeler detections
/// ([`object_class`] of those), when there are any, else to `unknown`: the camera's box and the
/// LiDAR's body disagree, and growing the body to a car's length would move the object metres
/// away from what the LiDAR saw (and a car vote would keep a cyclist's track a car).
pub fn plausible_class(
    named: (ObjectClass, f32),
    dets: &[&CameraDetection],
    extent: f64,
    vehicle_min_extent: f64,
) -> (ObjectClass, f32) {
    let vehicle = |c: ObjectClass| {
        matches!(
            c,
            ObjectClass::Car | ObjectClass::Truck | ObjectClass::Bus | ObjectClass::Trailer
        )
    };
    if !vehicle(named.0) || extent >= vehicle_min_extent {
        return named;
    }
    let small: Vec<&CameraDetection> = dets
        .iter()
        .copied()
        .filter(|d| !vehicle(d.class) && d.class != ObjectClass::Unknown)
        .collect();
    if small.is_empty() {
        (ObjectClass::Unknown, 0.0)
    } else {
        object_class(&small)
    }
}

/// What [`lidar_objects`] produced.
#[derive(Debug, Clone, PartialEq)]
pub struct LidarObjects {
    /// Objects in cluster order (within a cluster: named objects, then unexplained parts).
    pub objects: Vec<DetectedObject>,
    /// Per detection: it named one of the objects.
    pub used: Vec<bool>,
}

fn find(parent: &mut [usize], mut i: usize) -> usize {
    while parent[i] != i {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    i
}

/// What names LiDAR objects: the cameras' detections, and the shape classifier for the
/// objects no detection named.
#[derive(Debug, Clone, Copy)]
pub struct Namers<'a> {
    /// Camera detections of every camera.
    pub detections: &'a [CameraDetection],
    /// Per camera, the obstacle points it sees.
    pub projected: &'a BTreeMap<&'a str, ProjectedPoints>,
    /// The LiDAR shape classifier, if one is loaded.
    pub shapes: Option<&'a ShapeClassifier>,
}

/// Builds the objects of the LiDAR clusters of `lidar`, named by `namers` (each detection
/// seen in the camera whose visible points are `projected[camera]`, else the shape
/// classifier); `lidar_origin` is the LiDAR's position (vehicle frame x/y), from which shapes
/// are completed.
pub fn lidar_objects(
    lidar: &LidarDetections,
    namers: Namers<'_>,
    lidar_origin: Vector2<f64>,
    lidar_config: &LidarConfig,
    config: &AssociationConfig,
    stats: &mut AssociationStats,
) -> LidarObjects {
    let Namers {
        detections,
        projected,
        shapes,
    } = namers;
    let points = &lidar.obstacle_points;
    let priors = &config.class_priors;
    let mut owner = vec![NO_CLUSTER; points.len()];
    for (ci, c) in lidar.clusters.iter().enumerate() {
        for k in c.points.clone() {
            owner[k] = ci as u32;
        }
    }
    let claims: Vec<Claim> = detections
        .iter()
        .enumerate()
        .filter_map(|(di, d)| {
            let p = projected.get(d.camera.as_str())?;
            claim(
                di,
                d,
                p,
                &owner,
                points,
                priors.get(d.class),
                &config.claims,
            )
        })
        .collect();
    let mut by_cluster: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (k, c) in claims.iter().enumerate() {
        by_cluster.entry(c.cluster).or_default().push(k);
    }
    let cell = lidar_config.cluster.cell_size;
    let min_points = lidar_config.cluster.min_points;
    let ground_at = |b: &[u32]| {
        let n = b.len().max(1) as f32;
        let (sx, sy) = b.iter().fold((0.0f32, 0.0f32), |(a, c), &i| {
            (a + points.x[i as usize], c + points.y[i as usize])
        });
        lidar.ground.height_at(sx / n, sy / n).unwrap_or(0.0)
    };
    let mut used = vec![false; detections.len()];
    let mut objects = Vec::new();
    let unknown = priors.get(ObjectClass::Unknown);
    // An object no camera named (its points `part`, the ground at `ground` under them): the
    // shape classifier may name it.
    let push_unknown = |objects: &mut Vec<DetectedObject>,
                        stats: &mut AssociationStats,
                        bbox: OrientedBox3,
                        part: &[u32],
                        ground: f32| {
        if unknown.fits(bbox.length.max(bbox.width), bbox.length.min(bbox.width)) {
            let shape = ShapeFeatures::of(part, points, &bbox, ground);
            let mut object = lidar_object(bbox, part.len(), None, Some(shape));
            if let Some(classifier) = shapes {
                // Named, or judged nothing to name: a vote for `unknown` in the tracker.
                let verdict = classifier.verdict(&shape);
                (object.class, object.class_confidence) = match verdict.named {
                    Some(named) => {
                        stats.shape_named += 1;
                        named
                    }
                    None => (
                        ObjectClass::Unknown,
                        config.shape_unknown_vote * verdict.unknown,
                    ),
                };
            }
            objects.push(object);
        } else {
            stats.rejected_oversize += 1;
        }
    };
    for (ci, cluster) in lidar.clusters.iter().enumerate() {
        let Some(on_cluster) = by_cluster.get(&ci) else {
            // No camera explains it: split it where its points have gaps, if it is larger
            // than one road user.
            let members: Vec<u32> = cluster.points.clone().map(|k| k as u32).collect();
            let b = &cluster.bbox;
            let ground = ground_at(&members);
            match refine_cluster(
                &members,
                b.length,
                b.width,
                ground,
                points,
                &lidar_config.refine,
            ) {
                Some(parts) => {
                    stats.clusters_refined += 1;
                    for part in parts {
                        let ground = ground_at(&part);
                        let bbox =
                            fit_point_set(&part, points, ground, cell, &lidar_config.box_fit);
                        push_unknown(&mut objects, stats, bbox, &part, ground);
                    }
                }
                None => push_unknown(&mut objects, stats, cluster.bbox, &members, ground),
            }
            continue;
        };
        // Group the claims that see the same object (union-find, lower index as root).
        let mut parent: Vec<usize> = (0..on_cluster.len()).collect();
        for a in 0..on_cluster.len() {
            for b in a + 1..on_cluster.len() {
                let (ca, cb) = (&claims[on_cluster[a]], &claims[on_cluster[b]]);
                let (ka, kb) = (
                    detections[ca.detection].class,
                    detections[cb.detection].class,
                );
                if same_object(
                    ca,
                    (ka, priors.get(ka)),
                    cb,
                    (kb, priors.get(kb)),
                    &config.claims,
                ) {
                    let (ra, rb) = (find(&mut parent, a), find(&mut parent, b));
                    parent[ra.max(rb)] = ra.min(rb);
                }
            }
        }
        let mut groups: Vec<Vec<usize>> = Vec::new();
        let mut root_group: BTreeMap<usize, usize> = BTreeMap::new();
        for (a, &claim_index) in on_cluster.iter().enumerate() {
            let r = find(&mut parent, a);
            let g = *root_group.entry(r).or_insert_with(|| {
                groups.push(Vec::new());
                groups.len() - 1
            });
            groups[g].push(claim_index);
        }
        let classes: Vec<(ObjectClass, f32)> = groups
            .iter()
            .map(|g| {
                let dets: Vec<&CameraDetection> = g
                    .iter()
                    .map(|&k| &detections[claims[k].detection])
                    .collect();
                object_class(&dets)
            })
            .collect();
        let b = &cluster.bbox;
        let m = config.claims.fit_margin;
        let fits = groups.len() == 1 && priors.get(classes[0].0).fits(b.length - m, b.width - m);
        let reach: Vec<f32> = classes
            .iter()
            .map(|(c, _)| {
                (config.claims.grow_length_ratio as f64 * priors.get(*c).length + 0.3) as f32
            })
            .collect();
        let cluster_points: Vec<u32> = cluster.points.clone().map(|k| k as u32).collect();
        let parts = split_cluster(
            &cluster_points,
            &claims,
            &groups,
            &reach,
            SplitRule {
                fits,
                whole_share: config.claims.whole_share,
                min_points,
            },
            |i| [points.x[i as usize], points.y[i as usize]],
        );
        if !parts.whole {
            stats.clusters_split += 1;
        }
        let mut remainder = parts.remainder;
        for object in &parts.objects {
            let g = groups
                .iter()
                .position(|g| *g == object.claims)
                .unwrap_or_default();
            let named = classes[g];
            // Small parts separated from the object's body by a gap (a cone by a car) are
            // not the object.
            let (body, trimmed) = trim_detached(
                &object.points,
                points,
                lidar_config.refine.cell_size,
                config.claims.detached_share,
            );
            remainder.extend(trimmed.iter().copied());
            let ground = ground_at(&body);
            let bbox = if parts.whole && trimmed.is_empty() {
                cluster.bbox
            } else {
                fit_point_set(&body, points, ground, cell, &lidar_config.box_fit)
            };
            for &k in &object.claims {
                used[claims[k].detection] = true;
                stats.camera_matched += 1;
            }
            let dets: Vec<&CameraDetection> = object
                .claims
                .iter()
                .map(|&k| &detections[claims[k].detection])
                .collect();
            let (class, score) = plausible_class(
                named,
                &dets,
                bbox.length.max(bbox.width),
                config.claims.vehicle_min_extent,
            );
            let prior: &ClassPrior = priors.get(class);
            let completed = complete_shape(
                &bbox,
                prior,
                &lidar_origin,
                config.claims.two_faces_width_ratio,
            );
            objects.push(lidar_object(
                completed,
                body.len(),
                Some((class, score)),
                None,
            ));
        }
        remainder.sort_unstable();
        for part in components(&remainder, points, cell) {
            let part: Vec<u32> = part.into_iter().flatten().collect();
            if part.len() < min_points {
                continue;
            }
            let ground = ground_at(&part);
            let bbox = fit_point_set(&part, points, ground, cell, &lidar_config.box_fit);
            push_unknown(&mut objects, stats, bbox, &part, ground);
        }
    }
    LidarObjects { objects, used }
}

/// Splits an object's points (`members`, indices into `points`) into its body and detached
/// parts: connected components on a grid of `cell` cells, those with fewer than `share` of the
/// largest component's points being detached. Returns (body, detached), each increasing.
pub fn trim_detached(
    members: &[u32],
    points: &VehiclePoints,
    cell: f32,
    share: f32,
) -> (Vec<u32>, Vec<u32>) {
    let parts: Vec<Vec<u32>> = components(members, points, cell)
        .into_iter()
        .map(|p| p.into_iter().flatten().collect())
        .collect();
    let largest = parts.iter().map(Vec::len).max().unwrap_or(0);
    let (mut body, mut detached) = (Vec::new(), Vec::new());
    for p in parts {
        if p.len() as f32 >= share * largest as f32 {
            body.extend(p);
        } else {
            detached.extend(p);
        }
    }
    body.sort_unstable();
    detached.sort_unstable();
    (body, detached)
}

/// A LiDAR object with `n` points, named `(class, score)` by the cameras or not; `shape`: its
/// shape descriptors, when the shape classifier judged it.
fn lidar_object(
    bbox: OrientedBox3,
    n: usize,
    named: Option<(ObjectClass, f32)>,
    shape: Option<ShapeFeatures>,
) -> DetectedObject {
    let range = bbox.center.coords.xy().norm();
    let (class, score) = named.unwrap_or((ObjectClass::Unknown, 0.0));
    DetectedObject {
        lidar_shape: shape,
        bbox,
        class,
        class_confidence: score,
        existence_confidence: if named.is_some() {
            combine(&[lidar_existence(n), score])
        } else {
            lidar_existence(n)
        },
        position_covariance: isotropic(0.15 + 0.01 * range),
        velocity: None,
        velocity_covariance: None,
        sources: SensorSources {
            lidar: true,
            camera: named.is_some(),
            radar: false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kestrel_sensors::Timestamp;

    fn det(class: ObjectClass, score: f32) -> CameraDetection {
        CameraDetection {
            camera: "cam".into(),
            stamp: Timestamp(0),
            bbox: [0.0; 4],
            class,
            score,
        }
    }

    #[test]
    fn a_rider_and_a_bicycle_make_a_cyclist() {
        let (p, b, c) = (
            det(ObjectClass::Pedestrian, 0.9),
            det(ObjectClass::Bicycle, 0.5),
            det(ObjectClass::Car, 0.6),
        );
        assert_eq!(object_class(&[&p, &b]), (ObjectClass::Bicycle, 0.9));
        assert_eq!(object_class(&[&c, &p]), (ObjectClass::Pedestrian, 0.9));
        assert_eq!(object_class(&[&b, &c]), (ObjectClass::Car, 0.6));
        assert_eq!(object_class(&[]), (ObjectClass::Unknown, 0.0));
    }

    #[test]
    fn a_body_too_short_for_a_vehicle_takes_the_person_detection() {
        let (car, p, b) = (
            det(ObjectClass::Car, 0.42),
            det(ObjectClass::Pedestrian, 0.29),
            det(ObjectClass::Bicycle, 0.2),
        );
        let named = object_class(&[&car, &p]);
        assert_eq!(named, (ObjectClass::Car, 0.42));
        // A 0.7 m body (a person boxed as a car too) is the person...
        assert_eq!(
            plausible_class(named, &[&car, &p], 0.7, 1.2),
            (ObjectClass::Pedestrian, 0.29)
        );
        // ... with a bicycle, the cyclist.
        assert_eq!(
            plausible_class(named, &[&car, &p, &b], 0.7, 1.2).0,
            ObjectClass::Bicycle
        );
        // A car-sized body stays a car; without a small-class detection the short body is
        // not named; a zero threshold turns the check off.
        assert_eq!(plausible_class(named, &[&car, &p], 3.9, 1.2), named);
        assert_eq!(
            plausible_class(named, &[&car], 0.7, 1.2),
            (ObjectClass::Unknown, 0.0)
        );
        assert_eq!(plausible_class(named, &[&car, &p], 0.7, 0.0), named);
    }
}
