//! Shadow teacher monitor: on a budgeted fraction of camera frames, the teacher and the
//! student run side by side on the same image, on a low-priority thread of their own, and their
//! agreement (recall of the teacher's detections and precision of the student's, same class at
//! IoU 0.5, the model card's definition in [`kestrel_models::agreement`]) is kept as rolling
//! and cumulative statistics. Rolling recall below the floor calibrated on the training data
//! (the student's input reference) raises a warning.
//!
//! Frames are picked on the sensor clock: the first camera frame at least `period_s` after the
//! previous pick, taking the cameras in turn (the least recently assessed one first), so the
//! choice never depends on thread timing. The main pipeline only hands the frame over (its
//! pixels are shared, not copied):
//! - in replay ([`MonitorMode::Complete`]) every picked frame is queued and assessed, and the
//!   run's end waits for the queue, so the verdicts are the same on every replay;
//! - live ([`MonitorMode::Drop`]) a frame picked while the teacher is still busy is skipped and
//!   counted, so the monitor can fall behind but never holds the pipeline up.
//!
//! The student runs a second time here rather than handing its detections out of the fusion
//! stage: tract's outputs are bit-identical run to run, so they are the pipeline's detections,
//! and the monitor stays a separate component a deployment can switch off.

use crate::error::PerceptionError;
use crate::mining_recorder::{MiningRecorder, MiningTrigger};
use crate::monitor_mode::MonitorMode;
use crossbeam_channel::{Receiver, Sender, TrySendError};
use kestrel_models::agreement::{MatchCounts, match_image};
use kestrel_models::input_reference::AgreementReference;
use kestrel_models::{Detection2d, Detector};
use kestrel_sensors::{CameraFrame, Timestamp};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, VecDeque};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// Settings of the shadow teacher (`[monitor]` in the configuration).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShadowSettings {
    /// Sensor-clock seconds between assessed camera frames; 0 switches the monitor off.
    pub period_s: f64,
    /// Assessed frames per rolling agreement window (the floor in the input reference is
    /// calibrated for its own window; the runtime warns when they differ).
    pub window: usize,
}

impl Default for ShadowSettings {
    fn default() -> Self {
        Self {
            period_s: 0.5,
            window: 12,
        }
    }
}

/// What the shadow teacher has found so far.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct ShadowReport {
    /// Frames picked for assessment.
    pub picked: u64,
    /// Frames assessed.
    pub assessed: u64,
    /// Picked frames skipped because the teacher was busy (live mode).
    pub skipped_busy: u64,
    /// Frames on which a detector failed.
    pub failed: u64,
    /// Counts over the last `window` assessed frames (`None` until the window is full).
    pub rolling: Option<MatchCounts>,
    /// Counts over every assessed frame, per class.
    pub total: BTreeMap<String, MatchCounts>,
    /// Rolling-recall floor from the input reference.
    pub recall_floor: Option<f64>,
    /// Windows whose recall fell below the floor.
    pub windows_below_floor: u64,
    /// Assessed-frame number (1-based) of the first window below the floor, with its camera
    /// and stamp.
    pub first_below_floor: Option<(u64, String, Timestamp)>,
}

impl ShadowReport {
    /// Counts over every assessed frame and class.
    pub fn overall(&self) -> MatchCounts {
        let mut c = MatchCounts::default();
        self.total.values().for_each(|x| c.add(x));
        c
    }

    /// The rolling window's recall is below the floor now.
    pub fn below_floor(&self) -> bool {
        match (self.rolling.and_then(|r| r.recall()), self.recall_floor) {
            (Some(r), Some(f)) => f64::from(r) < f,
            _ => false,
        }
    }

    /// A one-line verdict.
    pub fn describe(&self) -> String {
        let rate = |v: Option<f32>| v.map_or_else(|| "-".to_owned(), |v| format!("{v:.2}"));
        let all = self.overall();
        let mut s = format!(
            "shadow teacher: {} of {} picked frames assessed ({} skipped busy, {} failed); \
             agreement overall recall {} precision {}",
            self.assessed,
            self.picked,
            self.skipped_busy,
            self.failed,
            rate(all.recall()),
            rate(all.precision())
        );
        if let Some(r) = self.rolling {
            s.push_str(&format!(
                ", rolling recall {} precision {}",
                rate(r.recall()),
                rate(r.precision())
            ));
        }
        if let Some(f) = self.recall_floor {
            s.push_str(&format!(
                " (floor {f:.2}; {} windows below)",
                self.windows_below_floor
            ));
        }
        s
    }
}

