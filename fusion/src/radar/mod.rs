//! The radar detection branch: valid detections -> vehicle frame -> ego-motion-compensated
//! radial velocities -> clusters (distance and velocity gating) -> one object per cluster with
//! a velocity estimate.

pub mod radar_clustering;
pub mod velocity_estimation;

use crate::FusionError;
use crate::ego_velocity::EgoVelocity;
use kestrel_sensors::{RadarScan, Rig, SensorKind};
use nalgebra::{Point3, Vector2, Vector3};
use radar_clustering::{RadarClusterConfig, cluster_detections};
use serde::{Deserialize, Serialize};
use velocity_estimation::{VelocityEstimate, VelocityEstimationConfig, estimate_velocity};

/// Configuration of the radar branch.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RadarConfig {
    /// Drop detections whose Doppler velocity the sensor marks ambiguous. Default true.
    pub require_unambiguous_velocity: bool,
    /// Clustering gates.
    pub cluster: RadarClusterConfig,
    /// Velocity estimation.
    pub velocity: VelocityEstimationConfig,
}

impl Default for RadarConfig {
    fn default() -> Self {
        Self {
            require_unambiguous_velocity: true,
            cluster: RadarClusterConfig::default(),
            velocity: VelocityEstimationConfig::default(),
        }
    }
}

impl RadarConfig {
    /// Checks every section.
    pub fn validate(&self) -> Result<(), FusionError> {
        self.cluster.validate()?;
        let v = &self.velocity;
        for (field, x) in [
            ("radar.velocity.radial_sigma_mps", v.radial_sigma_mps),
            (
                "radar.velocity.unobserved_sigma_mps",
                v.unobserved_sigma_mps,
            ),
        ] {
            if !(x.is_finite() && x > 0.0) {
                return Err(FusionError::InvalidConfig {
                    field,
                    value: x,
                    reason: "must be positive and finite",
                });
            }
        }
        if !(v.min_azimuth_spread_deg.is_finite() && v.min_azimuth_spread_deg >= 0.0) {
            return Err(FusionError::InvalidConfig {
                field: "radar.velocity.min_azimuth_spread_deg",
                value: v.min_azimuth_spread_deg,
                reason: "must be non-negative and finite",
            });
        }
        Ok(())
    }
}

/// One radar object (a cluster of detections), **vehicle frame**.
#[derive(Debug, Clone, PartialEq)]
pub struct RadarCluster {
    /// Mean position of the detections, metres.
    pub position: Point3<f64>,
    /// Velocity over ground with covariance and observability. When `compensated` is false
    /// the velocity is relative to the moving radar (no ego motion was available).
    pub velocity: VelocityEstimate,
    /// Whether the radial velocities were ego-motion compensated.
    pub compensated: bool,
    /// Number of detections.
    pub detections: usize,
    /// Mean radar cross section, dBsm.
    pub mean_rcs: f64,
}

/// Counters of the radar branch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RadarStats {
    /// Detections given.
    pub input: usize,
    /// Dropped: marked invalid by the sensor.
    pub invalid: usize,
    /// Dropped: ambiguous Doppler (when `require_unambiguous_velocity`).
    pub ambiguous: usize,
    /// Dropped: non-finite position or velocity.
    pub non_finite: usize,
    /// Kept detections whose radial velocity could not be ego-motion compensated.
    pub uncompensated: usize,
}

/// Output of the radar branch for one instant.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RadarDetections {
    /// Clusters, ordered by their first detection (scan order, then detection order).
    pub clusters: Vec<RadarCluster>,
    /// Counters.
    pub stats: RadarStats,
}

/// A detection that passed the filters: (position in the vehicle frame, unit line of sight
/// from the radar, compensated radial velocity m/s, rcs dBsm, compensated?).
type KeptDetection = (Point3<f64>, Vector2<f64>, f64, f64, bool);

/// The radar branch (stateless; holds its validated configuration).
#[derive(Debug, Clone, PartialEq)]
pub struct RadarBranch {
    config: RadarConfig,
}

impl RadarBranch {
    /// A branch with a validated configuration.
    pub fn new(config: RadarConfig) -> Result<Self, FusionError> {
        config.validate()?;
        Ok(Self { config })
    }

