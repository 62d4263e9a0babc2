//! The tunables of the perception pipeline: the `[fusion]`, `[camera]`, `[tracking]` and
//! `[time_alignment]` tables of a configuration file. Their defaults are the fusion crate's
//! documented defaults, overridden by `perception/config/default.toml` (e.g. the camera
//! schedule of the shipped rig); a user file overrides single keys of either.

use crate::error::PerceptionError;
use kestrel_fusion::camera::CameraConfig;
use kestrel_fusion::tracking::TrackerConfig;
use kestrel_fusion::{FusionConfig, TimeAlignmentConfig};
use kestrel_sensors::Rig;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The `[time_alignment]` table: how sensor messages are grouped into frame sets. The sensors
/// and the anchoring sensor come from the rig.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TimeAlignmentTable {
    /// Half-width of the grouping window around the anchor, seconds. Default 0.05.
    pub window_s: f64,
    /// How long a set waits for a late sensor before it is emitted degraded, seconds.
    /// Default 0.1.
    pub max_latency_s: f64,
    /// Per-sensor stamp offsets, seconds, replacing the rig's `sync_offset_s` for the sensors
    /// named (a camera triggered 50 ms before the LiDAR sweep passes it: -0.05).
    pub offsets_s: BTreeMap<String, f64>,
    /// Share of a sensor's nominal period (the rig's `rate_hz`) that its messages are at
    /// least apart, 0..1: a message at most half that before a set's anchor is the sensor's
    /// nearest, and the set is emitted without waiting for the sensor's next message. 0:
    /// always wait for the next message. Default 0.8 (jitter of up to 20 % of the period).
    pub min_interval_share: f64,
}

impl Default for TimeAlignmentTable {
    fn default() -> Self {
        Self {
            window_s: 0.05,
            max_latency_s: 0.1,
            offsets_s: BTreeMap::new(),
            min_interval_share: 0.8,
        }
    }
}

/// The pipeline's four tables.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct PipelineConfig {
    /// LiDAR, radar and association parameters.
    pub fusion: FusionConfig,
    /// Camera branch: score thresholds, worker threads, schedule.
    pub camera: CameraConfig,
    /// Tracker.
    pub tracking: TrackerConfig,
    /// Time alignment.
    pub time_alignment: TimeAlignmentTable,
}

fn seconds_to_ns(field: &str, s: f64) -> Result<i64, PerceptionError> {
    if s.is_finite() && s.abs() < 10.0 {
        Ok((s * 1e9).round() as i64)
    } else {
        Err(PerceptionError::Config(format!(
            "time_alignment.{field} = {s}: must be a finite number of seconds below 10"
        )))
    }
}

impl PipelineConfig {
    /// Checks every table (the fusion crate's own range checks, named by field).
    pub fn validate(&self) -> Result<(), PerceptionError> {
        let err = |e: &dyn std::fmt::Display| PerceptionError::Config(e.to_string());
        self.fusion.validate().map_err(|e| err(&e))?;
        self.camera.validate().map_err(|e| err(&e))?;
        self.tracking.validate().map_err(|e| err(&e))?;
        let t = &self.time_alignment;
        for (field, v) in [("window_s", t.window_s), ("max_latency_s", t.max_latency_s)] {
            if seconds_to_ns(field, v)? < 0 {
                return Err(PerceptionError::Config(format!(
                    "time_alignment.{field} = {v}: must not be negative"
                )));
            }
        }
        for (sensor, &s) in &t.offsets_s {
            seconds_to_ns(&format!("offsets_s.{sensor}"), s)?;
        }
        if !(0.0..1.0).contains(&t.min_interval_share) {
            return Err(PerceptionError::Config(format!(
                "time_alignment.min_interval_share = {}: must be in [0, 1)",
                t.min_interval_share
            )));
        }
        Ok(())
    }

    /// The time aligner's configuration for `rig`: frame sets anchored on `reference` (falling
    /// back to `fallback`), offsets from the rig unless this table names the sensor.
    pub fn alignment(
        &self,
        rig: &Rig,
        reference: String,
        fallback: Option<String>,
    ) -> Result<TimeAlignmentConfig, PerceptionError> {
        let t = &self.time_alignment;
        let sensors = rig.sensors.iter().map(|s| s.name.clone()).collect();
        let mut alignment = TimeAlignmentConfig::new(sensors, reference, fallback);
        alignment.window_ns = seconds_to_ns("window_s", t.window_s)? as u64;
        alignment.max_latency_ns = seconds_to_ns("max_latency_s", t.max_latency_s)? as u64;
        for s in &rig.sensors {
            let offset = match t.offsets_s.get(&s.name) {
                Some(&o) => o,
                None => s.sync_offset_s,
            };
            if offset != 0.0 {
                alignment
                    .offsets_ns
                    .insert(s.name.clone(), seconds_to_ns("offsets_s", offset)?);
            }
            if let Some(rate) = s.rate_hz.filter(|r| r.is_finite() && *r > 0.0)
                && t.min_interval_share > 0.0
            {
                let interval_ns = (t.min_interval_share / rate * 1e9).round() as u64;
                alignment
                    .min_intervals_ns
                    .insert(s.name.clone(), interval_ns);
            }
        }
        Ok(alignment)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kestrel_sensors::{SensorKind, SensorSpec};
    use nalgebra::Isometry3;

    fn sensor(name: &str, rate_hz: Option<f64>) -> SensorSpec {
        SensorSpec {
            name: name.into(),
            kind: SensorKind::Lidar { beams: None },
            topic: None,
            rate_hz,
            sync_offset_s: 0.0,
            extrinsics: Isometry3::identity(),
        }
    }

    #[test]
    fn sensors_with_a_rate_get_a_minimum_message_interval() {
        let rig = Rig {
            name: "t".into(),
            sensors: vec![sensor("lidar", Some(10.0)), sensor("unrated", None)],
        };
        let table = PipelineConfig::default();
        let a = table.alignment(&rig, "lidar".into(), None).unwrap();
        assert_eq!(a.min_intervals_ns.get("lidar"), Some(&80_000_000));
        assert!(!a.min_intervals_ns.contains_key("unrated"));
        let mut off = table.clone();
        off.time_alignment.min_interval_share = 0.0;
        let a = off.alignment(&rig, "lidar".into(), None).unwrap();
        assert!(a.min_intervals_ns.is_empty());
        off.time_alignment.min_interval_share = 1.0;
        let e = off.validate().unwrap_err().to_string();
        assert!(e.contains("min_interval_share"), "{e}");
    }
}
