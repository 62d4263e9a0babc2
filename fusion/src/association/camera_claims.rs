//! Which LiDAR points a camera detection is looking at.
//!
//! A 2D box covers the object and whatever lies behind it (and sometimes a thin occluder in
//! front). The detection **claims** one cluster: of the clusters with points in the box's
//! central part (the **core**), the nearest whose share of core points is at least `dominance`
//! of the largest share (a pedestrian in front of a car wins over the car; a pole in front of
//! a car does not). Within that cluster the object's **front** is the `front_quantile` of the
//! core points' depths, its **anchor** the median ground position of the core points within
//! `front_window` of the front (on a pedestrian standing by a wall: the pedestrian, not the
//! wall behind it), and its **members** the cluster points inside the whole box whose depth
//! lies between just before the front and the class's typical extent behind it.
//!
//! Two claims on one cluster are the same object (one car in two cameras, a rider and a
//! bicycle) when their anchors are close for the class, or when their members overlap and the
//! anchors are within a class length.

use super::camera_points::ProjectedPoints;
use super::class_priors::ClassPrior;
use crate::FusionError;
use crate::camera::CameraDetection;
use crate::lidar::roi_crop::VehiclePoints;
use kestrel_sensors::ObjectClass;
use serde::{Deserialize, Serialize};

/// Marks an obstacle point that belongs to no cluster.
pub const NO_CLUSTER: u32 = u32::MAX;

/// Parameters of the claims (pixels as fractions of the box, metres).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClaimConfig {
    /// Width of the box's core (centred), as a fraction of the box width. Default 0.5.
    pub core_width: f32,
    /// Height of the core (centred), as a fraction of the box height. Default 0.8.
    pub core_height: f32,
    /// Fewest core points a cluster needs to be claimed. Default 3.
    pub min_points: usize,
    /// A nearer cluster wins when it has at least this fraction of the most core points of
    /// any cluster in the box. Default 0.25.
    pub dominance: f32,
    /// Quantile of the claimed cluster's core depths taken as the object's front. Default 0.1.
    pub front_quantile: f32,
    /// Core points within this depth of the front place the anchor, metres. Default 0.3.
    pub front_window: f32,
    /// Members may lie this far in front of the front, metres. Default 0.3.
    pub front_margin: f32,
    /// Members lie at most the class's typical extent (the larger of length and width) plus
    /// this margin behind the front, metres. Default 0.5.
    pub depth_margin: f32,
    /// Two claims are one object when their anchors are closer than this fraction of the
    /// class's typical width (at least 0.5 m). Default 0.7.
    pub same_object_width_ratio: f32,
    /// ... or when this share of the smaller member set is shared and the anchors are within
    /// the class's typical length. Default 0.6.
    pub same_object_overlap: f32,
    /// A cluster fits one object of a class when its footprint is at most the class's largest
    /// footprint plus this margin (box fits include stray returns), metres. Default 0.5.
    pub fit_margin: f64,
    /// A single object whose members are at least this share of the cluster's points takes
    /// the whole cluster, whatever its size. Default 0.6.
    pub whole_share: f32,
    /// When a cluster is divided, a point of no object's members joins the nearest object
    /// whose anchor is within this fraction of the class's typical length (plus 0.3 m).
    /// Default 0.5.
    pub grow_length_ratio: f32,
    /// Parts of a named object separated from its body by a gap of two fine cells
    /// (`lidar.refine.cell_size`) with fewer than this share of the body's largest part's
    /// points are not the object (a cone next to a car). Default 0.15.
    pub detached_share: f32,
    /// A named LiDAR box whose short side is at least this fraction of the class's typical
    /// width shows two faces and keeps its measured size; thinner boxes grow to the class's
    /// typical size away from the LiDAR. Default 0.7.
    pub two_faces_width_ratio: f64,
    /// A vehicle (car, truck, bus, trailer) shows at least this much of itself to the LiDAR:
    /// a body whose larger horizontal extent is shorter is named by the pedestrian or
    /// two-wheeler detection of its group instead, when there is one (a person the camera
    /// also boxed as a car), else stays `unknown`. Metres; 0 turns the check off. Default 1.6 (the largest
    /// pedestrian footprint of the class priors).
    pub vehicle_min_extent: f64,
}

