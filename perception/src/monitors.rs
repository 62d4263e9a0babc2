//! The runtime's model monitors: input drift ([`crate::drift_monitor`]) and the shadow teacher
//! ([`crate::shadow_teacher`]), both judged against the camera model's input reference. The
//! runtime shows every input message to [`Monitors::observe`] and puts
//! [`Monitors::report`] into its health reports; their warnings go out as `WARN` diagnostics
//! and into the run summary. They never touch the output stream or its digest.

use crate::drift_monitor::{DriftMonitor, DriftSettings, DriftStatus};
use crate::error::PerceptionError;
use crate::shadow_teacher::{ShadowMode, ShadowReport, ShadowSettings, ShadowTeacher};
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
    /// How picked frames reach the teacher.
    pub mode: ShadowMode,
}

/// The monitors' findings, part of every health report.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct MonitorReport {
    /// Every statistic of every sensor seen.
    pub drift: Vec<DriftStatus>,
    /// The shadow teacher's findings (`None` when it is off).
    pub shadow: Option<ShadowReport>,
    /// What a human should look at, one line each (empty: nothing).
    pub warnings: Vec<String>,
}

impl MonitorReport {
    fn with_warnings(drift: Vec<DriftStatus>, shadow: Option<ShadowReport>) -> Self {
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
        Self {
            drift,
            shadow,
            warnings,
        }
    }
}

/// The running monitors.
pub struct Monitors {
    drift: DriftMonitor,
    shadow: Option<ShadowTeacher>,
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
        let shadow = if spec.settings.shadow.period_s > 0.0 {
            Some(ShadowTeacher::start(
                &spec.teacher_manifest,
                &spec.student_manifest,
                reference.agreement.as_ref(),
                spec.settings.shadow,
                spec.mode,
            )?)
        } else {
            None
        };
        Ok(Some(Self {
            drift: DriftMonitor::new(reference, spec.settings.drift)?,
            shadow,
        }))
    }

    /// Looks at one input message.
    pub fn observe(&mut self, msg: &SensorMessage) {
        self.drift.observe(msg);
        if let (Some(shadow), SensorMessage::Camera(frame)) = (&mut self.shadow, msg) {
            shadow.offer(frame);
        }
    }

    /// The findings so far.
    pub fn report(&self) -> MonitorReport {
        MonitorReport::with_warnings(
            self.drift.statuses(),
            self.shadow.as_ref().map(ShadowTeacher::report),
        )
    }

    /// Final findings: waits for the shadow teacher's queued frames (see [`ShadowMode`]).
    pub fn finish(&mut self) -> MonitorReport {
        MonitorReport::with_warnings(
            self.drift.statuses(),
            self.shadow.as_mut().map(ShadowTeacher::finish),
        )
    }
}
