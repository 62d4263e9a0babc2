//! The real inputs the benches and `tract-latency` measure on, loaded from the repository's
//! fixtures (`sensors/testdata`, see its README for sources and licences).
//!
//! - KITTI object frame 000000: HDL-64E scan (~115k points after loading), 1224x370 colour
//!   image (camera `CAM2`), calibration as a [`Rig`].
//! - One nuScenes Continental ARS408 sweep (125 detections). The KITTI car has no radar, so
//!   the end-to-end frame mounts this sweep's radar as a front radar on the KITTI rig
//!   ([`rig_with_front_radar`]): the detections are real, their placement in the KITTI scene is
//!   not (they only have to cost what a real sweep costs).

use crate::BenchError;
use kestrel_fusion::camera::{CameraBranch, CameraConfig};
use kestrel_fusion::tracking::{FrameOutput, Tracker, TrackerConfig};
use kestrel_fusion::{FusedFrame, FusionConfig, FusionStage, SensorFrameSet};
use kestrel_models::zoo;
use kestrel_perception::sensor_source::SensorSource;
use kestrel_sensors::kitti::KittiObjectFrame;
use kestrel_sensors::nuscenes::radar::read_radar_pcd;
use kestrel_sensors::{RadarScan, Rig, SensorKind, SensorMessage, SensorSpec, Timestamp};
use nalgebra::Isometry3;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// `sensors/testdata` of the repository checkout.
pub fn testdata_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../sensors/testdata")
}

/// The camera image of KITTI object frame 000000 (1224x370 RGB PNG).
pub fn kitti_image_path() -> PathBuf {
    testdata_dir().join("kitti/object/image_2/000000.png")
}

/// KITTI object frame 000000 (scan, image, rig; all at timestamp 0).
pub fn kitti_frame() -> Result<KittiObjectFrame, BenchError> {
    Ok(KittiObjectFrame::load(
        &testdata_dir().join("kitti/object"),
        "000000",
    )?)
}

/// The shipped PandaSet slice (sequence 002, frames 36-55): its rig and its messages, decoded
/// and grouped by frame, each group ending with the LiDAR sweep of its frame.
pub fn pandaset_frames() -> Result<(Rig, Vec<Vec<SensorMessage>>), BenchError> {
    let source = SensorSource::open_path(&testdata_dir().join("pandaset/seq002-36-55"))?;
    let rig = source.rig().cloned().ok_or_else(|| {
        kestrel_perception::PerceptionError::Config("the PandaSet slice carries no rig".into())
    })?;
    let mut frames = vec![Vec::new()];
    for msg in source {
        let msg = msg?;
        let sweep = matches!(msg, SensorMessage::Lidar(_));
        if let Some(open) = frames.last_mut() {
            open.push(msg);
        }
        if sweep {
            frames.push(Vec::new());
        }
    }
    frames.retain(|f| !f.is_empty());
    Ok((rig, frames))
}

/// Times a recorded sequence frame by frame, in order, so stateful stages (the tracker) carry
/// the history a replay gives them: each timed iteration is the next frame, every message of it
/// handed to `step`; after the last frame the state starts afresh from `fresh`, outside the
/// timing. Make it outside criterion's `bench_function` closure, which runs once per sample: a
/// timer made inside would start every sample again at the first frame.
pub struct SequenceTimer<'a, S, F: Fn() -> S> {
    frames: &'a [Vec<SensorMessage>],
    fresh: F,
    state: S,
    next: usize,
}

impl<'a, S, F: Fn() -> S> SequenceTimer<'a, S, F> {
    /// A timer over `frames` (e.g. [`pandaset_frames`]) starting from `fresh()`.
    pub fn new(frames: &'a [Vec<SensorMessage>], fresh: F) -> Self {
        Self {
            frames,
            state: fresh(),
            fresh,
            next: 0,
        }
    }

    /// Total time of the next `iters` frames through `step` (criterion's `iter_custom`).
    pub fn time(&mut self, iters: u64, mut step: impl FnMut(&mut S, &SensorMessage)) -> Duration {
        let mut total = Duration::ZERO;
        for _ in 0..iters {
            if self.next == self.frames.len() {
                self.state = (self.fresh)();
                self.next = 0;
            }
            let start = Instant::now();
            for msg in &self.frames[self.next] {
                step(&mut self.state, msg);
            }
            total += start.elapsed();
            self.next += 1;
        }
        total
    }
}

