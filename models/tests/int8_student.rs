//! The int8 student (`models/zoo/kestrel-student-v3-int8`, written by
//! `benches/compare/int8.py --out`): it loads through the verified loader, is the float
//! student's network in integer form (same input, outputs and classes; score logits with the
//! sigmoid in the decoder), and at the operating point finds what the float student finds on
//! real frames. Its cross-architecture identity is checked by `.ci/aarch64-replay-check`.

use kestrel_models::manifest::ScoreActivation;
use kestrel_models::{Detector, ModelManifest, load_image_file, zoo};
use std::path::{Path, PathBuf};

fn int8_manifest() -> PathBuf {
    zoo::models_dir()
        .join("zoo")
        .join(format!("{}-int8", zoo::DEFAULT_STUDENT))
        .join("model.toml")
}

#[test]
fn int8_student_is_the_float_network_in_integers() {
    let float = ModelManifest::load(&zoo::default_student_manifest()).unwrap();
    let int8 = ModelManifest::load(&int8_manifest()).unwrap();
    assert_eq!(int8.name, format!("{}-int8", float.name));
    assert_eq!(int8.input, float.input);
    assert_eq!(int8.outputs, float.outputs);
    assert_eq!(int8.decoder.classes, float.decoder.classes);
    assert_eq!(int8.decoder.score_activation, ScoreActivation::Sigmoid);
    assert_eq!(float.decoder.score_activation, ScoreActivation::None);
    let onnx = std::fs::read(int8_manifest().with_file_name(&int8.onnx)).unwrap();
    let text = String::from_utf8_lossy(&onnx);
    assert!(text.contains("QLinearConv"), "an integer network");
    assert!(
        !text.contains("Sigmoid"),
        "the sigmoid lives in the decoder"
    );
}

#[test]
fn int8_student_finds_what_the_float_student_finds() {
    let float = Detector::load(&zoo::default_student_manifest()).unwrap();
    let int8 = Detector::load(&int8_manifest()).unwrap();
    let testdata = Path::new(env!("CARGO_MANIFEST_DIR")).join("../sensors/testdata");
    let (mut reference, mut reproduced) = (0, 0);
    for image in [
        "kitti/object/image_2/000000.png",
        "kitti/object/image_2/000001.png",
        "kitti/demo-000008/000008.png",
        "pandaset/seq002-36-55/camera/front_camera/50.jpg",
    ] {
        let frame = load_image_file(&testdata.join(image)).unwrap();
        let expected = float.detect(&frame).unwrap();
        let got = int8.detect(&frame).unwrap();
        assert_eq!(int8.detect(&frame).unwrap(), got, "{image}: deterministic");
        reference += expected.len();
        reproduced += expected
            .iter()
            .filter(|e| got.iter().any(|g| g.label == e.label && g.iou(e) >= 0.5))
            .count();
        assert!(
            got.len() <= expected.len() * 3 / 2 + 3,
            "{image}: {} int8 detections vs {} float",
            got.len(),
            expected.len()
        );
    }
    assert!(reference > 20, "the frames hold objects ({reference})");
    assert!(
        reproduced * 100 >= reference * 95,
        "int8 reproduces {reproduced} of {reference} float detections"
    );
}
