//! The model monitors on real data: the shipped PandaSet slice (frames 36-55; 40-55 are held
//! out of the student's training) replayed as recorded, darkened to dusk and defocused. The
//! unshifted slice must raise no warning; each shifted version must be flagged by the input
//! drift monitor (on the statistic the shift changes, for every camera, as soon as the window
//! fills) and by the shadow teacher (rolling agreement below the floor calibrated on the
//! training frames).

use kestrel_log::ros2_msg::RosMessage;
use kestrel_log::ros2_msg::diagnostic_msgs::DiagnosticStatus;
use kestrel_log::{RawLogReader, SensorLogReader};
use kestrel_models::zoo;
use kestrel_perception::config::KestrelConfig;
use kestrel_perception::mining_recorder::MINING_TOPIC;
use kestrel_perception::monitor_mode::MonitorMode;
use kestrel_perception::monitors::MonitorReport;
use kestrel_perception::replay::replay;
use kestrel_perception::sensor_source::SensorSource;
use kestrel_perception::stage_factory::{
    default_input, monitor_spec, production_stage, with_mining,
};
use kestrel_sensors::SensorMessage;
use kestrel_sensors::camera_shift::CameraShift;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

const CAMERAS: usize = 6;

/// Replays the shipped slice with every camera image shifted by `shift`, LiDAR-only
/// fusion (the monitors watch the student whether or not the pipeline runs it), the shadow
/// teacher assessing a frame every 0.1 s; returns the final monitor report.
fn monitored_replay(shift: Option<CameraShift>, mine: Option<&Path>) -> MonitorReport {
    let source = SensorSource::open_path(&default_input()).unwrap();
    let rig = source.rig().cloned().unwrap();
    let messages: Vec<SensorMessage> = source
        .map(|m| match (m.unwrap(), shift) {
            (SensorMessage::Camera(f), Some(shift)) => SensorMessage::Camera(shift.apply(&f)),
            (m, _) => m,
        })
        .collect();
    let mut config = KestrelConfig::builtin().unwrap();
    config.monitor.shadow.period_s = 0.1;
    let mut settings = config.runtime_settings(BTreeSet::new()).unwrap();
    settings.monitors = with_mining(
        monitor_spec(
            Some(&zoo::default_student_manifest()),
            false,
            config.monitor,
            MonitorMode::Complete,
        ),
        mine.map(Path::to_path_buf),
        Some(rig.clone()),
    )
    .unwrap();
    let stage = production_stage(Some(&rig), None, &config.pipeline()).unwrap();
    let source = SensorSource::from_messages("shifted", messages);
    replay(vec![source], stage, Vec::new(), settings, |_| {})
        .unwrap()
        .health
        .monitors
}

/// Sensors whose statistic `name` drifted, with the message number it first drifted at.
fn drifted(report: &MonitorReport, name: &str) -> BTreeMap<String, u64> {
    report
        .drift
        .iter()
        .filter(|d| d.statistic == name && d.drifted)
        .map(|d| (d.sensor.clone(), d.first_drifted_at.unwrap()))
        .collect()
}

#[test]
fn held_out_frames_as_recorded_raise_no_warning() {
    let report = monitored_replay(None, None);
    assert!(report.warnings.is_empty(), "{:#?}", report.warnings);
    let cameras: BTreeSet<&str> = report
        .drift
        .iter()
        .filter(|d| d.kind == "camera" && d.window_median.is_some())
        .map(|d| d.sensor.as_str())
        .collect();
    assert_eq!(cameras.len(), CAMERAS, "every camera's window filled");
    assert!(
        report
            .drift
            .iter()
            .any(|d| d.kind == "lidar" && d.band.is_some() && d.window_median.is_some()),
        "the LiDAR is watched too"
    );
    let shadow = report.shadow.unwrap();
    assert_eq!(shadow.assessed, shadow.picked);
    assert!(
        shadow.assessed >= 12,
        "a full window: {}",
        shadow.describe()
    );
    assert!(shadow.rolling.is_some() && !shadow.below_floor());
    assert_eq!(shadow.windows_below_floor, 0, "{}", shadow.describe());
}

#[test]
fn dusk_is_flagged_by_brightness_and_by_the_teacher() {
    let log = std::env::temp_dir().join(format!("kestrel-mined-{}.mcap", std::process::id()));
    let report = monitored_replay(Some(CameraShift::Dusk), Some(&log));
    let dark = drifted(&report, "brightness");
    assert_eq!(dark.len(), CAMERAS, "{dark:?}");
    assert!(
        dark.values().all(|&at| at == 10),
        "as soon as the window fills: {dark:?}"
    );
    let shadow = report.shadow.unwrap();
    assert!(shadow.below_floor(), "{}", shadow.describe());
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.contains("agreement below floor")),
        "{:#?}",
        report.warnings
    );
    // The flagged frames were mined: each with its reason, no two of one camera closer than
    // the rate limit, readable as an ordinary log.
    let mining = report.mining.unwrap();
    let mined: u64 = mining.mined.values().sum();
    assert!(
        mining.error.is_none() && mined > 0 && mining.written == mined,
        "{mining:?}"
    );
    let mut stamps: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for entry in SensorLogReader::open(&log, None).unwrap() {
        if let SensorMessage::Camera(f) = entry.unwrap().message {
            stamps.entry(f.sensor).or_default().push(f.timestamp.0);
        }
    }
    assert_eq!(stamps.values().map(Vec::len).sum::<usize>() as u64, mined);
    for times in stamps.values_mut() {
        times.sort();
        assert!(
            times.windows(2).all(|w| w[1] - w[0] >= 1_000_000_000),
            "{times:?}"
        );
    }
    let reasons: Vec<DiagnosticStatus> = RawLogReader::open(&log)
        .unwrap()
        .map(|m| m.unwrap())
        .filter(|m| m.channel.topic == MINING_TOPIC)
        .map(|m| DiagnosticStatus::from_cdr(&m.data).unwrap())
        .collect();
    assert_eq!(reasons.len() as u64, mined);
    assert!(reasons.iter().any(|r| r.message.contains("brightness")));
    std::fs::remove_file(&log).ok();
}

#[test]
fn defocus_is_flagged_by_sharpness_and_by_the_teacher() {
    let report = monitored_replay(Some(CameraShift::Defocus), None);
    let blurred = drifted(&report, "sharpness");
    assert_eq!(blurred.len(), CAMERAS, "{blurred:?}");
    assert!(drifted(&report, "brightness").is_empty());
    let shadow = report.shadow.unwrap();
    assert!(shadow.below_floor(), "{}", shadow.describe());
}
