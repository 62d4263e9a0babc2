//! `sensor_msgs/PointCloud2` <-> Kestrel [`PointCloud`] (LiDAR) and [`RadarScan`] (radar).
//!
//! **Reading** accepts any field layout: offsets, datatypes (all eight PointField types, any
//! endianness), `point_step`, `row_step` and padding are honoured; fields are found by name.
//! LiDAR: `x`, `y`, `z` (required), `intensity` / `reflectivity` (else 0), `ring`, and a
//! per-point time `t` / `time` / `timestamp` / `time_offset` (integer types: ns after the
//! header stamp; float types: seconds after it, or absolute Unix seconds when > 1e6).
//! Radar: `x`, `y`, `z`, `rcs`, radial velocity (`radial_velocity`, `doppler`, `vr`,
//! `velocity`), `vx_comp` + `vy_comp`, `id`, flags `valid` / `invalid_state`,
//! `velocity_unambiguous` / `ambig_state`, `quality_valid` / `is_quality_valid`,
//! `dynamic_property` / `dyn_prop`; a missing rcs or radial velocity reads as NaN.
//!
//! **Writing** (little-endian, one row, `is_dense` = all coordinates finite):
//! - LiDAR: `x` f32 @0, `y` f32 @4, `z` f32 @8, `intensity` f32 @12, then `ring` u16 @16 when
//!   the cloud has rings, then `t` u32 (ns after the stamp) at the next 4-aligned offset when it
//!   has per-point times; `point_step` rounded up to 4 (16, 20 or 24 bytes).
//! - Radar (36 bytes): `x` `y` `z` `rcs` `radial_velocity` `vx_comp` `vy_comp` f32 @0..28
//!   (vx_comp/vy_comp NaN when the detection has no compensated velocity), `id` i32 @28 (-1 =
//!   none), `valid` u8 @32, `velocity_unambiguous` u8 @33, `quality_valid` u8 @34,
//!   `dynamic_property` u8 @35.
//!
//! Round trips are bit-exact, except that a compensated velocity with a NaN component reads
//! back as `None`.

use crate::ros2_msg::sensor_msgs::{PointCloud2, PointField, datatype};
use crate::ros2_msg::std_msgs::Header;
use kestrel_sensors::{PointCloud, RadarDetection, RadarScan, RadarValidity, SensorError};
use nalgebra::{Point3, Vector2};

const WHAT: &str = "sensor_msgs/PointCloud2";

fn field(name: &str, offset: u32, dt: u8) -> PointField {
    PointField {
        name: name.to_owned(),
        offset,
        datatype: dt,
        count: 1,
    }
}

fn assemble(
    header: Header,
    n: usize,
    fields: Vec<PointField>,
    step: usize,
    data: Vec<u8>,
    dense: bool,
) -> PointCloud2 {
    PointCloud2 {
        header,
        height: 1,
        width: n as u32,
        fields,
        is_bigendian: false,
        point_step: step as u32,
        row_step: (step * n) as u32,
        data,
        is_dense: dense,
    }
}

/// A LiDAR sweep as PointCloud2 (`frame_id` = sensor name, stamp = sweep time).
pub fn lidar_to_point_cloud2(cloud: &PointCloud) -> PointCloud2 {
    let mut fields = vec![
        field("x", 0, datatype::FLOAT32),
        field("y", 4, datatype::FLOAT32),
        field("z", 8, datatype::FLOAT32),
        field("intensity", 12, datatype::FLOAT32),
    ];
    let mut end: usize = 16;
    if cloud.ring.is_some() {
        fields.push(field("ring", 16, datatype::UINT16));
        end = 18;
    }
    let t_offset = end.next_multiple_of(4);
    if cloud.time_offset_ns.is_some() {
        fields.push(field("t", t_offset as u32, datatype::UINT32));
        end = t_offset + 4;
    }
    let step = end.next_multiple_of(4);
    let n = cloud.len();
    let mut data = vec![0u8; step * n];
    for (i, rec) in data.chunks_exact_mut(step).enumerate() {
        rec[0..4].copy_from_slice(&cloud.x[i].to_le_bytes());
        rec[4..8].copy_from_slice(&cloud.y[i].to_le_bytes());
        rec[8..12].copy_from_slice(&cloud.z[i].to_le_bytes());
        rec[12..16].copy_from_slice(&cloud.intensity[i].to_le_bytes());
        if let Some(r) = &cloud.ring {
            rec[16..18].copy_from_slice(&r[i].to_le_bytes());
        }
        if let Some(t) = &cloud.time_offset_ns {
            rec[t_offset..t_offset + 4].copy_from_slice(&t[i].to_le_bytes());
        }
    }
    let dense = cloud.iter_xyz().all(|p| p.iter().all(|v| v.is_finite()));
    assemble(
        Header::new(cloud.timestamp, &cloud.sensor),
        n,
        fields,
        step,
        data,
        dense,
    )
}

