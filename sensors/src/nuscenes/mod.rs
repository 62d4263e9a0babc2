//! nuScenes: a keyframe folder (`info.json` + `LIDAR_TOP` `.pcd.bin` + six camera JPEGs) and
//! the Continental ARS408 radar PCD files.
//!
//! Vehicle frame = nuScenes ego frame (x forward, y left, z up, origin at the rear-axle
//! centre, metres). Sensor names are the nuScenes channel names (`LIDAR_TOP`, `CAM_FRONT`, ...).
//! Times are Unix times (nuScenes counts microseconds).

pub mod info;
pub mod radar;

use crate::ground_truth::GroundTruthObject;
use crate::image_file::{image_dimensions, read_image_file};
use crate::lidar_bin::{DecodedCloud, FloatRecordLayout, read_float_records};
use crate::pose_matrix::isometry_from_homogeneous;
use crate::{
    CameraFrame, CameraIntrinsics, Distortion, ObjectClass, OrientedBox3, Rig, SensorError,
    SensorKind, SensorSpec, Timestamp,
};
use info::{InfoFile, SampleInfo};
use nalgebra::{Matrix4, Point3, Vector2};
use std::path::{Path, PathBuf};

/// Rig name of the top LiDAR.
pub const LIDAR: &str = "LIDAR_TOP";

/// A Unix time in seconds (as `info.json` writes it) as a timestamp, rounded to the
/// microsecond nuScenes records; negative or non-finite values give an error.
pub fn seconds_to_timestamp(seconds: f64, what: &str) -> Result<Timestamp, SensorError> {
    if !(0.0..1.8e10).contains(&seconds) {
        return Err(SensorError::malformed(
            what,
            0,
            format!("bad timestamp {seconds}"),
        ));
    }
    Ok(Timestamp::from_micros((seconds * 1e6).round() as u64))
}

/// The stack class for a nuScenes detection category (`construction_vehicle` -> truck,
/// `traffic_cone` and `barrier` -> unknown).
pub fn class_of(category: &str) -> ObjectClass {
    match category {
        "car" => ObjectClass::Car,
        "truck" | "construction_vehicle" => ObjectClass::Truck,
        "trailer" => ObjectClass::Trailer,
        "bus" => ObjectClass::Bus,
        "bicycle" => ObjectClass::Bicycle,
        "motorcycle" => ObjectClass::Motorcycle,
        "pedestrian" => ObjectClass::Pedestrian,
        _ => ObjectClass::Unknown,
    }
}

fn homogeneous(m: &[[f64; 4]; 4]) -> Matrix4<f64> {
    Matrix4::from_fn(|r, c| m[r][c])
}

/// One nuScenes keyframe folder, loaded (images are decoded on request).
#[derive(Debug, Clone)]
pub struct NuscenesSample {
    /// The folder.
    pub dir: PathBuf,
    /// `info.json`'s first sample, as read.
    pub info: SampleInfo,
    /// Rig: `LIDAR_TOP` and the cameras, vehicle frame = ego frame.
    pub rig: Rig,
    /// LiDAR keyframe time.
    pub timestamp: Timestamp,
    /// The annotated boxes in the `LIDAR_TOP` frame (geometric centres; see
    /// [`info::Instance::bbox_3d`]).
    pub ground_truth: Vec<GroundTruthObject>,
}

impl NuscenesSample {
    /// True when `dir` holds an `info.json` whose metadata names the nuScenes dataset.
    pub fn is_sample_dir(dir: &Path) -> bool {
        std::fs::read_to_string(dir.join("info.json"))
            .is_ok_and(|t| t.contains("\"nuscenes\"") && t.contains("lidar_points"))
    }

