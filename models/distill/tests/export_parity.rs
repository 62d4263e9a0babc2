//! The exported ONNX graph, loaded back through the verified loader, reproduces burn.

use burn::tensor::Device;
use kestrel_distill::onnx_export::export_student;
use kestrel_distill::parity::max_abs_difference;
use kestrel_distill::student_net::{StudentNet, StudentWidths};
use kestrel_models::manifest::Provenance;
use kestrel_models::{Detector, ModelError, VerifiedModel, load_image_file, zoo};
use std::path::Path;

fn provenance() -> Provenance {
    Provenance {
        licence: "Apache-2.0".into(),
        source: "test".into(),
        trained_on: "nothing".into(),
    }
}

#[test]
fn exported_student_matches_burn_forward() {
    let device = Device::flex();
    device.seed(5);
    let net = StudentNet::new(&StudentWidths::scaled(0.25), &device);
    let exported = export_student(&net, "parity-test", "0.1.0", 192, 320, provenance()).unwrap();
    let path = Path::new("parity-test/model.onnx");
    let model = VerifiedModel::from_bytes(&exported.manifest, path, &exported.onnx).unwrap();
    let detector = Detector::from_parts(exported.manifest.clone(), model).unwrap();
    let frame = load_image_file(&zoo::dashcam_data_dir().join("stills/test1.jpg")).unwrap();
    let diff = max_abs_difference(&net, &detector, &frame).unwrap();
    assert!(diff < 1e-4, "max |burn - tract| = {diff}");
    // Detection runs end to end on the exported graph.
    detector.detect(&frame).unwrap();
}

#[test]
fn export_manifest_round_trips_and_detects_tampering() {
    let device = Device::flex();
    device.seed(6);
    let net = StudentNet::new(&StudentWidths::scaled(0.25), &device);
    let exported = export_student(&net, "t", "0.1.0", 96, 160, provenance()).unwrap();
    let toml = exported.manifest.to_toml().unwrap();
    let back = kestrel_models::ModelManifest::from_toml(&toml, Path::new("t.toml")).unwrap();
    assert_eq!(back, exported.manifest);
    let mut bytes = exported.onnx.clone();
    let n = bytes.len() - 10;
    bytes[n] ^= 0x40;
    let err =
        VerifiedModel::from_bytes(&exported.manifest, Path::new("t.onnx"), &bytes).unwrap_err();
    assert!(matches!(err, ModelError::HashMismatch { .. }), "{err}");
    assert!(export_student(&net, "t", "0.1.0", 100, 160, provenance()).is_err());
}
