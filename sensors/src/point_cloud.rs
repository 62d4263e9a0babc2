//! LiDAR point clouds in a columnar layout.

use crate::{SensorError, Timestamp};

/// One LiDAR sweep (or a part of one), **columnar**: each attribute is its own contiguous
/// array, so a stage that needs only `x, y, z` reads only those, and slicing a range of points
/// is slicing each column.
///
/// Coordinates are in the **sensor frame** of the LiDAR named by `sensor` (x forward, y left,
/// z up, metres, per REP-103); the rig's extrinsics map them to the vehicle frame.
/// Every column has the same length, checked by [`PointCloud::new`] and kept by all methods.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PointCloud {
    /// Name of the LiDAR in the [`crate::Rig`].
    pub sensor: String,
    /// Time of the sweep: its start for spinning LiDARs (per-point offsets in `time_offset_ns`).
    pub timestamp: Timestamp,
    /// x coordinates, metres.
    pub x: Vec<f32>,
    /// y coordinates, metres.
    pub y: Vec<f32>,
    /// z coordinates, metres.
    pub z: Vec<f32>,
    /// Return intensity / reflectance, as the sensor reports it (KITTI: 0..1; nuScenes and
    /// Ouster: 0..255 or counts). Not calibrated across sensors.
    pub intensity: Vec<f32>,
    /// Laser (beam) index per point, 0 = the beam that the sensor numbers first, if known.
    pub ring: Option<Vec<u16>>,
    /// Per-point time after `timestamp`, nanoseconds, if known.
    pub time_offset_ns: Option<Vec<u32>>,
}

impl PointCloud {
    /// Builds a cloud, checking that all columns have the same length.
    pub fn new(
        sensor: impl Into<String>,
        timestamp: Timestamp,
        x: Vec<f32>,
        y: Vec<f32>,
        z: Vec<f32>,
        intensity: Vec<f32>,
    ) -> Result<Self, SensorError> {
        let n = x.len();
        for (name, len) in [
            ("y", y.len()),
            ("z", z.len()),
            ("intensity", intensity.len()),
        ] {
            if len != n {
                return Err(SensorError::ColumnLength {
                    column: name,
                    expected: n,
                    actual: len,
                });
            }
        }
        Ok(Self {
            sensor: sensor.into(),
            timestamp,
            x,
            y,
            z,
            intensity,
            ring: None,
            time_offset_ns: None,
        })
    }

    /// An empty cloud with room for `capacity` points (and ring/time columns when asked).
    pub fn with_capacity(
        sensor: impl Into<String>,
        timestamp: Timestamp,
        capacity: usize,
        with_ring: bool,
        with_time: bool,
    ) -> Self {
        Self {
            sensor: sensor.into(),
            timestamp,
            x: Vec::with_capacity(capacity),
            y: Vec::with_capacity(capacity),
            z: Vec::with_capacity(capacity),
            intensity: Vec::with_capacity(capacity),
            ring: with_ring.then(|| Vec::with_capacity(capacity)),
            time_offset_ns: with_time.then(|| Vec::with_capacity(capacity)),
        }
    }

    /// Appends one point. `ring` / `time_offset_ns` are stored only if the cloud has those
    /// columns; a cloud that has them needs a value (missing values are stored as 0).
    pub fn push(&mut self, x: f32, y: f32, z: f32, intensity: f32, ring: u16, time_offset_ns: u32) {
        self.x.push(x);
        self.y.push(y);
        self.z.push(z);
        self.intensity.push(intensity);
        if let Some(r) = self.ring.as_mut() {
            r.push(ring);
        }
        if let Some(t) = self.time_offset_ns.as_mut() {
            t.push(time_offset_ns);
        }
    }

    /// Number of points.
    pub fn len(&self) -> usize {
        self.x.len()
    }

    /// True when the cloud has no points.
    pub fn is_empty(&self) -> bool {
        self.x.is_empty()
    }

    /// Point `i` as `[x, y, z]`, metres, sensor frame.
    pub fn xyz(&self, i: usize) -> [f32; 3] {
        [self.x[i], self.y[i], self.z[i]]
    }

    /// Iterates over `[x, y, z]` of every point.
    pub fn iter_xyz(&self) -> impl Iterator<Item = [f32; 3]> + '_ {
        self.x
            .iter()
            .zip(&self.y)
            .zip(&self.z)
            .map(|((&x, &y), &z)| [x, y, z])
    }

    /// Keeps only points whose coordinates are all finite, returning how many were dropped.
    /// Adapters call this so downstream stages never see NaN or infinite coordinates.
    pub fn retain_finite(&mut self) -> usize {
        let keep: Vec<bool> = self
            .iter_xyz()
            .map(|p| p.iter().all(|v| v.is_finite()))
            .collect();
        self.retain_mask(&keep)
    }

    /// Keeps the points whose `keep` entry is true; returns how many were dropped.
    ///
    /// # Panics
    /// Never for a mask of the cloud's length; a shorter mask keeps only the points it covers.
    pub fn retain_mask(&mut self, keep: &[bool]) -> usize {
        let before = self.len();
        fn filter<T: Copy>(v: &mut Vec<T>, keep: &[bool]) {
            let mut i = 0;
            v.retain(|_| {
                let k = keep.get(i).copied().unwrap_or(false);
                i += 1;
                k
            });
        }
        filter(&mut self.x, keep);
        filter(&mut self.y, keep);
        filter(&mut self.z, keep);
        filter(&mut self.intensity, keep);
        if let Some(r) = self.ring.as_mut() {
            filter(r, keep);
        }
        if let Some(t) = self.time_offset_ns.as_mut() {
            filter(t, keep);
        }
        before - self.len()
    }

    /// Range (distance from the sensor origin) and height range of the cloud, for summaries:
    /// `(min_range, max_range, min_z, max_z)` in metres, or `None` when empty.
    pub fn extent(&self) -> Option<(f32, f32, f32, f32)> {
        if self.is_empty() {
            return None;
        }
        let mut out = (f32::INFINITY, 0.0f32, f32::INFINITY, f32::NEG_INFINITY);
        for [x, y, z] in self.iter_xyz() {
            let r = (x * x + y * y + z * z).sqrt();
            out.0 = out.0.min(r);
            out.1 = out.1.max(r);
            out.2 = out.2.min(z);
            out.3 = out.3.max(z);
        }
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_must_match() {
        let e = PointCloud::new(
            "l",
            Timestamp(0),
            vec![0.0; 3],
            vec![0.0; 3],
            vec![0.0; 2],
            vec![0.0; 3],
        );
        assert!(matches!(
            e,
            Err(SensorError::ColumnLength { column: "z", .. })
        ));
    }

    #[test]
    fn non_finite_points_are_dropped_and_counted() {
        let mut c = PointCloud::with_capacity("l", Timestamp(0), 4, true, false);
        c.push(1.0, 0.0, 0.0, 1.0, 0, 0);
        c.push(f32::NAN, 0.0, 0.0, 1.0, 1, 0);
        c.push(2.0, f32::INFINITY, 0.0, 1.0, 2, 0);
        c.push(3.0, 0.0, 0.0, 1.0, 3, 0);
        assert_eq!(c.retain_finite(), 2);
        assert_eq!(c.x, vec![1.0, 3.0]);
        assert_eq!(c.ring, Some(vec![0, 3]));
        let (rmin, rmax, _, _) = c.extent().unwrap();
        assert_eq!((rmin, rmax), (1.0, 3.0));
    }
}
