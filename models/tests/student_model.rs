//! The shipped student (`models/zoo/kestrel-student-v3`) loads through the verified loader and
//! finds annotated cars on a real KITTI frame it never saw in training.

use kestrel_models::{Detection2d, Detector, ModelManifest, load_image_file, zoo};
use std::path::Path;

#[test]
fn shipped_student_verifies_and_finds_kitti_cars() {
    let path = zoo::default_student_manifest();
    let manifest = ModelManifest::load(&path).unwrap();
    assert_eq!(manifest.input.shape, [1, 3, 288, 512]);
    assert_eq!(manifest.provenance.licence, "Apache-2.0");
    // The student's manifest carries its distillation provenance, cost and measured metrics,
    // and round-trips through TOML with all of them.
    let distillation = manifest
        .distillation
        .as_ref()
        .expect("distillation section");
    assert_eq!(distillation.teacher, "nanodet-coco-416 (ensemble)");
    assert!((0.0..1.0).contains(&distillation.pruned_parameter_fraction));
    let cost = manifest.cost.expect("cost section");
    let teacher = ModelManifest::load(&zoo::teacher_manifest()).unwrap();
    let teacher_macs = teacher.cost.expect("teacher cost").macs;
    assert!(
        cost.macs * 8 <= teacher_macs,
        "student MACs {} > teacher's {teacher_macs} / 8",
        cost.macs
    );
    assert!(
        manifest
            .metrics
            .contains_key("heldout_dashcam_vehicle_recall_vs_teacher")
    );
    let back = ModelManifest::from_toml(&manifest.to_toml().unwrap(), &path).unwrap();
    assert_eq!(back, manifest);
    let detector = Detector::load(&path).unwrap();
    let image = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../sensors/testdata/kitti/demo-000008/000008.png");
    let frame = load_image_file(&image).unwrap();
    let dets = detector.detect(&frame).unwrap();
    // The clear, near annotated car (mmdetection3d info.json 2D box). The other near one,
    // [937, 197, 1241, 374], is cut by the image's right edge: v3 boxes only its parts
    // (kestrel-student-v2 found it; the model card's observations note the miss).
    let annotated = [[598.0, 176.0, 721.0, 261.0]];
    for b in annotated {
        let gt = Detection2d {
            bbox: b,
            score: 1.0,
            class_id: 0,
            label: String::new(),
        };
        assert!(
            dets.iter().any(|d| d.label == "car" && d.iou(&gt) >= 0.5),
            "no car at {b:?}: {dets:?}"
        );
    }
    assert_eq!(
        detector.detect(&frame).unwrap(),
        dets,
        "same frame, same detections"
    );
}

/// The manifest's `tract_knobs` are applied while the network is optimised: the shipped
/// student's lowering (eager im2col, chosen by `kestrel-distill lowering`) gives outputs
/// bit-identical to tract's default, and a knob tract does not know, or one that cannot be set
/// per model, is refused with a manifest error naming the table.
#[test]
fn tract_knobs_lower_the_network_without_changing_its_outputs() {
    use kestrel_models::{ModelError, VerifiedModel};
    let path = zoo::default_student_manifest();
    let shipped = ModelManifest::load(&path).unwrap();
    assert_eq!(
        shipped
            .tract_knobs
            .get("TRACT_LAZY_IM2COL_MIN_KERNEL")
            .map(String::as_str),
        Some("1000000"),
        "the shipped student's lowering"
    );
    let onnx = shipped.onnx_path(&path);
    let bytes = std::fs::read(&onnx).unwrap();
    let with = |knobs: &[(&str, &str)]| {
        let mut m = shipped.clone();
        m.tract_knobs = knobs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        VerifiedModel::from_bytes(&m, &onnx, &bytes)
    };
    let frame = load_image_file(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../sensors/testdata/kitti/demo-000008/000008.png"),
    )
    .unwrap();
    let (input, _) = kestrel_models::preprocess::prepare(
        &shipped.input,
        &kestrel_models::PixelView::from_frame(&frame),
    );
    let default = with(&[]).unwrap().run(input.clone()).unwrap();
    let lowered = VerifiedModel::load(&shipped, &path)
        .unwrap()
        .run(input)
        .unwrap();
    assert_eq!(default.len(), lowered.len());
    for (a, b) in default.iter().zip(&lowered) {
        assert!(a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits()));
    }
    for bad in [
        ("TRACT_NO_SUCH_KNOB", "1"),
        ("TRACT_LAZY_IM2COL_MIN_KERNEL", "many"),
        ("TRACT_CPU_ISA", "generic"), // process-wide only
    ] {
        match with(&[bad]) {
            Err(e @ ModelError::Manifest { .. }) => {
                assert!(e.to_string().contains("tract_knobs"), "{e}")
            }
            other => panic!("{bad:?}: {other:?}"),
        }
    }
}
