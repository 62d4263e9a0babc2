//! Continental ARS408-21 radar sweeps as nuScenes stores them (PCD v0.7 binary, 18 fields).

use crate::pcd::PcdFile;
use crate::{RadarDetection, RadarScan, RadarValidity, SensorError, Timestamp};
use nalgebra::{Point3, Vector2};
use std::path::Path;

/// A decoded radar sweep plus what was dropped.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodedRadar {
    /// The detections kept (radar sensor frame: x forward, y left, z up, metres, m/s).
    pub scan: RadarScan,
    /// Detections dropped because position or velocity was not finite.
    pub skipped: usize,
    /// Bytes after the last point of the file (the nuScenes files have some), ignored.
    pub trailing_bytes: usize,
}

/// Maps an ARS408 PCD (fields `x y z dyn_prop id rcs vx vy vx_comp vy_comp is_quality_valid
/// ambig_state ... invalid_state ...`) to a [`RadarScan`] of `sensor` at `timestamp`.
///
/// `valid` = `invalid_state == 0`; `velocity_unambiguous` = `ambig_state == 3`; compensated
/// velocity = (`vx_comp`, `vy_comp`); radial velocity = (`vx`, `vy`) projected on the line of
/// sight in the x/y plane (positive = moving away).
pub fn ars408_scan(
    pcd: &PcdFile,
    sensor: &str,
    timestamp: Timestamp,
    what: &str,
) -> Result<DecodedRadar, SensorError> {
    let col = |n: &str| pcd.require(n, what);
    let (x, y, z) = (col("x")?, col("y")?, col("z")?);
    let (vx, vy, vxc, vyc) = (col("vx")?, col("vy")?, col("vx_comp")?, col("vy_comp")?);
    let (rcs, id, dyn_prop) = (col("rcs")?, col("id")?, col("dyn_prop")?);
    let (quality, ambig, invalid) = (
        col("is_quality_valid")?,
        col("ambig_state")?,
        col("invalid_state")?,
    );
    let mut detections = Vec::with_capacity(x.len());
    let mut skipped = 0;
    for i in 0..x.len() {
        let p = Point3::new(x[i] as f32, y[i] as f32, z[i] as f32);
        let v = Vector2::new(vx[i] as f32, vy[i] as f32);
        let vc = Vector2::new(vxc[i] as f32, vyc[i] as f32);
        if !(p
            .iter()
            .chain(v.iter())
            .chain(vc.iter())
            .all(|c| c.is_finite())
            && rcs[i].is_finite())
        {
            skipped += 1;
            continue;
        }
        let los = Vector2::new(p.x, p.y);
        let radial_velocity = if los.norm() > 1e-6 {
            v.dot(&los) / los.norm()
        } else {
            0.0
        };
        detections.push(RadarDetection {
            position: p,
            radial_velocity,
            compensated_velocity: Some(vc),
            rcs: rcs[i] as f32,
            id: (0.0..=u16::MAX as f64)
                .contains(&id[i])
                .then_some(id[i] as u16),
            validity: RadarValidity {
                valid: invalid[i] == 0.0,
                velocity_unambiguous: ambig[i] == 3.0,
                quality_valid: quality[i] != 0.0,
                dynamic_property: dyn_prop[i].clamp(0.0, 255.0) as u8,
            },
        });
    }
    Ok(DecodedRadar {
        scan: RadarScan {
            sensor: sensor.to_owned(),
            timestamp,
            detections,
        },
        skipped,
        trailing_bytes: pcd.trailing_bytes,
    })
}

/// Sensor name and time from a nuScenes sample-data file name
/// `<log>__<CHANNEL>__<microseconds>.<ext>`, e.g. `RADAR_BACK_LEFT` and 1532506682462345 µs.
pub fn channel_and_time(path: &Path) -> Option<(String, Timestamp)> {
    let name = path.file_name()?.to_str()?;
    let mut parts = name.split("__");
    let (_, channel, rest) = (parts.next()?, parts.next()?, parts.next()?);
    let micros: u64 = rest.split('.').next()?.parse().ok()?;
    Some((channel.to_owned(), Timestamp::from_micros(micros)))
}

/// Reads a nuScenes radar PCD; sensor name and time come from the file name (see
/// [`channel_and_time`]; `RADAR` and time 0 when the name does not follow the convention).
pub fn read_radar_pcd(path: &Path) -> Result<DecodedRadar, SensorError> {
    let what = path.display().to_string();
    let pcd = PcdFile::load(path)?;
    let (sensor, ts) = channel_and_time(path).unwrap_or_else(|| ("RADAR".to_owned(), Timestamp(0)));
    ars408_scan(&pcd, &sensor, ts, &what)
}
