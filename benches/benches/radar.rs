//! Radar branch on one real Continental ARS408 sweep (nuScenes, 125 detections): validity
//! filters, clustering and velocity estimation (stage `radar_branch`).
//!
//! Run: `cargo bench --profile dev -p kestrel-benches --bench radar`.

use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};
use kestrel_benches::bench_inputs::{kitti_frame, radar_scan, rig_with_front_radar};
use kestrel_fusion::radar::{RadarBranch, RadarConfig};
use std::hint::black_box;

fn radar(c: &mut Criterion) {
    let scan = radar_scan().expect("nuScenes radar sweep");
    let rig = rig_with_front_radar(&kitti_frame().expect("KITTI rig").rig, &scan.sensor);
    let scans = std::slice::from_ref(&scan);
    let branch = RadarBranch::new(RadarConfig::default()).expect("default config is valid");
    let mut group = c.benchmark_group("radar_branch");
    group.sampling_mode(SamplingMode::Flat);
    group.bench_function("nuscenes_ars408_sweep", |b| {
        b.iter(|| black_box(branch.detect(black_box(scans), &rig, None).expect("detect")))
    });
    group.finish();
}

criterion_group!(benches, radar);
criterion_main!(benches);