struct Job {
    frame: CameraFrame,
}

#[derive(Default)]
struct State {
    report: ShadowReport,
    window: VecDeque<MatchCounts>,
}

/// The shadow teacher monitor (see the module docs).
pub struct ShadowTeacher {
    settings: ShadowSettings,
    mode: MonitorMode,
    sender: Option<Sender<Job>>,
    worker: Option<JoinHandle<()>>,
    state: Arc<Mutex<State>>,
    next_pick: Option<Timestamp>,
    last_assessed: BTreeMap<String, Timestamp>,
}

fn lower_thread_priority() {
    // A niceness of 10 for this thread only (Linux threads are scheduling entities of their
    // own); elsewhere the thread keeps the default priority.
    #[cfg(target_os = "linux")]
    // SAFETY: setpriority only reads its integer arguments; gettid has no preconditions.
    unsafe {
        let tid = libc::gettid();
        libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, 10);
    }
}

fn assess(
    teacher: &Detector,
    student: &Detector,
    classes: &[&str],
    frame: &CameraFrame,
) -> Result<BTreeMap<String, MatchCounts>, PerceptionError> {
    let run = |d: &Detector| -> Result<Vec<Detection2d>, PerceptionError> {
        d.detect(frame).map_err(|e| PerceptionError::Stage {
            stage: "shadow_teacher".into(),
            message: e.to_string(),
        })
    };
    Ok(match_image(&run(teacher)?, &run(student)?, classes))
}

/// Default per-frame recall below which a frame counts as a disagreement when the reference
/// has no floor.
const DEFAULT_FLOOR: f64 = 0.5;

/// The reason to mine a frame on which the student found `frame` of the teacher's detections,
/// if it is a disagreement: a recall below `floor` with at least one teacher detection.
fn disagreement(frame: &MatchCounts, floor: f64) -> Option<String> {
    let recall = f64::from(frame.recall()?);
    (recall < floor).then(|| {
        format!(
            "student-teacher disagreement: the student found {} of the teacher's {} detections \
             (recall {recall:.2} < {floor:.2}) and made {}",
            frame.matched, frame.teacher, frame.student
        )
    })
}

fn work(
    jobs: Receiver<Job>,
    (teacher, student): (Detector, Detector),
    settings: ShadowSettings,
    state: Arc<Mutex<State>>,
    miner: Option<MiningRecorder>,
) {
    lower_thread_priority();
    let classes: Vec<String> = student.manifest().decoder.classes.clone();
    let classes: Vec<&str> = classes.iter().map(String::as_str).collect();
    for job in jobs {
        let result = assess(&teacher, &student, &classes, &job.frame);
        let mut guard = state.lock().unwrap_or_else(|p| p.into_inner());
        let State { report, window } = &mut *guard;
        match result {
            Err(e) => {
                tracing::warn!("shadow teacher on `{}`: {e}", job.frame.sensor);
                report.failed += 1;
            }
            Ok(counts) => {
                report.assessed += 1;
                let mut frame_total = MatchCounts::default();
                for (class, c) in &counts {
                    report.total.entry(class.clone()).or_default().add(c);
                    frame_total.add(c);
                }
                let floor = report.recall_floor.unwrap_or(DEFAULT_FLOOR);
                if let (Some(miner), Some(reason)) = (&miner, disagreement(&frame_total, floor)) {
                    miner.offer(&job.frame, MiningTrigger::Disagreement, reason);
                }
                window.push_back(frame_total);
                if window.len() > settings.window {
                    window.pop_front();
                }
                report.rolling = (window.len() == settings.window).then(|| {
                    let mut r = MatchCounts::default();
                    window.iter().for_each(|c| r.add(c));
                    r
                });
                if report.below_floor() {
                    report.windows_below_floor += 1;
                    if report.first_below_floor.is_none() {
                        report.first_below_floor = Some((
                            report.assessed,
                            job.frame.sensor.clone(),
                            job.frame.timestamp,
                        ));
                    }
                }
            }
        }
    }
}

