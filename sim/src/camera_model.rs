//! Pinhole camera model: renders an RGB8 [`CameraFrame`] of the scene with the rig's
//! intrinsics — sky gradient, verge, the road surface with its lane markings (road geometry
//! projected as polygons), and actors as real image patches (vehicles, cut from MIT-licensed
//! dash-cam frames, see `sim/assets/README.md`) or procedural silhouettes (pedestrians,
//! cyclists: the source frames hold no usable people), each stretched over its box's
//! projection and painted far-to-near so nearer actors occlude farther ones. Night lowers the
//! gain (tail lights stay bright) and raises noise; rain washes out contrast.
//!
//! The image is the view of the camera's optical frame (x right, y down, z forward).

use crate::error::SimError;
use crate::ground_truth::{ActorTruth, GroundTruthFrame};
use crate::rng::SimRng;
use crate::road::Road;
use crate::scenario::WeatherSpec;
use kestrel_sensors::{CameraFrame, CameraIntrinsics, ObjectClass, PixelEncoding};
use nalgebra::{Isometry3, Point3};

/// An RGB image patch.
#[derive(Debug, Clone)]
struct Patch {
    width: usize,
    height: usize,
    rgb: Vec<u8>,
}

impl Patch {
    fn decode(name: &'static str, png: &[u8]) -> Result<Self, SimError> {
        let img = image::load_from_memory_with_format(png, image::ImageFormat::Png)
            .map_err(|e| SimError::Asset {
                name,
                reason: e.to_string(),
            })?
            .to_rgb8();
        Ok(Self {
            width: img.width() as usize,
            height: img.height() as usize,
            rgb: img.into_raw(),
        })
    }
}

/// How the weather changes the picture.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CameraLook {
    /// Multiplier on scene radiance (1 by day).
    pub gain: f32,
    /// Pixel noise standard deviation, digital numbers.
    pub noise_std: f32,
    /// Blend towards flat grey (rain, fog), 0..1.
    pub washout: f32,
}

impl CameraLook {
    /// Day: gain 1; night: gain 0.22 and noise `3 * std + 6`; rain: washout `0.35 * rain`.
    pub fn from_weather(w: &WeatherSpec) -> Self {
        let std = w.camera_noise_std as f32;
        Self {
            gain: if w.night { 0.22 } else { 1.0 },
            noise_std: if w.night { 3.0 * std + 6.0 } else { std },
            washout: 0.35 * w.rain as f32,
        }
    }
}

/// The image being painted, with a mask of self-luminous pixels (lights).
struct Canvas {
    width: usize,
    height: usize,
    rgb: Vec<u8>,
    emissive: Vec<bool>,
}

impl Canvas {
    fn put(&mut self, u: usize, v: usize, c: [u8; 3], emissive: bool) {
        let i = v * self.width + u;
        self.rgb[3 * i..3 * i + 3].copy_from_slice(&c);
        self.emissive[i] = emissive;
    }

    /// Fills a convex polygon given in pixel coordinates (pixel centres at +0.5).
    fn fill_convex(&mut self, pts: &[(f64, f64)], c: [u8; 3]) {
        if pts.len() < 3 {
            return;
        }
        let ymin = pts.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
        let ymax = pts.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
        let v0 = (ymin - 0.5).ceil().max(0.0) as usize;
        let v1 = ((ymax - 0.5).floor()).min(self.height as f64 - 1.0);
        if v1 < 0.0 {
            return;
        }
        for v in v0..=v1 as usize {
            let y = v as f64 + 0.5;
            let (mut xl, mut xr) = (f64::INFINITY, f64::NEG_INFINITY);
            for k in 0..pts.len() {
                let (a, b) = (pts[k], pts[(k + 1) % pts.len()]);
                if (a.1 - y) * (b.1 - y) > 0.0 || a.1 == b.1 {
                    continue;
                }
                let x = a.0 + (y - a.1) / (b.1 - a.1) * (b.0 - a.0);
                xl = xl.min(x);
                xr = xr.max(x);
            }
            if xl > xr {
                continue;
            }
            let u0 = (xl - 0.5).ceil().max(0.0) as usize;
            let u1 = (xr - 0.5).floor().min(self.width as f64 - 1.0);
            if u1 < 0.0 {
                continue;
            }
            for u in u0..=u1 as usize {
                self.put(u, v, c, false);
            }
        }
    }
}

