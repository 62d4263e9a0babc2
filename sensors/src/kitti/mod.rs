//! KITTI object-benchmark layout: `velodyne/`, `image_2/`, `calib/`, `label_2/` folders with
//! one `NNNNNN` file per frame.
//!
//! KITTI object frames carry no time stamps: messages get [`Timestamp`] 0. Ground truth is
//! given in the Velodyne frame (see [`calib::KittiCalib::rig`] for the vehicle frame).

pub mod calib;
pub mod demo_info;
pub mod labels;

use crate::ground_truth::GroundTruthObject;
use crate::image_file::{image_dimensions, read_image_file};
use crate::lidar_bin::{FloatRecordLayout, read_float_records};
use crate::{CameraFrame, PointCloud, Rig, SensorError, Timestamp};
use calib::KittiCalib;
use labels::KittiLabel;
use std::path::{Path, PathBuf};

/// One KITTI object frame, fully loaded.
#[derive(Debug, Clone)]
pub struct KittiObjectFrame {
    /// Frame id (file stem, e.g. `000001`).
    pub id: String,
    /// Velodyne scan, sensor `velodyne` (Velodyne frame, metres; reflectance 0..1).
    pub cloud: PointCloud,
    /// Points dropped from the scan for non-finite values.
    pub skipped_points: usize,
    /// Left colour image, sensor `cam2`, RGB8.
    pub image: CameraFrame,
    /// Calibration as read.
    pub calib: KittiCalib,
    /// Rig built from the calibration (see [`KittiCalib::rig`]).
    pub rig: Rig,
    /// Label lines as read (empty when the frame has no `label_2` file, e.g. the test split).
    pub labels: Vec<KittiLabel>,
    /// Labels other than `DontCare` as ground truth in the `velodyne` frame.
    pub ground_truth: Vec<GroundTruthObject>,
}

/// Paths of one frame's files under a KITTI object root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KittiFramePaths {
    /// `velodyne/ID.bin`.
    pub velodyne: PathBuf,
    /// `image_2/ID.png`.
    pub image: PathBuf,
    /// `calib/ID.txt`.
    pub calib: PathBuf,
    /// `label_2/ID.txt` (may not exist).
    pub label: PathBuf,
}

impl KittiFramePaths {
    /// The paths for frame `id` under `root`.
    pub fn new(root: &Path, id: &str) -> Self {
        Self {
            velodyne: root.join("velodyne").join(format!("{id}.bin")),
            image: root.join("image_2").join(format!("{id}.png")),
            calib: root.join("calib").join(format!("{id}.txt")),
            label: root.join("label_2").join(format!("{id}.txt")),
        }
    }
}

/// True when `root` looks like a KITTI object root (has `velodyne/` and `calib/`).
pub fn is_object_root(root: &Path) -> bool {
    root.join("velodyne").is_dir() && root.join("calib").is_dir()
}

/// Frame ids under a KITTI object root (stems of `velodyne/*.bin`), sorted.
pub fn frame_ids(root: &Path) -> Result<Vec<String>, SensorError> {
    let dir = root.join("velodyne");
    let mut ids = Vec::new();
    for entry in std::fs::read_dir(&dir).map_err(|e| SensorError::io(&dir, e))? {
        let path = entry.map_err(|e| SensorError::io(&dir, e))?.path();
        if path.extension().is_some_and(|e| e == "bin")
            && let Some(stem) = path.file_stem().and_then(|s| s.to_str())
        {
            ids.push(stem.to_owned());
        }
    }
    ids.sort();
    Ok(ids)
}

/// The `NNNNNN.info.json` of an mmdetection3d KITTI demo folder, if `dir` has exactly one.
pub fn demo_info_file(dir: &Path) -> Option<PathBuf> {
    let mut found = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.ends_with(".info.json"))
        });
    let first = found.next()?;
    found.next().is_none().then_some(first)
}

impl KittiObjectFrame {
    /// Loads frame `id` under `root`: scan, image, calibration, and labels if present.
    pub fn load(root: &Path, id: &str) -> Result<Self, SensorError> {
        let paths = KittiFramePaths::new(root, id);
        let calib = KittiCalib::load(&paths.calib)?;
        let labels = if paths.label.exists() {
            let text = std::fs::read_to_string(&paths.label)
                .map_err(|e| SensorError::io(&paths.label, e))?;
            labels::parse_labels(&text, &paths.label.display().to_string())?
        } else {
            Vec::new()
        };
        Self::assemble(id.to_owned(), &paths.velodyne, &paths.image, calib, labels)
    }

    /// Loads an mmdetection3d KITTI demo frame from its `NNNNNN.info.json` (scan and image
    /// named there, next to it). Same conventions as [`KittiObjectFrame::load`].
    pub fn load_demo(info_path: &Path) -> Result<Self, SensorError> {
        let text = std::fs::read_to_string(info_path).map_err(|e| SensorError::io(info_path, e))?;
        let info = demo_info::KittiDemoInfo::parse(&text, &info_path.display().to_string())?;
        let dir = info_path.parent().unwrap_or(Path::new("."));
        let id = info.lidar_path.trim_end_matches(".bin").to_owned();
        let (velodyne, image) = (dir.join(&info.lidar_path), dir.join(&info.image_path));
        Self::assemble(id, &velodyne, &image, info.calib, info.labels)
    }

    fn assemble(
        id: String,
        velodyne: &Path,
        image_path: &Path,
        calib: KittiCalib,
        labels: Vec<KittiLabel>,
    ) -> Result<Self, SensorError> {
        let decoded = read_float_records(
            velodyne,
            FloatRecordLayout::Kitti,
            calib::LIDAR,
            Timestamp(0),
        )?;
        let (w, h) = image_dimensions(image_path)?;
        let rig = calib.rig(w, h)?;
        let image = read_image_file(image_path, calib::CAMERAS[2], Timestamp(0))?;
        let rect_to_velo = calib.velo_to_rect()?.inverse();
        let ground_truth = labels
            .iter()
            .filter_map(|l| l.to_ground_truth(&rect_to_velo, calib::LIDAR))
            .collect();
        Ok(Self {
            id,
            cloud: decoded.cloud,
            skipped_points: decoded.skipped,
            image,
            calib,
            rig,
            labels,
            ground_truth,
        })
    }
}
