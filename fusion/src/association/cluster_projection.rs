//! A camera of the rig, projecting vehicle-frame points (LiDAR points, radar objects) into its
//! image and casting rays from its pixels.

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

    /// The same camera seen from the vehicle frame of another instant: `motion` is the pose
    /// of that frame in the vehicle frame at this camera's exposure (the ego motion from the
    /// exposure to that instant). Points of that instant project as they were seen.
    pub fn at_motion(&self, motion: &Isometry3<f64>) -> Self {
        let camera_to_vehicle = motion.inverse() * self.camera_to_vehicle;
        Self {
            camera_to_vehicle,
            vehicle_to_camera: camera_to_vehicle.inverse(),
            ..self.clone()
        }
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
