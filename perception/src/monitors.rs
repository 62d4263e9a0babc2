//! The runtime's model monitors: input drift ([`crate::drift_monitor`]) and the shadow teacher
//! ([`crate::shadow_teacher`]), both judged against the camera model's input reference. The
//! runtime shows every input message to [`Monitors::observe`] and puts
//! [`Monitors::report`] into its health reports; their warnings go out as `WARN` diagnostics
//! and into the run summary. They never touch the output stream or its digest.

use crate::drift_monitor::{DriftMonitor, DriftSettings, DriftStatus};
use crate::error::PerceptionError;
use crate::mining_recorder::{MiningRecorder, MiningReport, MiningSettings, MiningTrigger};
use crate::monitor_mode::MonitorMode;
use crate::shadow_teacher::{ShadowReport, ShadowSettings, ShadowTeacher};
use kestrel_models::ModelManifest;
use kestrel_models::input_reference::InputReference;
use kestrel_sensors::SensorMessage;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The `[monitor]` table of the configuration.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MonitorSettings {
    /// Input drift test.
    pub drift: DriftSettings,
    /// Shadow teacher.
    pub shadow: ShadowSettings,
    /// Mining of drifted and disagreed frames (when a mining log is asked for).
    #[serde(default)]
    pub mining: MiningSettings,
}

/// What a caller asks for: which models, which settings. Cheap to clone; [`Monitors::start`]
/// loads the models.
#[derive(Debug, Clone, PartialEq)]
pub struct MonitorSpec {
    /// The camera model's manifest (its `[monitoring]` table names the input reference).
    pub student_manifest: PathBuf,
    /// The teacher's manifest.
    pub teacher_manifest: PathBuf,
    /// Settings.
    pub settings: MonitorSettings,
    /// How work reaches the monitors' threads.
    pub mode: MonitorMode,
    /// Mine drifted and disagreed camera frames into this MCAP log.
    pub mining_log: Option<PathBuf>,
    /// The rig stored in the mining log (so it replays).
    pub rig: Option<kestrel_sensors::Rig>,
}

/// The monitors' findings, part of every health report.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct MonitorReport {
    /// Every statistic of every sensor seen.
    pub drift: Vec<DriftStatus>,
    /// The shadow teacher's findings (`None` when it is off).
    pub shadow: Option<ShadowReport>,
    /// What was mined (`None` without a mining log).
    pub mining: Option<MiningReport>,
    /// What a human should look at, one line each (empty: nothing).
    pub warnings: Vec<String>,
}

impl MonitorReport {
    fn with_warnings(
        drift: Vec<DriftStatus>,
        shadow: Option<ShadowReport>,
        mining: Option<MiningReport>,
    ) -> Self {
        let mut warnings: Vec<String> = drift
            .iter()
            .filter(|d| d.drifted)
            .map(|d| format!("input drift: {}", d.describe()))
            .collect();
        if let Some(s) = &shadow
            && s.below_floor()
        {
            warnings.push(format!(
                "student-teacher agreement below floor: {}",
                s.describe()
            ));
        }
        if let Some(e) = mining.as_ref().and_then(|m| m.error.as_ref()) {
            warnings.push(format!("mining log: {e}"));
        }
        Self {
            drift,
            shadow,
            mining,
            warnings,
        }
    }
}

/// The running monitors.
pub struct Monitors {
    drift: DriftMonitor,
    shadow: Option<ShadowTeacher>,
    miner: Option<MiningRecorder>,
}

impl Monitors {
    /// Starts the monitors of `spec`; `Ok(None)` when the model has no input reference
    /// (nothing to compare with: the monitors stay off, and the caller says so).
    pub fn start(spec: &MonitorSpec) -> Result<Option<Self>, PerceptionError> {
        let model_error = |path: &Path, e: kestrel_models::ModelError| {
            PerceptionError::Config(format!("monitor: model {}: {e}", path.display()))
        };
        let manifest = ModelManifest::load(&spec.student_manifest)
            .map_err(|e| model_error(&spec.student_manifest, e))?;
        let Some(reference_path) = manifest.input_reference_path(&spec.student_manifest) else {
            return Ok(None);
        };
        let reference =
            InputReference::load(&reference_path).map_err(|e| model_error(&reference_path, e))?;
        let miner = spec
            .mining_log
            .as_deref()
            .map(|path| {
                MiningRecorder::create(path, spec.rig.as_ref(), spec.settings.mining, spec.mode)
            })
            .transpose()?;
        let shadow = if spec.settings.shadow.period_s > 0.0 {
            Some(ShadowTeacher::start(
                &spec.teacher_manifest,
                &spec.student_manifest,
                reference.agreement.as_ref(),
                spec.settings.shadow,
                spec.mode,
                miner.clone(),
            )?)
        } else {
            None
        };
        Ok(Some(Self {
            drift: DriftMonitor::new(reference, spec.settings.drift)?,
            shadow,
            miner,
        }))
    }

    /// Looks at one input message.
    pub fn observe(&mut self, msg: &SensorMessage) {
        self.drift.observe(msg);
        let SensorMessage::Camera(frame) = msg else {
            return;
        };
        if let Some(miner) = &self.miner {
            let drifted = self.drift.drifted(&frame.sensor);
            if !drifted.is_empty() {
                let reason = format!("input drift: {}", drifted.join("; "));
                miner.offer(frame, MiningTrigger::Drift, reason);
            }
        }
        if let Some(shadow) = &mut self.shadow {
            shadow.offer(frame);
        }
    }

    /// The findings so far.
    pub fn report(&self) -> MonitorReport {
        MonitorReport::with_warnings(
            self.drift.statuses(),
            self.shadow.as_ref().map(ShadowTeacher::report),
            self.miner.as_ref().map(MiningRecorder::report),
        )
    }

    /// Final findings: waits for the shadow teacher's queued frames (see [`MonitorMode`]), then
    /// for the mining log to be written and closed.
    pub fn finish(&mut self) -> MonitorReport {
        let shadow = self.shadow.as_mut().map(ShadowTeacher::finish);
        MonitorReport::with_warnings(
            self.drift.statuses(),
            shadow,
            self.miner.as_ref().map(MiningRecorder::finish),
        )
    }
}
