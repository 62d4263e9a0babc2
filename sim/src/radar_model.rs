//! Automotive radar model: reflection points on the visible faces of actor boxes, Doppler from
//! the relative velocity on the line of sight (ego motion included), RCS by class, field of
//! view, range that shrinks with RCS, noise, missed detections and Poisson clutter.
//!
//! Output: a [`RadarScan`] in the radar's sensor frame (x forward, y left, z up). Per
//! detection: `radial_velocity` is the Doppler velocity relative to the sensor, positive
//! moving away; `compensated_velocity` is the target's velocity over ground projected on the
//! line of sight (what an ego-motion-compensating radar such as the ARS408 reports as
//! `vx_comp, vy_comp`), as a vector along the line of sight.

use crate::ground_truth::GroundTruthFrame;
use crate::rng::SimRng;
use crate::scenario::WeatherSpec;
use kestrel_sensors::{ObjectClass, RadarDetection, RadarScan, RadarValidity};
use nalgebra::{Isometry3, Point3, Vector2, Vector3};

/// Radar noise and detection statistics.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RadarNoise {
    /// Range noise, metres (1 sigma).
    pub range_std: f64,
    /// Azimuth noise, radians (1 sigma).
    pub azimuth_std: f64,
    /// Doppler noise, m/s (1 sigma).
    pub velocity_std: f64,
    /// Probability of detecting each reflection point.
    pub detection_probability: f64,
    /// Mean false alarms per cycle.
    pub clutter_rate: f64,
}

impl RadarNoise {
    /// Noise for the weather: rain multiplies clutter by `1 + 4 * rain`.
    pub fn from_weather(w: &WeatherSpec) -> Self {
        Self {
            range_std: w.radar_range_noise_std,
            azimuth_std: w.radar_azimuth_noise_std,
            velocity_std: w.radar_velocity_noise_std,
            detection_probability: w.radar_detection_probability,
            clutter_rate: w.radar_clutter_rate * (1.0 + 4.0 * w.rain),
        }
    }
}

/// Mean radar cross section of a class, dBsm, and the most reflection points it yields.
fn class_rcs(class: ObjectClass) -> (f64, usize) {
    match class {
        ObjectClass::Car | ObjectClass::Unknown => (10.0, 3),
        ObjectClass::Truck | ObjectClass::Bus | ObjectClass::Trailer => (20.0, 5),
        ObjectClass::Motorcycle => (5.0, 1),
        ObjectClass::Bicycle => (0.0, 1),
        ObjectClass::Pedestrian => (-5.0, 1),
    }
}

/// A front radar.
#[derive(Debug, Clone)]
pub struct RadarModel {
    /// Sensor name (the rig's).
    pub name: String,
    /// Sensor -> vehicle.
    pub extrinsics: Isometry3<f64>,
    /// Horizontal field of view, radians (symmetric about x).
    pub fov: f64,
    /// Maximum range for a 10 dBsm target, metres; scales with RCS^(1/4).
    pub max_range: f64,
    /// Noise.
    pub noise: RadarNoise,
}

/// Whether the 2D segment from the origin to `p` passes through the footprint given by
/// `corners` (counter-clockwise) before reaching 98 % of its length.
fn segment_blocked(p: &Vector2<f64>, corners: &[Vector2<f64>; 4]) -> bool {
    // Slab test in the footprint's own axes.
    let centre = (corners[0] + corners[2]) / 2.0;
    let ax = corners[1] - corners[0];
    let ay = corners[3] - corners[0];
    let (lx, ly) = (ax.norm() / 2.0, ay.norm() / 2.0);
    let (ux, uy) = (ax / (2.0 * lx), ay / (2.0 * ly));
    let o = -centre;
    let (o, d) = (
        Vector2::new(o.dot(&ux), o.dot(&uy)),
        Vector2::new(p.dot(&ux), p.dot(&uy)),
    );
    let (mut t0, mut t1) = (0.0f64, 0.98f64);
    for (k, half) in [(0, lx), (1, ly)] {
        if d[k].abs() < 1e-12 {
            if o[k].abs() > half {
                return false;
            }
            continue;
        }
        let (mut a, mut b) = ((-half - o[k]) / d[k], (half - o[k]) / d[k]);
        if a > b {
            std::mem::swap(&mut a, &mut b);
        }
        t0 = t0.max(a);
        t1 = t1.min(b);
        if t0 > t1 {
            return false;
        }
    }
    true
}

/// Footprint corners of a box in a horizontal frame, counter-clockwise.
fn footprint(center: &Point3<f64>, length: f64, width: f64, yaw: f64) -> [Vector2<f64>; 4] {
    let (s, c) = yaw.sin_cos();
    let ax = Vector2::new(c, s) * (length / 2.0);
    let ay = Vector2::new(-s, c) * (width / 2.0);
    let o = Vector2::new(center.x, center.y);
    [o - ax - ay, o + ax - ay, o + ax + ay, o - ax + ay]
}

