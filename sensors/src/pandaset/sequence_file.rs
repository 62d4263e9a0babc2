//! `sequence.json` of a PandaSet sequence folder: LiDAR poses and timestamps, and per camera
//! its intrinsics, poses and timestamps (the devkit's `meta` files gathered in one file).

use crate::SensorError;
use nalgebra::{Isometry3, Quaternion, Translation3, UnitQuaternion};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

/// A position in metres.
#[derive(Debug, Clone, Copy, Deserialize)]
pub struct Position {
    /// x, metres.
    pub x: f64,
    /// y, metres.
    pub y: f64,
    /// z, metres.
    pub z: f64,
}

/// A unit quaternion.
#[derive(Debug, Clone, Copy, Deserialize)]
pub struct Heading {
    /// w.
    pub w: f64,
    /// x.
    pub x: f64,
    /// y.
    pub y: f64,
    /// z.
    pub z: f64,
}

/// One pose: a sensor frame in the world frame.
#[derive(Debug, Clone, Copy, Deserialize)]
pub struct PoseEntry {
    /// Frame number.
    pub frame: u32,
    /// Origin, world frame.
    pub position: Position,
    /// Orientation, world frame.
    pub heading: Heading,
}

impl PoseEntry {
    /// Sensor frame -> world frame. Errors when the quaternion is not unit (norm off by more
    /// than 1e-3) or a value is not finite.
    pub fn isometry(&self, what: &str) -> Result<Isometry3<f64>, SensorError> {
        isometry_from_parts(
            [self.position.x, self.position.y, self.position.z],
            [
                self.heading.w,
                self.heading.x,
                self.heading.y,
                self.heading.z,
            ],
            what,
        )
    }
}

/// The isometry of a translation and a `[w, x, y, z]` quaternion, checked.
pub fn isometry_from_parts(
    t: [f64; 3],
    wxyz: [f64; 4],
    what: &str,
) -> Result<Isometry3<f64>, SensorError> {
    let q = Quaternion::new(wxyz[0], wxyz[1], wxyz[2], wxyz[3]);
    let norm = q.norm();
    if !norm.is_finite() || (norm - 1.0).abs() > 1e-3 || t.iter().any(|v| !v.is_finite()) {
        return Err(SensorError::malformed(
            what,
            0,
            format!("bad pose: translation {t:?}, quaternion {wxyz:?}"),
        ));
    }
    Ok(Isometry3::from_parts(
        Translation3::new(t[0], t[1], t[2]),
        UnitQuaternion::from_quaternion(q),
    ))
}

/// A frame's time.
#[derive(Debug, Clone, Copy, Deserialize)]
pub struct TimeEntry {
    /// Frame number.
    pub frame: u32,
    /// Unix time, seconds (GPS-synchronised).
    pub t: f64,
}

/// Pinhole intrinsics in pixels of the stored image size.
#[derive(Debug, Clone, Copy, Deserialize)]
pub struct Intrinsics {
    /// Focal length x, pixels.
    pub fx: f64,
    /// Focal length y, pixels.
    pub fy: f64,
    /// Principal point x, pixels.
    pub cx: f64,
    /// Principal point y, pixels.
    pub cy: f64,
}

/// The LiDAR's poses and timestamps.
#[derive(Debug, Clone, Deserialize)]
pub struct LidarMeta {
    /// LiDAR pose per frame.
    pub poses: Vec<PoseEntry>,
    /// Sweep time per frame.
    pub timestamps: Vec<TimeEntry>,
}

/// One camera's calibration, poses and timestamps.
#[derive(Debug, Clone, Deserialize)]
pub struct CameraMeta {
    /// Stored image size / original size (1.0 for the 1920x1080 front camera).
    pub image_scale: f64,
    /// Intrinsics for the stored image size.
    pub intrinsics: Intrinsics,
    /// Camera (optical frame: x right, y down, z forward) -> world, per frame.
    pub poses: Vec<PoseEntry>,
    /// Exposure time per frame.
    pub timestamps: Vec<TimeEntry>,
}

/// The whole `sequence.json`.
#[derive(Debug, Clone, Deserialize)]
pub struct SequenceFile {
    /// LiDAR metadata.
    pub lidar: LidarMeta,
    /// Camera metadata by camera name (`front_camera`, ...).
    pub cameras: BTreeMap<String, CameraMeta>,
}

impl SequenceFile {
    /// Reads and parses `path`.
    pub fn load(path: &Path) -> Result<Self, SensorError> {
        let text = std::fs::read_to_string(path).map_err(|e| SensorError::io(path, e))?;
        serde_json::from_str(&text).map_err(|e| {
            SensorError::malformed(
                path.display().to_string(),
                e.line(),
                format!("sequence.json: {e}"),
            )
        })
    }
}

/// The entry of `frame` in a per-frame list.
pub fn entry_for<T: Copy>(entries: &[T], frame: u32, number: impl Fn(&T) -> u32) -> Option<T> {
    entries.iter().copied().find(|e| number(e) == frame)
}