/// The nuScenes ARS408 sweep (sensor `RADAR_BACK_LEFT`, radar frame, nuScenes timestamp).
pub fn radar_scan() -> Result<RadarScan, BenchError> {
    let path = testdata_dir().join(
        "nuscenes/radar/n015-2018-07-25-16-15-50+0800__RADAR_BACK_LEFT__1532506682462345.pcd",
    );
    Ok(read_radar_pcd(&path)?.scan)
}

/// `rig` plus the radar `sensor` mounted at the front bumper (3.8 m ahead of the rear axle,
/// 0.5 m up, looking forward: sensor -> vehicle is a pure translation).
pub fn rig_with_front_radar(rig: &Rig, sensor: &str) -> Rig {
    let mut rig = rig.clone();
    rig.sensors.push(SensorSpec {
        name: sensor.to_owned(),
        kind: SensorKind::Radar {
            horizontal_fov: None,
            max_range: None,
        },
        topic: None,
        rate_hz: Some(13.0),
        sync_offset_s: 0.0,
        extrinsics: Isometry3::translation(3.8, 0.0, 0.5),
    });
    rig
}

/// One end-to-end frame: KITTI 000000's camera image and LiDAR scan plus the ARS408 sweep
/// (all stamped 0, see [`restamp`]), with the rig that holds all three sensors.
pub fn end_to_end_frame() -> Result<(SensorFrameSet, Rig), BenchError> {
    let kitti = kitti_frame()?;
    let radar = radar_scan()?;
    let rig = rig_with_front_radar(&kitti.rig, &radar.sensor);
    let set = SensorFrameSet {
        lidars: vec![kitti.cloud],
        cameras: vec![kitti.image],
        radars: vec![radar],
        ..SensorFrameSet::default()
    };
    Ok((restamp(&set, Timestamp(0)), rig))
}

/// A copy of `set` with the set and every message in it stamped `timestamp`.
pub fn restamp(set: &SensorFrameSet, timestamp: Timestamp) -> SensorFrameSet {
    let mut set = set.clone();
    set.timestamp = timestamp;
    set.lidars.iter_mut().for_each(|c| c.timestamp = timestamp);
    set.cameras.iter_mut().for_each(|c| c.timestamp = timestamp);
    set.radars.iter_mut().for_each(|r| r.timestamp = timestamp);
    set
}

/// Time between consecutive end-to-end frames (a 10 Hz rig), nanoseconds.
pub const FRAME_PERIOD_NS: u64 = 100_000_000;

/// The production fusion (shipped student camera branch, default configuration but for the
/// branch threads) and tracker after `history` end-to-end frames ([`end_to_end_frame`],
/// 10 Hz), ready for the next one.
#[derive(Debug, Clone)]
pub struct WarmPipeline {
    /// The fusion stage (student camera branch, LiDAR, radar, association).
    pub stage: FusionStage,
    /// A copy of the stage's camera branch (for timing it on its own).
    pub camera: CameraBranch,
    /// The tracker, holding the tracks of the history frames.
    pub tracker: Tracker,
    /// The next frame set (same sensor data, one period after the last history frame).
    pub next: SensorFrameSet,
    /// The fused objects and the tracker output of the last history frame.
    pub last: (FusedFrame, FrameOutput),
}

/// Builds a [`WarmPipeline`] whose stage runs a frame's branches on `threads` threads
/// ([`FusionConfig::threads`]; 1 = sequential) (at least one history frame runs).
pub fn warm_pipeline(history: u64, threads: usize) -> Result<WarmPipeline, BenchError> {
    let (template, rig) = end_to_end_frame()?;
    let camera = CameraBranch::load(&zoo::default_student_manifest(), CameraConfig::default())?;
    let config = FusionConfig {
        threads,
        ..FusionConfig::default()
    };
    let stage = FusionStage::new(rig, config, Some(camera.clone()))?;
    let mut tracker = Tracker::new(TrackerConfig::default())?;
    let at = |k: u64| restamp(&template, Timestamp::from_nanos(k * FRAME_PERIOD_NS));
    let mut step = |k: u64| -> Result<(FusedFrame, FrameOutput), BenchError> {
        let fused = stage.process(&at(k))?;
        let tracked = tracker.step(fused.timestamp, &fused.objects, None)?;
        Ok((fused, tracked))
    };
    let mut last = step(0)?;
    for k in 1..history {
        last = step(k)?;
    }
    Ok(WarmPipeline {
        next: at(history.max(1)),
        last,
        stage,
        camera,
        tracker,
    })
}
