//! The end-to-end frame on the shipped real urban sequence (stage `fusion_pandaset`): PandaSet
//! sequence 002, frames 36-55 (`sensors/testdata/pandaset/seq002-36-55`), every message of a
//! frame — six camera images, ego odometry and the 360-degree Pandar64 sweep — through the
//! production pipeline with the built-in configuration (time alignment, the camera schedule of
//! `[camera.schedule]`, student camera branch, LiDAR, association, tracking).
//!
//! Each timed iteration is one frame of the sequence, in order, so the tracker carries the
//! history a replay gives it; after the last frame a fresh pipeline starts again at the first
//! (rebuilt outside the timing). Messages are decoded beforehand: image decoding belongs to
//! the input adapters (stage `live_input`), not to the frame.
//!
//! Run: `cargo bench --profile dev --workspace --bench pandaset`.

use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};
use kestrel_benches::bench_inputs::{SequenceTimer, pandaset_frames};
use kestrel_models::zoo;
use kestrel_perception::config::KestrelConfig;
use kestrel_perception::fusion_pipeline::FusionPipelineStage;
use kestrel_perception::stage::PerceptionStage;
use kestrel_perception::stage_factory::production_pipeline;
use std::hint::black_box;

fn pandaset(c: &mut Criterion) {
    let (rig, frames) = pandaset_frames().expect("shipped PandaSet slice reads");
    let config = KestrelConfig::builtin()
        .expect("built-in configuration")
        .pipeline();
    let manifest = zoo::default_student_manifest();
    let pipeline = || -> FusionPipelineStage {
        production_pipeline(&rig, Some(&manifest), &config).expect("production pipeline")
    };
    let mut group = c.benchmark_group("fusion_pandaset");
    group.sampling_mode(SamplingMode::Flat);
    // One timer for all samples: criterion calls this closure once per sample, and a timer
    // made inside it would time the sequence's first frame (nothing fused yet) every time.
    let mut timer = SequenceTimer::new(&frames, pipeline);
    group.bench_function("seq002_lidar_scheduled_cameras_to_tracks", |b| {
        b.iter_custom(|iters| {
            timer.time(iters, |stage, msg| {
                black_box(stage.process(msg).expect("frame fuses"));
            })
        })
    });
    group.finish();
}

criterion_group!(benches, pandaset);
criterion_main!(benches);