impl ShadowTeacher {
    /// Loads the teacher (`teacher_manifest`, reporting only the student's classes) and a
    /// second copy of the student, and starts the worker thread; frames on which they disagree
    /// go to `miner` when given.
    pub fn start(
        teacher_manifest: &Path,
        student_manifest: &Path,
        agreement: Option<&AgreementReference>,
        settings: ShadowSettings,
        mode: MonitorMode,
        miner: Option<MiningRecorder>,
    ) -> Result<Self, PerceptionError> {
        if !(settings.period_s.is_finite() && settings.period_s > 0.0) || settings.window == 0 {
            return Err(PerceptionError::Config(format!(
                "monitor: shadow_period_s must be positive to start the shadow teacher and \
                 shadow_window positive (got {}, {})",
                settings.period_s, settings.window
            )));
        }
        let load = |path: &Path| {
            Detector::load(path).map_err(|e| {
                PerceptionError::Config(format!("shadow teacher model {}: {e}", path.display()))
            })
        };
        let student = load(student_manifest)?;
        let teacher = load(teacher_manifest)?
            .with_report_classes(&student.manifest().decoder.classes)
            .map_err(|e| PerceptionError::Config(format!("shadow teacher: {e}")))?;
        if let Some(a) = agreement
            && a.window != settings.window
        {
            tracing::warn!(
                "the agreement floor was calibrated for windows of {} frames, the monitor uses {}",
                a.window,
                settings.window
            );
        }
        let state = Arc::new(Mutex::new(State {
            report: ShadowReport {
                recall_floor: agreement.map(|a| a.recall_floor),
                ..ShadowReport::default()
            },
            window: VecDeque::new(),
        }));
        let (sender, receiver) = match mode {
            MonitorMode::Complete => crossbeam_channel::unbounded(),
            MonitorMode::Drop => crossbeam_channel::bounded(1),
        };
        let worker_state = Arc::clone(&state);
        let worker = std::thread::Builder::new()
            .name("shadow-teacher".into())
            .spawn(move || work(receiver, (teacher, student), settings, worker_state, miner))
            .map_err(|e| {
                PerceptionError::Config(format!("cannot start the shadow teacher: {e}"))
            })?;
        Ok(Self {
            settings,
            mode,
            sender: Some(sender),
            worker: Some(worker),
            state,
            next_pick: None,
            last_assessed: BTreeMap::new(),
        })
    }

    /// Offers a camera frame; picks it when due and its camera's turn (module docs).
    pub fn offer(&mut self, frame: &CameraFrame) {
        if !self.last_assessed.contains_key(&frame.sensor) {
            self.last_assessed
                .insert(frame.sensor.clone(), Timestamp(0));
        }
        if self.next_pick.is_some_and(|t| frame.timestamp < t) {
            return;
        }
        // The map iterates by name and `min_by_key` keeps the first minimum: ties go to the
        // first name.
        let turn = self
            .last_assessed
            .iter()
            .min_by_key(|(_, t)| **t)
            .map(|(name, _)| name.as_str());
        if turn != Some(frame.sensor.as_str()) {
            return;
        }
        self.last_assessed
            .insert(frame.sensor.clone(), frame.timestamp);
        let period_ns = (self.settings.period_s * 1e9) as u64;
        self.next_pick = Some(Timestamp(frame.timestamp.0.saturating_add(period_ns)));
        let Some(sender) = &self.sender else { return };
        let job = Job {
            frame: frame.clone(),
        };
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        state.report.picked += 1;
        match self.mode {
            MonitorMode::Complete => {
                if sender.send(job).is_err() {
                    state.report.failed += 1;
                }
            }
            MonitorMode::Drop => match sender.try_send(job) {
                Ok(()) => {}
                Err(TrySendError::Full(_)) => state.report.skipped_busy += 1,
                Err(TrySendError::Disconnected(_)) => state.report.failed += 1,
            },
        }
    }

    /// The findings so far.
    pub fn report(&self) -> ShadowReport {
        self.state
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .report
            .clone()
    }

    /// Ends the monitor: no more frames; waits for the queued ones (all of them in
    /// [`MonitorMode::Complete`]) and returns the final findings.
    pub fn finish(&mut self) -> ShadowReport {
        self.sender = None;
        if let Some(w) = self.worker.take()
            && w.join().is_err()
        {
            tracing::warn!("shadow teacher worker panicked");
        }
        self.report()
    }
}
