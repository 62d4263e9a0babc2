//! The image sets of the recipe: MIT-licensed dash-cam frames split into training and
//! held-out parts (`models/data/dashcam/`), and the evaluation-only KITTI and nuScenes frames
//! read in place from `sensors/testdata/` (non-commercial licences: never trained on).

use crate::DistillError;
use kestrel_models::{load_image_file, zoo};
use kestrel_sensors::CameraFrame;
use kestrel_sensors::pandaset::PandasetSequence;
use std::path::{Path, PathBuf};

/// Where an image comes from (the slices of the agreement report).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ImageSource {
    /// Dash-cam frames used for training.
    DashcamTrain,
    /// Dash-cam frames held out of training (end of each clip + two stills).
    DashcamHeldout,
    /// KITTI object/demo frames (evaluation only).
    Kitti,
    /// nuScenes camera frames (evaluation only).
    Nuscenes,
}

impl ImageSource {
    /// Short name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            ImageSource::DashcamTrain => "dashcam-train",
            ImageSource::DashcamHeldout => "dashcam-heldout",
            ImageSource::Kitti => "kitti",
            ImageSource::Nuscenes => "nuscenes",
        }
    }
}

/// A loaded image and where it comes from.
#[derive(Debug, Clone)]
pub struct LabelledImage {
    /// File it was read from.
    pub path: PathBuf,
    /// Slice it belongs to.
    pub source: ImageSource,
    /// Decoded RGB8 frame.
    pub frame: CameraFrame,
}

/// First held-out frame index of the `test_video` clip (frames 28..=37 are held out).
pub const TEST_VIDEO_HELDOUT_FROM: usize = 28;
/// First held-out frame index of the `solid_white_right` clip (frames 85..=110 held out).
pub const SOLID_WHITE_RIGHT_HELDOUT_FROM: usize = 85;
/// Stills held out of training.
pub const HELDOUT_STILLS: [&str; 2] = ["test3.jpg", "whiteCarLaneSwitch.jpg"];

fn sorted_files(dir: &Path, ext: &[&str]) -> Result<Vec<PathBuf>, DistillError> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(DistillError::io(dir))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| ext.contains(&e.to_ascii_lowercase().as_str()))
        })
        .collect();
    files.sort();
    Ok(files)
}

fn frame_index(p: &Path) -> usize {
    p.file_stem()
        .and_then(|s| s.to_str())
        .and_then(|s| s.parse().ok())
        .unwrap_or(usize::MAX)
}

/// The dash-cam frames under `dir` (layout of `models/data/dashcam/`), split into
/// (training, held-out) paths.
pub fn dashcam_split(dir: &Path) -> Result<(Vec<PathBuf>, Vec<PathBuf>), DistillError> {
    let (mut train, mut held) = (Vec::new(), Vec::new());
    for (clip, from) in [
        ("test_video", TEST_VIDEO_HELDOUT_FROM),
        ("solid_white_right", SOLID_WHITE_RIGHT_HELDOUT_FROM),
    ] {
        for p in sorted_files(&dir.join(clip), &["jpg"])? {
            if frame_index(&p) >= from {
                held.push(p)
            } else {
                train.push(p)
            }
        }
    }
    for p in sorted_files(&dir.join("stills"), &["jpg"])? {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if HELDOUT_STILLS.contains(&name) {
            held.push(p)
        } else {
            train.push(p)
        }
    }
    if train.is_empty() || held.is_empty() {
        return Err(DistillError::Data {
            path: dir.to_path_buf(),
            reason: "no dash-cam frames found (expected test_video/, solid_white_right/, stills/)"
                .into(),
        });
    }
    Ok((train, held))
}

/// The held-out dash-cam frames of `held` (as [`dashcam_split`] returns them) split into a
/// validation block (the `test_video` clip's) and the others, each in order.
pub fn dashcam_validation_split(held: &[PathBuf]) -> (Vec<PathBuf>, Vec<PathBuf>) {
    held.iter()
        .cloned()
        .partition(|p| p.parent().and_then(|d| d.file_name()) == Some("test_video".as_ref()))
}

/// Evaluation-only frames in the repository: KITTI object + demo frames, nuScenes cameras.
pub fn evaluation_only_paths() -> Result<Vec<(ImageSource, PathBuf)>, DistillError> {
    let testdata = zoo::models_dir()
        .join("..")
        .join("sensors")
        .join("testdata");
    let mut out = Vec::new();
    for p in sorted_files(&testdata.join("kitti/object/image_2"), &["png"])? {
        out.push((ImageSource::Kitti, p));
    }
    out.push((
        ImageSource::Kitti,
        testdata.join("kitti/demo-000008/000008.png"),
    ));
    for p in sorted_files(&testdata.join("nuscenes/sample-n015-2018-07-24"), &["jpg"])? {
        out.push((ImageSource::Nuscenes, p));
    }
    Ok(out)
}

/// The decoded frames of `paths`, in order (when their source needs no tag).
pub fn load_frames(paths: &[PathBuf]) -> Result<Vec<CameraFrame>, DistillError> {
    paths.iter().map(|p| Ok(load_image_file(p)?)).collect()
}

/// Every camera image of the frames of PandaSet sequence `root` whose number satisfies `keep`,
/// frame by frame, cameras in the sequence's order (without labels, unlike
/// [`crate::human_labels::load_pandaset_images`]).
pub fn pandaset_frames(
    root: &Path,
    keep: impl Fn(u32) -> bool,
) -> Result<Vec<CameraFrame>, DistillError> {
    let sequence = PandasetSequence::open(root)?;
    let mut out = Vec::new();
    for (i, f) in sequence.frames().iter().enumerate() {
        if keep(f.number) {
            for cam in sequence.camera_names() {
                out.push(sequence.camera(i, cam)?);
            }
        }
    }
    Ok(out)
}

/// Loads images, tagging each with its source.
pub fn load_all(paths: &[(ImageSource, PathBuf)]) -> Result<Vec<LabelledImage>, DistillError> {
    paths
        .iter()
        .map(|(source, path)| {
            Ok(LabelledImage {
                path: path.clone(),
                source: *source,
                frame: load_image_file(path)?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_holds_out_clip_ends_and_stills() {
        let (train, held) = dashcam_split(&zoo::dashcam_data_dir()).unwrap();
        assert!(train.iter().all(|p| !held.contains(p)));
        assert_eq!(held.len(), 10 + 26 + 2);
        assert!(held.iter().any(|p| p.ends_with("test_video/037.jpg")));
        assert!(train.iter().any(|p| p.ends_with("test_video/027.jpg")));
        assert_eq!(train.len() + held.len(), 38 + 111 + 13);
        let (validation, report) = dashcam_validation_split(&held);
        assert_eq!((validation.len(), report.len()), (10, 26 + 2));
        assert!(
            validation
                .iter()
                .all(|p| p.parent().unwrap().ends_with("test_video"))
        );
    }
}
