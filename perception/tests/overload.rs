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
    // A sensor thread that raced ahead of the other can make the next message of the slower
    // one look like a clock step back to the input admission: refused and counted, not lost.
    assert_eq!(
        dropped + c.inputs + c.out_of_order + c.clock_jumps,
        400,
        "every message is processed, or counted as dropped or refused"
    );
    assert_eq!(summary.health.queues.len(), 2);
    for q in &summary.health.queues {
        // Memory bound: the queue never held more than its capacity.
        assert!(q.stats.high_water <= 3, "{q:?}");
    }
    assert!(
        summary
            .health
            .queues
            .iter()
            .any(|q| q.stats.high_water == 3)
    );
    assert!(
        summary
            .health
            .degraded
            .iter()
            .any(|d| d.contains("dropped")),
        "{:?}",
        summary.health.degraded
    );
    assert_eq!(collect.0.lock().unwrap().len() as u64, c.frames);
    assert!(elapsed < Duration::from_secs(2), "{elapsed:?}");
}

#[test]
fn stop_flag_ends_a_paced_run_promptly_and_flushes_outputs() {
    let settings = KestrelConfig::builtin()
        .unwrap()
        .runtime_settings(BTreeSet::new())
        .unwrap();
    let dir = std::env::temp_dir().join(format!("kestrel-stop-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let json = dir.join("objects.jsonl");
    let stop = Arc::new(AtomicBool::new(false));
    let stopper = stop.clone();
    let timer = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(600));
        stopper.store(true, std::sync::atomic::Ordering::SeqCst);
    });
    let start = Instant::now();
    // 100 s of recorded data at real-time pace: only a stop ends this run early.
    let summary = run_realtime(
        vec![SensorSource::from_messages("paced", scene(1000))],
        Box::new(BoxOfPointsStage::new(Duration::ZERO)),
        vec![Box::new(
            kestrel_perception::json_lines_sink::JsonLinesSink::create(&json).unwrap(),
        )],
        RealtimeOptions {
            settings,
            policies: QueuePolicies::default(),
            pace: Pace::Recorded { speed: 1.0 },
            stop,
            clock: Arc::new(WallClock),
        },
    )
    .unwrap();
    timer.join().unwrap();
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "{:?}",
        start.elapsed()
    );
    let c = summary.counters;
    assert!(c.frames >= 5 && c.frames < 100, "{c:?}");
    // Everything published before the stop is on disk (the sink was finished = flushed).
    let lines = std::fs::read_to_string(&json).unwrap().lines().count() as u64;
    assert_eq!(lines, c.tracked_objects + c.detected_objects);
    std::fs::remove_dir_all(&dir).ok();
}
