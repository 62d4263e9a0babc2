//! Where one end-to-end frame's time goes, measured part by part in the same frame (so load on
//! the machine hits every part alike): the camera branch (and, for the split, the student's
//! preprocessing, network and decoding on their own), the LiDAR and radar branches,
//! association ([`kestrel_fusion::FusionStage::fuse`]) and tracking. The parts run exactly
//! what [`kestrel_fusion::FusionStage::process`] runs, through the same public pieces; the
//! fused objects are returned so that callers can check they equal the stage's.

use crate::BenchError;
use crate::bench_inputs::{WarmPipeline, warm_pipeline};
use kestrel_fusion::association::BranchOutputs;
use kestrel_fusion::lidar::LidarBranch;
use kestrel_fusion::radar::RadarBranch;
use kestrel_fusion::{FusedFrame, FusionConfig};
use kestrel_models::preprocess::prepare;
use kestrel_models::{Detector, PixelView, zoo};
use serde::Serialize;
use std::time::Instant;

/// Latencies of the parts of one frame, milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct FrameTimes {
    /// Student preprocessing alone (letterbox + normalise).
    pub preprocess_ms: f64,
    /// Student network alone (tract, one thread).
    pub network_ms: f64,
    /// Student output decoding alone.
    pub decode_ms: f64,
    /// The whole camera branch (preprocess + network + decode + class mapping).
    pub camera_branch_ms: f64,
    /// LiDAR branch.
    pub lidar_branch_ms: f64,
    /// Radar branch.
    pub radar_branch_ms: f64,
    /// Association of the branch outputs into fused objects.
    pub association_ms: f64,
    /// One tracker step.
    pub tracking_ms: f64,
}

impl FrameTimes {
    /// The frame: camera, LiDAR and radar branches, association and tracking, ms.
    pub fn frame_ms(&self) -> f64 {
        self.camera_branch_ms
            + self.lidar_branch_ms
            + self.radar_branch_ms
            + self.association_ms
            + self.tracking_ms
    }
}

/// The end-to-end frame of [`warm_pipeline`], taken apart.
#[derive(Debug, Clone)]
pub struct FrameBreakdown {
    pipeline: WarmPipeline,
    student: Detector,
    lidar: LidarBranch,
    radar: RadarBranch,
}

impl FrameBreakdown {
    /// The pipeline after `history` frames, with the default branch configurations the
    /// fusion stage uses.
    pub fn new(history: u64) -> Result<Self, BenchError> {
        let config = FusionConfig::default();
        Ok(Self {
            pipeline: warm_pipeline(history, 1)?,
            student: Detector::load(&zoo::default_student_manifest())?,
            lidar: LidarBranch::new(config.lidar)?,
            radar: RadarBranch::new(config.radar)?,
        })
    }

    /// Times the parts of the next frame (the tracker starts from the same history every
    /// call); returns the times and the fused objects.
    pub fn time_frame(&self) -> Result<(FrameTimes, FusedFrame), BenchError> {
        let p = &self.pipeline;
        let set = &p.next;
        let rig = p.stage.rig();
        let ms = |start: Instant| start.elapsed().as_secs_f64() * 1e3;
        let pixels = PixelView::from_frame(&set.cameras[0]);

        let start = Instant::now();
        let (input, transform) = prepare(&self.student.manifest().input, &pixels);
        let preprocess_ms = ms(start);
        let start = Instant::now();
        let outputs = self.student.run_raw(input)?;
        let network_ms = ms(start);
        let start = Instant::now();
        self.student.decode(&outputs, &transform)?;
        let decode_ms = ms(start);

        let start = Instant::now();
        let camera = p.camera.detect(
            &set.cameras,
            &p.camera.scheduled(&set.cameras, set.sequence),
        )?;
        let camera_branch_ms = ms(start);
        let start = Instant::now();
        let lidar = self.lidar.detect(&set.lidars, rig)?;
        let lidar_branch_ms = ms(start);
        let start = Instant::now();
        let radar = self
            .radar
            .detect(&set.radars, rig, set.ego_velocity.as_ref())?;
        let radar_branch_ms = ms(start);
        let start = Instant::now();
        let fused = p.stage.fuse(
            set.timestamp,
            &set.missing,
            &BranchOutputs {
                lidar: Some(&lidar),
                camera: Some(&camera),
                radar: Some(&radar),
                ego: set.ego_velocity.as_ref(),
            },
        )?;
        let association_ms = ms(start);
        let mut tracker = p.tracker.clone();
        let start = Instant::now();
        tracker.step(fused.timestamp, &fused.objects, None)?;
        let tracking_ms = ms(start);
        let times = FrameTimes {
            preprocess_ms,
            network_ms,
            decode_ms,
            camera_branch_ms,
            lidar_branch_ms,
            radar_branch_ms,
            association_ms,
            tracking_ms,
        };
        Ok((times, fused))
    }

    /// The fusion stage's own result for the same frame (for comparison with the parts).
    pub fn stage_result(&self) -> Result<FusedFrame, BenchError> {
        Ok(self.pipeline.stage.process(&self.pipeline.next)?)
    }
}