/// A radar scan as PointCloud2 in the layout documented at the top of this module.
pub fn radar_to_point_cloud2(scan: &RadarScan) -> PointCloud2 {
    let names = [
        "x",
        "y",
        "z",
        "rcs",
        "radial_velocity",
        "vx_comp",
        "vy_comp",
    ];
    let mut fields: Vec<PointField> = (0..)
        .zip(names)
        .map(|(i, n)| field(n, 4 * i, datatype::FLOAT32))
        .collect();
    fields.push(field("id", 28, datatype::INT32));
    for (i, n) in [
        "valid",
        "velocity_unambiguous",
        "quality_valid",
        "dynamic_property",
    ]
    .into_iter()
    .enumerate()
    {
        fields.push(field(n, 32 + i as u32, datatype::UINT8));
    }
    const STEP: usize = 36;
    let mut data = Vec::with_capacity(STEP * scan.detections.len());
    for d in &scan.detections {
        let (vx, vy) = d
            .compensated_velocity
            .map_or((f32::NAN, f32::NAN), |v| (v.x, v.y));
        let p = d.position;
        for v in [p.x, p.y, p.z, d.rcs, d.radial_velocity, vx, vy] {
            data.extend_from_slice(&v.to_le_bytes());
        }
        data.extend_from_slice(&d.id.map_or(-1i32, i32::from).to_le_bytes());
        let f = d.validity;
        data.extend_from_slice(&[
            f.valid as u8,
            f.velocity_unambiguous as u8,
            f.quality_valid as u8,
            f.dynamic_property,
        ]);
    }
    let dense = scan
        .detections
        .iter()
        .all(|d| d.position.iter().all(|v| v.is_finite()));
    let n = scan.detections.len();
    assemble(
        Header::new(scan.timestamp, &scan.sensor),
        n,
        fields,
        STEP,
        data,
        dense,
    )
}

/// True when the cloud carries radar attributes (rcs, a radial velocity or compensated
/// velocities) rather than LiDAR returns.
pub fn looks_like_radar(msg: &PointCloud2) -> bool {
    msg.fields.iter().any(|f| {
        matches!(
            f.name.as_str(),
            "rcs" | "radial_velocity" | "doppler" | "vr" | "vx_comp" | "dyn_prop"
        )
    })
}

/// Reads one named field of every point.
#[derive(Debug, Clone, Copy)]
struct FieldReader {
    offset: usize,
    datatype: u8,
    big_endian: bool,
}

impl FieldReader {
    fn value(&self, rec: &[u8]) -> f64 {
        let b = &rec[self.offset..];
        macro_rules! get {
            ($t:ty) => {{
                const N: usize = std::mem::size_of::<$t>();
                let mut a = [0u8; N];
                a.copy_from_slice(&b[..N]);
                if self.big_endian {
                    <$t>::from_be_bytes(a)
                } else {
                    <$t>::from_le_bytes(a)
                }
            }};
        }
        match self.datatype {
            datatype::INT8 => get!(i8) as f64,
            datatype::UINT8 => get!(u8) as f64,
            datatype::INT16 => get!(i16) as f64,
            datatype::UINT16 => get!(u16) as f64,
            datatype::INT32 => get!(i32) as f64,
            datatype::UINT32 => get!(u32) as f64,
            datatype::FLOAT32 => get!(f32) as f64,
            _ => get!(f64),
        }
    }

    /// f32 value; exact for FLOAT32 fields (NaN payloads included).
    fn f32(&self, rec: &[u8]) -> f32 {
        self.value(rec) as f32
    }

    fn is_float(&self) -> bool {
        matches!(self.datatype, datatype::FLOAT32 | datatype::FLOAT64)
    }
}

/// The validated layout of a PointCloud2: field lookup and record iteration.
struct Layout<'a> {
    msg: &'a PointCloud2,
}

impl<'a> Layout<'a> {
    fn new(msg: &'a PointCloud2) -> Result<Self, SensorError> {
        let step = msg.point_step as usize;
        let (w, h) = (msg.width as usize, msg.height as usize);
        if step == 0 && w * h > 0 {
            return Err(SensorError::malformed(WHAT, 0, "point_step is 0"));
        }
        if (msg.row_step as usize) < w.saturating_mul(step) && h > 0 {
            return Err(SensorError::malformed(
                WHAT,
                0,
                format!("row_step {} < width {w} * point_step {step}", msg.row_step),
            ));
        }
        let needed = if h == 0 || w == 0 {
            0
        } else {
            (h - 1)
                .saturating_mul(msg.row_step as usize)
                .saturating_add(w.saturating_mul(step))
        };
        if msg.data.len() < needed {
            return Err(SensorError::Truncated {
                what: WHAT.to_owned(),
                offset: msg.data.len(),
                needed: needed - msg.data.len(),
            });
        }
        Ok(Self { msg })
    }