    /// Clusters the detections of `scans` (each in the frame of its radar in `rig`) and
    /// estimates each cluster's velocity over ground. Doppler velocities are compensated with
    /// the detection's own `compensated_velocity` when present, else with `ego`; with neither,
    /// they stay relative and are counted in [`RadarStats::uncompensated`].
    pub fn detect(
        &self,
        scans: &[RadarScan],
        rig: &Rig,
        ego: Option<&EgoVelocity>,
    ) -> Result<RadarDetections, FusionError> {
        let mut stats = RadarStats::default();
        let mut kept: Vec<KeptDetection> = Vec::new();
        for scan in scans {
            let spec = rig
                .sensor(&scan.sensor)
                .ok_or_else(|| FusionError::UnknownSensor {
                    sensor: scan.sensor.clone(),
                    kind: "radar",
                })?;
            if !matches!(spec.kind, SensorKind::Radar { .. }) {
                return Err(FusionError::WrongSensorKind {
                    sensor: scan.sensor.clone(),
                    expected: "radar",
                    actual: spec.kind.name(),
                });
            }
            let iso = spec.extrinsics;
            let origin = Vector2::new(iso.translation.vector.x, iso.translation.vector.y);
            for d in &scan.detections {
                stats.input += 1;
                if !d.validity.valid {
                    stats.invalid += 1;
                    continue;
                }
                if self.config.require_unambiguous_velocity && !d.validity.velocity_unambiguous {
                    stats.ambiguous += 1;
                    continue;
                }
                let p = d.position.cast::<f64>();
                let comp = d.compensated_velocity.map(|v| v.cast::<f64>());
                let finite = p.iter().all(|v| v.is_finite())
                    && d.radial_velocity.is_finite()
                    && comp.is_none_or(|v| v.iter().all(|c| c.is_finite()));
                if !finite {
                    stats.non_finite += 1;
                    continue;
                }
                let pv = iso * p;
                let Some(los) = Vector2::new(pv.x - origin.x, pv.y - origin.y).try_normalize(1e-6)
                else {
                    stats.non_finite += 1;
                    continue;
                };
                let (radial, compensated) = match (comp, ego) {
                    (Some(v), _) => {
                        let v = iso.rotation * Vector3::new(v.x, v.y, 0.0);
                        (Vector2::new(v.x, v.y).dot(&los), true)
                    }
                    (None, Some(ego)) => (
                        d.radial_velocity as f64 + ego.velocity_at(&origin).dot(&los),
                        true,
                    ),
                    (None, None) => {
                        stats.uncompensated += 1;
                        (d.radial_velocity as f64, false)
                    }
                };
                kept.push((pv, los, radial, d.rcs as f64, compensated));
            }
        }
        let gate_input: Vec<(Point3<f64>, f64)> = kept.iter().map(|k| (k.0, k.2)).collect();
        let clusters = cluster_detections(&gate_input, &self.config.cluster)
            .into_iter()
            .filter_map(|members| {
                let n = members.len() as f64;
                let meas: Vec<(Vector2<f64>, f64)> =
                    members.iter().map(|&i| (kept[i].1, kept[i].2)).collect();
                let velocity = estimate_velocity(&meas, &self.config.velocity)?;
                let position = Point3::from(
                    members
                        .iter()
                        .map(|&i| kept[i].0.coords)
                        .sum::<Vector3<f64>>()
                        / n,
                );
                Some(RadarCluster {
                    position,
                    velocity,
                    compensated: members.iter().all(|&i| kept[i].4),
                    detections: members.len(),
                    mean_rcs: members.iter().map(|&i| kept[i].3).sum::<f64>() / n,
                })
            })
            .collect();
        Ok(RadarDetections { clusters, stats })
    }
}

#[cfg(test)]
mod tests {
    use super::velocity_estimation::VelocityObservability;
    use super::*;
    use kestrel_sensors::{RadarDetection, RadarValidity, SensorSpec, Timestamp};
    use nalgebra::{Isometry3, Translation3, UnitQuaternion};

    fn rig(yaw: f64) -> Rig {
        Rig {
            name: "t".into(),
            sensors: vec![SensorSpec {
                name: "radar".into(),
                kind: SensorKind::Radar {
                    horizontal_fov: None,
                    max_range: None,
                },
                topic: None,
                rate_hz: None,
                sync_offset_s: 0.0,
                extrinsics: Isometry3::from_parts(
                    Translation3::new(3.5, 0.6, 0.5),
                    UnitQuaternion::from_axis_angle(&Vector3::z_axis(), yaw),
                ),
            }],
        }
    }