impl Default for ClaimConfig {
    fn default() -> Self {
        Self {
            core_width: 0.5,
            core_height: 0.8,
            min_points: 3,
            dominance: 0.25,
            front_quantile: 0.1,
            front_window: 0.3,
            front_margin: 0.3,
            depth_margin: 0.5,
            same_object_width_ratio: 0.7,
            same_object_overlap: 0.6,
            fit_margin: 0.5,
            whole_share: 0.6,
            grow_length_ratio: 0.5,
            detached_share: 0.15,
            two_faces_width_ratio: 0.7,
            vehicle_min_extent: 1.6,
        }
    }
}

impl ClaimConfig {
    /// Checks the values.
    pub fn validate(&self) -> Result<(), FusionError> {
        let unit = [
            ("association.claims.core_width", self.core_width),
            ("association.claims.core_height", self.core_height),
            ("association.claims.dominance", self.dominance),
            ("association.claims.front_quantile", self.front_quantile),
            (
                "association.claims.same_object_overlap",
                self.same_object_overlap,
            ),
            ("association.claims.whole_share", self.whole_share),
            ("association.claims.detached_share", self.detached_share),
        ];
        for (field, v) in unit {
            if !(v > 0.0 && v <= 1.0) {
                return Err(FusionError::InvalidConfig {
                    field,
                    value: v as f64,
                    reason: "must be in (0, 1]",
                });
            }
        }
        for (field, v) in [
            ("association.claims.front_window", self.front_window),
            ("association.claims.front_margin", self.front_margin),
            ("association.claims.depth_margin", self.depth_margin),
            (
                "association.claims.same_object_width_ratio",
                self.same_object_width_ratio,
            ),
            ("association.claims.fit_margin", self.fit_margin as f32),
            (
                "association.claims.vehicle_min_extent",
                self.vehicle_min_extent as f32,
            ),
            (
                "association.claims.grow_length_ratio",
                self.grow_length_ratio,
            ),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(FusionError::InvalidConfig {
                    field,
                    value: v as f64,
                    reason: "must be finite and >= 0",
                });
            }
        }
        if self.min_points == 0 {
            return Err(FusionError::InvalidConfig {
                field: "association.claims.min_points",
                value: 0.0,
                reason: "must be at least 1",
            });
        }
        Ok(())
    }
}

/// A detection's claim on one cluster.
#[derive(Debug, Clone, PartialEq)]
pub struct Claim {
    /// Index of the detection.
    pub detection: usize,
    /// Index of the claimed cluster.
    pub cluster: usize,
    /// Depth of the object's front in the detection's camera, metres.
    pub front: f32,
    /// Ground position of the object's visible front, vehicle frame x/y, metres.
    pub anchor: [f32; 2],
    /// The cluster's points in the box within the depth range (obstacle point indices,
    /// increasing).
    pub members: Vec<u32>,
}

fn median(v: &mut [f32]) -> f32 {
    v.sort_by(f32::total_cmp);
    v[v.len() / 2]
}

