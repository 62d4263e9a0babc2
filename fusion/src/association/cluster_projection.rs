//! Projecting vehicle-frame points (LiDAR clusters, radar objects) into a camera's image.

use crate::FusionError;
use kestrel_sensors::{CameraIntrinsics, Rig};
use nalgebra::{Isometry3, Point2, Point3, Vector3};

/// A camera of the rig, ready to project vehicle-frame points.
#[derive(Debug, Clone, PartialEq)]
pub struct CameraView {
    /// Camera name in the rig.
    pub name: String,
    /// Pinhole model and distortion.
    pub intrinsics: CameraIntrinsics,
    /// Vehicle frame -> camera optical frame.
    pub vehicle_to_camera: Isometry3<f64>,
    /// Camera optical frame -> vehicle frame (the extrinsics).
    pub camera_to_vehicle: Isometry3<f64>,
}

impl CameraView {
    /// The camera called `name` in `rig`.
    pub fn from_rig(rig: &Rig, name: &str) -> Result<Self, FusionError> {
        let spec = rig.sensor(name).ok_or_else(|| FusionError::UnknownSensor {
            sensor: name.to_owned(),
            kind: "camera",
        })?;
        let intrinsics = *spec
            .intrinsics()
            .ok_or_else(|| FusionError::WrongSensorKind {
                sensor: name.to_owned(),
                expected: "camera",
                actual: spec.kind.name(),
            })?;
        Ok(Self {
            name: name.to_owned(),
            intrinsics,
            vehicle_to_camera: spec.extrinsics.inverse(),
            camera_to_vehicle: spec.extrinsics,
        })
    }

    /// Pixel of a vehicle-frame point and its depth (optical z, metres), when it is in front
    /// of the camera and inside the image.
    pub fn project(&self, p: &Point3<f64>) -> Option<(Point2<f64>, f64)> {
        let c = self.vehicle_to_camera * p;
        self.intrinsics
            .project(&c)
            .filter(|uv| self.intrinsics.contains(uv))
            .map(|uv| (uv, c.z))
    }

    /// The viewing ray through pixel `uv` (rectified model), in the vehicle frame: the camera
    /// centre and a direction whose optical-z component is 1 (so `origin + dir * depth` is
    /// the point at that depth).
    pub fn ray(&self, uv: &Point2<f64>) -> (Point3<f64>, Vector3<f64>) {
        let d = self.intrinsics.ray(uv);
        (
            self.camera_to_vehicle * Point3::origin(),
            self.camera_to_vehicle.rotation * d,
        )
    }
}

/// The image footprint of a set of points.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProjectedBox {
    /// Bounding box `[u1, v1, u2, v2]` of the points that land in the image, pixels.
    pub bbox: [f32; 4],
    /// Points that land in the image.
    pub visible: usize,
    /// Points given.
    pub total: usize,
}

/// Projects `points` (vehicle frame, metres) into `view`; `None` when fewer than
/// `min_visible` points, or less than `min_fraction` of them, land in the image.
pub fn project_points(
    view: &CameraView,
    points: impl Iterator<Item = [f32; 3]>,
    min_visible: usize,
    min_fraction: f64,
) -> Option<ProjectedBox> {
    let mut bbox = [f32::MAX, f32::MAX, f32::MIN, f32::MIN];
    let (mut visible, mut total) = (0, 0);
    for [x, y, z] in points {
        total += 1;
        if let Some((uv, _)) = view.project(&Point3::new(x as f64, y as f64, z as f64)) {
            visible += 1;
            let (u, v) = (uv.x as f32, uv.y as f32);
            bbox = [
                bbox[0].min(u),
                bbox[1].min(v),
                bbox[2].max(u),
                bbox[3].max(v),
            ];
        }
    }
    (visible >= min_visible.max(1) && visible as f64 >= min_fraction * total as f64).then_some(
        ProjectedBox {
            bbox,
            visible,
            total,
        },
    )
}
