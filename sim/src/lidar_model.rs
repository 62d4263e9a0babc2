//! Spinning-LiDAR model: ray casting against actor boxes (ray/OBB slab test) and the ground
//! plane, with a configurable beam pattern, range noise, dropouts and intensity.
//!
//! Output: a [`PointCloud`] in the LiDAR's sensor frame (x forward, y left, z up, metres),
//! column-major (all beams of column 0, then column 1, ...) with `ring` (index into the
//! pattern's elevation list, 0 = top beam) and `time_offset_ns` (column time within the
//! sweep). Column `j` points at azimuth `π - 2π j / columns` (the sweep starts looking
//! backwards and turns clockwise seen from above, like an Ouster). The scene is frozen at the
//! sweep start: motion during the sweep is not simulated (time offsets are still reported).
//!
//! Speed: each box gets the range of columns its corners span (an azimuth bound), so a ray is
//! tested only against the few boxes in its column; a 32x1024 sweep costs one ground-plane
//! test per ray plus a handful of slab tests.

use crate::ground_truth::GroundTruthFrame;
use crate::rng::SimRng;
use crate::scenario::{LidarPattern, WeatherSpec};
use kestrel_sensors::{ObjectClass, PointCloud};
use nalgebra::{Isometry3, Matrix3, Point3, Rotation3, Vector3};
use std::f64::consts::{PI, TAU};

/// Beam layout: elevation of each beam and number of columns per revolution.
#[derive(Debug, Clone, PartialEq)]
pub struct BeamPattern {
    /// Elevation of each beam, radians, ordered top (0) to bottom.
    pub elevations: Vec<f64>,
    /// Columns (firings) per revolution.
    pub columns: usize,
}

impl BeamPattern {
    /// Ouster OS-1-32-like: 32 beams uniformly from +22.5° to -22.5°, 1024 columns.
    pub fn os1_32() -> Self {
        let elevations = (0..32)
            .map(|i| (22.5 - 45.0 * i as f64 / 31.0).to_radians())
            .collect();
        Self {
            elevations,
            columns: 1024,
        }
    }

    /// Velodyne HDL-64E-like: upper block of 32 beams from +2° down in 1/3° steps, lower block
    /// of 32 from -8.83° down in 1/2° steps (to -24.33°); 2048 columns.
    pub fn hdl64() -> Self {
        let upper = (0..32).map(|i| 2.0 - i as f64 / 3.0);
        let lower = (0..32).map(|i| -8.83 - 0.5 * i as f64);
        let elevations = upper.chain(lower).map(f64::to_radians).collect();
        Self {
            elevations,
            columns: 2048,
        }
    }

    /// The pattern for a scenario switch.
    pub fn for_pattern(p: LidarPattern) -> Self {
        match p {
            LidarPattern::Os1_32 => Self::os1_32(),
            LidarPattern::Hdl64 => Self::hdl64(),
        }
    }

    /// Azimuth of column `j`, radians in `(-π, π]`.
    pub fn azimuth(&self, j: usize) -> f64 {
        PI - TAU * j as f64 / self.columns as f64
    }
}

/// Range noise, dropouts and reach.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LidarNoise {
    /// Range noise standard deviation, metres.
    pub range_std: f64,
    /// Probability that a ray returns nothing.
    pub dropout: f64,
    /// Farthest return, metres.
    pub max_range: f64,
    /// Nearest return, metres (closer hits are discarded, as the sensor's blind zone).
    pub min_range: f64,
}

impl LidarNoise {
    /// Noise for the weather: rain adds `0.25 * rain` dropout and shortens the reach by up to 40 %.
    pub fn from_weather(w: &WeatherSpec) -> Self {
        Self {
            range_std: w.lidar_range_noise_std,
            dropout: (w.lidar_dropout + 0.25 * w.rain).min(1.0),
            max_range: 120.0 * (1.0 - 0.4 * w.rain),
            min_range: 0.8,
        }
    }
}