/// The claim of detection `index` (`det`, seen in the camera of `projected`), over obstacle
/// points `points` whose cluster is `owner[i]` ([`NO_CLUSTER`] for none); `prior` is the
/// detection class's prior. `None` when no cluster has enough core points.
pub fn claim(
    index: usize,
    det: &CameraDetection,
    projected: &ProjectedPoints,
    owner: &[u32],
    points: &VehiclePoints,
    prior: &ClassPrior,
    config: &ClaimConfig,
) -> Option<Claim> {
    let b = det.bbox;
    let (w, h) = (b[2] - b[0], b[3] - b[1]);
    let (mx, my) = (
        (1.0 - config.core_width) * w / 2.0,
        (1.0 - config.core_height) * h / 2.0,
    );
    let core = [b[0] + mx, b[1] + my, b[2] - mx, b[3] - my];
    let in_box = projected.in_box(&b);
    let is_core = |p: usize| {
        let (u, v) = (projected.u[p], projected.v[p]);
        u >= core[0] && u <= core[2] && v >= core[1] && v <= core[3]
    };
    // Core depths per cluster.
    let mut per_cluster: Vec<(u32, Vec<f32>)> = Vec::new();
    for &p in &in_box {
        let c = owner[projected.index[p] as usize];
        if c == NO_CLUSTER || !is_core(p) {
            continue;
        }
        match per_cluster.iter_mut().find(|(k, _)| *k == c) {
            Some((_, d)) => d.push(projected.depth[p]),
            None => per_cluster.push((c, vec![projected.depth[p]])),
        }
    }
    let most = per_cluster.iter().map(|(_, d)| d.len()).max()?;
    let needed = (config.dominance * most as f32)
        .ceil()
        .max(config.min_points as f32) as usize;
    let (cluster, mut depths) = per_cluster
        .into_iter()
        .filter(|(_, d)| d.len() >= needed)
        .map(|(c, mut d)| {
            let m = median(&mut d);
            (m, c, d)
        })
        .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)))
        .map(|(_, c, d)| (c, d))?;
    depths.sort_by(f32::total_cmp);
    let q = ((depths.len() - 1) as f32 * config.front_quantile).round() as usize;
    let front = depths[q];
    // Anchor: the core points of the cluster near the front.
    let (mut ax, mut ay) = (Vec::new(), Vec::new());
    let extent = prior.length.max(prior.width) as f32 + config.depth_margin;
    let mut members = Vec::new();
    for &p in &in_box {
        let i = projected.index[p] as usize;
        if owner[i] != cluster {
            continue;
        }
        let d = projected.depth[p];
        if is_core(p) && d >= front - config.front_margin && d <= front + config.front_window {
            ax.push(points.x[i]);
            ay.push(points.y[i]);
        }
        if d >= front - config.front_margin && d <= front + extent {
            members.push(i as u32);
        }
    }
    if ax.is_empty() {
        return None;
    }
    members.sort_unstable();
    Some(Claim {
        detection: index,
        cluster: cluster as usize,
        front,
        anchor: [median(&mut ax), median(&mut ay)],
        members,
    })
}

/// Number of elements two increasing index lists share.
fn shared(a: &[u32], b: &[u32]) -> usize {
    let (mut i, mut j, mut n) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                n += 1;
                i += 1;
                j += 1;
            }
        }
    }
    n
}

/// True for a pedestrian box and a two-wheeler box (a rider on a bicycle or motorcycle).
pub fn rider_pair(a: ObjectClass, b: ObjectClass) -> bool {
    let two_wheeler = |c| matches!(c, ObjectClass::Bicycle | ObjectClass::Motorcycle);
    (a == ObjectClass::Pedestrian && two_wheeler(b))
        || (b == ObjectClass::Pedestrian && two_wheeler(a))
}

