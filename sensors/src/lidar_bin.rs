//! Flat binary LiDAR scans: consecutive little-endian `f32` records (KITTI velodyne `.bin`,
//! nuScenes `.pcd.bin`).

use crate::{PointCloud, SensorError, Timestamp};

/// Record layout of a flat `f32` LiDAR file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FloatRecordLayout {
    /// KITTI: `x, y, z, reflectance` (16 bytes per point; reflectance 0..1).
    Kitti,
    /// nuScenes: `x, y, z, intensity, ring` (20 bytes per point; intensity 0..255, ring 0..31).
    Nuscenes,
}

impl FloatRecordLayout {
    /// Bytes per point.
    pub const fn record_bytes(self) -> usize {
        match self {
            FloatRecordLayout::Kitti => 16,
            FloatRecordLayout::Nuscenes => 20,
        }
    }
}

/// A decoded scan plus what was dropped while decoding.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodedCloud {
    /// The points that were kept (LiDAR sensor frame, metres).
    pub cloud: PointCloud,
    /// Points dropped because a coordinate was NaN or infinite, or (nuScenes) the ring value
    /// was not a small non-negative integer.
    pub skipped: usize,
}

/// Decodes a flat `f32` LiDAR file's bytes. Coordinates are in the LiDAR's sensor frame
/// (x forward, y left, z up, metres; KITTI Velodyne and nuScenes LIDAR_TOP both use it).
///
/// A length that is not a whole number of records is a [`SensorError::Truncated`] error naming
/// `what` and the offset of the partial record; non-finite points are skipped and counted.
pub fn decode_float_records(
    bytes: &[u8],
    layout: FloatRecordLayout,
    what: &str,
    sensor: &str,
    timestamp: Timestamp,
) -> Result<DecodedCloud, SensorError> {
    let stride = layout.record_bytes();
    let rem = bytes.len() % stride;
    if rem != 0 {
        return Err(SensorError::Truncated {
            what: what.to_owned(),
            offset: bytes.len() - rem,
            needed: stride - rem,
        });
    }
    let n = bytes.len() / stride;
    let with_ring = layout == FloatRecordLayout::Nuscenes;
    let mut cloud = PointCloud::with_capacity(sensor, timestamp, n, with_ring, false);
    let mut skipped = 0;
    for rec in bytes.chunks_exact(stride) {
        let f = |i: usize| {
            f32::from_le_bytes([rec[4 * i], rec[4 * i + 1], rec[4 * i + 2], rec[4 * i + 3]])
        };
        let (x, y, z, intensity) = (f(0), f(1), f(2), f(3));
        let ring = if with_ring { f(4) } else { 0.0 };
        let ring_ok = ring >= 0.0 && ring <= u16::MAX as f32 && ring.fract() == 0.0;
        if !(x.is_finite() && y.is_finite() && z.is_finite() && intensity.is_finite() && ring_ok) {
            skipped += 1;
            continue;
        }
        cloud.push(x, y, z, intensity, ring as u16, 0);
    }
    Ok(DecodedCloud { cloud, skipped })
}

/// Reads and decodes a flat `f32` LiDAR file; see [`decode_float_records`].
pub fn read_float_records(
    path: &std::path::Path,
    layout: FloatRecordLayout,
    sensor: &str,
    timestamp: Timestamp,
) -> Result<DecodedCloud, SensorError> {
    let bytes = std::fs::read(path).map_err(|e| SensorError::io(path, e))?;
    decode_float_records(
        &bytes,
        layout,
        &path.display().to_string(),
        sensor,
        timestamp,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nan_points_are_skipped_and_partial_records_rejected() {
        let mut bytes = Vec::new();
        for v in [1.0f32, 2.0, 3.0, 0.5, f32::NAN, 0.0, 0.0, 0.1] {
            bytes.extend_from_slice(&v.to_le_bytes());
        }
        let d =
            decode_float_records(&bytes, FloatRecordLayout::Kitti, "t", "l", Timestamp(0)).unwrap();
        assert_eq!((d.cloud.len(), d.skipped), (1, 1));
        let e = decode_float_records(
            &bytes[..30],
            FloatRecordLayout::Kitti,
            "t",
            "l",
            Timestamp(0),
        );
        assert!(matches!(
            e,
            Err(SensorError::Truncated {
                offset: 16,
                needed: 2,
                ..
            })
        ));
    }
}
