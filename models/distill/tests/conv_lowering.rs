//! `conv_lowering` on the shipped student: every candidate lowering builds, gives the default's
//! outputs bit for bit (checked inside `measure_lowerings`), and is timed as planned.

use kestrel_distill::conv_lowering::{CANDIDATES, TimingPlan, measure_lowerings};
use kestrel_models::{ModelManifest, PixelView, load_image_file, preprocess, zoo};

#[test]
fn every_lowering_of_the_shipped_student_is_timed_with_the_same_outputs() {
    let path = zoo::default_student_manifest();
    let manifest = ModelManifest::load(&path).unwrap();
    let frame = load_image_file(
        &zoo::models_dir().join("../sensors/testdata/kitti/object/image_2/000000.png"),
    )
    .unwrap();
    let (input, _) = preprocess::prepare(&manifest.input, &PixelView::from_frame(&frame));
    let plan = TimingPlan {
        rounds: 2,
        runs_per_round: 1,
    };
    let timings = measure_lowerings(&manifest, &path, &input, plan).unwrap();
    assert_eq!(timings.len(), CANDIDATES.len());
    for (t, c) in timings.iter().zip(CANDIDATES) {
        assert_eq!(t.candidate, c);
        assert_eq!(t.runs, 2);
        assert!(t.median_ms.is_finite() && t.median_ms > 0.0, "{t:?}");
    }
}