/// Pixel rectangle `[u0, v0, u1, v1)` clipped to the image, or `None` if empty.
fn clip_rect(r: [f64; 4], w: usize, h: usize) -> Option<[usize; 4]> {
    let u0 = r[0].round().max(0.0);
    let v0 = r[1].round().max(0.0);
    let u1 = r[2].round().min(w as f64);
    let v1 = r[3].round().min(h as f64);
    (u1 > u0 && v1 > v0).then_some([u0 as usize, v0 as usize, u1 as usize, v1 as usize])
}

/// A front camera.
#[derive(Debug, Clone)]
pub struct CameraModel {
    /// Sensor name (the rig's).
    pub name: String,
    /// Pinhole model.
    pub intrinsics: CameraIntrinsics,
    /// Optical frame -> vehicle frame.
    pub extrinsics: Isometry3<f64>,
    /// Weather effects.
    pub look: CameraLook,
    cars: [Patch; 2],
    large_vehicle: Patch,
}

/// Near clipping distance of the renderer, metres.
const NEAR: f64 = 0.3;

impl CameraModel {
    /// A camera; decodes the built-in vehicle patches.
    pub fn new(
        name: &str,
        intrinsics: CameraIntrinsics,
        extrinsics: Isometry3<f64>,
        w: &WeatherSpec,
    ) -> Result<Self, SimError> {
        Ok(Self {
            name: name.to_owned(),
            intrinsics,
            extrinsics,
            look: CameraLook::from_weather(w),
            cars: [
                Patch::decode(
                    "car_black_rear.png",
                    include_bytes!("../assets/car_black_rear.png"),
                )?,
                Patch::decode(
                    "car_white_rear.png",
                    include_bytes!("../assets/car_white_rear.png"),
                )?,
            ],
            large_vehicle: Patch::decode(
                "suv_white_rear.png",
                include_bytes!("../assets/suv_white_rear.png"),
            )?,
        })
    }

    /// Pixel bounding rectangle `[u_min, v_min, u_max, v_max]` of an actor's box, or `None`
    /// when any corner is closer than the near plane (behind or beside the camera).
    pub fn actor_rect(&self, actor: &ActorTruth) -> Option<[f64; 4]> {
        let cam_from_vehicle = self.extrinsics.inverse();
        let mut r = [
            f64::INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NEG_INFINITY,
        ];
        for c in actor.box_vehicle.corners() {
            let p = cam_from_vehicle * c;
            if p.z < NEAR {
                return None;
            }
            let uv = self.intrinsics.project(&p)?;
            r = [
                r[0].min(uv.x),
                r[1].min(uv.y),
                r[2].max(uv.x),
                r[3].max(uv.y),
            ];
        }
        Some(r)
    }

    /// Renders the frame at the truth's time.
    pub fn render(
        &self,
        truth: &GroundTruthFrame,
        road: &Road,
        rng: &mut SimRng,
    ) -> Result<CameraFrame, SimError> {
        let (w, h) = (
            self.intrinsics.width as usize,
            self.intrinsics.height as usize,
        );
        let mut canvas = Canvas {
            width: w,
            height: h,
            rgb: vec![0; w * h * 3],
            emissive: vec![false; w * h],
        };
        self.paint_background(&mut canvas);
        self.paint_road(&mut canvas, truth, road);
        let cam_from_vehicle = self.extrinsics.inverse();
        let mut order: Vec<(f64, &ActorTruth)> = truth
            .actors
            .iter()
            .map(|a| ((cam_from_vehicle * a.box_vehicle.center).z, a))
            .filter(|(z, _)| *z > NEAR)
            .collect();
        order.sort_by(|a, b| b.0.total_cmp(&a.0));
        for (_, a) in order {
            if let Some(rect) = self
                .actor_rect(a)
                .and_then(|r| clip_rect(r, w, h).map(|c| (r, c)))
            {
                self.paint_actor(&mut canvas, a, rect.0, rect.1);
            }
        }
        let data = self.finish(canvas, rng);
        Ok(CameraFrame::new(
            self.name.clone(),
            truth.timestamp,
            w as u32,
            h as u32,
            PixelEncoding::Rgb8,
            data,
        )?)
    }

