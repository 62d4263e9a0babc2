//! The fusion stage: one [`SensorFrameSet`] in, one [`FusedFrame`] (untracked objects in the
//! vehicle frame, with degraded-mode flags) out.

use crate::association::{AssociationConfig, AssociationStats, BranchOutputs, associate};
use crate::branch_jobs::run_jobs;
use crate::camera::{CameraBranch, CameraDetection};
use crate::frame_set::SensorFrameSet;
use crate::lidar::shape_classifier::ShapeClassifier;
use crate::lidar::{LidarBranch, LidarConfig, LidarDetections, LidarStats};
use crate::radar::{RadarBranch, RadarConfig, RadarDetections, RadarStats};
use crate::{DetectedObject, FusionError};
use kestrel_sensors::{Rig, Timestamp};
use serde::{Deserialize, Serialize};

/// Configuration of the fusion stage (all sections have documented defaults). The camera
/// branch's own configuration is given with its detector ([`CameraBranch::new`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FusionConfig {
    /// Threads a frame's branch jobs (each scheduled camera image, the LiDAR branch, the radar
    /// branch) run on, the calling thread included: 1 = one after another on the calling
    /// thread. The output is the same for every value ([`crate::branch_jobs`]). Default 2 (the
    /// `x86-2core` machine class of `benches/budgets.toml`), at most [`MAX_THREADS`].
    pub threads: usize,
    /// LiDAR branch.
    pub lidar: LidarConfig,
    /// Radar branch.
    pub radar: RadarConfig,
    /// Association.
    pub association: AssociationConfig,
}

/// Which inputs a fused frame had to do without.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DegradedFlags {
    /// The rig has cameras but no camera detections were available (no frame, or no
    /// detector): LiDAR/radar objects keep class Unknown.
    pub camera_missing: bool,
    /// The rig has a LiDAR but no sweep was available: camera objects are ranged by radar or
    /// flat ground.
    pub lidar_missing: bool,
    /// The rig has radars but no scan was available: no velocities.
    pub radar_missing: bool,
    /// Radar Doppler velocities could not be ego-compensated (no ego velocity given and no
    /// compensated velocity in the detections): no velocities attached.
    pub ego_motion_missing: bool,
    /// Expected sensors without a message in the frame set (from time alignment).
    pub missing_sensors: Vec<String>,
}

impl DegradedFlags {
    /// True when any input was missing.
    pub fn any(&self) -> bool {
        self.camera_missing
            || self.lidar_missing
            || self.radar_missing
            || self.ego_motion_missing
            || !self.missing_sensors.is_empty()
    }
}

/// The fused objects of one instant.
#[derive(Debug, Clone, PartialEq)]
pub struct FusedFrame {
    /// Reference time of the frame set.
    pub timestamp: Timestamp,
    /// Objects, vehicle frame, deterministic order (see [`associate`]).
    pub objects: Vec<DetectedObject>,
    /// Degraded-mode flags.
    pub degraded: DegradedFlags,
    /// LiDAR branch counters, when it ran.
    pub lidar_stats: Option<LidarStats>,
    /// Radar branch counters, when it ran.
    pub radar_stats: Option<RadarStats>,
    /// Association counters.
    pub association: AssociationStats,
}

/// Most threads a fusion stage may run a frame's branches on ([`FusionConfig::threads`]).
pub const MAX_THREADS: usize = 64;

impl Default for FusionConfig {
    fn default() -> Self {
        Self {
            threads: 2,
            lidar: LidarConfig::default(),
            radar: RadarConfig::default(),
            association: AssociationConfig::default(),
        }
    }
}

impl FusionConfig {
    /// Checks every section.
    pub fn validate(&self) -> Result<(), FusionError> {
        if !(1..=MAX_THREADS).contains(&self.threads) {
            return Err(FusionError::InvalidConfig {
                field: "fusion.threads",
                value: self.threads as f64,
                reason: "must be 1..64",
            });
        }
        self.lidar.validate()?;
        self.radar.validate()?;
        self.association.validate()
    }
}

/// The fusion stage for one rig.
#[derive(Debug, Clone)]
pub struct FusionStage {
    rig: Rig,
    lidar: LidarBranch,
    radar: RadarBranch,
    camera: Option<CameraBranch>,
    association: AssociationConfig,
    shapes: Option<ShapeClassifier>,
    threads: usize,
}

/// One independent piece of a frame's branch work (see [`crate::branch_jobs`]).
enum BranchJob<'a> {
    /// The camera branch on one scheduled image.
    Camera(&'a CameraBranch, &'a kestrel_sensors::CameraFrame),
    /// The LiDAR branch on every sweep of the frame.
    Lidar,
    /// The radar branch on every scan of the frame.
    Radar,
}

/// What a [`BranchJob`] gave.
enum BranchResult {
    Camera(Result<Vec<CameraDetection>, FusionError>),
    Lidar(Result<LidarDetections, FusionError>),
    Radar(Result<RadarDetections, FusionError>),
}

