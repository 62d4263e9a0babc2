//! Association: turning the branch outputs of one instant into [`DetectedObject`]s.
//!
//! 1. The LiDAR obstacle points are projected into every camera that has detections, each
//!    camera seen from the vehicle frame of the sweep: the ego motion between the image's
//!    exposure and the sweep (from the ego velocity) is taken out, so a camera that fires
//!    0.1 s before the sweep still sees the points where its image shows them.
//! 2. LiDAR clusters become objects, named and kept apart by the detections of all cameras
//!    ([`lidar_objects()`]); objects no camera named may be named by their shape (the LiDAR
//!    shape classifier, [`crate::lidar::shape_classifier`]).
//! 3. Camera detections that named no cluster are placed in 3D ([`camera_range`]): LiDAR
//!    frustum depth, else a radar object in the box's columns, else flat ground. One that
//!    lands on a LiDAR object (another camera's view of it, or a cluster its box missed)
//!    gives that object its class if no camera named it yet, instead of making a second object.
//! 4. Radar objects are attached to the objects by position and speed plausibility
//!    ([`radar_gating`]), giving them a velocity; moving radar objects left over become
//!    radar-only objects.

pub mod camera_claims;
pub mod camera_points;
pub mod camera_range;
pub mod class_priors;
pub mod cluster_projection;
pub mod cluster_split;
pub mod confidence;
pub mod lidar_objects;
pub mod radar_gating;
pub mod shape_completion;

use crate::camera::CameraDetection;
use crate::class_table::ClassTable;
use crate::ego_velocity::EgoVelocity;
use crate::lidar::shape_classifier::ShapeClassifier;
use crate::lidar::{LidarConfig, LidarDetections};
use crate::radar::{RadarCluster, RadarDetections};
use crate::tracking::EgoMotion;
use crate::{DetectedObject, FusionError, SensorSources};
use camera_claims::ClaimConfig;
use camera_points::ProjectedPoints;
use camera_range::{CameraRangeConfig, RangeSource, range_detection};
use class_priors::{ClassPrior, default_class_priors, validate_class_priors};
use cluster_projection::CameraView;
use confidence::{combine, isotropic, oriented_covariance, radar_existence};
use kestrel_sensors::{ObjectClass, OrientedBox3, Rig, Timestamp};
use lidar_objects::{Namers, lidar_objects};
use nalgebra::{Point3, Vector2};
use radar_gating::{RadarGateConfig, gate_radar};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Configuration of the association.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AssociationConfig {
    /// How detections claim LiDAR points.
    pub claims: ClaimConfig,
    /// LiDAR points farther than this from a camera (optical depth) are not projected into
    /// it, metres. Default 80.
    pub max_projection_depth: f32,
    /// A camera-only detection whose centre falls within this fraction of its class's
    /// typical length of a LiDAR object's footprint is that object (another camera's view of
    /// it, ranged through background points). Default 0.5.
    pub absorb_length_ratio: f64,
    /// Range estimation for camera-only detections.
    pub range: CameraRangeConfig,
    /// Radar gating.
    pub radar_gate: RadarGateConfig,
    /// Radar objects not attached to any object are reported on their own only when moving
    /// at least this fast (ego-compensated), m/s. Default 1.0.
    pub radar_only_min_speed_mps: f64,
    /// Typical and largest sizes and speed limits per class.
    pub class_priors: ClassTable<ClassPrior>,
    /// The LiDAR shape classifier that names the LiDAR objects no camera named: `shipped`
    /// (`models/zoo/kestrel-lidar-shape-v1/classifier.toml`), `none`, or the path of a
    /// classifier file. Default `shipped`.
    pub shape_classifier: String,
    /// Weight of the shape classifier's "nothing to name" verdict in a track's class vote:
    /// the object's `unknown` confidence is this times the classifier's probability of
    /// `unknown` (0: such verdicts are no evidence, as before the classifier). Default 1,
    /// chosen on PandaSet 002 frames 00-39 among 0.25, 0.5 and 1 (`kestrel eval`: 1 gave the
    /// best MOTA of tracks with a class, 0.65, with vehicles named 0.85).
    pub shape_unknown_vote: f32,
}

impl Default for AssociationConfig {
    fn default() -> Self {
        Self {
            claims: ClaimConfig::default(),
            max_projection_depth: 80.0,
            absorb_length_ratio: 0.5,
            range: CameraRangeConfig::default(),
            radar_gate: RadarGateConfig::default(),
            radar_only_min_speed_mps: 1.0,
            class_priors: default_class_priors(),
            shape_classifier: SHIPPED_SHAPE_CLASSIFIER.into(),
            shape_unknown_vote: 1.0,
        }
    }
}