    fn valid() -> RadarValidity {
        RadarValidity {
            valid: true,
            velocity_unambiguous: true,
            quality_valid: true,
            dynamic_property: 0,
        }
    }

    /// A target moving at a known velocity seen by a yawed radar on a turning ego vehicle: the
    /// radial velocities are synthesised from the kinematics, and the branch must recover the
    /// target's velocity over ground.
    #[test]
    fn recovers_target_velocity_from_radial_velocities() {
        let yaw = 0.4;
        let rig = rig(yaw);
        let ego = EgoVelocity {
            velocity: Vector2::new(12.0, 0.3),
            yaw_rate: 0.15,
        };
        let target_v = Vector2::new(4.0, -6.0);
        let iso = rig.sensors[0].extrinsics;
        let origin = Vector2::new(3.5, 0.6);
        let sensor_v = ego.velocity_at(&origin);
        // Four reflections along the side of a car crossing at about (25.5, 10), vehicle frame.
        let mut dets = Vec::new();
        for k in 0..4 {
            let pv = Point3::new(25.0 + 0.3 * k as f64, 8.0 + 1.2 * k as f64, 0.6);
            let los = Vector2::new(pv.x - origin.x, pv.y - origin.y).normalize();
            let radial = (target_v - sensor_v).dot(&los);
            let ps = iso.inverse() * pv;
            dets.push(RadarDetection {
                position: ps.cast::<f32>(),
                radial_velocity: radial as f32,
                compensated_velocity: None,
                rcs: 10.0,
                id: None,
                validity: valid(),
            });
        }
        // One invalid and one non-finite detection, both dropped and counted.
        let mut bad = dets[0];
        bad.validity.valid = false;
        dets.push(bad);
        let mut nan = dets[0];
        nan.radial_velocity = f32::NAN;
        dets.push(nan);
        let scan = RadarScan {
            sensor: "radar".into(),
            timestamp: Timestamp(0),
            detections: dets,
        };
        let branch = RadarBranch::new(RadarConfig::default()).unwrap();
        let out = branch
            .detect(std::slice::from_ref(&scan), &rig, Some(&ego))
            .unwrap();
        assert_eq!(
            (out.stats.input, out.stats.invalid, out.stats.non_finite),
            (6, 1, 1)
        );
        assert_eq!(out.clusters.len(), 1);
        let c = &out.clusters[0];
        assert_eq!(c.velocity.observability, VelocityObservability::Full);
        let err = (c.velocity.velocity - target_v).norm();
        assert!(
            err < 0.05,
            "velocity {:?} vs {target_v:?}",
            c.velocity.velocity
        );
        assert!((c.position.x - 25.45).abs() < 1e-4 && (c.position.y - 9.8).abs() < 1e-4);

        // One detection only: the radial component is right, the covariance is wide across.
        let single = RadarScan {
            detections: scan.detections[..1].to_vec(),
            ..scan
        };
        let out = branch.detect(&[single], &rig, Some(&ego)).unwrap();
        let c = &out.clusters[0];
        assert_eq!(c.velocity.observability, VelocityObservability::RadialOnly);
        let los = Vector2::new(25.0 - origin.x, 8.0 - origin.y).normalize();
        assert!((c.velocity.velocity.dot(&los) - target_v.dot(&los)).abs() < 1e-4);
        assert!(c.velocity.covariance.trace() > 99.0);
    }

    #[test]
    fn empty_scan_and_missing_ego_motion() {
        let branch = RadarBranch::new(RadarConfig::default()).unwrap();
        let rig = rig(0.0);
        let out = branch.detect(&[], &rig, None).unwrap();
        assert!(out.clusters.is_empty());
        let scan = RadarScan {
            sensor: "radar".into(),
            timestamp: Timestamp(0),
            detections: vec![RadarDetection {
                position: Point3::new(10.0, 0.0, 0.0),
                radial_velocity: -3.0,
                compensated_velocity: None,
                rcs: 0.0,
                id: None,
                validity: valid(),
            }],
        };
        let out = branch.detect(&[scan], &rig, None).unwrap();
        assert_eq!(out.stats.uncompensated, 1);
        assert!(!out.clusters[0].compensated);
    }
}