/// Reflection points of a footprint seen from the origin: the closest point of the outline,
/// then points every ~1.2 m along the faces that face the sensor, nearest first.
fn reflection_points(fp: &[Vector2<f64>; 4], max_points: usize) -> Vec<Vector2<f64>> {
    let mut closest = fp[0];
    let mut samples = Vec::new();
    for i in 0..4 {
        let (a, b) = (fp[i], fp[(i + 1) % 4]);
        let e = b - a;
        let len2 = e.norm_squared();
        let t = (-a.dot(&e) / len2).clamp(0.0, 1.0);
        let q = a + e * t;
        if q.norm() < closest.norm() {
            closest = q;
        }
        // Outward normal of a counter-clockwise outline is (e.y, -e.x).
        let outward = Vector2::new(e.y, -e.x);
        if outward.dot(&(-(a + b) / 2.0)) > 0.0 {
            let n = (len2.sqrt() / 1.2).ceil().max(1.0) as usize;
            samples.extend((0..n).map(|k| a + e * ((k as f64 + 0.5) / n as f64)));
        }
    }
    samples.retain(|s| (s - closest).norm() > 0.6);
    samples.sort_by(|a, b| a.norm().total_cmp(&b.norm()));
    let mut out = vec![closest];
    out.extend(samples.into_iter().take(max_points.saturating_sub(1)));
    out
}

impl RadarModel {
    /// A radar with a scenario's weather.
    pub fn new(
        name: &str,
        extrinsics: Isometry3<f64>,
        fov: f64,
        max_range: f64,
        w: &WeatherSpec,
    ) -> Self {
        Self {
            name: name.to_owned(),
            extrinsics,
            fov,
            max_range,
            noise: RadarNoise::from_weather(w),
        }
    }

    /// One measurement cycle at the frame's time; detections sorted by range.
    pub fn scan(&self, truth: &GroundTruthFrame, rng: &mut SimRng) -> RadarScan {
        let s_from_v = self.extrinsics.inverse();
        // Sensor velocity over ground: ego speed along x plus yaw rate x lever arm.
        let r = self.extrinsics.translation.vector;
        let w = truth.ego.yaw_rate;
        let v_sensor_vehicle = Vector3::new(truth.ego.speed - w * r.y, w * r.x, 0.0);
        let v_sensor = s_from_v.rotation * v_sensor_vehicle;
        let mut targets: Vec<_> = truth
            .actors
            .iter()
            .map(|a| {
                let b = a.box_vehicle.transformed(&s_from_v);
                let v = s_from_v.rotation
                    * Vector3::new(a.velocity_vehicle.x, a.velocity_vehicle.y, 0.0);
                (b, v, a.class)
            })
            .collect();
        targets.sort_by(|a, b| {
            a.0.center
                .coords
                .xy()
                .norm()
                .total_cmp(&b.0.center.coords.xy().norm())
        });
        let footprints: Vec<_> = targets
            .iter()
            .map(|(b, _, _)| footprint(&b.center, b.length, b.width, b.yaw))
            .collect();
        let half_fov = self.fov / 2.0;
        let mut detections = Vec::new();
        for (i, (b, v_target, class)) in targets.iter().enumerate() {
            let (rcs, max_points) = class_rcs(*class);
            let reach = self.max_range * 10f64.powf((rcs - 10.0) / 40.0);
            for p in reflection_points(&footprints[i], max_points) {
                let range = p.norm();
                let az = p.y.atan2(p.x);
                if range > reach || az.abs() > half_fov || range < 0.5 {
                    continue;
                }
                let blocked = footprints[..i].iter().any(|fp| segment_blocked(&p, fp));
                if blocked || !rng.chance(self.noise.detection_probability) {
                    continue;
                }
                let z = (b.center.z - b.height / 4.0).max(-r.z + 0.2);
                let los = Vector3::new(p.x, p.y, z).normalize();
                let radial =
                    (v_target - v_sensor).dot(&los) + self.noise.velocity_std * rng.normal();
                let over_ground = v_target.dot(&los);
                detections.push(self.detection(
                    range,
                    az,
                    z,
                    radial,
                    over_ground,
                    rcs + 2.0 * rng.normal(),
                    rng,
                ));
            }
        }
        for _ in 0..rng.poisson(self.noise.clutter_rate) {
            let range = rng.uniform_in(2.0, self.max_range * 0.6);
            let az = rng.uniform_in(-half_fov, half_fov);
            let los = Vector3::new(az.cos(), az.sin(), 0.0);
            let radial = -v_sensor.dot(&los) + self.noise.velocity_std * rng.normal();
            let rcs = rng.uniform_in(-15.0, 0.0);
            detections.push(self.detection(range, az, 0.0, radial, 0.0, rcs, rng));
        }
        detections.sort_by(|a, b| a.range().total_cmp(&b.range()));
        RadarScan {
            sensor: self.name.clone(),
            timestamp: truth.timestamp,
            detections,
        }
    }

    /// A detection at true `range` / `azimuth` (noise added here), height `z`.
    #[allow(clippy::too_many_arguments)]
    fn detection(
        &self,
        range: f64,
        az: f64,
        z: f64,
        radial: f64,
        over_ground: f64,
        rcs: f64,
        rng: &mut SimRng,
    ) -> RadarDetection {
        let range = (range + self.noise.range_std * rng.normal()).max(0.1);
        let az = az + self.noise.azimuth_std * rng.normal();
        let (s, c) = az.sin_cos();
        let comp = Vector2::new(c, s) * (over_ground + self.noise.velocity_std * rng.normal());
        RadarDetection {
            position: Point3::new((range * c) as f32, (range * s) as f32, z as f32),
            radial_velocity: radial as f32,
            compensated_velocity: Some(Vector2::new(comp.x as f32, comp.y as f32)),
            rcs: rcs as f32,
            id: None,
            validity: RadarValidity {
                valid: true,
                velocity_unambiguous: true,
                quality_valid: true,
                dynamic_property: if comp.norm() > 0.5 { 0 } else { 1 },
            },
        }
    }
}
