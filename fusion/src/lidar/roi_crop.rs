//! Bringing LiDAR sweeps into the vehicle frame and cropping them to the region of interest.

use crate::FusionError;
use kestrel_sensors::{PointCloud, Rig, SensorKind};
use serde::{Deserialize, Serialize};

/// The region of interest, in the **vehicle frame** (x forward, y left, z up, metres).
/// Points outside `[x_min, x_max] x [y_min, y_max] x [z_min, z_max]` or inside the ego box are
/// dropped (and counted).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RoiConfig {
    /// Rearmost x kept, metres. Default -50.
    pub x_min: f32,
    /// Foremost x kept, metres. Default 100: a stopped car must be tracked early enough for a
    /// comfortable stop from highway speed (at 25 m/s, 3 m/s^2 needs ~104 m; even an AEB stop
    /// at 6 m/s^2 needs ~52 m plus confirmation and reaction), and 32/64-beam sensors still put
    /// a few rings on a car at 100 m. At 70 m the simulator's `stationary_obstacle` car (HDL-64)
    /// was first seen at ~68 m and the ego needed AEB.
    pub x_max: f32,
    /// Rightmost y kept, metres. Default -50 (objects up to 50 m to the side are tracked).
    pub y_min: f32,
    /// Leftmost y kept, metres. Default 50.
    pub y_max: f32,
    /// Lowest z kept, metres (below the ground plane z = 0 to allow for slopes). Default -3.
    pub z_min: f32,
    /// Highest z kept, metres. Default 4.
    pub z_max: f32,
    /// The ego vehicle's own footprint `[x_min, x_max, y_min, y_max]`, metres, whose points
    /// (roof, mirrors) are dropped. Default `[-1.2, 4.2, -1.1, 1.1]`: a car with its rear axle
    /// at the origin.
    pub ego_box: [f32; 4],
}

impl Default for RoiConfig {
    fn default() -> Self {
        Self {
            x_min: -50.0,
            x_max: 100.0,
            y_min: -50.0,
            y_max: 50.0,
            z_min: -3.0,
            z_max: 4.0,
            ego_box: [-1.2, 4.2, -1.1, 1.1],
        }
    }
}

impl RoiConfig {
    /// Checks that every interval is non-empty and finite.
    pub fn validate(&self) -> Result<(), FusionError> {
        let pairs = [
            ("lidar.roi.x_min", self.x_min, self.x_max),
            ("lidar.roi.y_min", self.y_min, self.y_max),
            ("lidar.roi.z_min", self.z_min, self.z_max),
            ("lidar.roi.ego_box", self.ego_box[0], self.ego_box[1]),
            ("lidar.roi.ego_box", self.ego_box[2], self.ego_box[3]),
        ];
        for (field, lo, hi) in pairs {
            if !(lo.is_finite() && hi.is_finite() && lo < hi) {
                return Err(FusionError::InvalidConfig {
                    field,
                    value: lo as f64,
                    reason: "lower bound must be finite and below the upper bound",
                });
            }
        }
        Ok(())
    }
}

/// Points in the **vehicle frame** (metres), columnar.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct VehiclePoints {
    /// x, metres.
    pub x: Vec<f32>,
    /// y, metres.
    pub y: Vec<f32>,
    /// z, metres.
    pub z: Vec<f32>,
}

impl VehiclePoints {
    /// Number of points.
    pub fn len(&self) -> usize {
        self.x.len()
    }

    /// True when there are no points.
    pub fn is_empty(&self) -> bool {
        self.x.is_empty()
    }

    /// Appends one point.
    pub fn push(&mut self, x: f32, y: f32, z: f32) {
        self.x.push(x);
        self.y.push(y);
        self.z.push(z);
    }
}

/// What the crop kept and dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CropStats {
    /// Points given.
    pub input: usize,
    /// Dropped because a coordinate was NaN or infinite.
    pub non_finite: usize,
    /// Dropped because they lie outside the region of interest.
    pub outside_roi: usize,
    /// Dropped because they lie on the ego vehicle.
    pub ego: usize,
}

