//! Loader, verification and decoding checks on the real NanoDet teacher and real images.

use kestrel_models::manifest::ModelManifest;
use kestrel_models::{Detection2d, Detector, ModelError, VerifiedModel, load_image_file, zoo};
use std::path::{Path, PathBuf};

fn repo_path(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(rel)
}

fn teacher() -> (ModelManifest, PathBuf) {
    let path = zoo::teacher_manifest();
    (ModelManifest::load(&path).expect("teacher manifest"), path)
}

#[test]
fn manifest_round_trips_through_toml() {
    let (manifest, path) = teacher();
    let text = manifest.to_toml().unwrap();
    let back = ModelManifest::from_toml(&text, &path).unwrap();
    assert_eq!(back, manifest);
}

#[test]
fn manifest_without_version_or_with_a_non_finite_metric_is_rejected() {
    let (manifest, path) = teacher();
    let mut unversioned = manifest.clone();
    unversioned.version = " ".into();
    let err = ModelManifest::from_toml(&unversioned.to_toml().unwrap(), &path).unwrap_err();
    assert!(err.to_string().contains("version"), "{err}");
    let text = manifest.to_toml().unwrap() + "\n[metrics]\nrecall = nan\n";
    let err = ModelManifest::from_toml(&text, &path).unwrap_err();
    assert!(err.to_string().contains("`recall`"), "{err}");
}

#[test]
fn inconsistent_manifest_is_rejected() {
    let (mut manifest, path) = teacher();
    manifest.outputs[0].shape[1] -= 1;
    let name = manifest.outputs[0].name.clone();
    let text = manifest.to_toml().unwrap();
    let err = ModelManifest::from_toml(&text, &path).unwrap_err();
    assert!(matches!(err, ModelError::Manifest { .. }), "{err}");
    assert!(err.to_string().contains(&name), "{err}");
}

#[test]
fn altered_model_bytes_fail_the_hash_check() {
    let (manifest, path) = teacher();
    let onnx = manifest.onnx_path(&path);
    let mut bytes = std::fs::read(&onnx).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x01;
    let err = VerifiedModel::from_bytes(&manifest, &onnx, &bytes).unwrap_err();
    match err {
        ModelError::HashMismatch {
            expected, actual, ..
        } => {
            assert_eq!(expected, manifest.sha256);
            assert_ne!(actual, expected);
        }
        other => panic!("expected a hash mismatch, got {other}"),
    }
}

#[test]
fn declared_shape_mismatch_names_the_tensor() {
    let (mut manifest, path) = teacher();
    // A consistent manifest for a 320x320 input: the graph's fixed 416x416 input differs.
    manifest.input.shape = [1, 3, 320, 320];
    for out in manifest.outputs.iter_mut() {
        out.shape[1] = match out.shape[1] {
            2704 => 1600,
            676 => 400,
            _ => 100,
        };
    }
    manifest.validate(&path).unwrap();
    let err = VerifiedModel::load(&manifest, &path).unwrap_err();
    match &err {
        ModelError::ShapeMismatch { name, declared, .. } => {
            assert!(name == "input_1:0" || name.starts_with("Identity"), "{err}");
            assert!(declared.contains(&320) || declared.contains(&1600) || declared.contains(&400));
        }
        other => panic!("expected a shape mismatch, got {other}"),
    }
}

/// The 2D car boxes of KITTI frame 000008 (mmdetection3d demo `info.json`, label 2 = Car).
fn kitti_000008_cars() -> Vec<[f32; 4]> {
    let text = std::fs::read_to_string(repo_path(
        "sensors/testdata/kitti/demo-000008/000008.info.json",
    ))
    .unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    json["data_list"][0]["instances"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["bbox_label"] == 2)
        .map(|i| {
            let b: Vec<f32> = i["bbox"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap() as f32)
                .collect();
            [b[0], b[1], b[2], b[3]]
        })
        .collect()
}

fn matched(gt: &[[f32; 4]], dets: &[Detection2d], label: &str) -> usize {
    gt.iter()
        .filter(|g| {
            let g = Detection2d {
                bbox: **g,
                score: 1.0,
                class_id: 0,
                label: String::new(),
            };
            dets.iter().any(|d| d.label == label && d.iou(&g) >= 0.5)
        })
        .count()
}

#[test]
fn teacher_finds_the_annotated_cars_on_kitti_000008() {
    let detector = Detector::load(&zoo::teacher_manifest()).unwrap();
    let frame =
        load_image_file(&repo_path("sensors/testdata/kitti/demo-000008/000008.png")).unwrap();
    let dets = detector.detect(&frame).unwrap();
    let gt = kitti_000008_cars();
    assert_eq!(gt.len(), 6);
    let hits = matched(&gt, &dets, "car");
    assert!(
        hits >= 4,
        "teacher matched {hits}/6 annotated cars: {dets:?}"
    );
    for d in &dets {
        assert!(d.bbox[0] >= 0.0 && d.bbox[2] <= frame.width as f32 && d.bbox[0] < d.bbox[2]);
        assert!(d.bbox[1] >= 0.0 && d.bbox[3] <= frame.height as f32 && d.bbox[1] < d.bbox[3]);
    }
    // Same frame -> bit-identical detections.
    assert_eq!(detector.detect(&frame).unwrap(), dets);
}

#[test]
fn teacher_finds_the_kitti_000000_pedestrian() {
    let detector = Detector::load(&zoo::teacher_manifest()).unwrap();
    let frame = load_image_file(&repo_path(
        "sensors/testdata/kitti/object/image_2/000000.png",
    ))
    .unwrap();
    let dets = detector.detect(&frame).unwrap();
    // label_2/000000.txt: Pedestrian 712.40 143.00 810.73 307.92
    assert_eq!(
        matched(&[[712.40, 143.00, 810.73, 307.92]], &dets, "person"),
        1,
        "{dets:?}"
    );
}
