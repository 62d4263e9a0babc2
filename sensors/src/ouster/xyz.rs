//! Range -> XYZ for Ouster sensors, per the Ouster sensor documentation ("Lidar range data
//! to XYZ"): with encoder angle `θe = 2π(1 - m / W)` for measurement id `m`, beam azimuth
//! `θa = -2π·azimuth_deg/360`, beam altitude `φ = 2π·altitude_deg/360`, range `r` and beam
//! origin offset `n` (mm):
//!
//! ```text
//! x = (r - n)·cos(θe + θa)·cos φ + n·cos θe
//! y = (r - n)·sin(θe + θa)·cos φ + n·sin θe
//! z = (r - n)·sin φ
//! ```
//!
//! in the lidar frame, then `lidar_to_sensor_transform` (mm) to the sensor frame
//! (x forward, y left, z up), and metres.

use super::metadata::OusterMetadata;
use nalgebra::{Matrix3, Vector3};
use std::f64::consts::PI;

/// Precomputed direction and offset per (column, beam), sensor frame.
#[derive(Debug, Clone, PartialEq)]
pub struct XyzLut {
    beams: usize,
    /// Unit ray direction per `[column * beams + beam]`.
    direction: Vec<Vector3<f64>>,
    /// Point at range `n` along the ray (beam origin), metres, per `[column * beams + beam]`.
    offset: Vec<Vector3<f64>>,
    n_m: f64,
}

impl XyzLut {
    /// Builds the table for every measurement id of the sensor.
    pub fn new(meta: &OusterMetadata) -> Self {
        let w = meta.columns_per_frame;
        let h = meta.pixels_per_column;
        let t = &meta.lidar_to_sensor;
        let rot: Matrix3<f64> = t.fixed_view::<3, 3>(0, 0).into_owned();
        let trans = Vector3::new(t[(0, 3)], t[(1, 3)], t[(2, 3)]) / 1000.0;
        let n = meta.lidar_origin_to_beam_origin_mm / 1000.0;
        let mut direction = Vec::with_capacity(w * h);
        let mut offset = Vec::with_capacity(w * h);
        for m in 0..w {
            let enc = 2.0 * PI * (1.0 - m as f64 / w as f64);
            for b in 0..h {
                let az = -meta.beam_azimuth_deg[b].to_radians();
                let alt = meta.beam_altitude_deg[b].to_radians();
                let d = Vector3::new(
                    (enc + az).cos() * alt.cos(),
                    (enc + az).sin() * alt.cos(),
                    alt.sin(),
                );
                let origin = Vector3::new(n * enc.cos(), n * enc.sin(), 0.0);
                direction.push(rot * d);
                offset.push(rot * origin + trans);
            }
        }
        Self {
            beams: h,
            direction,
            offset,
            n_m: n,
        }
    }

    /// Sensor-frame point (metres) of beam `beam` in column `measurement_id` at `range_mm`.
    pub fn point(&self, measurement_id: usize, beam: usize, range_mm: u32) -> Vector3<f64> {
        let i = measurement_id * self.beams + beam;
        self.offset[i] + self.direction[i] * (range_mm as f64 / 1000.0 - self.n_m)
    }
}
