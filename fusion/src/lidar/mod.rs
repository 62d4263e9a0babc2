//! The LiDAR detection branch: sweeps -> vehicle frame and region of interest -> ground
//! segmentation -> clustering of obstacle points -> merging of the fragments of surfaces seen at
//! a grazing angle -> one oriented box per cluster. The shape classifier that names LiDAR
//! objects no camera named lives here too ([`shape_classifier`]); the association applies it.

pub mod bev_grid;
pub mod box_fitting;
pub mod cluster_refinement;
pub mod clustering;
pub mod fragment_merging;
pub mod ground_segmentation;
pub mod roi_crop;
pub mod shape_classifier;
pub mod shape_features;

use crate::FusionError;
use box_fitting::{BoxFitConfig, fit_box};
use cluster_refinement::RefineConfig;
use clustering::{ClusterConfig, cluster_points};
use fragment_merging::{FragmentConfig, merge_fragments};
use ground_segmentation::{GroundConfig, GroundSurface, segment_ground};
use kestrel_sensors::{OrientedBox3, PointCloud, Rig};
use roi_crop::{CropStats, RoiConfig, VehiclePoints, crop_to_vehicle};
use serde::{Deserialize, Serialize};
use std::ops::Range;

/// Configuration of the LiDAR branch; every section has documented defaults.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LidarConfig {
    /// Region of interest and ego box.
    pub roi: RoiConfig,
    /// Ground segmentation.
    pub ground: GroundConfig,
    /// Clustering.
    pub cluster: ClusterConfig,
    /// Merging of the fragments of one surface seen at a grazing angle.
    pub fragments: FragmentConfig,
    /// Splitting clusters larger than one road user on a finer grid (applied by the
    /// association to clusters no camera explains).
    pub refine: RefineConfig,
    /// Box fitting.
    pub box_fit: BoxFitConfig,
}

impl LidarConfig {
    /// Checks every section.
    pub fn validate(&self) -> Result<(), FusionError> {
        self.roi.validate()?;
        self.ground.validate()?;
        self.cluster.validate()?;
        self.fragments.validate()?;
        self.refine.validate(&self.cluster)?;
        self.box_fit.validate()
    }
}

/// One obstacle cluster found by the LiDAR branch.
#[derive(Debug, Clone, PartialEq)]
pub struct LidarCluster {
    /// Oriented box, **vehicle frame** (metres, radians; heading along the longer side,
    /// ambiguous by pi).
    pub bbox: OrientedBox3,
    /// The cluster's points: this range of [`LidarDetections::obstacle_points`].
    pub points: Range<usize>,
}

/// What was kept and dropped on the way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LidarStats {
    /// Region-of-interest crop (input count, non-finite, outside, ego).
    pub crop: CropStats,
    /// Points classified as ground.
    pub ground: usize,
    /// Obstacle points too high above ground to cluster.
    pub too_high: usize,
    /// Clusters dropped for too few points.
    pub dropped_small: usize,
    /// Clusters dropped for too large a footprint (also after fragment merging).
    pub dropped_large: usize,
}

/// Output of the LiDAR branch for one instant.
#[derive(Debug, Clone, PartialEq)]
pub struct LidarDetections {
    /// Clusters in deterministic (raster) order.
    pub clusters: Vec<LidarCluster>,
    /// All non-ground points (vehicle frame, metres): first the clusters' points, cluster by
    /// cluster, then the obstacle points that belong to no kept cluster.
    pub obstacle_points: VehiclePoints,
    /// The ground height map.
    pub ground: GroundSurface,
    /// Counters.
    pub stats: LidarStats,
}

impl LidarDetections {
    /// The points of `cluster` as `[x, y, z]`, vehicle frame, metres.
    pub fn cluster_points(&self, cluster: &LidarCluster) -> impl Iterator<Item = [f32; 3]> + '_ {
        let p = &self.obstacle_points;
        cluster.points.clone().map(|i| [p.x[i], p.y[i], p.z[i]])
    }
}

