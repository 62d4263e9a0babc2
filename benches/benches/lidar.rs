//! LiDAR branch latency: one full 64-beam KITTI scan (000000, ~115k points) through region of
//! interest, ground segmentation, clustering and box fitting; plus the whole fusion stage
//! without camera on the same scan.
//!
//! Run: `cargo bench -p kestrel-benches --bench lidar`.

use criterion::{Criterion, criterion_group, criterion_main};
use kestrel_fusion::lidar::{LidarBranch, LidarConfig};
use kestrel_fusion::{FusionConfig, FusionStage, SensorFrameSet};
use kestrel_sensors::kitti::KittiObjectFrame;
use std::hint::black_box;
use std::path::PathBuf;

fn lidar(c: &mut Criterion) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../sensors/testdata/kitti/object");
    let frame = KittiObjectFrame::load(&root, "000000").expect("KITTI fixture 000000");
    let clouds = std::slice::from_ref(&frame.cloud);
    let branch = LidarBranch::new(LidarConfig::default()).expect("default config is valid");
    c.bench_function("lidar_branch_kitti_000000", |b| {
        b.iter(|| {
            black_box(
                branch
                    .detect(black_box(clouds), &frame.rig)
                    .expect("detect"),
            )
        })
    });
    let stage = FusionStage::new(frame.rig.clone(), FusionConfig::default(), None).expect("stage");
    let set = SensorFrameSet {
        lidars: vec![frame.cloud.clone()],
        ..SensorFrameSet::default()
    };
    c.bench_function("fusion_stage_lidar_only_kitti_000000", |b| {
        b.iter(|| black_box(stage.process(black_box(&set)).expect("process")))
    });
}

criterion_group!(benches, lidar);
criterion_main!(benches);
