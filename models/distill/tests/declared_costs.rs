//! The costs the shipped manifests declare (teacher and default student) are what tract
//! measures on their ONNX graphs, so the model card's and the manifests' numbers cannot go
//! stale when a model is replaced.

use kestrel_distill::model_cost::model_cost;
use kestrel_models::{ModelManifest, zoo};

#[test]
fn declared_costs_match_the_graphs() {
    for path in [zoo::teacher_manifest(), zoo::default_student_manifest()] {
        let manifest = ModelManifest::load(&path).unwrap();
        let declared = manifest
            .cost
            .unwrap_or_else(|| panic!("{} declares no cost", path.display()));
        let bytes = std::fs::read(manifest.onnx_path(&path)).unwrap();
        let measured = model_cost(&manifest, &bytes, &path).unwrap();
        assert_eq!(declared, measured, "{}", path.display());
    }
}
