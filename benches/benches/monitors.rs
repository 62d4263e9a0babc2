//! What the model monitors cost, on the shipped real urban sequence (PandaSet 002 frames
//! 36-55, six 960x540 cameras and a Pandar64 sweep per frame):
//!
//! - `input_monitor`: the monitors' work on the pipeline's own thread for one frame — the
//!   drift statistics of its six images and its sweep and the shadow teacher's pick (the
//!   teacher itself runs elsewhere); the monitor's per-frame overhead;
//! - `fusion_pandaset_monitored`: the `fusion_pandaset` frame with the monitors on as in
//!   `kestrel run` (drift on every message, the shadow teacher live on its low-priority thread,
//!   skipping frames while busy). Frames follow each other faster than the sensor clock here, so
//!   the teacher is due every fifth frame and runs nearly all the time: the pipeline's latency
//!   next to a teacher that never rests, compared with `fusion_pandaset` (monitors off).
//!
//! Run: `cargo bench --profile dev --workspace --bench monitors`.

use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};
use kestrel_benches::bench_inputs::{SequenceTimer, pandaset_frames};
use kestrel_models::zoo;
use kestrel_perception::config::KestrelConfig;
use kestrel_perception::monitor_mode::MonitorMode;
use kestrel_perception::monitors::Monitors;
use kestrel_perception::stage::PerceptionStage;
use kestrel_perception::stage_factory::{monitor_spec, production_pipeline};
use std::hint::black_box;

fn monitors(c: &mut Criterion) {
    let (rig, frames) = pandaset_frames().expect("shipped PandaSet slice reads");
    let config = KestrelConfig::builtin().expect("built-in configuration");
    let manifest = zoo::default_student_manifest();
    let spec = monitor_spec(Some(&manifest), false, config.monitor, MonitorMode::Drop)
        .expect("monitors for the student");
    let start_monitors = || {
        Monitors::start(&spec)
            .expect("monitor models load")
            .expect("the shipped student has an input reference")
    };

    let mut group = c.benchmark_group("input_monitor");
    group.sampling_mode(SamplingMode::Flat);
    // State outside the closure, which criterion calls once per sample.
    let mut m = start_monitors();
    let mut next = 0usize;
    group.bench_function("seq002_frame_six_images_one_sweep", |b| {
        b.iter(|| {
            for msg in &frames[next % frames.len()] {
                m.observe(black_box(msg));
            }
            next += 1;
        })
    });
    group.finish();

    let pipeline_config = config.pipeline();
    let pipeline = || {
        production_pipeline(&rig, Some(&manifest), &pipeline_config).expect("production pipeline")
    };
    let mut group = c.benchmark_group("fusion_pandaset_monitored");
    group.sampling_mode(SamplingMode::Flat);
    // One timer for all samples (see the pandaset bench).
    let mut timer = SequenceTimer::new(&frames, || (pipeline(), start_monitors()));
    group.bench_function("seq002_scheduled_cameras_to_tracks_with_monitors", |b| {
        b.iter_custom(|iters| {
            timer.time(iters, |(stage, m), msg| {
                m.observe(msg);
                black_box(stage.process(msg).expect("frame fuses"));
            })
        })
    });
    group.finish();
}

criterion_group!(benches, monitors);
criterion_main!(benches);
