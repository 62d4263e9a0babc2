//! The determinism contract: replaying the same inputs twice gives the same output digest;
//! a replay from a recording of those inputs gives it too; a replay with a sensor removed
//! completes with degraded flags instead of stalling.

mod common;

use common::{BoxOfPointsStage, CollectSink, scene};
use kestrel_log::LogWriter;
use kestrel_log::mcap_writer::topic_for;
use kestrel_perception::config::KestrelConfig;
use kestrel_perception::mcap_recorder::McapRecorder;
use kestrel_perception::output::OutputSink;
use kestrel_perception::replay::replay;
use kestrel_perception::runtime::{RunSummary, RuntimeSettings};
use kestrel_perception::sensor_source::SensorSource;
use std::collections::BTreeSet;
use std::time::Duration;

fn settings(drop: &[&str]) -> RuntimeSettings {
    KestrelConfig::builtin()
        .unwrap()
        .runtime_settings(drop.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>())
        .unwrap()
}

fn run(source: SensorSource, drop: &[&str], sinks: Vec<Box<dyn OutputSink>>) -> RunSummary {
    replay(
        vec![source],
        Box::new(BoxOfPointsStage::new(Duration::ZERO)),
        sinks,
        settings(drop),
        |_| {},
    )
    .unwrap()
}

#[test]
fn same_inputs_give_the_same_digest() {
    let a = run(SensorSource::from_messages("a", scene(30)), &[], vec![]);
    let b = run(SensorSource::from_messages("b", scene(30)), &[], vec![]);
    assert_eq!(
        a.counters.frames, 60,
        "one frame per sweep of lidar_top and lidar_rear"
    );
    assert_eq!(a.digest, b.digest);
    assert_eq!(a.digest_messages, 2 * a.counters.frames);
    assert!(
        a.counters.tracked_objects > 0,
        "the moving block becomes a confirmed track"
    );
    // A different input changes the digest.
    let c = run(SensorSource::from_messages("c", scene(29)), &[], vec![]);
    assert_ne!(a.digest, c.digest);
}

#[test]
fn replay_of_a_recorded_log_matches_and_records_round_trip() {
    let dir = std::env::temp_dir().join(format!("kestrel-replay-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("scene.mcap");
    let mut w = LogWriter::create(&log, None).unwrap();
    for m in scene(20) {
        w.write_sensor(&topic_for(None, &m), &m).unwrap();
    }
    w.finish().unwrap();

    let memory = run(SensorSource::from_messages("m", scene(20)), &[], vec![]);
    let first = run(SensorSource::open_log(&log).unwrap(), &[], vec![]);
    let recorded = dir.join("recorded.mcap");
    let recorder =
        McapRecorder::create(&recorded, None, "/objects/tracked", "/objects/detected").unwrap();
    let second = run(
        SensorSource::open_log(&log).unwrap(),
        &[],
        vec![Box::new(recorder)],
    );
    assert_eq!(first.digest, second.digest);
    assert_eq!(first.digest, memory.digest, "the log holds the same inputs");

    // The recording's inputs replay to the same outputs again.
    let third = run(SensorSource::open_log(&recorded).unwrap(), &[], vec![]);
    assert_eq!(third.digest, first.digest);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn removing_a_sensor_completes_degraded() {
    let collect = CollectSink::default();
    let full = run(SensorSource::from_messages("f", scene(20)), &[], vec![]);
    assert!(full.health.is_healthy(), "{:?}", full.health.degraded);
    let dropped = run(
        SensorSource::from_messages("d", scene(20)),
        &["lidar_rear"],
        vec![Box::new(collect.clone())],
    );
    assert_eq!(dropped.counters.dropped_by_request, 20);
    assert_eq!(dropped.counters.frames, 20);
    assert_eq!(collect.0.lock().unwrap().len(), 20);
    assert!(
        dropped
            .health
            .degraded
            .iter()
            .any(|d| d.contains("lidar_rear") && d.contains("missing")),
        "{:?}",
        dropped.health.degraded
    );
    assert_ne!(dropped.digest, full.digest);
}

#[test]
fn shipped_kitti_frames_replay_deterministically_and_degrade_without_the_camera() {
    use kestrel_perception::stage_factory::production_stage;
    let kitti = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../sensors/testdata/kitti/object");
    let run_kitti = |drop: &[&str]| {
        let source = SensorSource::open_path(&kitti).unwrap();
        let stage = production_stage(
            source.rig(),
            None,
            &KestrelConfig::builtin().unwrap().pipeline(),
        )
        .unwrap();
        replay(vec![source], stage, vec![], settings(drop), |_| {}).unwrap()
    };
    let a = run_kitti(&[]);
    let b = run_kitti(&[]);
    assert_eq!(a.counters.inputs, 4);
    assert_eq!(a.counters.frames, 2);
    assert!(a.counters.detected_objects > 0);
    assert_eq!(a.digest, b.digest);

    let no_camera = run_kitti(&["cam2"]);
    assert_eq!(no_camera.counters.inputs, 2);
    assert_eq!(no_camera.counters.dropped_by_request, 2);
    assert_eq!(
        no_camera.counters.frames, 2,
        "frames still come, flagged degraded"
    );
    let degraded = &no_camera.health.degraded;
    assert!(
        degraded
            .iter()
            .any(|d| d.contains("cam2") && d.contains("missing")),
        "{degraded:?}"
    );
    assert!(
        degraded.iter().any(|d| d.starts_with("stage: ")),
        "{degraded:?}"
    );
}

#[test]
fn branch_threads_do_not_change_the_outputs_of_the_shipped_sequence() {
    // The shipped PandaSet slice: two scheduled camera images and a Pandar64 sweep per frame,
    // so every thread count interleaves camera and LiDAR jobs differently.
    use kestrel_perception::stage_factory::{default_input, production_stage};
    let run_with = |threads: usize, camera: bool| {
        let source = SensorSource::open_path(&default_input()).unwrap();
        let config =
            KestrelConfig::from_toml_str(&format!("[fusion]\nthreads = {threads}\n"), "test")
                .unwrap();
        assert_eq!(config.fusion.threads, threads);
        let student = camera.then(kestrel_models::zoo::default_student_manifest);
        let stage = production_stage(source.rig(), student.as_deref(), &config.pipeline()).unwrap();
        replay(vec![source], stage, vec![], settings(&[]), |_| {}).unwrap()
    };
    let sequential = run_with(1, true);
    assert_eq!(sequential.counters.frames, 20);
    assert!(sequential.counters.tracked_objects > 0);
    assert_ne!(
        run_with(1, false).digest,
        sequential.digest,
        "the camera images are part of the outputs"
    );
    for threads in [2, 3, 8] {
        let parallel = run_with(threads, true);
        assert_eq!(
            parallel.digest, sequential.digest,
            "{threads} threads vs the sequential path"
        );
        assert_eq!(
            parallel.counters.tracked_objects,
            sequential.counters.tracked_objects
        );
    }
}
