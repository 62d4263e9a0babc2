//! The production stage: `kestrel_fusion`'s time alignment, fusion stage and tracker chained
//! behind the runtime's [`PerceptionStage`] interface.
//!
//! Messages are grouped into frame sets around the rig's first LiDAR (fallback: its first
//! camera), and each set goes through [`TrackedFusion`] (fusion into detected objects, then
//! the tracker). Ego motion comes from vehicle odometry: [`SensorMessage::Odometry`] messages
//! in the input (a dataset's poses, a vehicle's `nav_msgs/Odometry`, the simulator's ego);
//! without them the vehicle is taken as static between frames. Odometry no vehicle could have
//! produced (see [`kestrel_fusion::ego_plausibility`]) is refused with a typed error. Every
//! set gives one output frame; the fusion stage's degraded flags become the frame's
//! `degraded` list.

use crate::error::PerceptionError;
use crate::odometry_history::OdometryHistory;
use crate::pipeline_config::PipelineConfig;
use crate::stage::{OutputFrame, PerceptionStage};
use kestrel_fusion::camera::CameraBranch;
use kestrel_fusion::ego_plausibility::EgoPlausibility;
use kestrel_fusion::ego_velocity::EgoVelocity;
use kestrel_fusion::tracking::Tracker;
use kestrel_fusion::{DegradedFlags, FusionStage, SensorFrameSet, TimeAligner, TrackedFusion};
use kestrel_sensors::{Rig, SensorMessage};

/// Time alignment + fusion + tracking.
pub struct FusionPipelineStage {
    aligner: TimeAligner,
    fusion: TrackedFusion,
    /// Odometry samples (motion, and poses placing output frames in the odometry's fixed
    /// frame), pruned as frame sets consume them.
    odometry: OdometryHistory,
    /// Refuses odometry no vehicle could have produced.
    ego_gate: EgoPlausibility,
}

fn stage_error(e: impl std::fmt::Display) -> PerceptionError {
    PerceptionError::Stage {
        stage: "fusion".into(),
        message: e.to_string(),
    }
}

/// The frame's degraded conditions in words.
fn describe(flags: &DegradedFlags) -> Vec<String> {
    let mut out = Vec::new();
    for (set, what) in [
        (flags.camera_missing, "camera detections missing"),
        (flags.lidar_missing, "lidar missing"),
        (flags.radar_missing, "radar missing"),
        (
            flags.ego_motion_missing,
            "radar velocities not ego-compensated",
        ),
    ] {
        if set {
            out.push(what.to_owned());
        }
    }
    out.extend(
        flags
            .missing_sensors
            .iter()
            .map(|s| format!("sensor `{s}` missing from frame set")),
    );
    out
}

impl FusionPipelineStage {
    /// A pipeline for `rig` with the fusion, tracking and time-alignment tables of `config`;
    /// `camera` is the camera branch (loaded detector), if any.
    pub fn new(
        rig: Rig,
        camera: Option<CameraBranch>,
        config: &PipelineConfig,
    ) -> Result<Self, PerceptionError> {
        let first = |kind: &str| {
            rig.sensors
                .iter()
                .find(|s| s.kind.name() == kind)
                .map(|s| s.name.clone())
        };
        let (reference, fallback) = match (first("lidar"), first("camera")) {
            (Some(lidar), camera) => (lidar, camera),
            (None, Some(camera)) => (camera, None),
            (None, None) => {
                return Err(PerceptionError::Config(format!(
                    "rig `{}` has neither a LiDAR nor a camera to anchor frames",
                    rig.name
                )));
            }
        };
        let alignment = config.alignment(&rig, reference, fallback)?;
        let aligner = TimeAligner::new(alignment).map_err(stage_error)?;
        let stage = FusionStage::new(rig, config.fusion.clone(), camera).map_err(stage_error)?;
        let tracker = Tracker::new(config.tracking.clone()).map_err(stage_error)?;
        Ok(Self {
            aligner,
            fusion: TrackedFusion::new(stage, tracker),
            odometry: OdometryHistory::default(),
            ego_gate: EgoPlausibility::default(),
        })
    }

    fn frames(&mut self, sets: Vec<SensorFrameSet>) -> Result<Vec<OutputFrame>, PerceptionError> {
        let mut out = Vec::with_capacity(sets.len());
        for mut set in sets {
            let vehicle = self.odometry.at(set.timestamp);
            set.ego_velocity = vehicle.motion;
            let frame = self.fusion.process(&set).map_err(stage_error)?;
            let (fused, tracks) = (frame.fused, frame.tracking);
            out.push(OutputFrame {
                vehicle_pose: vehicle.pose,
                stamp: fused.timestamp,
                degraded: describe(&fused.degraded),
                detected: fused.objects,
                tracked: tracks
                    .tracks
                    .into_iter()
                    .filter(|t| t.is_confirmed())
                    .collect(),
            });
        }
        Ok(out)
    }
}

impl PerceptionStage for FusionPipelineStage {
    fn name(&self) -> &'static str {
        "fusion"
    }

    fn process(&mut self, msg: &SensorMessage) -> Result<Vec<OutputFrame>, PerceptionError> {
        if let SensorMessage::Odometry(o) = msg {
            if !o.is_finite() {
                return Err(stage_error(format!(
                    "odometry `{}` at {}: non-finite values",
                    o.sensor, o.timestamp
                )));
            }
            let v = EgoVelocity::from(o);
            self.ego_gate.check(o.timestamp, &v).map_err(stage_error)?;
            self.odometry.push(o.timestamp, v, o.pose);
            return Ok(Vec::new());
        }
        let sets = self.aligner.push(msg.clone()).map_err(stage_error)?;
        self.frames(sets)
    }

    fn on_clock_discontinuity(&mut self) {
        self.fusion.drop_tracks();
    }

    fn finish(&mut self) -> Result<Vec<OutputFrame>, PerceptionError> {
        let sets = self.aligner.flush();
        self.frames(sets)
    }
}
