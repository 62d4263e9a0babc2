//! LiDAR branch on one full 64-beam KITTI scan (000000, ~115k points): region of interest,
//! ground segmentation, clustering and box fitting (stage `lidar_branch`).
//!
//! Run: `cargo bench --profile dev -p kestrel-benches --bench lidar`.

use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};
use kestrel_benches::bench_inputs::kitti_frame;
use kestrel_fusion::lidar::{LidarBranch, LidarConfig};
use std::hint::black_box;

fn lidar(c: &mut Criterion) {
    let frame = kitti_frame().expect("KITTI frame 000000");
    let clouds = std::slice::from_ref(&frame.cloud);
    let branch = LidarBranch::new(LidarConfig::default()).expect("default config is valid");
    let mut group = c.benchmark_group("lidar_branch");
    group.sampling_mode(SamplingMode::Flat);
    group.bench_function("kitti_000000_hdl64_scan", |b| {
        b.iter(|| {
            black_box(
                branch
                    .detect(black_box(clouds), &frame.rig)
                    .expect("detect"),
            )
        })
    });
    group.finish();
}

criterion_group!(benches, lidar);
criterion_main!(benches);
