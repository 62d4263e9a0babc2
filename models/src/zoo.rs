//! Where the shipped models live. Paths are resolved from this crate's source folder
//! (`CARGO_MANIFEST_DIR` of kestrel-models at build time), so they point into the repository
//! checkout (`models/teachers/`, `models/zoo/`); nothing is ever downloaded.

use std::path::PathBuf;

/// Folder holding the shipped models (`<repo>/models`).
pub fn models_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Manifest of the NanoDet COCO teacher (`models/teachers/nanodet_coco.toml`), 416x416 input.
pub fn teacher_manifest() -> PathBuf {
    models_dir().join("teachers").join("nanodet_coco.toml")
}

/// Name of the reference student shipped in `models/zoo/`.
pub const DEFAULT_STUDENT: &str = "kestrel-student-v3";

/// Manifest of the shipped reference student (`models/zoo/<DEFAULT_STUDENT>/model.toml`),
/// the default detector of the camera branch and of `kestrel detect`.
pub fn default_student_manifest() -> PathBuf {
    models_dir()
        .join("zoo")
        .join(DEFAULT_STUDENT)
        .join("model.toml")
}

/// Name of the LiDAR shape classifier shipped in `models/zoo/`.
pub const DEFAULT_LIDAR_CLASSIFIER: &str = "kestrel-lidar-shape-v1";

/// The shipped LiDAR shape classifier (`models/zoo/<DEFAULT_LIDAR_CLASSIFIER>/classifier.toml`),
/// which names the LiDAR objects no camera named.
pub fn default_lidar_classifier() -> PathBuf {
    models_dir()
        .join("zoo")
        .join(DEFAULT_LIDAR_CLASSIFIER)
        .join("classifier.toml")
}

/// Image folders of the repository's data, for tools and tests.
pub fn dashcam_data_dir() -> PathBuf {
    models_dir().join("data").join("dashcam")
}