/// Diffuse reflectivity (0..1) of an actor class (paint, clothing, ...).
fn reflectivity(class: ObjectClass) -> f64 {
    match class {
        ObjectClass::Car | ObjectClass::Unknown => 0.5,
        ObjectClass::Truck | ObjectClass::Bus | ObjectClass::Trailer => 0.45,
        ObjectClass::Motorcycle | ObjectClass::Bicycle => 0.35,
        ObjectClass::Pedestrian => 0.3,
    }
}

/// Asphalt reflectivity.
const GROUND_REFLECTIVITY: f64 = 0.12;

/// One box prepared for slab tests in the sensor frame.
struct SlabBox {
    to_local: Matrix3<f64>,
    origin_local: Vector3<f64>,
    half: Vector3<f64>,
    reflectivity: f64,
}

impl SlabBox {
    /// Entry distance along unit ray `dir` from the sensor origin, and |cos| of the incidence
    /// angle on the entry face.
    fn hit(&self, dir: &Vector3<f64>) -> Option<(f64, f64)> {
        let d = self.to_local * dir;
        let o = self.origin_local;
        let (mut t0, mut t1, mut axis) = (0.0f64, f64::INFINITY, usize::MAX);
        for k in 0..3 {
            if d[k].abs() < 1e-12 {
                if o[k].abs() > self.half[k] {
                    return None;
                }
                continue;
            }
            let inv = 1.0 / d[k];
            let (mut a, mut b) = ((-self.half[k] - o[k]) * inv, (self.half[k] - o[k]) * inv);
            if a > b {
                std::mem::swap(&mut a, &mut b);
            }
            if a > t0 {
                t0 = a;
                axis = k;
            }
            t1 = t1.min(b);
            if t0 > t1 {
                return None;
            }
        }
        // axis == MAX: the sensor is inside the box; report no return.
        (axis != usize::MAX).then(|| (t0, d[axis].abs()))
    }
}

/// A spinning LiDAR.
#[derive(Debug, Clone)]
pub struct LidarModel {
    /// Sensor name (the rig's).
    pub name: String,
    /// Beam layout.
    pub pattern: BeamPattern,
    /// Sensor -> vehicle.
    pub extrinsics: Isometry3<f64>,
    /// Noise and reach.
    pub noise: LidarNoise,
    /// Sweep period, nanoseconds.
    pub period_ns: u32,
}

impl LidarModel {
    /// A LiDAR with an explicit pattern and noise.
    pub fn new(
        name: &str,
        pattern: BeamPattern,
        extrinsics: Isometry3<f64>,
        noise: LidarNoise,
        rate_hz: f64,
    ) -> Self {
        Self {
            name: name.to_owned(),
            pattern,
            extrinsics,
            noise,
            period_ns: (1e9 / rate_hz).round() as u32,
        }
    }

    /// A LiDAR with a scenario's pattern and weather.
    pub fn for_pattern(
        name: &str,
        p: LidarPattern,
        extrinsics: Isometry3<f64>,
        w: &WeatherSpec,
        rate_hz: f64,
    ) -> Self {
        Self::new(
            name,
            BeamPattern::for_pattern(p),
            extrinsics,
            LidarNoise::from_weather(w),
            rate_hz,
        )
    }

    /// Inclusive column range `[first, last]` (possibly wrapping) covering azimuths
    /// `centre + lo ..= centre + hi`.
    fn columns_for(&self, centre: f64, lo: f64, hi: f64) -> (usize, usize) {
        let n = self.pattern.columns as f64;
        let to_col = |az: f64| (PI - az) * n / TAU;
        // Larger azimuth -> smaller column.
        let first = (to_col(centre + hi).floor() as i64) - 1;
        let last = (to_col(centre + lo).ceil() as i64) + 1;
        let wrap = |c: i64| c.rem_euclid(self.pattern.columns as i64) as usize;
        (wrap(first), wrap(last))
    }

