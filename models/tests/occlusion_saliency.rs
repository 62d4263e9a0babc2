//! Occlusion saliency on a real frame: the shipped student's map for a clearly visible car
//! peaks on that car and keeps most of its mass there.

use kestrel_models::occlusion_saliency::{OcclusionConfig, explain_detections};
use kestrel_models::{Detection2d, Detector, PixelView, load_image_file, zoo};
use std::path::Path;

#[test]
fn student_looks_at_the_car_it_detects() {
    let detector = Detector::load(&zoo::default_student_manifest()).unwrap();
    let frame = load_image_file(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../sensors/testdata/kitti/demo-000008/000008.png"),
    )
    .unwrap();
    // 32-pixel patches (of the 512-pixel-wide input) keep the test to a few hundred runs.
    let config = OcclusionConfig {
        patch: Some(32),
        ..OcclusionConfig::default()
    };
    let explained = explain_detections(&detector, &PixelView::from_frame(&frame), &config).unwrap();
    // The clear, near annotated car of KITTI demo 000008 (see student_model.rs).
    let car = Detection2d {
        bbox: [598.0, 176.0, 721.0, 261.0],
        score: 1.0,
        class_id: 0,
        label: "car".into(),
    };
    let e = explained
        .explanations
        .iter()
        .find(|e| e.detection.label == "car" && e.detection.iou(&car) >= 0.5)
        .expect("the student detects the annotated car");
    let map = &e.saliency;
    // The box grown by one patch (in image pixels): a patch that overlaps the box's edge
    // credits pixels up to one patch outside it.
    let (px, py) = (
        explained.patch as f32 / map.transform.scale_x,
        explained.patch as f32 / map.transform.scale_y,
    );
    let b = e.detection.bbox;
    let grown = [b[0] - px, b[1] - py, b[2] + px, b[3] + py];
    let (x, y) = map.peak_image();
    let share = map.share_inside(grown);
    println!(
        "[saliency] car {:?} score {:.2}: peak ({x:.0}, {y:.0}), max drop {:.2}, {:.0}% of the mass in the grown box, {} runs",
        b,
        e.detection.score,
        map.max(),
        share * 100.0,
        explained.runs
    );
    assert!(map.max() > 0.1, "hiding part of the car barely matters");
    assert!(
        x >= grown[0] && x <= grown[2] && y >= grown[1] && y <= grown[3],
        "peak ({x}, {y}) outside {grown:?}"
    );
    assert!(share >= 0.5, "only {share} of the saliency on the car");
    // Deterministic.
    let again = explain_detections(&detector, &PixelView::from_frame(&frame), &config).unwrap();
    assert_eq!(again, explained);
}