/// The value of [`AssociationConfig::shape_classifier`] that picks the shipped classifier.
pub const SHIPPED_SHAPE_CLASSIFIER: &str = "shipped";

/// The value of [`AssociationConfig::shape_classifier`] that turns LiDAR shape naming off.
pub const NO_SHAPE_CLASSIFIER: &str = "none";

impl AssociationConfig {
    /// Loads the shape classifier [`AssociationConfig::shape_classifier`] names (`None` for
    /// `none`).
    pub fn load_shape_classifier(&self) -> Result<Option<ShapeClassifier>, FusionError> {
        match self.shape_classifier.as_str() {
            NO_SHAPE_CLASSIFIER => Ok(None),
            SHIPPED_SHAPE_CLASSIFIER => {
                ShapeClassifier::load(&kestrel_models::zoo::default_lidar_classifier()).map(Some)
            }
            path => ShapeClassifier::load(std::path::Path::new(path)).map(Some),
        }
    }

    /// Checks every value.
    pub fn validate(&self) -> Result<(), FusionError> {
        self.claims.validate()?;
        validate_class_priors(&self.class_priors)?;
        self.range.validate()?;
        self.radar_gate.validate()?;
        let vote = f64::from(self.shape_unknown_vote);
        if !(0.0..=1.0).contains(&vote) {
            return Err(FusionError::InvalidConfig {
                field: "association.shape_unknown_vote",
                value: vote,
                reason: "must be in 0..1",
            });
        }
        for (field, v) in [
            (
                "association.max_projection_depth",
                self.max_projection_depth as f64,
            ),
            ("association.absorb_length_ratio", self.absorb_length_ratio),
            (
                "association.radar_only_min_speed_mps",
                self.radar_only_min_speed_mps,
            ),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(FusionError::InvalidConfig {
                    field,
                    value: v,
                    reason: "must be finite and >= 0",
                });
            }
        }
        Ok(())
    }
}

/// The branch outputs of one instant; `None` for a branch whose sensors are missing.
#[derive(Debug, Clone, Copy, Default)]
pub struct BranchOutputs<'a> {
    /// LiDAR clusters (of the sweep at the frame's reference time).
    pub lidar: Option<&'a LidarDetections>,
    /// Camera detections (any number of cameras).
    pub camera: Option<&'a [CameraDetection]>,
    /// Radar objects.
    pub radar: Option<&'a RadarDetections>,
    /// Ego velocity at the reference time, to bring each camera to the sweep's instant;
    /// `None`: the vehicle is taken as standing still between them.
    pub ego: Option<&'a EgoVelocity>,
}

/// Counters of one association run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AssociationStats {
    /// Camera detections that named a LiDAR object.
    pub camera_matched: usize,
    /// Camera-only detections that landed on a LiDAR object (another view of it): absorbed,
    /// not reported twice.
    pub camera_duplicate_views: usize,
    /// Camera-only objects, by range source: LiDAR frustum, radar, flat ground.
    pub camera_only: [usize; 3],
    /// Camera detections that could not be placed in 3D (dropped).
    pub camera_unranged: usize,
    /// Clusters divided among several objects or carved around one.
    pub clusters_split: usize,
    /// Clusters no camera explains, larger than one road user, split where their points have
    /// gaps.
    pub clusters_refined: usize,
    /// LiDAR objects without a class larger than any road user (dropped).
    pub rejected_oversize: usize,
    /// LiDAR objects no camera named that the shape classifier named.
    pub shape_named: usize,
    /// Radar objects attached to an object.
    pub radar_matched: usize,
    /// Radar-only objects reported.
    pub radar_only: usize,
    /// Radar objects dropped (not attached, not moving, or not ego-compensated).
    pub radar_dropped: usize,
}