/// The LiDAR branch (stateless; holds its validated configuration).
#[derive(Debug, Clone, PartialEq)]
pub struct LidarBranch {
    config: LidarConfig,
}

impl LidarBranch {
    /// A branch with a validated configuration.
    pub fn new(config: LidarConfig) -> Result<Self, FusionError> {
        config.validate()?;
        Ok(Self { config })
    }

    /// The configuration.
    pub fn config(&self) -> &LidarConfig {
        &self.config
    }

    /// Detects obstacle clusters in `clouds` (each in the frame of its LiDAR in `rig`).
    /// Empty input gives empty output; non-finite points are dropped and counted.
    pub fn detect(&self, clouds: &[PointCloud], rig: &Rig) -> Result<LidarDetections, FusionError> {
        let cfg = &self.config;
        let (points, crop) = crop_to_vehicle(clouds, rig, &cfg.roi)?;
        let ground = segment_ground(&points, &cfg.roi, &cfg.ground);
        let obstacle: Vec<bool> = ground.is_ground.iter().map(|g| !g).collect();
        // Every group is kept until the fragments are merged: the size limits apply after.
        let groups = cluster_points(
            &points,
            &obstacle,
            &ground.height_above_ground,
            &cfg.roi,
            &ClusterConfig {
                min_points: 1,
                ..cfg.cluster
            },
        );
        // Bearings are seen from the first cloud's LiDAR (its sensor is in the rig: the crop
        // checked it).
        let sensor_xy = clouds
            .first()
            .and_then(|c| rig.sensor(&c.sensor))
            .map_or([0.0; 2], |s| {
                let t = s.extrinsics.translation.vector;
                [t.x as f32, t.y as f32]
            });
        let groups = merge_fragments(groups, &points, sensor_xy, &cfg.cluster, &cfg.fragments);

        let mut obstacle_points = VehiclePoints::default();
        let mut in_cluster = vec![false; points.len()];
        for &i in &groups.order {
            let i = i as usize;
            in_cluster[i] = true;
            obstacle_points.push(points.x[i], points.y[i], points.z[i]);
        }
        for i in 0..points.len() {
            if obstacle[i] && !in_cluster[i] {
                obstacle_points.push(points.x[i], points.y[i], points.z[i]);
            }
        }
        // Cluster points sit first in `obstacle_points`, in `groups.order`'s order, so the
        // cells' ranges index them directly.
        let clusters = groups
            .clusters
            .iter()
            .map(|span| {
                let samples: Vec<[f32; 2]> = groups.cells[span.cells.clone()]
                    .iter()
                    .map(|cell| {
                        let n = cell.len() as f32;
                        let (sx, sy) = cell.clone().fold((0.0f32, 0.0f32), |(sx, sy), k| {
                            (sx + obstacle_points.x[k], sy + obstacle_points.y[k])
                        });
                        [sx / n, sy / n]
                    })
                    .collect();
                let pts = span.points.clone().map(|k| {
                    [
                        obstacle_points.x[k],
                        obstacle_points.y[k],
                        obstacle_points.z[k],
                    ]
                });
                let (mx, my) = samples
                    .iter()
                    .fold((0.0, 0.0), |(a, b), s| (a + s[0], b + s[1]));
                let n = samples.len() as f32;
                let ground_z = ground.height_at(mx / n, my / n).unwrap_or(0.0);
                LidarCluster {
                    bbox: fit_box(&samples, pts, ground_z, &cfg.box_fit),
                    points: span.points.clone(),
                }
            })
            .collect();
        let stats = LidarStats {
            crop,
            ground: ground.ground_count(),
            too_high: groups.too_high,
            dropped_small: groups.dropped_small,
            dropped_large: groups.dropped_large,
        };
        Ok(LidarDetections {
            clusters,
            obstacle_points,
            ground,
            stats,
        })
    }
}
