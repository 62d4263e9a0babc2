//! One end-to-end frame: KITTI 000000's camera image (student camera branch) + its 115k-point
//! LiDAR scan + a real ARS408 radar sweep in, fused and tracked objects out. The tracker holds
//! ten frames of history of the same scene at 10 Hz; each iteration runs on a fresh copy of it.
//!
//! - stage `fusion`: the branches one after another on one thread (`[fusion] threads = 1`,
//!   the sequential reference; the stage the runtime's deadline monitor times);
//! - stage `fusion_parallel`: the same frame with the branches on the two threads of the
//!   `x86-2core` machine class (`[fusion] threads = 2`), bit-identical output.
//!
//! Run: `cargo bench --profile dev -p kestrel-benches --bench end_to_end`.

use criterion::{BatchSize, Criterion, SamplingMode, criterion_group, criterion_main};
use kestrel_benches::bench_inputs::warm_pipeline;
use std::hint::black_box;

fn end_to_end(c: &mut Criterion) {
    for (stage, threads) in [("fusion", 1), ("fusion_parallel", 2)] {
        let pipeline = warm_pipeline(10, threads).expect("pipeline on the end-to-end frame");
        let mut group = c.benchmark_group(stage);
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
}

criterion_group!(benches, end_to_end);
criterion_main!(benches);