    /// Sky gradient above the horizon, verge below, by each pixel's ray elevation.
    fn paint_background(&self, c: &mut Canvas) {
        let k = &self.intrinsics;
        let rot = self.extrinsics.rotation;
        for v in 0..c.height {
            for u in 0..c.width {
                let ray = nalgebra::Vector3::new(
                    (u as f64 + 0.5 - k.cx) / k.fx,
                    (v as f64 + 0.5 - k.cy) / k.fy,
                    1.0,
                );
                let d = rot * ray;
                let elev = d.z / d.norm();
                let col = if elev >= 0.0 {
                    let f = (elev / 0.5).min(1.0);
                    lerp([205, 215, 228], [95, 140, 205], f)
                } else {
                    let f = (-elev / 0.08).min(1.0);
                    lerp([170, 175, 170], [88, 98, 72], f)
                };
                c.put(u, v, col, false);
            }
        }
    }

    /// Road surface and markings from 5 m behind to 150 m ahead of the ego.
    fn paint_road(&self, c: &mut Canvas, truth: &GroundTruthFrame, road: &Road) {
        let cam_from_world = self.extrinsics.inverse() * truth.ego.pose.inverse();
        let (right, left) = road.edges();
        let s0 = truth.ego.s - 5.0;
        let step = 2.0;
        let n = 78;
        let quad = |c: &mut Canvas, sa: f64, sb: f64, da: f64, db: f64, col: [u8; 3]| {
            let corners = [(sa, da), (sa, db), (sb, db), (sb, da)].map(|(s, d)| {
                let (p, _) = road.to_world(s, d);
                cam_from_world * Point3::new(p.x, p.y, 0.0)
            });
            let pix = self.clip_and_project(&corners);
            c.fill_convex(&pix, col);
        };
        for i in 0..n {
            let sa = s0 + i as f64 * step;
            quad(c, sa, sa + step, right - 0.3, left + 0.3, [72, 72, 76]);
        }
        let half = 0.075;
        for (d, solid) in road.markings() {
            if solid {
                for i in 0..n {
                    let sa = s0 + i as f64 * step;
                    quad(c, sa, sa + step, d - half, d + half, [225, 225, 220]);
                }
            } else {
                // 3 m dashes every 12 m, fixed to the road.
                let first = (s0 / 12.0).floor() as i64;
                for k in first..first + 14 {
                    let sa = k as f64 * 12.0;
                    quad(c, sa, sa + 3.0, d - half, d + half, [225, 225, 220]);
                }
            }
        }
    }

    /// Clips a polygon in the optical frame to `z >= NEAR` (Sutherland-Hodgman) and projects it.
    fn clip_and_project(&self, poly: &[Point3<f64>]) -> Vec<(f64, f64)> {
        let mut out = Vec::with_capacity(poly.len() + 2);
        for i in 0..poly.len() {
            let (a, b) = (poly[i], poly[(i + 1) % poly.len()]);
            if a.z >= NEAR {
                out.push(a);
            }
            if (a.z >= NEAR) != (b.z >= NEAR) {
                let t = (NEAR - a.z) / (b.z - a.z);
                out.push(a + (b - a) * t);
            }
        }
        out.iter()
            .filter_map(|p| self.intrinsics.project(p))
            .map(|uv| (uv.x, uv.y))
            .collect()
    }

