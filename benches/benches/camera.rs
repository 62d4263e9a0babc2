//! Camera branch stages on a real KITTI frame (000000, 1224x370): preprocessing to the
//! student's input, the student network in tract (one thread), decoding its raw outputs, and
//! the NanoDet teacher network (416x416) in tract for the student/teacher speed-up.
//!
//! Each criterion group is one stage of `benches/budgets.toml`.
//! Run: `cargo bench --profile dev -p kestrel-benches --bench camera`.

use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};
use kestrel_benches::bench_inputs::kitti_frame;
use kestrel_models::preprocess::prepare;
use kestrel_models::{Detector, PixelView, zoo};
use std::hint::black_box;

fn camera(c: &mut Criterion) {
    let frame = kitti_frame().expect("KITTI frame 000000").image;
    let pixels = PixelView::from_frame(&frame);
    let student = Detector::load(&zoo::default_student_manifest()).expect("student loads");
    let teacher = Detector::load(&zoo::teacher_manifest()).expect("teacher loads");
    let spec = &student.manifest().input;

    let mut group = c.benchmark_group("camera_preprocess");
    group.sampling_mode(SamplingMode::Flat);
    group.bench_function("kitti_000000_to_student_input", |b| {
        b.iter(|| black_box(prepare(spec, black_box(&pixels))))
    });
    group.finish();

    let (input, transform) = prepare(spec, &pixels);
    let mut group = c.benchmark_group("student_inference");
    group.sampling_mode(SamplingMode::Flat);
    group.bench_function("shipped_student_tract_1_thread", |b| {
        b.iter(|| black_box(student.run_raw(input.clone()).expect("student runs")))
    });
    group.finish();

    let outputs = student.run_raw(input).expect("student runs");
    let mut group = c.benchmark_group("detection_decode");
    group.sampling_mode(SamplingMode::Flat);
    group.bench_function("shipped_student_gfl_nms", |b| {
        b.iter(|| black_box(student.decode(&outputs, &transform).expect("decodes")))
    });
    group.finish();

    let (teacher_input, _) = prepare(&teacher.manifest().input, &pixels);
    let mut group = c.benchmark_group("teacher_inference");
    group.sampling_mode(SamplingMode::Flat);
    group.bench_function("nanodet_coco_tract_1_thread", |b| {
        b.iter(|| {
            black_box(
                teacher
                    .run_raw(teacher_input.clone())
                    .expect("teacher runs"),
            )
        })
    });
    group.finish();
}

criterion_group!(benches, camera);
criterion_main!(benches);