impl FusionStage {
    /// A stage for `rig`. `camera` is the camera branch (a loaded detector); without one,
    /// camera frames are ignored and every frame is flagged `camera_missing`. Loads the LiDAR
    /// shape classifier the association configuration names (an error if it cannot).
    pub fn new(
        rig: Rig,
        config: FusionConfig,
        camera: Option<CameraBranch>,
    ) -> Result<Self, FusionError> {
        config.validate()?;
        Ok(Self {
            rig,
            lidar: LidarBranch::new(config.lidar)?,
            radar: RadarBranch::new(config.radar)?,
            camera,
            shapes: config.association.load_shape_classifier()?,
            association: config.association,
            threads: config.threads,
        })
    }

    /// The rig.
    pub fn rig(&self) -> &Rig {
        &self.rig
    }

    /// Runs every branch whose sensors have data in `set`, then associates. The camera
    /// branch runs on the cameras its schedule picks for the set's sequence number; each
    /// scheduled image, the LiDAR branch and the radar branch are jobs run on the configured
    /// threads ([`FusionConfig::threads`]) with the same result for any thread count.
    /// Errors only for inputs that cannot be interpreted (unknown sensor, non-finite ego
    /// motion, no data at all, detector failure; the first failing job in the order camera
    /// images, LiDAR, radar); missing sensors give a degraded frame.
    pub fn process(&self, set: &SensorFrameSet) -> Result<FusedFrame, FusionError> {
        if set.is_empty() {
            return Err(FusionError::EmptyFrameSet {
                timestamp: set.timestamp,
            });
        }
        if set.ego_velocity.is_some_and(|e| !e.is_finite()) {
            return Err(FusionError::InvalidEgoMotion {
                timestamp: set.timestamp,
            });
        }
        let branch = self.camera.as_ref().filter(|_| !set.cameras.is_empty());
        let mut jobs = Vec::new();
        if let Some(b) = branch {
            let run = b.scheduled(&set.cameras, set.sequence);
            jobs.extend(
                set.cameras
                    .iter()
                    .zip(&run)
                    .filter(|(_, r)| **r)
                    .map(|(f, _)| BranchJob::Camera(b, f)),
            );
        }
        if !set.lidars.is_empty() {
            jobs.push(BranchJob::Lidar);
        }
        if !set.radars.is_empty() {
            jobs.push(BranchJob::Radar);
        }
        let results = run_jobs(jobs.len(), self.threads, |k| match &jobs[k] {
            BranchJob::Camera(b, frame) => BranchResult::Camera(b.detect_frame(frame)),
            BranchJob::Lidar => BranchResult::Lidar(self.lidar.detect(&set.lidars, &self.rig)),
            BranchJob::Radar => BranchResult::Radar(self.radar.detect(
                &set.radars,
                &self.rig,
                set.ego_velocity.as_ref(),
            )),
        });
        let mut camera = branch.map(|_| Vec::new());
        let (mut lidar, mut radar) = (None, None);
        for result in results {
            match result {
                BranchResult::Camera(r) => {
                    if let Some(c) = camera.as_mut() {
                        c.extend(r?);
                    }
                }
                BranchResult::Lidar(r) => lidar = Some(r?),
                BranchResult::Radar(r) => radar = Some(r?),
            }
        }
        self.fuse(
            set.timestamp,
            &set.missing,
            &BranchOutputs {
                lidar: lidar.as_ref(),
                camera: camera.as_deref(),
                radar: radar.as_ref(),
                ego: set.ego_velocity.as_ref(),
            },
        )
    }

    /// Associates branch outputs computed elsewhere (e.g. camera detections from a detector
    /// running on its own thread) into a fused frame at reference time `timestamp`; `None`
    /// marks a missing branch.
    pub fn fuse(
        &self,
        timestamp: Timestamp,
        missing_sensors: &[String],
        branches: &BranchOutputs<'_>,
    ) -> Result<FusedFrame, FusionError> {
        let has = |kind: &str| self.rig.sensors.iter().any(|s| s.kind.name() == kind);
        let (objects, association) = associate(
            branches,
            timestamp,
            &self.rig,
            self.lidar.config(),
            &self.association,
            self.shapes.as_ref(),
        )?;
        let (lidar, camera, radar) = (branches.lidar, branches.camera, branches.radar);
        let degraded = DegradedFlags {
            camera_missing: has("camera") && camera.is_none(),
            lidar_missing: has("lidar") && lidar.is_none(),
            radar_missing: has("radar") && radar.is_none(),
            ego_motion_missing: radar.is_some_and(|r| r.stats.uncompensated > 0),
            missing_sensors: missing_sensors.to_vec(),
        };
        Ok(FusedFrame {
            timestamp,
            objects,
            degraded,
            lidar_stats: lidar.map(|l| l.stats),
            radar_stats: radar.map(|r| r.stats),
            association,
        })
    }
}