    /// Paints one actor over its projected rectangle (`clipped` = pixel bounds in the image).
    fn paint_actor(&self, c: &mut Canvas, a: &ActorTruth, rect: [f64; 4], clipped: [usize; 4]) {
        let patch = match a.class {
            ObjectClass::Car | ObjectClass::Unknown => Some(&self.cars[(a.id % 2) as usize]),
            ObjectClass::Truck | ObjectClass::Bus | ObjectClass::Trailer => {
                Some(&self.large_vehicle)
            }
            _ => None,
        };
        let (rw, rh) = ((rect[2] - rect[0]).max(1e-6), (rect[3] - rect[1]).max(1e-6));
        for v in clipped[1]..clipped[3] {
            let fy = ((v as f64 + 0.5 - rect[1]) / rh).clamp(0.0, 0.999_999);
            for u in clipped[0]..clipped[2] {
                let fx = ((u as f64 + 0.5 - rect[0]) / rw).clamp(0.0, 0.999_999);
                let px = match patch {
                    Some(p) => {
                        let (x, y) = (
                            (fx * p.width as f64) as usize,
                            (fy * p.height as f64) as usize,
                        );
                        let i = 3 * (y * p.width + x);
                        let col = [p.rgb[i], p.rgb[i + 1], p.rgb[i + 2]];
                        let light = col[0] > 120
                            && col[0] as f32 > 1.6 * col[1] as f32
                            && col[0] as f32 > 1.6 * col[2] as f32;
                        Some((col, light))
                    }
                    None => silhouette(a, fx, fy).map(|col| (col, false)),
                };
                if let Some((col, light)) = px {
                    c.put(u, v, col, light);
                }
            }
        }
    }

    /// Gain, washout and noise; returns the RGB8 bytes.
    fn finish(&self, c: Canvas, rng: &mut SimRng) -> Vec<u8> {
        let look = self.look;
        let mut out = c.rgb;
        for (i, px) in out.chunks_exact_mut(3).enumerate() {
            let gain = if c.emissive[i] { 1.0 } else { look.gain };
            for ch in px.iter_mut() {
                let mut x = *ch as f32 * gain;
                x += (110.0 * gain - x) * look.washout;
                if look.noise_std > 0.0 {
                    x += look.noise_std * rng.approx_normal();
                }
                *ch = x.round().clamp(0.0, 255.0) as u8;
            }
        }
        out
    }
}

fn lerp(a: [u8; 3], b: [u8; 3], f: f64) -> [u8; 3] {
    [0, 1, 2].map(|i| (a[i] as f64 + (b[i] as f64 - a[i] as f64) * f).round() as u8)
}

/// Procedural person or rider at fractional position `(fx, fy)` (0..1 across the box's
/// projected rectangle, y down); `None` where the background shows through.
fn silhouette(a: &ActorTruth, fx: f64, fy: f64) -> Option<[u8; 3]> {
    const SHIRTS: [[u8; 3]; 4] = [[180, 40, 40], [40, 70, 160], [230, 200, 60], [60, 140, 80]];
    let shirt = SHIRTS[(a.id as usize) % SHIRTS.len()];
    let skin = [205, 165, 135];
    let trousers = [45, 45, 60];
    let cx = fx - 0.5;
    match a.class {
        ObjectClass::Pedestrian => {
            if fy < 0.14 {
                ((cx / 0.14).powi(2) + ((fy - 0.07) / 0.07).powi(2) <= 1.0).then_some(skin)
            } else if fy < 0.55 {
                (cx.abs() < 0.32).then_some(shirt)
            } else {
                // Two legs.
                (cx.abs() < 0.26 && cx.abs() > 0.04).then_some(trousers)
            }
        }
        _ => {
            // Rider (upper body) over two wheels.
            if fy < 0.1 {
                ((cx / 0.08).powi(2) + ((fy - 0.05) / 0.05).powi(2) <= 1.0).then_some(skin)
            } else if fy < 0.5 {
                (cx.abs() < 0.15).then_some(shirt)
            } else {
                let r = 0.22;
                let wheel = |x0: f64| {
                    let d = (((fx - x0) / r).powi(2) + ((fy - 0.76) / 0.24).powi(2)).sqrt();
                    (0.75..=1.0).contains(&d)
                };
                (wheel(0.25) || wheel(0.75) || (cx.abs() < 0.04 && fy < 0.8))
                    .then_some([25, 25, 25])
            }
        }
    }
}