/// True when claims `a` (class prior `pa`) and `b` (`pb`) on one cluster are one object (module
/// docs): anchors within `same_object_width_ratio` of the larger class width (at least 0.5 m;
/// a rider and a two-wheeler: at least 1 m), or members overlapping by `same_object_overlap`
/// of the smaller set with the anchors within the larger class length.
pub fn same_object(
    a: &Claim,
    pa: (ObjectClass, &ClassPrior),
    b: &Claim,
    pb: (ObjectClass, &ClassPrior),
    config: &ClaimConfig,
) -> bool {
    let d = (a.anchor[0] - b.anchor[0]).hypot(a.anchor[1] - b.anchor[1]) as f64;
    let width = pa.1.width.max(pb.1.width);
    let floor = if rider_pair(pa.0, pb.0) { 1.0 } else { 0.5 };
    if d <= (config.same_object_width_ratio as f64 * width).max(floor) {
        return true;
    }
    let smaller = a.members.len().min(b.members.len());
    smaller > 0
        && shared(&a.members, &b.members) as f32 >= config.same_object_overlap * smaller as f32
        && d <= pa.1.length.max(pb.1.length)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::association::camera_points::tests::front_view;
    use crate::association::class_priors::default_class_priors;
    use kestrel_sensors::Timestamp;

    fn det(class: ObjectClass, bbox: [f32; 4]) -> CameraDetection {
        CameraDetection {
            camera: "cam".into(),
            stamp: Timestamp(0),
            bbox,
            class,
            score: 0.9,
        }
    }

    /// A pedestrian (cluster 0) 0.4 m in front of a wall (cluster 0 as well: merged), and a
    /// car (cluster 1) to the left; front camera at the origin, 1.5 m up.
    fn scene() -> (VehiclePoints, Vec<u32>) {
        let mut pts = VehiclePoints::default();
        let mut owner = Vec::new();
        for k in 0..40 {
            // wall at x = 12.4, y from -3 to 3
            for z in [0.5f32, 1.0, 1.5, 2.0] {
                pts.push(12.4, -3.0 + 0.15 * k as f32, z);
                owner.push(0);
            }
        }
        for k in 0..4 {
            // pedestrian front at x = 12.0, y in [-0.2, 0.2]
            for z in [0.3f32, 0.6, 0.9, 1.2, 1.5] {
                pts.push(12.0, -0.2 + 0.13 * k as f32, z);
                owner.push(0);
            }
        }
        for k in 0..20 {
            // car rear face at x = 15, y in [4, 6]
            for z in [0.4f32, 0.8, 1.2] {
                pts.push(15.0, 4.0 + 0.1 * k as f32, z);
                owner.push(1);
            }
        }
        (pts, owner)
    }

    #[test]
    fn a_pedestrian_by_a_wall_is_anchored_on_the_pedestrian() {
        let (pts, owner) = scene();
        let view = front_view();
        let proj = ProjectedPoints::project(&view, &pts, pts.len(), 80.0);
        let priors = default_class_priors();
        // The pedestrian's box: y in [-0.3, 0.3] at 12 m -> u in [307.5, 332.5]; z 0..1.8.
        let ped = det(ObjectClass::Pedestrian, [306.0, 228.0, 334.0, 302.0]);
        let c = claim(
            0,
            &ped,
            &proj,
            &owner,
            &pts,
            &priors.pedestrian,
            &ClaimConfig::default(),
        )
        .expect("claimed");
        assert_eq!(c.cluster, 0);
        assert!(
            (c.anchor[0] - 12.0).abs() < 0.05 && c.anchor[1].abs() < 0.2,
            "{c:?}"
        );
        // Members: the pedestrian and the wall right behind it (within its depth extent).
        assert!(c.members.len() >= 20);
        // The car's box claims the car.
        let car = det(ObjectClass::Car, [110.0, 235.0, 195.0, 285.0]);
        let k = claim(
            1,
            &car,
            &proj,
            &owner,
            &pts,
            &priors.car,
            &ClaimConfig::default(),
        )
        .expect("claimed");
        assert_eq!(k.cluster, 1);
        assert!((k.anchor[0] - 15.0).abs() < 0.05);
        assert!(!same_object(
            &c,
            (ObjectClass::Pedestrian, &priors.pedestrian),
            &k,
            (ObjectClass::Car, &priors.car),
            &ClaimConfig::default()
        ));
        // An empty box claims nothing.
        assert!(
            claim(
                2,
                &det(ObjectClass::Car, [600.0, 0.0, 630.0, 20.0]),
                &proj,
                &owner,
                &pts,
                &priors.car,
                &ClaimConfig::default()
            )
            .is_none()
        );
    }

    #[test]
    fn a_rider_and_its_bicycle_are_one_object() {
        let priors = default_class_priors();
        let a = Claim {
            detection: 0,
            cluster: 0,
            front: 10.0,
            anchor: [10.0, 0.0],
            members: vec![1, 2, 3],
        };
        let b = Claim {
            anchor: [10.3, 0.7],
            members: vec![7, 8],
            ..a.clone()
        };
        let cfg = ClaimConfig::default();
        let ped = (ObjectClass::Pedestrian, &priors.pedestrian);
        assert!(same_object(
            &a,
            ped,
            &b,
            (ObjectClass::Bicycle, &priors.bicycle),
            &cfg
        ));
        assert!(!same_object(&a, ped, &b, ped, &cfg));
        // Shared members and anchors within a car length: one car seen by two cameras.
        let c = Claim {
            anchor: [12.5, 0.8],
            members: vec![1, 2, 3, 9],
            ..a.clone()
        };
        let car = (ObjectClass::Car, &priors.car);
        assert!(same_object(&a, car, &c, car, &cfg));
        assert_eq!(shared(&[1, 3, 5, 7], &[2, 3, 4, 7, 9]), 2);
    }
}