    fn field(&self, names: &[&str]) -> Result<Option<FieldReader>, SensorError> {
        let Some(f) = names
            .iter()
            .find_map(|n| self.msg.fields.iter().find(|f| f.name == *n))
        else {
            return Ok(None);
        };
        let size = datatype::size(f.datatype).ok_or_else(|| {
            SensorError::malformed(
                WHAT,
                0,
                format!("field `{}` has datatype {}", f.name, f.datatype),
            )
        })?;
        if f.offset as usize + size > self.msg.point_step as usize {
            return Err(SensorError::malformed(
                WHAT,
                0,
                format!(
                    "field `{}` at offset {} overruns point_step {}",
                    f.name, f.offset, self.msg.point_step
                ),
            ));
        }
        Ok(Some(FieldReader {
            offset: f.offset as usize,
            datatype: f.datatype,
            big_endian: self.msg.is_bigendian,
        }))
    }

    fn required(&self, name: &str) -> Result<FieldReader, SensorError> {
        self.field(&[name])?
            .ok_or_else(|| SensorError::malformed(WHAT, 0, format!("no `{name}` field")))
    }

    fn records(&self) -> impl Iterator<Item = &'a [u8]> + 'a {
        let m = self.msg;
        let (step, row) = (m.point_step as usize, m.row_step as usize);
        (0..m.height as usize).flat_map(move |r| {
            (0..m.width as usize)
                .map(move |c| &m.data[r * row + c * step..r * row + (c + 1) * step])
        })
    }

    fn len(&self) -> usize {
        self.msg.width as usize * self.msg.height as usize
    }
}

/// A PointCloud2 as a LiDAR sweep of `sensor` (timestamp = header stamp).
pub fn point_cloud2_to_lidar(msg: &PointCloud2, sensor: &str) -> Result<PointCloud, SensorError> {
    let l = Layout::new(msg)?;
    let (x, y, z) = (l.required("x")?, l.required("y")?, l.required("z")?);
    let intensity = l.field(&["intensity", "reflectivity"])?;
    let ring = l.field(&["ring"])?;
    let time = l.field(&["t", "time", "timestamp", "time_offset"])?;
    let stamp = msg.header.stamp.to_timestamp();
    let mut cloud =
        PointCloud::with_capacity(sensor, stamp, l.len(), ring.is_some(), time.is_some());
    for rec in l.records() {
        let t = time.map_or(0, |f| {
            let v = f.value(rec);
            if !f.is_float() {
                v as u32
            } else if v > 1e6 {
                ((v - stamp.as_secs_f64()) * 1e9).round() as u32
            } else {
                (v * 1e9).round() as u32
            }
        });
        cloud.push(
            x.f32(rec),
            y.f32(rec),
            z.f32(rec),
            intensity.map_or(0.0, |f| f.f32(rec)),
            ring.map_or(0, |f| f.value(rec) as u16),
            t,
        );
    }
    Ok(cloud)
}

/// A PointCloud2 as a radar scan of `sensor` (timestamp = header stamp).
pub fn point_cloud2_to_radar(msg: &PointCloud2, sensor: &str) -> Result<RadarScan, SensorError> {
    let l = Layout::new(msg)?;
    let (x, y, z) = (l.required("x")?, l.required("y")?, l.required("z")?);
    let rcs = l.field(&["rcs"])?;
    let vr = l.field(&["radial_velocity", "doppler", "vr", "velocity"])?;
    let comp = l.field(&["vx_comp"])?.zip(l.field(&["vy_comp"])?);
    let id = l.field(&["id"])?;
    let valid = l.field(&["valid"])?;
    let invalid_state = l.field(&["invalid_state"])?;
    let unambiguous = l.field(&["velocity_unambiguous"])?;
    let ambig_state = l.field(&["ambig_state"])?;
    let quality = l.field(&["quality_valid", "is_quality_valid"])?;
    let dynamic = l.field(&["dynamic_property", "dyn_prop"])?;
    let flag = |f: Option<FieldReader>, rec: &[u8], default: bool| {
        f.map_or(default, |f| f.value(rec) != 0.0)
    };
    let detections = l
        .records()
        .map(|rec| RadarDetection {
            position: Point3::new(x.f32(rec), y.f32(rec), z.f32(rec)),
            radial_velocity: vr.map_or(f32::NAN, |f| f.f32(rec)),
            compensated_velocity: comp
                .map(|(a, b)| Vector2::new(a.f32(rec), b.f32(rec)))
                .filter(|v| v.iter().all(|c| !c.is_nan())),
            rcs: rcs.map_or(f32::NAN, |f| f.f32(rec)),
            id: id.and_then(|f| u16::try_from(f.value(rec) as i64).ok()),
            validity: RadarValidity {
                valid: match (valid, invalid_state) {
                    (Some(f), _) => f.value(rec) != 0.0,
                    (None, Some(f)) => f.value(rec) == 0.0,
                    (None, None) => true,
                },
                velocity_unambiguous: match (unambiguous, ambig_state) {
                    (Some(f), _) => f.value(rec) != 0.0,
                    (None, Some(f)) => f.value(rec) == 3.0,
                    (None, None) => true,
                },
                quality_valid: flag(quality, rec, true),
                dynamic_property: dynamic.map_or(4, |f| f.value(rec) as u8),
            },
        })
        .collect();
    Ok(RadarScan {
        sensor: sensor.to_owned(),
        timestamp: msg.header.stamp.to_timestamp(),
        detections,
    })
}
