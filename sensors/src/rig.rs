//! The rig: which sensors a vehicle carries, where they are mounted, how they see.

use crate::{CameraIntrinsics, SensorError};
use nalgebra::{Isometry3, Quaternion, Translation3, UnitQuaternion};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// What kind of sensor a [`SensorSpec`] describes, with the kind-specific model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SensorKind {
    /// A camera; images are in its optical frame (x right, y down, z forward).
    Camera {
        /// Pinhole model and distortion.
        intrinsics: CameraIntrinsics,
    },
    /// A LiDAR; points are in its sensor frame (x forward, y left, z up).
    Lidar {
        /// Number of beams, if known (64 for an HDL-64E, 32 for an OS-1-32).
        #[serde(default)]
        beams: Option<u16>,
    },
    /// A radar; detections are in its sensor frame (x forward, y left, z up).
    Radar {
        /// Horizontal field of view, radians, if known.
        #[serde(default)]
        horizontal_fov: Option<f64>,
        /// Maximum range, metres, if known.
        #[serde(default)]
        max_range: Option<f64>,
    },
}

impl SensorKind {
    /// "camera", "lidar" or "radar".
    pub fn name(&self) -> &'static str {
        match self {
            SensorKind::Camera { .. } => "camera",
            SensorKind::Lidar { .. } => "lidar",
            SensorKind::Radar { .. } => "radar",
        }
    }
}

/// A mounting pose in TOML-friendly form: translation in metres and a unit quaternion.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
struct PoseToml {
    /// Translation x, y, z, metres.
    translation: [f64; 3],
    /// Rotation as quaternion `[w, x, y, z]`.
    rotation_wxyz: [f64; 4],
}

mod isometry_toml {
    use super::*;
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(iso: &Isometry3<f64>, s: S) -> Result<S::Ok, S::Error> {
        let q = iso.rotation.quaternion();
        PoseToml {
            translation: iso.translation.vector.into(),
            rotation_wxyz: [q.w, q.i, q.j, q.k],
        }
        .serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Isometry3<f64>, D::Error> {
        let p = PoseToml::deserialize(d)?;
        let [w, x, y, z] = p.rotation_wxyz;
        let q = Quaternion::new(w, x, y, z);
        let norm = q.norm();
        if !norm.is_finite() || (norm - 1.0).abs() > 1e-3 {
            return Err(serde::de::Error::custom(format!(
                "rotation_wxyz must be a unit quaternion (norm {norm})"
            )));
        }
        // A quaternion written by `serialize` is already unit to within rounding: keep its
        // exact bits so rig -> TOML -> rig is lossless; renormalise anything hand-written.
        let rotation = if (norm - 1.0).abs() <= 4.0 * f64::EPSILON {
            UnitQuaternion::new_unchecked(q)
        } else {
            UnitQuaternion::from_quaternion(q)
        };
        let [tx, ty, tz] = p.translation;
        Ok(Isometry3::from_parts(
            Translation3::new(tx, ty, tz),
            rotation,
        ))
    }
}

fn is_zero(v: &f64) -> bool {
    *v == 0.0
}

/// One sensor of the rig.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SensorSpec {
    /// Unique name; messages carry it in their `sensor` field (e.g. `cam_front`, `lidar_top`).
    pub name: String,
    /// Kind and model.
    #[serde(flatten)]
    pub kind: SensorKind,
    /// Log / middleware topic the sensor's messages use, if any (e.g. `/sensing/lidar/points`).
    #[serde(default)]
    pub topic: Option<String>,
    /// Nominal message rate, Hz.
    #[serde(default)]
    pub rate_hz: Option<f64>,
    /// When this sensor captures the data that belongs with one frame of the rig's reference
    /// sensor (its first LiDAR), relative to that reference message's timestamp, seconds
    /// (negative: earlier). Cameras triggered as a spinning LiDAR's beam sweeps past them
    /// capture at fixed phases of the sweep: PandaSet stamps a sweep at its end, so its back
    /// camera fires about 0.1 s before the stamp. Time alignment looks for this sensor's
    /// message around `reference stamp + sync_offset_s` (Autoware's `input_offset_ms`).
    /// Default 0.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub sync_offset_s: f64,
    /// Sensor frame -> vehicle frame (vehicle: x forward, y left, z up, origin at the rear
    /// axle centre on the ground, metres).
    #[serde(with = "isometry_toml")]
    pub extrinsics: Isometry3<f64>,
}

impl SensorSpec {
    /// The camera intrinsics, if this sensor is a camera.
    pub fn intrinsics(&self) -> Option<&CameraIntrinsics> {
        match &self.kind {
            SensorKind::Camera { intrinsics } => Some(intrinsics),
            _ => None,
        }
    }
}

/// The sensors of a vehicle. Serialises to and from TOML:
///
/// ```toml
/// name = "kitti"
/// [[sensors]]
/// name = "lidar_top"
/// kind = "lidar"
/// beams = 64
/// extrinsics = { translation = [0.0, 0.0, 1.73], rotation_wxyz = [1.0, 0.0, 0.0, 0.0] }
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Rig {
    /// Name of the rig (vehicle or dataset).
    pub name: String,
    /// Sensors, unique by name.
    #[serde(default)]
    pub sensors: Vec<SensorSpec>,
}

impl Rig {
    /// Parses a rig from TOML text, checking that sensor names are unique.
    pub fn from_toml_str(text: &str) -> Result<Self, SensorError> {
        let rig: Rig = toml::from_str(text).map_err(|e| SensorError::Rig(e.to_string()))?;
        rig.check()?;
        Ok(rig)
    }

