//! The mmdetection3d-style `info.json` of a nuScenes sample: calibration and 3D boxes.

use crate::SensorError;
use serde::Deserialize;
use std::collections::BTreeMap;

/// The whole file: metadata plus one entry per sample.
#[derive(Debug, Clone, Deserialize)]
pub struct InfoFile {
    /// Dataset metadata.
    pub metainfo: MetaInfo,
    /// Samples (the fixture holds one).
    pub data_list: Vec<SampleInfo>,
}

/// Dataset metadata.
#[derive(Debug, Clone, Deserialize)]
pub struct MetaInfo {
    /// Category name -> label id (`car` 0, `truck` 1, ... `barrier` 9).
    #[serde(default)]
    pub categories: BTreeMap<String, i64>,
    /// Dataset name (`nuscenes`).
    #[serde(default)]
    pub dataset: String,
    /// Dataset version (`v1.0-mini`).
    #[serde(default)]
    pub version: String,
}

/// One keyframe.
#[derive(Debug, Clone, Deserialize)]
pub struct SampleInfo {
    /// Sample token.
    #[serde(default)]
    pub token: String,
    /// LiDAR keyframe time, seconds since the Unix epoch (microsecond resolution).
    pub timestamp: f64,
    /// Ego (vehicle) frame -> global frame, 4x4, metres.
    pub ego2global: [[f64; 4]; 4],
    /// Cameras by nuScenes channel name (`CAM_FRONT`, ...).
    pub images: BTreeMap<String, CameraInfo>,
    /// The top LiDAR.
    pub lidar_points: LidarInfo,
    /// Annotated 3D boxes in the LiDAR frame.
    #[serde(default)]
    pub instances: Vec<Instance>,
}

/// One camera of a sample.
#[derive(Debug, Clone, Deserialize)]
pub struct CameraInfo {
    /// Image file name, relative to the sample folder.
    pub img_path: String,
    /// 3x3 intrinsic matrix, pixels.
    pub cam2img: [[f64; 3]; 3],
    /// Camera optical frame -> ego frame, 4x4, metres.
    pub cam2ego: [[f64; 4]; 4],
    /// LiDAR frame -> camera optical frame, 4x4, metres.
    pub lidar2cam: [[f64; 4]; 4],
    /// Exposure time, seconds since the Unix epoch.
    pub timestamp: f64,
}

/// The LiDAR of a sample.
#[derive(Debug, Clone, Deserialize)]
pub struct LidarInfo {
    /// Floats per point in the `.pcd.bin` (5).
    pub num_pts_feats: usize,
    /// Point file name, relative to the sample folder.
    pub lidar_path: String,
    /// LiDAR frame -> ego frame, 4x4, metres.
    pub lidar2ego: [[f64; 4]; 4],
}

/// One annotated box.
#[derive(Debug, Clone, Deserialize)]
pub struct Instance {
    /// Label id (see [`MetaInfo::categories`]).
    pub bbox_label: i64,
    /// `x, y, z, length, width, height, yaw` in the LiDAR frame. In this file `z` is the
    /// box's geometric centre (checked: counting points with that convention reproduces
    /// `num_lidar_pts`, e.g. 479 vs 495 for the truck, 79 vs 77 for a barrier, while the
    /// bottom-centre reading gives about half).
    pub bbox_3d: [f64; 7],
    /// Whether the box has LiDAR or radar points (mmdetection3d's filter).
    #[serde(default = "yes")]
    pub bbox_3d_isvalid: bool,
    /// Velocity `vx, vy` in the LiDAR frame, m/s; `None` (NaN in the file) when unknown.
    #[serde(default)]
    pub velocity: [Option<f64>; 2],
    /// LiDAR points inside the box.
    #[serde(default)]
    pub num_lidar_pts: Option<u32>,
}

fn yes() -> bool {
    true
}

/// Replaces the bare `NaN`, `Infinity` and `-Infinity` tokens that Python's `json.dump`
/// writes (outside strings) by `null`, so that standard JSON parsers accept the text.
pub fn python_json_to_strict(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_string = false;
    let mut escaped = false;
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if in_string {
            in_string = c != '"' || escaped;
            escaped = c == '\\' && !escaped;
        } else if c == '"' {
            in_string = true;
        } else {
            let token = ["-Infinity", "Infinity", "NaN"]
                .into_iter()
                .find(|t| rest.starts_with(t));
            if let Some(t) = token {
                out.push_str("null");
                rest = &rest[t.len()..];
                continue;
            }
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

impl InfoFile {
    /// Parses an `info.json` text (Python-style NaN accepted); `what` names it in errors.
    pub fn parse(text: &str, what: &str) -> Result<Self, SensorError> {
        let strict = python_json_to_strict(text);
        serde_json::from_str(&strict).map_err(|e| {
            SensorError::malformed(
                what,
                e.line(),
                format!("line {} column {}: {e}", e.line(), e.column()),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nan_outside_strings_becomes_null() {
        let s = python_json_to_strict(r#"{"a": [NaN, -Infinity], "b": "NaN \"x", "c": Infinity}"#);
        assert_eq!(s, r#"{"a": [null, null], "b": "NaN \"x", "c": null}"#);
    }
}
