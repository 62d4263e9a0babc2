//! Association: turning the branch outputs of one instant into [`DetectedObject`]s.
//!
//! 1. LiDAR clusters are projected into each camera with the rig calibration; the bounding
//!    box of a cluster's visible points is matched to that camera's 2D detections by IoU with a
//!    global assignment (Hungarian, cost `1 - IoU`, gated by `min_iou`). A match gives the
//!    cluster its class and confidence and completes its box to the class's size.
//! 2. Camera detections left over are placed in 3D ([`camera_range`]): LiDAR frustum depth,
//!    else a radar object in the box's columns, else flat ground.
//! 3. Radar objects are attached to the objects by position and speed plausibility
//!    ([`radar_gating`]), giving them a velocity; moving radar objects left over become
//!    radar-only objects.

pub mod camera_range;
pub mod class_priors;
pub mod cluster_projection;
pub mod radar_gating;
pub mod shape_completion;

use crate::camera::CameraDetection;
use crate::lidar::LidarDetections;
use crate::radar::{RadarCluster, RadarDetections};
use crate::tracking::{CostMatrix, solve_assignment};
use crate::{DetectedObject, FusionError, SensorSources};
use camera_range::{CameraRangeConfig, RangeSource, range_detection};
use class_priors::class_prior;
use cluster_projection::{CameraView, project_points};
use kestrel_sensors::{ObjectClass, OrientedBox3, Rig};
use nalgebra::{Matrix2, Point3, Vector2};
use radar_gating::{RadarGateConfig, gate_radar};
use serde::{Deserialize, Serialize};
use shape_completion::complete_shape;
use std::collections::BTreeMap;

/// Configuration of the association.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AssociationConfig {
    /// Smallest IoU between a projected cluster and a 2D detection to match them. Default 0.2.
    pub min_iou: f32,
    /// A cluster is matched in a camera only if at least this many of its points project
    /// into the image. Default 3.
    pub min_visible_points: usize,
    /// ... and at least this fraction of its points. Default 0.3.
    pub min_visible_fraction: f64,
    /// Range estimation for camera-only detections.
    pub range: CameraRangeConfig,
    /// Radar gating.
    pub radar_gate: RadarGateConfig,
    /// Radar objects not attached to any object are reported on their own only when moving
    /// at least this fast (ego-compensated), m/s. Default 1.0.
    pub radar_only_min_speed_mps: f64,
}

impl Default for AssociationConfig {
    fn default() -> Self {
        Self {
            min_iou: 0.2,
            min_visible_points: 3,
            min_visible_fraction: 0.3,
            range: CameraRangeConfig::default(),
            radar_gate: RadarGateConfig::default(),
            radar_only_min_speed_mps: 1.0,
        }
    }
}

/// The branch outputs of one instant; `None` for a branch whose sensors are missing.
#[derive(Debug, Clone, Copy, Default)]
pub struct BranchOutputs<'a> {
    /// LiDAR clusters.
    pub lidar: Option<&'a LidarDetections>,
    /// Camera detections (any number of cameras).
    pub camera: Option<&'a [CameraDetection]>,
    /// Radar objects.
    pub radar: Option<&'a RadarDetections>,
}

/// Counters of one association run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AssociationStats {
    /// Camera detections matched to a LiDAR cluster.
    pub camera_matched: usize,
    /// Unmatched camera detections that overlap an already matched cluster (the same object
    /// seen by a second camera): absorbed, not reported twice.
    pub camera_duplicate_views: usize,
    /// Camera-only objects, by range source: LiDAR frustum, radar, flat ground.
    pub camera_only: [usize; 3],
    /// Camera detections that could not be placed in 3D (dropped).
    pub camera_unranged: usize,
    /// Radar objects attached to an object.
    pub radar_matched: usize,
    /// Radar-only objects reported.
    pub radar_only: usize,
    /// Radar objects dropped (not attached, not moving, or not ego-compensated).
    pub radar_dropped: usize,
}

/// Existence probability of a LiDAR cluster with `n` points (heuristic: 0.5..0.9).
fn lidar_existence(n: usize) -> f32 {
    0.5 + 0.4 * (1.0 - (-(n as f32) / 20.0).exp())
}

/// Existence probability of a radar object with `n` detections (heuristic: 0.4..0.7).
fn radar_existence(n: usize) -> f32 {
    0.3 + 0.1 * n.min(4) as f32
}