    /// Loads `dir/info.json` (its first sample), the camera image sizes and the rig.
    pub fn load(dir: &Path) -> Result<Self, SensorError> {
        let path = dir.join("info.json");
        let what = path.display().to_string();
        let text = std::fs::read_to_string(&path).map_err(|e| SensorError::io(&path, e))?;
        let file = InfoFile::parse(&text, &what)?;
        let info = file
            .data_list
            .into_iter()
            .next()
            .ok_or_else(|| SensorError::malformed(&what, 0, "data_list is empty"))?;
        let label_names: std::collections::BTreeMap<i64, String> = file
            .metainfo
            .categories
            .into_iter()
            .map(|(k, v)| (v, k))
            .collect();
        let timestamp = seconds_to_timestamp(info.timestamp, &what)?;
        let rig = Self::build_rig(dir, &info, &what)?;
        let ground_truth = info
            .instances
            .iter()
            .enumerate()
            .map(|(i, inst)| {
                let [x, y, z, l, w, h, yaw] = inst.bbox_3d;
                if inst.bbox_3d.iter().any(|v| !v.is_finite()) || l <= 0.0 || w <= 0.0 || h <= 0.0 {
                    return Err(SensorError::malformed(
                        &what,
                        i,
                        format!("instance {i}: bad bbox_3d"),
                    ));
                }
                let label = label_names
                    .get(&inst.bbox_label)
                    .cloned()
                    .unwrap_or_else(|| format!("label_{}", inst.bbox_label));
                let velocity = match inst.velocity {
                    [Some(vx), Some(vy)] => Some(Vector2::new(vx, vy)),
                    _ => None,
                };
                Ok(GroundTruthObject {
                    class: class_of(&label),
                    source_label: label,
                    frame: LIDAR.into(),
                    bbox: OrientedBox3 {
                        center: Point3::new(x, y, z),
                        length: l,
                        width: w,
                        height: h,
                        yaw,
                    },
                    velocity,
                    num_lidar_points: inst.num_lidar_pts,
                    track_id: None,
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            dir: dir.to_owned(),
            info,
            rig,
            timestamp,
            ground_truth,
        })
    }

    fn build_rig(dir: &Path, info: &SampleInfo, what: &str) -> Result<Rig, SensorError> {
        let mut sensors = vec![SensorSpec {
            name: LIDAR.into(),
            kind: SensorKind::Lidar { beams: Some(32) },
            topic: None,
            rate_hz: Some(20.0),
            sync_offset_s: 0.0,
            extrinsics: isometry_from_homogeneous(
                &homogeneous(&info.lidar_points.lidar2ego),
                &format!("{what}: lidar2ego"),
            )?,
        }];
        for (name, cam) in &info.images {
            let k = cam.cam2img;
            if k[0][1] != 0.0
                || k[1][0] != 0.0
                || k[2] != [0.0, 0.0, 1.0]
                || !(k[0][0] > 0.0 && k[1][1] > 0.0)
            {
                return Err(SensorError::malformed(
                    what,
                    0,
                    format!("{name}: cam2img is not a pinhole matrix"),
                ));
            }
            let (width, height) = image_dimensions(&dir.join(&cam.img_path))?;
            sensors.push(SensorSpec {
                name: name.clone(),
                kind: SensorKind::Camera {
                    intrinsics: CameraIntrinsics {
                        width,
                        height,
                        fx: k[0][0],
                        fy: k[1][1],
                        cx: k[0][2],
                        cy: k[1][2],
                        distortion: Distortion::None,
                    },
                },
                topic: None,
                rate_hz: Some(12.0),
                sync_offset_s: 0.0,
                extrinsics: isometry_from_homogeneous(
                    &homogeneous(&cam.cam2ego),
                    &format!("{what}: {name} cam2ego"),
                )?,
            });
        }
        Ok(Rig {
            name: "nuscenes".into(),
            sensors,
        })
    }

    /// The `LIDAR_TOP` sweep (x, y, z, intensity 0..255, ring 0..31; LiDAR frame, metres).
    pub fn lidar(&self) -> Result<DecodedCloud, SensorError> {
        if self.info.lidar_points.num_pts_feats != 5 {
            return Err(SensorError::Unsupported {
                what: self.info.lidar_points.lidar_path.clone(),
                reason: format!(
                    "{} floats per point (expected 5)",
                    self.info.lidar_points.num_pts_feats
                ),
            });
        }
        let path = self.dir.join(&self.info.lidar_points.lidar_path);
        read_float_records(&path, FloatRecordLayout::Nuscenes, LIDAR, self.timestamp)
    }

    /// Camera names, sorted.
    pub fn camera_names(&self) -> impl Iterator<Item = &str> {
        self.info.images.keys().map(String::as_str)
    }

    /// Decodes camera `name`'s image (RGB8) with its own exposure time.
    pub fn camera(&self, name: &str) -> Result<CameraFrame, SensorError> {
        let cam = self
            .info
            .images
            .get(name)
            .ok_or_else(|| SensorError::UnknownSensor(name.to_owned()))?;
        let ts = seconds_to_timestamp(cam.timestamp, name)?;
        read_image_file(&self.dir.join(&cam.img_path), name, ts)
    }

    /// The file's own `lidar2cam` for camera `name` (LiDAR -> camera optical frame), to check
    /// the rig against.
    pub fn lidar_to_camera_from_file(
        &self,
        name: &str,
    ) -> Result<nalgebra::Isometry3<f64>, SensorError> {
        let cam = self
            .info
            .images
            .get(name)
            .ok_or_else(|| SensorError::UnknownSensor(name.to_owned()))?;
        isometry_from_homogeneous(&homogeneous(&cam.lidar2cam), &format!("{name} lidar2cam"))
    }
}
