//! The reference recipe (`RecipeConfig::reference`, the shipped urban-camera student, its
//! architecture chosen by the block benchmark in `benches/RESULTS.md`) builds a student within
//! 1/8 of the teacher's multiply-accumulates, survives a JSON round trip (`recipe --config`), and its optimised tract plan has
//! no `DirectSpatialConv` (tract's direct convolution, the slowest path the benchmark found),
//! which a 4-pixel stem at this width does get.

use burn::tensor::Device;
use kestrel_distill::model_cost::model_cost;
use kestrel_distill::recipe::RecipeConfig;
use kestrel_distill::student_candidates::{export_candidate, student_candidates};
use kestrel_distill::student_net::StudentNet;
use kestrel_models::{ModelManifest, zoo};
use std::path::Path;
use tract_onnx::prelude::*;

fn recipe() -> RecipeConfig {
    let cfg = RecipeConfig::reference();
    let json = serde_json::to_string(&cfg).unwrap();
    let back: RecipeConfig = serde_json::from_str(&json).unwrap();
    assert_eq!(serde_json::to_string(&back).unwrap(), json);
    back
}

#[test]
fn urban_recipe_builds_a_fast_student_within_budget() {
    let cfg = recipe();
    // It is the benchmarked candidate, exactly.
    let measured = student_candidates()
        .into_iter()
        .find(|c| c.name == "p8c2_512x288")
        .unwrap();
    assert_eq!(
        (&cfg.arch, &cfg.widths, cfg.height, cfg.width),
        (
            &measured.arch,
            &measured.widths,
            measured.height,
            measured.width
        )
    );
    let device = Device::flex();
    StudentNet::new(&cfg.arch, &cfg.widths, &device).unwrap();
    let exported = export_candidate(&measured, 1).unwrap();
    let path = Path::new("urban/model.onnx");
    let cost = model_cost(&exported.manifest, &exported.onnx, path).unwrap();
    let teacher = ModelManifest::load(&zoo::teacher_manifest())
        .unwrap()
        .cost
        .unwrap();
    assert!(
        cost.macs as f64 <= teacher.macs as f64 * cfg.target_mac_ratio,
        "{} MACs over 1/8 of the teacher's {}",
        cost.macs,
        teacher.macs
    );
    assert_eq!(direct_convs(&exported), 0);
    let p4 = student_candidates()
        .into_iter()
        .find(|c| c.name == "p4c2_512x288")
        .unwrap();
    assert!(direct_convs(&export_candidate(&p4, 1).unwrap()) > 0);
}

/// `DirectSpatialConv` nodes in the optimised tract plan of `exported`.
fn direct_convs(exported: &kestrel_distill::onnx_export::ExportedStudent) -> usize {
    let plan = tract_onnx::onnx()
        .model_for_read(&mut &exported.onnx[..])
        .and_then(|m| m.with_input_fact(0, f32::fact(exported.manifest.input.shape).into()))
        .and_then(|m| m.into_optimized())
        .unwrap();
    plan.nodes()
        .iter()
        .filter(|n| n.op().name() == "DirectSpatialConv")
        .count()
}
