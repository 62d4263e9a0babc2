//! The model monitors on real data: the shipped PandaSet slice (frames 36-55; 40-55 are held
//! out of the student's training) replayed as recorded, darkened to dusk and defocused. The
//! unshifted slice must raise no warning; each shifted version must be flagged by the input
//! drift monitor (on the statistic the shift changes, for every camera, as soon as the window
//! fills) and by the shadow teacher (rolling agreement below the floor calibrated on the
//! training frames).

use kestrel_models::zoo;
use kestrel_perception::config::KestrelConfig;
use kestrel_perception::monitors::MonitorReport;
use kestrel_perception::replay::replay;
use kestrel_perception::sensor_source::SensorSource;
use kestrel_perception::shadow_teacher::ShadowMode;
use kestrel_perception::stage_factory::{default_input, monitor_spec, production_stage};
use kestrel_sensors::{CameraFrame, SensorMessage};
use std::collections::{BTreeMap, BTreeSet};

const CAMERAS: usize = 6;

/// Dusk: a third of the light and a steeper tone curve, `255 * 0.35 * (v / 255)^1.3`.
fn dusk(data: &mut [u8], _w: usize, _h: usize) {
    let table: Vec<u8> = (0..=255u32)
        .map(|v| (255.0 * 0.35 * (f64::from(v) / 255.0).powf(1.3)).round() as u8)
        .collect();
    data.iter_mut().for_each(|v| *v = table[*v as usize]);
}

/// Defocus: a 13x13 box blur (two separable passes of running sums), per channel.
fn defocus(data: &mut [u8], w: usize, h: usize) {
    const R: usize = 6;
    let blur_line = |get: &dyn Fn(usize) -> u8, n: usize, out: &mut Vec<u8>| {
        out.clear();
        let mut sum: u32 = (0..=R.min(n - 1)).map(|i| u32::from(get(i))).sum();
        let mut count = R.min(n - 1) + 1;
        for i in 0..n {
            out.push((sum / count as u32) as u8);
            if i + R + 1 < n {
                sum += u32::from(get(i + R + 1));
                count += 1;
            }
            if i >= R {
                sum -= u32::from(get(i - R));
                count -= 1;
            }
        }
    };
    let mut line = Vec::new();
    for c in 0..3 {
        for y in 0..h {
            let row: Vec<u8> = (0..w).map(|x| data[(y * w + x) * 3 + c]).collect();
            blur_line(&|x| row[x], w, &mut line);
            for (x, v) in line.iter().enumerate() {
                data[(y * w + x) * 3 + c] = *v;
            }
        }
        for x in 0..w {
            let col: Vec<u8> = (0..h).map(|y| data[(y * w + x) * 3 + c]).collect();
            blur_line(&|y| col[y], h, &mut line);
            for (y, v) in line.iter().enumerate() {
                data[(y * w + x) * 3 + c] = *v;
            }
        }
    }
}

/// Replays the shipped slice with every camera image passed through `shift`, LiDAR-only
/// fusion (the monitors watch the student whether or not the pipeline runs it), the shadow
/// teacher assessing a frame every 0.1 s; returns the final monitor report.
fn monitored_replay(shift: Option<fn(&mut [u8], usize, usize)>) -> MonitorReport {
    let source = SensorSource::open_path(&default_input()).unwrap();
    let rig = source.rig().cloned().unwrap();
    let messages: Vec<SensorMessage> = source
        .map(|m| match (m.unwrap(), shift) {
            (SensorMessage::Camera(f), Some(shift)) => {
                let mut data = f.data.to_vec();
                shift(&mut data, f.width as usize, f.height as usize);
                SensorMessage::Camera(
                    CameraFrame::new(f.sensor, f.timestamp, f.width, f.height, f.encoding, data)
                        .unwrap(),
                )
            }
            (m, _) => m,
        })
        .collect();
    let mut config = KestrelConfig::builtin().unwrap();
    config.monitor.shadow.period_s = 0.1;
    let mut settings = config.runtime_settings(BTreeSet::new()).unwrap();
    settings.monitors = monitor_spec(
        Some(&zoo::default_student_manifest()),
        false,
        config.monitor,
        ShadowMode::Complete,
    );
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
    let report = monitored_replay(None);
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
    let report = monitored_replay(Some(dusk));
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
}

#[test]
fn defocus_is_flagged_by_sharpness_and_by_the_teacher() {
    let report = monitored_replay(Some(defocus));
    let blurred = drifted(&report, "sharpness");
    assert_eq!(blurred.len(), CAMERAS, "{blurred:?}");
    assert!(drifted(&report, "brightness").is_empty());
    let shadow = report.shadow.unwrap();
    assert!(shadow.below_floor(), "{}", shadow.describe());
}