/// `1 - prod(1 - p)`: the object exists unless every sensor is wrong.
fn combine(ps: &[f32]) -> f32 {
    1.0 - ps.iter().map(|p| 1.0 - p.clamp(0.0, 1.0)).product::<f32>()
}

/// Covariance with standard deviation `along` in direction `dir` and `across` normal to it.
fn oriented_covariance(dir: &Vector2<f64>, along: f64, across: f64) -> Matrix2<f64> {
    let n = Vector2::new(-dir.y, dir.x);
    dir * dir.transpose() * along.powi(2) + n * n.transpose() * across.powi(2)
}

fn isotropic(sigma: f64) -> Matrix2<f64> {
    Matrix2::identity() * sigma.powi(2)
}

/// Associates the branch outputs of one instant (see the module docs). Objects are ordered:
/// LiDAR clusters (cluster order), camera-only (detection order), radar-only (radar order).
pub fn associate(
    inputs: &BranchOutputs<'_>,
    rig: &Rig,
    config: &AssociationConfig,
) -> Result<(Vec<DetectedObject>, AssociationStats), FusionError> {
    let mut stats = AssociationStats::default();
    let detections = inputs.camera.unwrap_or(&[]);
    let mut views: BTreeMap<&str, CameraView> = BTreeMap::new();
    for d in detections {
        if !views.contains_key(d.camera.as_str()) {
            views.insert(&d.camera, CameraView::from_rig(rig, &d.camera)?);
        }
    }
    let mut objects = Vec::new();

    // 1. LiDAR clusters <-> camera detections.
    let mut det_taken = vec![false; detections.len()];
    if let Some(lidar) = inputs.lidar {
        let clusters = &lidar.clusters;
        // Projected footprint of each cluster in each camera that has detections.
        let projected: BTreeMap<&str, Vec<Option<[f32; 4]>>> = views
            .iter()
            .map(|(name, view)| {
                let boxes = clusters
                    .iter()
                    .map(|c| {
                        project_points(
                            view,
                            lidar.cluster_points(c),
                            config.min_visible_points,
                            config.min_visible_fraction,
                        )
                        .map(|p| p.bbox)
                    })
                    .collect();
                (*name, boxes)
            })
            .collect();
        let iou = |ci: usize, d: &CameraDetection| {
            projected[d.camera.as_str()][ci].map_or(0.0, |b| d.iou(&b))
        };
        let costs = CostMatrix::from_fn(clusters.len(), detections.len(), |ci, di| {
            let v = iou(ci, &detections[di]);
            if v >= config.min_iou {
                1.0 - v as f64
            } else {
                f64::INFINITY
            }
        });
        let assignment = solve_assignment(&costs)?;
        for (ci, cluster) in clusters.iter().enumerate() {
            let n = cluster.points.len();
            let range = cluster.bbox.center.coords.xy().norm();
            let mut object = DetectedObject {
                bbox: cluster.bbox,
                class: ObjectClass::Unknown,
                class_confidence: 0.0,
                existence_confidence: lidar_existence(n),
                position_covariance: isotropic(0.15 + 0.01 * range),
                velocity: None,
                velocity_covariance: None,
                sources: SensorSources {
                    lidar: true,
                    ..SensorSources::default()
                },
            };
            if let Some(di) = assignment.row_to_col[ci] {
                let d = &detections[di];
                det_taken[di] = true;
                stats.camera_matched += 1;
                object.class = d.class;
                object.class_confidence = d.score;
                object.existence_confidence = combine(&[lidar_existence(n), d.score]);
                object.sources.camera = true;
                let view = views[d.camera.as_str()]
                    .camera_to_vehicle
                    .translation
                    .vector;
                object.bbox = complete_shape(
                    &cluster.bbox,
                    &class_prior(d.class),
                    &Vector2::new(view.x, view.y),
                );
            }
            objects.push(object);
        }
        // A detection overlapping a matched cluster is another camera's view of it.
        for (di, d) in detections.iter().enumerate() {
            if !det_taken[di]
                && (0..clusters.len())
                    .any(|ci| assignment.row_to_col[ci].is_some() && iou(ci, d) >= config.min_iou)
            {
                det_taken[di] = true;
                stats.camera_duplicate_views += 1;
            }
        }
    }

    // 2. Camera-only detections.
    let radar_clusters: &[RadarCluster] = inputs.radar.map_or(&[], |r| &r.clusters);
    let mut visible_points: BTreeMap<&str, Vec<(f32, f32, f32)>> = BTreeMap::new();
    for (di, d) in detections.iter().enumerate() {
        if det_taken[di] {
            continue;
        }
        let view = &views[d.camera.as_str()];
        let projected = inputs.lidar.map(|lidar| {
            visible_points.entry(d.camera.as_str()).or_insert_with(|| {
                let p = &lidar.obstacle_points;
                (0..p.len())
                    .filter_map(|i| {
                        let q = Point3::new(p.x[i] as f64, p.y[i] as f64, p.z[i] as f64);
                        view.project(&q)
                            .map(|(uv, depth)| (uv.x as f32, uv.y as f32, depth as f32))
                    })
                    .collect()
            })
        });
        let ground_at = |x: f64, y: f64| {
            inputs
                .lidar
                .and_then(|l| l.ground.height_at(x as f32, y as f32))
                .map_or(0.0, f64::from)
        };
        let camera_pos = view.camera_to_vehicle.translation.vector;
        let ground_z = ground_at(camera_pos.x, camera_pos.y);
        let Some(r) = range_detection(
            d,
            view,
            projected.map(|p| p.as_slice()),
            radar_clusters,
            ground_z,
            &config.range,
        ) else {
            stats.camera_unranged += 1;
            continue;
        };
        let prior = class_prior(d.class);
        // The cue sees the near surface; the centre lies half the object's depth further along
        // the ray. With the heading unknown, that depth is taken as the mean of length and width.
        let c = r.surface_point.coords.xy()
            + r.viewing_direction * ((prior.length + prior.width) / 4.0);
        let g = ground_at(c.x, c.y);
        let (slot, along) = match r.source {
            RangeSource::LidarFrustum => (0, 0.3 + 0.05 * r.range),
            RangeSource::Radar => (1, 0.5 + 0.02 * r.range),
            RangeSource::FlatGround => (2, 0.5 + 0.15 * r.range),
        };
        stats.camera_only[slot] += 1;
        objects.push(DetectedObject {
            bbox: OrientedBox3 {
                center: Point3::new(c.x, c.y, g + prior.height / 2.0),
                length: prior.length,
                width: prior.width,
                height: prior.height,
                yaw: r.viewing_direction.y.atan2(r.viewing_direction.x),
            },
            class: d.class,
            class_confidence: d.score,
            existence_confidence: d.score,
            position_covariance: oriented_covariance(
                &r.viewing_direction,
                along,
                0.3 + 0.01 * r.range,
            ),
            velocity: None,
            velocity_covariance: None,
            sources: SensorSources {
                camera: true,
                ..SensorSources::default()
            },
        });
    }

    // 3. Radar.
    let attached = gate_radar(&objects, radar_clusters, &config.radar_gate)?;
    let mut radar_taken = vec![false; radar_clusters.len()];
    for (object, r) in objects.iter_mut().zip(&attached) {
        let Some(j) = *r else { continue };
        let rc = &radar_clusters[j];
        radar_taken[j] = true;
        stats.radar_matched += 1;
        object.sources.radar = true;
        object.existence_confidence =
            combine(&[object.existence_confidence, radar_existence(rc.detections)]);
        if rc.compensated {
            object.velocity = Some(rc.velocity.velocity);
            object.velocity_covariance = Some(rc.velocity.covariance);
        }
    }
    for (j, rc) in radar_clusters.iter().enumerate() {
        if radar_taken[j] {
            continue;
        }
        if !rc.compensated || rc.velocity.velocity.norm() < config.radar_only_min_speed_mps {
            stats.radar_dropped += 1;
            continue;
        }
        stats.radar_only += 1;
        let prior = class_prior(ObjectClass::Unknown);
        let range = rc.position.coords.xy().norm();
        let v = rc.velocity.velocity;
        objects.push(DetectedObject {
            bbox: OrientedBox3 {
                center: Point3::new(rc.position.x, rc.position.y, prior.height / 2.0),
                length: prior.length,
                width: prior.width,
                height: prior.height,
                yaw: v.y.atan2(v.x),
            },
            class: ObjectClass::Unknown,
            class_confidence: 0.0,
            existence_confidence: radar_existence(rc.detections),
            position_covariance: isotropic(0.5 + 0.01 * range),
            velocity: Some(v),
            velocity_covariance: Some(rc.velocity.covariance),
            sources: SensorSources {
                radar: true,
                ..SensorSources::default()
            },
        });
    }
    Ok((objects, stats))
}
