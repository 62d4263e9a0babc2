//! Overload: a source delivering much faster than the stage processes keeps memory bounded
//! (queues never exceed their capacity) and counts what it drops; the sensor thread is never
//! blocked, and the run ends.

mod common;

use common::{BoxOfPointsStage, CollectSink, scene};
use kestrel_perception::bounded_queue::QueuePolicy;
use kestrel_perception::clock::WallClock;
use kestrel_perception::config::KestrelConfig;
use kestrel_perception::realtime::{Pace, QueuePolicies, RealtimeOptions, run_realtime};
use kestrel_perception::sensor_source::SensorSource;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

#[test]
fn slow_stage_drops_and_counts_instead_of_growing() {
    let settings = KestrelConfig::builtin()
        .unwrap()
        .runtime_settings(BTreeSet::new())
        .unwrap();
    let policies = QueuePolicies {
        lidar: QueuePolicy::DropOldest { capacity: 3 },
        ..QueuePolicies::default()
    };
    let collect = CollectSink::default();
    let inputs = scene(200); // 400 sweeps, delivered unpaced
    let start = Instant::now();
    let summary = run_realtime(
        vec![SensorSource::from_messages("burst", inputs)],
        Box::new(BoxOfPointsStage::new(Duration::from_millis(5))),
        vec![Box::new(collect.clone())],
        RealtimeOptions {
            settings,
            policies,
            pace: Pace::Unpaced,
            stop: Arc::new(AtomicBool::new(false)),
            clock: Arc::new(WallClock),
        },
    )
    .unwrap();
    let elapsed = start.elapsed();
    // At 5 ms per message, processing all 400 would take 2 s; the stage saw far fewer.
    let c = summary.counters;
    assert!(c.inputs < 400, "inputs {}", c.inputs);
    let dropped: u64 = summary.health.queues.iter().map(|q| q.stats.dropped).sum();
    let pushed: u64 = summary.health.queues.iter().map(|q| q.stats.pushed).sum();
    assert_eq!(pushed, 400);
    assert_eq!(dropped + c.inputs, 400, "every message is processed or counted as dropped");
    for q in &summary.health.queues {
        assert!(q.stats.len <= 3, "{q:?}");
    }
    assert!(
        summary.health.degraded.iter().any(|d| d.contains("dropped")),
        "{:?}",
        summary.health.degraded
    );
    assert_eq!(collect.0.lock().unwrap().len() as u64, c.frames);
    assert!(elapsed < Duration::from_secs(2), "{elapsed:?}");
}