    /// Reads a rig TOML file.
    pub fn load(path: &Path) -> Result<Self, SensorError> {
        let text = std::fs::read_to_string(path).map_err(|e| SensorError::io(path, e))?;
        Self::from_toml_str(&text)
    }

    /// The rig as TOML text.
    pub fn to_toml_string(&self) -> Result<String, SensorError> {
        toml::to_string_pretty(self).map_err(|e| SensorError::Rig(e.to_string()))
    }

    /// The sensor called `name`.
    pub fn sensor(&self, name: &str) -> Option<&SensorSpec> {
        self.sensors.iter().find(|s| s.name == name)
    }

    /// All cameras.
    pub fn cameras(&self) -> impl Iterator<Item = &SensorSpec> {
        self.sensors
            .iter()
            .filter(|s| matches!(s.kind, SensorKind::Camera { .. }))
    }

    /// Transform from sensor `from`'s frame to sensor `to`'s frame.
    pub fn transform(&self, from: &str, to: &str) -> Result<Isometry3<f64>, SensorError> {
        let a = self
            .sensor(from)
            .ok_or_else(|| SensorError::UnknownSensor(from.to_owned()))?;
        let b = self
            .sensor(to)
            .ok_or_else(|| SensorError::UnknownSensor(to.to_owned()))?;
        Ok(b.extrinsics.inverse() * a.extrinsics)
    }

    fn check(&self) -> Result<(), SensorError> {
        for (i, s) in self.sensors.iter().enumerate() {
            if !(s.sync_offset_s.is_finite() && s.sync_offset_s.abs() <= 1.0) {
                return Err(SensorError::Rig(format!(
                    "sensor `{}`: sync_offset_s = {} must be finite and within 1 s",
                    s.name, s.sync_offset_s
                )));
            }
            if self.sensors[..i].iter().any(|o| o.name == s.name) {
                return Err(SensorError::Rig(format!(
                    "duplicate sensor name `{}`",
                    s.name
                )));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Distortion;
    use nalgebra::{Point3, Vector3};

    fn rig() -> Rig {
        Rig {
            name: "test".into(),
            sensors: vec![
                SensorSpec {
                    name: "lidar".into(),
                    kind: SensorKind::Lidar { beams: Some(64) },
                    topic: Some("/points".into()),
                    rate_hz: Some(10.0),
                    sync_offset_s: 0.0,
                    extrinsics: Isometry3::translation(0.0, 0.0, 1.73),
                },
                SensorSpec {
                    name: "cam".into(),
                    kind: SensorKind::Camera {
                        intrinsics: CameraIntrinsics {
                            width: 100,
                            height: 50,
                            fx: 50.0,
                            fy: 50.0,
                            cx: 50.0,
                            cy: 25.0,
                            distortion: Distortion::PlumbBob {
                                k1: 0.01,
                                k2: 0.0,
                                p1: 0.0,
                                p2: 0.0,
                                k3: 0.0,
                            },
                        },
                    },
                    topic: None,
                    rate_hz: None,
                    sync_offset_s: 0.0,
                    // optical frame: z forward = vehicle x, x right = -vehicle y, y down = -z
                    extrinsics: Isometry3::from_parts(
                        Translation3::new(1.0, 0.0, 1.5),
                        UnitQuaternion::from_basis_unchecked(&[
                            -Vector3::y(),
                            -Vector3::z(),
                            Vector3::x(),
                        ]),
                    ),
                },
            ],
        }
    }

    #[test]
    fn toml_round_trip_is_bit_exact_for_arbitrary_rotations() {
        let mut r = rig();
        r.sensors[0].extrinsics = Isometry3::from_parts(
            Translation3::new(0.27, -0.01, 1.73),
            UnitQuaternion::from_euler_angles(0.013, -0.021, 1.5637),
        );
        let back = Rig::from_toml_str(&r.to_toml_string().unwrap()).unwrap();
        assert_eq!(back, r, "replaying a logged rig must use the recorded bits");
    }

    #[test]
    fn hand_written_quaternions_are_renormalised() {
        let text = "name='x'\n[[sensors]]\nname='l'\nkind='lidar'\nextrinsics={translation=[0,0,0],rotation_wxyz=[1.0002,0,0,0]}\n";
        let rig = Rig::from_toml_str(text).unwrap();
        assert_eq!(rig.sensors[0].extrinsics.rotation.quaternion().w, 1.0);
    }

    #[test]
    fn toml_round_trip() {
        let r = rig();
        let text = r.to_toml_string().unwrap();
        let back = Rig::from_toml_str(&text).unwrap();
        assert_eq!(back.sensors.len(), 2);
        let t = back.transform("lidar", "cam").unwrap();
        let t0 = r.transform("lidar", "cam").unwrap();
        assert!((t.to_homogeneous() - t0.to_homogeneous()).norm() < 1e-9);
        // A point 10 m ahead of the lidar is in front of the camera, slightly above centre.
        let p = t * Point3::new(10.0, 0.0, 0.0);
        assert!((p.z - 9.0).abs() < 1e-9 && (p.y + 0.23).abs() < 1e-9);
    }

    #[test]
    fn rejects_duplicates_and_bad_quaternions() {
        let mut r = rig();
        r.sensors[1].name = "lidar".into();
        let text = r.to_toml_string().unwrap();
        assert!(matches!(
            Rig::from_toml_str(&text),
            Err(SensorError::Rig(_))
        ));
        let bad = "name='x'\n[[sensors]]\nname='l'\nkind='lidar'\nextrinsics={translation=[0,0,0],rotation_wxyz=[2,0,0,0]}\n";
        assert!(Rig::from_toml_str(bad).is_err());
    }
}