    /// One sweep at the frame's time (an empty cloud for a pattern without columns or beams).
    pub fn scan(&self, truth: &GroundTruthFrame, rng: &mut SimRng) -> PointCloud {
        let cols = self.pattern.columns;
        let rows = self.pattern.elevations.len();
        if cols == 0 || rows == 0 {
            return PointCloud::with_capacity(self.name.clone(), truth.timestamp, 0, true, true);
        }
        let sensor_from_vehicle = self.extrinsics.inverse();
        let rot_inv: Rotation3<f64> = sensor_from_vehicle.rotation.to_rotation_matrix();
        let mut per_column: Vec<Vec<u16>> = vec![Vec::new(); cols];
        let mut boxes = Vec::with_capacity(truth.actors.len());
        for a in &truth.actors {
            let b = &a.box_vehicle;
            let centre = sensor_from_vehicle * b.center;
            if centre.coords.norm() > self.noise.max_range + b.length + b.width {
                continue;
            }
            let box_rot = rot_inv * Rotation3::from_axis_angle(&Vector3::z_axis(), b.yaw);
            let to_local = box_rot.matrix().transpose();
            let idx = boxes.len() as u16;
            boxes.push(SlabBox {
                to_local,
                origin_local: to_local * (-centre.coords),
                half: Vector3::new(b.length / 2.0, b.width / 2.0, b.height / 2.0),
                reflectivity: reflectivity(a.class),
            });
            let az_c = centre.y.atan2(centre.x);
            let (mut lo, mut hi) = (0.0f64, 0.0f64);
            for c in b.corners() {
                let p = sensor_from_vehicle * c;
                let rel = (p.y.atan2(p.x) - az_c + PI).rem_euclid(TAU) - PI;
                lo = lo.min(rel);
                hi = hi.max(rel);
            }
            if hi - lo > PI * 0.9 {
                // The box surrounds or nearly surrounds the sensor's vertical: every column.
                per_column.iter_mut().for_each(|c| c.push(idx));
                continue;
            }
            let (first, last) = self.columns_for(az_c, lo, hi);
            let mut j = first;
            loop {
                per_column[j].push(idx);
                if j == last {
                    break;
                }
                j = (j + 1) % cols;
            }
        }
        // Ground plane z_vehicle = 0 in the sensor frame: n . p + c = 0.
        let n = rot_inv * Vector3::z();
        let c = self.extrinsics.translation.vector.z;
        let trig: Vec<(f64, f64)> = self
            .pattern
            .elevations
            .iter()
            .map(|e| e.sin_cos())
            .collect();
        let mut cloud = PointCloud::with_capacity(
            self.name.clone(),
            truth.timestamp,
            cols * rows / 2,
            true,
            true,
        );
        for (j, candidates) in per_column.iter().enumerate() {
            let (sa, ca) = self.pattern.azimuth(j).sin_cos();
            let t_off = (j as u64 * self.period_ns as u64 / cols as u64) as u32;
            for (ring, &(se, ce)) in trig.iter().enumerate() {
                let dir = Vector3::new(ce * ca, ce * sa, se);
                let mut best = (f64::INFINITY, 0.0);
                let nd = n.dot(&dir);
                if nd < -1e-9 {
                    let t = -c / nd;
                    best = (t, GROUND_REFLECTIVITY * (-nd));
                }
                for &bi in candidates {
                    let b = &boxes[bi as usize];
                    if let Some((t, cos)) = b.hit(&dir)
                        && t < best.0
                    {
                        best = (t, b.reflectivity * cos);
                    }
                }
                let (range, refl) = best;
                if !(range >= self.noise.min_range && range <= self.noise.max_range) {
                    continue;
                }
                if rng.chance(self.noise.dropout) {
                    continue;
                }
                let r = range + self.noise.range_std * rng.normal();
                let p = Point3::from(dir * r);
                cloud.push(
                    p.x as f32,
                    p.y as f32,
                    p.z as f32,
                    (255.0 * refl) as f32,
                    ring as u16,
                    t_off,
                );
            }
        }
        cloud
    }
}
