//! Placing a camera-only detection in 3D: depth from the LiDAR points in its frustum, else
//! from a radar object inside its columns, else from a flat-ground assumption at the box's
//! bottom edge.

use super::camera_points::ProjectedPoints;
use super::cluster_projection::CameraView;
use crate::FusionError;
use crate::camera::CameraDetection;
use crate::radar::RadarCluster;
use nalgebra::{Point2, Point3, Vector2};
use serde::{Deserialize, Serialize};

/// How the range of a camera-only object was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RangeSource {
    /// Median depth of the LiDAR obstacle points in the box's central frustum.
    LidarFrustum,
    /// The nearest radar object whose projection falls in the box's columns.
    Radar,
    /// The box's bottom edge intersected with the ground plane.
    FlatGround,
}

/// Parameters of the range estimation.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CameraRangeConfig {
    /// Fraction of the box (width and height, centred) whose LiDAR points vote, 0..1.
    /// Default 0.5 (the central half, to keep background and foreground out).
    pub frustum_core: f32,
    /// LiDAR points needed in the frustum core. Default 3.
    pub min_frustum_points: usize,
    /// Flat-ground ranges beyond this are rejected (the ray is almost level), metres.
    /// Default 80.
    pub max_flat_ground_range: f64,
}

impl CameraRangeConfig {
    /// Checks the values.
    pub fn validate(&self) -> Result<(), FusionError> {
        if !(self.frustum_core > 0.0 && self.frustum_core <= 1.0) {
            return Err(FusionError::InvalidConfig {
                field: "association.range.frustum_core",
                value: self.frustum_core as f64,
                reason: "must be in (0, 1]",
            });
        }
        if !(self.max_flat_ground_range.is_finite() && self.max_flat_ground_range > 0.0) {
            return Err(FusionError::InvalidConfig {
                field: "association.range.max_flat_ground_range",
                value: self.max_flat_ground_range,
                reason: "must be positive and finite",
            });
        }
        Ok(())
    }
}

impl Default for CameraRangeConfig {
    fn default() -> Self {
        Self {
            frustum_core: 0.5,
            min_frustum_points: 3,
            max_flat_ground_range: 80.0,
        }
    }
}

/// A 3D position for a camera-only detection.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RangedDetection {
    /// A point on the object's visible surface (or ground contact), vehicle frame, metres.
    pub surface_point: Point3<f64>,
    /// Horizontal unit direction from the camera to that point, vehicle frame.
    pub viewing_direction: Vector2<f64>,
    /// Horizontal range from the camera, metres.
    pub range: f64,
    /// Which cue gave the range.
    pub source: RangeSource,
}

/// Depth (optical z, metres) of the obstacle points whose projection lies in the central
/// `core` fraction of `bbox`: the median of at least `min_points` depths.
pub fn frustum_depth(
    projected: &ProjectedPoints,
    bbox: &[f32; 4],
    config: &CameraRangeConfig,
) -> Option<f64> {
    let (w, h) = (bbox[2] - bbox[0], bbox[3] - bbox[1]);
    let m = (1.0 - config.frustum_core.clamp(0.0, 1.0)) / 2.0;
    let core = [
        bbox[0] + m * w,
        bbox[1] + m * h,
        bbox[2] - m * w,
        bbox[3] - m * h,
    ];
    let mut depths: Vec<f32> = projected
        .in_box(&core)
        .into_iter()
        .map(|p| projected.depth[p])
        .collect();
    if depths.len() < config.min_frustum_points.max(1) {
        return None;
    }
    depths.sort_by(f32::total_cmp);
    Some(depths[depths.len() / 2] as f64)
}

fn horizontal(view: &CameraView, p: &Point3<f64>) -> Option<(Vector2<f64>, f64)> {
    let o = view.camera_to_vehicle.translation.vector;
    let d = Vector2::new(p.x - o.x, p.y - o.y);
    let range = d.norm();
    (range > 1e-6).then(|| (d / range, range))
}

/// Ranges `det` in `view`: LiDAR frustum depth when `projected` (the obstacle points visible
/// in this camera) has enough points in the box core, else the nearest radar
/// object projecting into the box's columns, else flat ground at height `ground_z`.
pub fn range_detection(
    det: &CameraDetection,
    view: &CameraView,
    projected: Option<&ProjectedPoints>,
    radar: &[RadarCluster],
    ground_z: f64,
    config: &CameraRangeConfig,
) -> Option<RangedDetection> {
    let b = det.bbox;
    let centre = Point2::new(((b[0] + b[2]) / 2.0) as f64, ((b[1] + b[3]) / 2.0) as f64);
    if let Some(depth) = projected.and_then(|p| frustum_depth(p, &b, config)) {
        let (o, dir) = view.ray(&centre);
        let p = o + dir * depth;
        let (viewing_direction, range) = horizontal(view, &p)?;
        return Some(RangedDetection {
            surface_point: p,
            viewing_direction,
            range,
            source: RangeSource::LidarFrustum,
        });
    }
    let nearest_radar = radar
        .iter()
        .filter_map(|r| {
            let (uv, depth) = view.project(&r.position)?;
            (uv.x >= b[0] as f64 && uv.x <= b[2] as f64).then_some((depth, r))
        })
        .min_by(|a, b| a.0.total_cmp(&b.0));
    if let Some((_, r)) = nearest_radar {
        let (viewing_direction, range) = horizontal(view, &r.position)?;
        return Some(RangedDetection {
            surface_point: r.position,
            viewing_direction,
            range,
            source: RangeSource::Radar,
        });
    }
    let bottom = Point2::new(centre.x, b[3] as f64);
    let (o, dir) = view.ray(&bottom);
    // Only rays pointing down meet the ground (a NaN direction fails this too).
    if dir.z.partial_cmp(&-1e-9) != Some(std::cmp::Ordering::Less) {
        return None;
    }
    let t = (ground_z - o.z) / dir.z;
    let p = o + dir * t;
    let (viewing_direction, range) = horizontal(view, &p)?;
    (t > 0.0 && range <= config.max_flat_ground_range).then_some(RangedDetection {
        surface_point: p,
        viewing_direction,
        range,
        source: RangeSource::FlatGround,
    })
}
