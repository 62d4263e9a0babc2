//! The mmdetection3d KITTI demo layout: `NNNNNN.bin` (camera-FOV-cropped scan),
//! `NNNNNN.png`, and `NNNNNN.info.json` holding `cam2img` / `lidar2cam` / `R0_rect` /
//! `Tr_velo_to_cam` and 3D boxes (`bbox_3d` = `x y z l h w ry`, bottom centre, rectified
//! camera-0 coordinates — the label-file convention with reordered dimensions).

use super::calib::KittiCalib;
use super::labels::KittiLabel;
use crate::SensorError;
use nalgebra::{Matrix3, Matrix3x4, Point3};
use serde::Deserialize;
use std::collections::BTreeMap;

/// mmdetection3d's KITTI class ids (`bbox_label_3d`), in order.
pub const CLASSES: [&str; 8] = [
    "Pedestrian",
    "Cyclist",
    "Car",
    "Van",
    "Truck",
    "Person_sitting",
    "Tram",
    "Misc",
];

#[derive(Deserialize)]
struct File {
    data_list: Vec<Sample>,
}

#[derive(Deserialize)]
struct Sample {
    images: BTreeMap<String, serde_json::Value>,
    lidar_points: LidarPoints,
    #[serde(default)]
    instances: Vec<Instance>,
}

#[derive(Deserialize)]
struct LidarPoints {
    lidar_path: String,
    #[serde(rename = "Tr_velo_to_cam")]
    tr_velo_to_cam: [[f64; 4]; 4],
    #[serde(default, rename = "Tr_imu_to_velo")]
    tr_imu_to_velo: Option<[[f64; 4]; 4]>,
}

#[derive(Deserialize)]
struct Instance {
    bbox: [f64; 4],
    bbox_label_3d: i64,
    bbox_3d: [f64; 7],
    #[serde(default)]
    truncated: f64,
    #[serde(default)]
    occluded: i32,
    #[serde(default)]
    alpha: f64,
}

/// One demo frame's calibration, labels and file names.
#[derive(Debug, Clone, PartialEq)]
pub struct KittiDemoInfo {
    /// Calibration rebuilt from the JSON matrices.
    pub calib: KittiCalib,
    /// Boxes as KITTI labels (type from [`CLASSES`]).
    pub labels: Vec<KittiLabel>,
    /// Scan file name, relative to the info file's folder.
    pub lidar_path: String,
    /// Camera-2 image file name, relative to the info file's folder.
    pub image_path: String,
}

fn m34(v: &[[f64; 4]; 4]) -> Matrix3x4<f64> {
    Matrix3x4::from_fn(|r, c| v[r][c])
}

impl KittiDemoInfo {
    /// Parses `NNNNNN.info.json` text; `what` names it in errors.
    pub fn parse(text: &str, what: &str) -> Result<Self, SensorError> {
        let bad = |e: String| SensorError::malformed(what, 0, e);
        let file: File = serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
        let s = file
            .data_list
            .into_iter()
            .next()
            .ok_or_else(|| bad("data_list is empty".into()))?;
        let mat = |v: &serde_json::Value, key: &str| -> Result<[[f64; 4]; 4], SensorError> {
            serde_json::from_value(v.get(key).cloned().unwrap_or_default())
                .map_err(|e| bad(format!("{key}: {e}")))
        };
        let mut p = [Matrix3x4::zeros(); 4];
        for (i, pi) in p.iter_mut().enumerate() {
            let cam = s
                .images
                .get(&format!("CAM{i}"))
                .ok_or_else(|| bad(format!("no CAM{i}")))?;
            *pi = m34(&mat(cam, "cam2img")?);
        }
        let r0: [[f64; 4]; 4] =
            serde_json::from_value(s.images.get("R0_rect").cloned().unwrap_or_default())
                .map_err(|e| bad(format!("R0_rect: {e}")))?;
        let image_path = s
            .images
            .get("CAM2")
            .and_then(|c| c.get("img_path"))
            .and_then(|v| v.as_str())
            .ok_or_else(|| bad("CAM2 has no img_path".into()))?
            .to_owned();
        let labels = s
            .instances
            .iter()
            .map(|i| {
                let [x, y, z, l, h, w, ry] = i.bbox_3d;
                let kind = usize::try_from(i.bbox_label_3d)
                    .ok()
                    .and_then(|k| CLASSES.get(k))
                    .copied()
                    .unwrap_or("DontCare");
                KittiLabel {
                    kind: kind.to_owned(),
                    truncation: i.truncated,
                    occlusion: i.occluded,
                    alpha: i.alpha,
                    bbox_2d: i.bbox,
                    dimensions_hwl: [h, w, l],
                    location: Point3::new(x, y, z),
                    rotation_y: ry,
                    score: None,
                }
            })
            .collect();
        Ok(Self {
            calib: KittiCalib {
                p,
                r0_rect: Matrix3::from_fn(|r, c| r0[r][c]),
                tr_velo_to_cam: m34(&s.lidar_points.tr_velo_to_cam),
                tr_imu_to_velo: s.lidar_points.tr_imu_to_velo.as_ref().map(m34),
            },
            labels,
            lidar_path: s.lidar_points.lidar_path,
            image_path,
        })
    }
}
