//! The production stage and default input of the `kestrel` tool.

use crate::error::PerceptionError;
use crate::fusion_pipeline::FusionPipelineStage;
use crate::monitor_mode::MonitorMode;
use crate::monitors::{MonitorSettings, MonitorSpec};
use crate::pipeline_config::PipelineConfig;
use crate::stage::PerceptionStage;
use kestrel_fusion::camera::CameraBranch;
use kestrel_sensors::Rig;
use std::path::{Path, PathBuf};

/// The shipped input `kestrel run` uses when given none: 2 s of a real urban drive, the
/// PandaSet slice of the workspace (sequence 002, frames 36-55: a 360-degree Pandar64 LiDAR,
/// six cameras, ego poses and human labels; `sensors/testdata/pandaset/seq002-36-55`).
pub fn default_input() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../sensors/testdata/pandaset/seq002-36-55")
}

/// The camera model manifest to run: `explicit` when given, none when `no_camera`, else the
/// shipped student of the model zoo.
pub fn camera_manifest(explicit: Option<PathBuf>, no_camera: bool) -> Option<PathBuf> {
    if no_camera {
        None
    } else {
        Some(explicit.unwrap_or_else(kestrel_models::zoo::default_student_manifest))
    }
}

/// The monitors of the camera model `model_manifest` (none without a camera model or when
/// `off`): input drift and the shadow teacher (the zoo's teacher), with `settings`; `mode`
/// is [`MonitorMode::Complete`] for deterministic replay, [`MonitorMode::Drop`] live.
pub fn monitor_spec(
    model_manifest: Option<&Path>,
    off: bool,
    settings: MonitorSettings,
    mode: MonitorMode,
) -> Option<MonitorSpec> {
    let student = model_manifest.filter(|_| !off)?;
    Some(MonitorSpec {
        student_manifest: student.to_path_buf(),
        teacher_manifest: kestrel_models::zoo::teacher_manifest(),
        settings,
        mode,
        mining_log: None,
        rig: None,
    })
}

/// `spec` mining the frames its monitors flag into `log` (storing `rig`, so the log replays)
/// when a log is asked for (`--mine`); an error when there are no monitors to mine with.
pub fn with_mining(
    spec: Option<MonitorSpec>,
    log: Option<PathBuf>,
    rig: Option<Rig>,
) -> Result<Option<MonitorSpec>, PerceptionError> {
    match (spec, log) {
        (Some(spec), mining_log @ Some(_)) => Ok(Some(MonitorSpec {
            mining_log,
            rig,
            ..spec
        })),
        (None, Some(_)) => Err(PerceptionError::Config(
            "--mine needs the model monitors: a camera model with an input reference".into(),
        )),
        (spec, None) => Ok(spec),
    }
}

/// The fusion pipeline for `rig` tuned by `config`, with the camera detector of
/// `model_manifest` when given (without one, objects come from LiDAR and radar and keep class
/// `unknown`).
pub fn production_stage(
    rig: Option<&Rig>,
    model_manifest: Option<&Path>,
    config: &PipelineConfig,
) -> Result<Box<dyn PerceptionStage>, PerceptionError> {
    let rig = rig.ok_or_else(|| {
        PerceptionError::Config(
            "the input carries no rig (sensor list and calibration); record it with one".into(),
        )
    })?;
    Ok(Box::new(production_pipeline(rig, model_manifest, config)?))
}

/// [`production_stage`] as its concrete type (the simulator's closed loop, the benches).
pub fn production_pipeline(
    rig: &Rig,
    model_manifest: Option<&Path>,
    config: &PipelineConfig,
) -> Result<FusionPipelineStage, PerceptionError> {
    let camera = model_manifest
        .map(|m| {
            CameraBranch::load(m, config.camera.clone()).map_err(|e| PerceptionError::Stage {
                stage: "fusion".into(),
                message: format!("camera model {}: {e}", m.display()),
            })
        })
        .transpose()?;
    FusionPipelineStage::new(rig.clone(), camera, config)
}