/// Transforms every cloud into the vehicle frame with its LiDAR's extrinsics from `rig`, and
/// keeps the finite points inside `roi` and outside the ego box. Clouds are appended in the
/// order given, points in their order.
///
/// Errors: [`FusionError::UnknownSensor`] / [`FusionError::WrongSensorKind`] when a cloud's
/// sensor is not a LiDAR of the rig.
pub fn crop_to_vehicle(
    clouds: &[PointCloud],
    rig: &Rig,
    roi: &RoiConfig,
) -> Result<(VehiclePoints, CropStats), FusionError> {
    let total: usize = clouds.iter().map(PointCloud::len).sum();
    let mut out = VehiclePoints {
        x: Vec::with_capacity(total),
        y: Vec::with_capacity(total),
        z: Vec::with_capacity(total),
    };
    let mut stats = CropStats {
        input: total,
        ..CropStats::default()
    };
    let [ex0, ex1, ey0, ey1] = roi.ego_box;
    for cloud in clouds {
        let spec = rig
            .sensor(&cloud.sensor)
            .ok_or_else(|| FusionError::UnknownSensor {
                sensor: cloud.sensor.clone(),
                kind: "lidar",
            })?;
        if !matches!(spec.kind, SensorKind::Lidar { .. }) {
            return Err(FusionError::WrongSensorKind {
                sensor: cloud.sensor.clone(),
                expected: "lidar",
                actual: spec.kind.name(),
            });
        }
        let m = spec.extrinsics.to_homogeneous().cast::<f32>();
        for [px, py, pz] in cloud.iter_xyz() {
            if !(px.is_finite() && py.is_finite() && pz.is_finite()) {
                stats.non_finite += 1;
                continue;
            }
            let x = m[(0, 0)] * px + m[(0, 1)] * py + m[(0, 2)] * pz + m[(0, 3)];
            let y = m[(1, 0)] * px + m[(1, 1)] * py + m[(1, 2)] * pz + m[(1, 3)];
            let z = m[(2, 0)] * px + m[(2, 1)] * py + m[(2, 2)] * pz + m[(2, 3)];
            let inside = x >= roi.x_min
                && x <= roi.x_max
                && y >= roi.y_min
                && y <= roi.y_max
                && z >= roi.z_min
                && z <= roi.z_max;
            if !inside {
                stats.outside_roi += 1;
            } else if x >= ex0 && x <= ex1 && y >= ey0 && y <= ey1 {
                stats.ego += 1;
            } else {
                out.push(x, y, z);
            }
        }
    }
    Ok((out, stats))
}

#[cfg(test)]
mod tests {
    use super::*;
    use kestrel_sensors::{SensorSpec, Timestamp};
    use nalgebra::Isometry3;

    fn rig() -> Rig {
        Rig {
            name: "t".into(),
            sensors: vec![SensorSpec {
                name: "lidar".into(),
                kind: SensorKind::Lidar { beams: None },
                topic: None,
                rate_hz: None,
                sync_offset_s: 0.0,
                extrinsics: Isometry3::translation(1.0, 0.0, 2.0),
            }],
        }
    }

    #[test]
    fn transforms_crops_and_counts() {
        let mut c = PointCloud::with_capacity("lidar", Timestamp(0), 5, false, false);
        c.push(10.0, 0.0, -2.0, 0.0, 0, 0); // kept: (11, 0, 0)
        c.push(f32::NAN, 0.0, 0.0, 0.0, 0, 0); // non-finite
        c.push(0.0, f32::INFINITY, 0.0, 0.0, 0, 0); // non-finite
        c.push(100.0, 0.0, 0.0, 0.0, 0, 0); // outside ROI
        c.push(0.5, 0.0, -1.0, 0.0, 0, 0); // on the ego roof: (1.5, 0, 1)
        let (pts, stats) = crop_to_vehicle(&[c], &rig(), &RoiConfig::default()).unwrap();
        assert_eq!(pts.len(), 1);
        assert_eq!((pts.x[0], pts.y[0], pts.z[0]), (11.0, 0.0, 0.0));
        assert_eq!(
            stats,
            CropStats {
                input: 5,
                non_finite: 2,
                outside_roi: 1,
                ego: 1
            }
        );
    }

    #[test]
    fn empty_input_and_unknown_sensor() {
        let (pts, stats) = crop_to_vehicle(&[], &rig(), &RoiConfig::default()).unwrap();
        assert!(pts.is_empty() && stats.input == 0);
        let c = PointCloud::with_capacity("nope", Timestamp(0), 0, false, false);
        assert!(matches!(
            crop_to_vehicle(&[c], &rig(), &RoiConfig::default()),
            Err(FusionError::UnknownSensor { .. })
        ));
    }
}