/// The cameras of `detections` as seen from the vehicle frame at `reference`.
fn camera_views<'a>(
    detections: &'a [CameraDetection],
    rig: &Rig,
    reference: Timestamp,
    ego: Option<&EgoVelocity>,
) -> Result<BTreeMap<&'a str, CameraView>, FusionError> {
    let mut views = BTreeMap::new();
    for d in detections {
        if views.contains_key(d.camera.as_str()) {
            continue;
        }
        let view = CameraView::from_rig(rig, &d.camera)?;
        let dt = if reference >= d.stamp {
            reference.seconds_since(d.stamp)
        } else {
            -d.stamp.seconds_since(reference)
        };
        let view = match ego {
            Some(e) if dt != 0.0 => view.at_motion(
                &EgoMotion::from_speed_yaw_rate(e.velocity.x, e.yaw_rate, dt).to_isometry(),
            ),
            _ => view,
        };
        views.insert(d.camera.as_str(), view);
    }
    Ok(views)
}

/// Associates the branch outputs of one instant at `reference` (see the module docs).
/// Objects are ordered: LiDAR objects (cluster order), camera-only (detection order),
/// radar-only (radar order).
pub fn associate(
    inputs: &BranchOutputs<'_>,
    reference: Timestamp,
    rig: &Rig,
    lidar_config: &LidarConfig,
    config: &AssociationConfig,
    shapes: Option<&ShapeClassifier>,
) -> Result<(Vec<DetectedObject>, AssociationStats), FusionError> {
    let mut stats = AssociationStats::default();
    let detections = inputs.camera.unwrap_or(&[]);
    let views = camera_views(detections, rig, reference, inputs.ego)?;
    let projected: BTreeMap<&str, ProjectedPoints> = match inputs.lidar {
        Some(lidar) => views
            .iter()
            .map(|(name, view)| {
                let p = &lidar.obstacle_points;
                (
                    *name,
                    ProjectedPoints::project(view, p, p.len(), config.max_projection_depth),
                )
            })
            .collect(),
        None => BTreeMap::new(),
    };

    // 1. LiDAR clusters, named by the cameras.
    let (mut objects, used) = match inputs.lidar {
        Some(lidar) => {
            let origin = rig
                .sensors
                .iter()
                .find(|s| s.kind.name() == "lidar")
                .map_or(Vector2::zeros(), |s| s.extrinsics.translation.vector.xy());
            let namers = Namers {
                detections,
                projected: &projected,
                shapes,
            };
            let found = lidar_objects(lidar, namers, origin, lidar_config, config, &mut stats);
            (found.objects, found.used)
        }
        None => (Vec::new(), vec![false; detections.len()]),
    };
    let lidar_count = objects.len();

    // 2. Camera-only detections.
    let radar_clusters: &[RadarCluster] = inputs.radar.map_or(&[], |r| &r.clusters);
    for (di, d) in detections.iter().enumerate() {
        if used[di] {
            continue;
        }
        let view = &views[d.camera.as_str()];
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
            projected.get(d.camera.as_str()),
            radar_clusters,
            ground_z,
            &config.range,
        ) else {
            stats.camera_unranged += 1;
            continue;
        };
        let prior = config.class_priors.get(d.class);
        // The cue sees the near surface; the centre lies half the object's depth further along
        // the ray. With the heading unknown, that depth is taken as the mean of length and width.
        let c = r.surface_point.coords.xy()
            + r.viewing_direction * ((prior.length + prior.width) / 4.0);
        let margin = config.absorb_length_ratio * prior.length;
        let landed = objects[..lidar_count].iter().position(|o| {
            o.bbox
                .contains(&Point3::new(c.x, c.y, o.bbox.center.z), margin)
        });
        if let Some(k) = landed {
            stats.camera_duplicate_views += 1;
            let o = &mut objects[k];
            // A camera's class replaces what the LiDAR shape alone said.
            if !o.sources.camera {
                o.class = d.class;
                o.class_confidence = d.score;
                o.existence_confidence = combine(&[o.existence_confidence, d.score]);
                o.sources.camera = true;
            }
            continue;
        }
        let g = ground_at(c.x, c.y);
        let (slot, along) = match r.source {
            RangeSource::LidarFrustum => (0, 0.3 + 0.05 * r.range),
            RangeSource::Radar => (1, 0.5 + 0.02 * r.range),
            RangeSource::FlatGround => (2, 0.5 + 0.15 * r.range),
        };
        stats.camera_only[slot] += 1;
        objects.push(DetectedObject {
            lidar_shape: None,
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
    let attached = gate_radar(
        &objects,
        radar_clusters,
        &config.radar_gate,
        &config.class_priors,
    )?;
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
        let prior = config.class_priors.get(ObjectClass::Unknown);
        let range = rc.position.coords.xy().norm();
        let v = rc.velocity.velocity;
        objects.push(DetectedObject {
            lidar_shape: None,
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
