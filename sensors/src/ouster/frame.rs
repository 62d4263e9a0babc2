//! One assembled Ouster rotation ("frame", SDK "LidarScan") and its point cloud.

use super::xyz::XyzLut;
use crate::lidar_bin::DecodedCloud;
use crate::{PointCloud, Timestamp};

/// All columns of one rotation, indexed by measurement id. Pixel arrays are row-major
/// `[beam * columns + measurement_id]` (the SDK's staggered layout, not destaggered).
#[derive(Debug, Clone, PartialEq)]
pub struct OusterFrame {
    /// Frame id from the packets.
    pub frame_id: u16,
    /// Beams (rows).
    pub beams: usize,
    /// Columns per frame.
    pub columns: usize,
    /// Range, millimetres (0 = no return or column not received).
    pub range_mm: Vec<u32>,
    /// Reflectivity as sent.
    pub reflectivity: Vec<u16>,
    /// Signal photons (legacy profile only; 0 otherwise).
    pub signal: Vec<u16>,
    /// Near-IR as sent.
    pub near_ir: Vec<u16>,
    /// Column timestamps, ns, sensor clock (0 for columns not received).
    pub column_timestamp_ns: Vec<u64>,
    /// Column measurement ids (0 for columns not received).
    pub measurement_id: Vec<u16>,
    /// Column status words (0 for columns not received).
    pub column_status: Vec<u32>,
    /// Encoder counts (legacy profile; 0 otherwise).
    pub encoder_count: Vec<u32>,
    /// Whether each column arrived (with valid status).
    pub received: Vec<bool>,
    /// Columns of the column window that never arrived (dropped packets) or arrived invalid.
    pub missing_columns: usize,
    /// Columns that arrived more than once (later copies ignored).
    pub duplicate_columns: usize,
}

impl OusterFrame {
    /// An empty frame.
    pub fn new(frame_id: u16, beams: usize, columns: usize) -> Self {
        let n = beams * columns;
        Self {
            frame_id,
            beams,
            columns,
            range_mm: vec![0; n],
            reflectivity: vec![0; n],
            signal: vec![0; n],
            near_ir: vec![0; n],
            column_timestamp_ns: vec![0; columns],
            measurement_id: vec![0; columns],
            column_status: vec![0; columns],
            encoder_count: vec![0; columns],
            received: vec![false; columns],
            missing_columns: 0,
            duplicate_columns: 0,
        }
    }

    /// Earliest timestamp of a received column (frame start), or 0 when none arrived.
    pub fn timestamp(&self) -> Timestamp {
        Timestamp(
            self.column_timestamp_ns
                .iter()
                .zip(&self.received)
                .filter(|(_, r)| **r)
                .map(|(t, _)| *t)
                .min()
                .unwrap_or(0),
        )
    }

    /// The returns as a cloud of `sensor` (Ouster sensor frame: x forward, y left, z up,
    /// metres), ordered by column then beam; `ring` = beam index, `time_offset_ns` = column
    /// time after the frame start, intensity = reflectivity. Pixels with range 0 (no return)
    /// are not points; the returned `skipped` counts returns whose column time precedes the
    /// frame start by more than `u32` nanoseconds allows (never for a real rotation).
    pub fn to_point_cloud(&self, lut: &XyzLut, sensor: &str) -> DecodedCloud {
        let t0 = self.timestamp();
        let mut cloud = PointCloud::with_capacity(sensor, t0, self.range_mm.len(), true, true);
        let mut skipped = 0;
        for col in (0..self.columns).filter(|&c| self.received[c]) {
            let Ok(dt) = u32::try_from(self.column_timestamp_ns[col].saturating_sub(t0.0)) else {
                skipped += (0..self.beams)
                    .filter(|b| self.range_mm[b * self.columns + col] > 0)
                    .count();
                continue;
            };
            for beam in 0..self.beams {
                let i = beam * self.columns + col;
                let r = self.range_mm[i];
                if r == 0 {
                    continue;
                }
                let p = lut.point(col, beam, r);
                cloud.push(
                    p.x as f32,
                    p.y as f32,
                    p.z as f32,
                    self.reflectivity[i] as f32,
                    beam as u16,
                    dt,
                );
            }
        }
        DecodedCloud { cloud, skipped }
    }
}
