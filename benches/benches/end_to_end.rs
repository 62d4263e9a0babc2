//! One end-to-end frame (stage `fusion`, the stage the runtime's deadline monitor times):
//! KITTI 000000's camera image (student camera branch) + its 115k-point LiDAR scan + a real
//! ARS408 radar sweep in, fused and tracked objects out. The tracker holds ten frames of
//! history of the same scene at 10 Hz; each iteration runs on a fresh copy of it.
//!
//! Run: `cargo bench --profile dev -p kestrel-benches --bench end_to_end`.

use criterion::{BatchSize, Criterion, SamplingMode, criterion_group, criterion_main};
use kestrel_benches::bench_inputs::warm_pipeline;
use std::hint::black_box;

fn end_to_end(c: &mut Criterion) {
    let pipeline = warm_pipeline(10).expect("pipeline on the end-to-end frame");
    let mut group = c.benchmark_group("fusion");
    group.sampling_mode(SamplingMode::Flat);
    group.bench_function("kitti_000000_camera_lidar_radar_to_tracks", |b| {
        b.iter_batched(
            || pipeline.tracker.clone(),
            |mut tracker| {
                let fused = pipeline.stage.process(&pipeline.next).expect("fuses");
                black_box(
                    tracker
                        .step(fused.timestamp, &fused.objects, None)
                        .expect("tracks"),
                )
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

criterion_group!(benches, end_to_end);
criterion_main!(benches);
