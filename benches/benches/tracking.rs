//! Association + tracking: one `Tracker::step` (prediction, gating, assignment, update,
//! lifecycle) with 20 / 100 / 200 objects in the scene (stages `tracking_20`, `tracking_100`,
//! `tracking_200`). The scene is synthetic truth with noise: cars on a 6 m grid driving
//! forward at 5..10 m/s, seen at 10 Hz; the tracker holds ten frames of history.
//!
//! Run: `cargo bench --profile dev -p kestrel-benches --bench tracking`.

use criterion::{BatchSize, Criterion, SamplingMode, criterion_group, criterion_main};
use kestrel_fusion::tracking::{Tracker, TrackerConfig};
use kestrel_fusion::{DetectedObject, SensorSources};
use kestrel_sensors::{ObjectClass, OrientedBox3, Timestamp};
use kestrel_sim::rng::SimRng;
use nalgebra::{Matrix2, Point3};
use std::hint::black_box;

/// `n` cars on a 6 m grid, all driving forward at 5..10 m/s, seen at 10 Hz.
fn frame(n: usize, k: u64) -> Vec<DetectedObject> {
    // Position noise of frame `k`: +-0.15 m, the same draws in every run.
    let mut rng = SimRng::new(k);
    (0..n)
        .map(|i| {
            let t = k as f64 * 0.1;
            let speed = 5.0 + (i % 6) as f64;
            let x = 5.0 + (i % 20) as f64 * 6.0 + speed * t + rng.uniform_in(-0.15, 0.15);
            let y = -30.0 + (i / 20) as f64 * 6.0 + rng.uniform_in(-0.15, 0.15);
            DetectedObject {
                lidar_shape: None,
                bbox: OrientedBox3 {
                    center: Point3::new(x, y, 0.8),
                    length: 4.5,
                    width: 1.9,
                    height: 1.6,
                    yaw: 0.0,
                },
                class: ObjectClass::Car,
                class_confidence: 0.8,
                existence_confidence: 0.8,
                position_covariance: Matrix2::identity() * 0.09,
                velocity: None,
                velocity_covariance: None,
                sources: SensorSources::default(),
            }
        })
        .collect()
}

fn timestamp(k: u64) -> Timestamp {
    Timestamp::from_nanos(1_000_000_000 + k * 100_000_000)
}

fn tracking(c: &mut Criterion) {
    for n in [20, 100, 200] {
        let mut tracker = Tracker::new(TrackerConfig::default()).expect("default config");
        for k in 0..10 {
            tracker
                .step(timestamp(k), &frame(n, k), None)
                .expect("warm-up frame");
        }
        let next = frame(n, 10);
        let mut group = c.benchmark_group(format!("tracking_{n}"));
        group.sampling_mode(SamplingMode::Flat);
        group.bench_function(format!("tracker_step_{n}_cars"), |b| {
            b.iter_batched(
                || tracker.clone(),
                |mut t| black_box(t.step(timestamp(10), &next, None).expect("frame")),
                BatchSize::SmallInput,
            )
        });
        group.finish();
    }
}

criterion_group!(benches, tracking);
criterion_main!(benches);
