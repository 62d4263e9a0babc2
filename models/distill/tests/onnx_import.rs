//! Importing the shipped student's ONNX graph back into burn and exporting it again gives the
//! same bytes: every weight, bias and width survives the round trip, so adaptation starts
//! exactly from the shipped model.

use burn::tensor::Device;
use kestrel_distill::onnx_export::export_student;
use kestrel_distill::onnx_import::import_student;
use kestrel_distill::recipe::RecipeReport;
use kestrel_models::{ModelManifest, zoo};

#[test]
fn shipped_student_round_trips_bit_identically() {
    let manifest_path = zoo::default_student_manifest();
    let manifest = ModelManifest::load(&manifest_path).unwrap();
    let onnx = std::fs::read(manifest.onnx_path(&manifest_path)).unwrap();
    let metrics = std::fs::read_to_string(manifest_path.with_file_name("metrics.json")).unwrap();
    let recipe: RecipeReport = serde_json::from_str(&metrics).unwrap();
    let cfg = recipe.config;
    let net = import_student(&onnx, &cfg.arch, &Device::flex()).unwrap();
    let again = export_student(
        &net,
        &manifest.name,
        &manifest.version,
        cfg.height,
        cfg.width,
        manifest.provenance.clone(),
    )
    .unwrap();
    assert_eq!(again.manifest.sha256, manifest.sha256);
    assert!(again.onnx == onnx);
    // A truncated graph is an error, not a panic.
    assert!(import_student(&onnx[..onnx.len() / 2], &cfg.arch, &Device::flex()).is_err());
}
