//! Inference latency in tract (one thread): the NanoDet teacher at its 416x416 input vs the
//! shipped student at its own input size, network only and the whole `Detector::detect` on a
//! real KITTI frame (1242x375: resize + network + decoding).
//!
//! Run: `cargo bench -p kestrel-benches --bench inference`.

use criterion::{Criterion, criterion_group, criterion_main};
use kestrel_models::preprocess::prepare;
use kestrel_models::{Detector, PixelView, load_image_file, zoo};
use std::hint::black_box;
use std::path::Path;

fn inference(c: &mut Criterion) {
    let frame = load_image_file(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../sensors/testdata/kitti/demo-000008/000008.png"),
    )
    .expect("KITTI frame 000008");
    let mut group = c.benchmark_group("inference");
    group.sample_size(20);
    for (label, manifest) in [
        ("teacher_nanodet_416x416", zoo::teacher_manifest()),
        ("student_v1_192x320", zoo::default_student_manifest()),
    ] {
        let detector = Detector::load(&manifest).expect("model loads and verifies");
        let (input, _) = prepare(&detector.manifest().input, &PixelView::from_frame(&frame));
        group.bench_function(format!("{label}/network"), |b| {
            b.iter(|| black_box(detector.run_raw(input.clone()).expect("runs")))
        });
        group.bench_function(format!("{label}/detect_kitti_frame"), |b| {
            b.iter(|| black_box(detector.detect(&frame).expect("detects")))
        });
    }
    group.finish();
}

criterion_group!(benches, inference);
criterion_main!(benches);
