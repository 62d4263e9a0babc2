//! Disagreement mining: camera frames the model monitors find interesting — a camera whose
//! input statistics drifted, a frame on which the student missed what its teacher saw — are
//! written, rate-limited, to a mining MCAP log with the reason, as material for the next
//! student (`kestrel-distill recipe --from-log`, `kestrel-distill adapt`).
//!
//! The log is an ordinary Kestrel MCAP (rosbag2 layout, the rig stored; images as JPEG,
//! `sensor_msgs/CompressedImage`, quality [`JPEG_QUALITY`]), readable by `kestrel replay` and
//! `kestrel inspect`; each frame is followed by a `diagnostic_msgs/DiagnosticStatus` on
//! [`MINING_TOPIC`] at the frame's stamp whose `message` is the reason and whose values name
//! the camera and the trigger (`drift` or `disagreement`).
//!
//! Rate limit: no two mined frames of one camera closer than `period_s` of sensor time, whatever
//! the trigger and in whatever order they are found. Writing happens on a thread of its own; in replay every accepted frame is written,
//! live a frame arriving while the writer is `QUEUE` frames behind is dropped and counted.
//! The file's message order follows the order frames are found (drift at once, disagreement
//! once the teacher has judged the frame), so it may differ between replays; the set of
//! messages does not.

use crate::error::PerceptionError;
use crate::monitor_mode::MonitorMode;
use crossbeam_channel::{Sender, TrySendError};
use kestrel_log::LogWriter;
use kestrel_log::camera_image::ImageFormat;
use kestrel_log::mcap_writer::topic_for;
use kestrel_log::ros2_msg::diagnostic_msgs::{DiagnosticStatus, KeyValue, level};
use kestrel_sensors::{CameraFrame, Rig, SensorMessage};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// Topic of the mining reasons.
pub const MINING_TOPIC: &str = "/kestrel/mining";
/// JPEG quality of mined images.
pub const JPEG_QUALITY: u8 = 95;
/// Frames the live writer may fall behind before it drops.
const QUEUE: usize = 8;

/// Settings of the mining recorder (`[monitor.mining]`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MiningSettings {
    /// Least sensor-clock seconds between two mined frames of one camera.
    pub period_s: f64,
}

impl Default for MiningSettings {
    fn default() -> Self {
        Self { period_s: 1.0 }
    }
}

/// Why a frame was mined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MiningTrigger {
    /// The camera's input statistics drifted.
    Drift,
    /// The student missed detections of its teacher.
    Disagreement,
}

impl MiningTrigger {
    /// `drift` or `disagreement`.
    pub fn name(self) -> &'static str {
        match self {
            MiningTrigger::Drift => "drift",
            MiningTrigger::Disagreement => "disagreement",
        }
    }
}

/// What the recorder did.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct MiningReport {
    /// The mining log.
    pub path: PathBuf,
    /// Frames accepted, per trigger.
    pub mined: BTreeMap<MiningTrigger, u64>,
    /// Frames refused by the rate limit.
    pub rate_limited: u64,
    /// Frames dropped because the writer was behind (live only).
    pub dropped_busy: u64,
    /// Frames written so far.
    pub written: u64,
    /// The first write error, if any (the recorder stops writing after it).
    pub error: Option<String>,
}

struct Mined {
    frame: CameraFrame,
    trigger: MiningTrigger,
    reason: String,
}

struct Inner {
    sender: Option<Sender<Mined>>,
    mode: MonitorMode,
    period_ns: u64,
    /// Stamps mined so far, per camera.
    mined_stamps: BTreeMap<String, BTreeSet<u64>>,
    report: Arc<Mutex<MiningReport>>,
}

/// The mining recorder (see the module docs). Cheap to clone: clones share the log, the rate
/// limit and the report.
#[derive(Clone)]
pub struct MiningRecorder {
    inner: Arc<Mutex<Inner>>,
    worker: Arc<Mutex<Option<JoinHandle<()>>>>,
}

fn write_one(writer: &mut LogWriter, rig: Option<&Rig>, m: &Mined) -> Result<(), String> {
    let msg = SensorMessage::Camera(m.frame.clone());
    writer
        .write_sensor(&topic_for(rig, &msg), &msg)
        .map_err(|e| e.to_string())?;
    let status = DiagnosticStatus {
        level: level::WARN,
        name: format!("kestrel: mining {}", m.frame.sensor),
        message: m.reason.clone(),
        hardware_id: m.frame.sensor.clone(),
        values: vec![
            KeyValue {
                key: "trigger".into(),
                value: m.trigger.name().into(),
            },
            KeyValue {
                key: "camera".into(),
                value: m.frame.sensor.clone(),
            },
        ],
    };
    writer
        .write(MINING_TOPIC, m.frame.timestamp, &status)
        .map_err(|e| e.to_string())
}

impl MiningRecorder {
    /// Creates the mining log at `path` (with `rig`, so it replays) and starts the writer.
    pub fn create(
        path: &Path,
        rig: Option<&Rig>,
        settings: MiningSettings,
        mode: MonitorMode,
    ) -> Result<Self, PerceptionError> {
        if !(settings.period_s.is_finite() && settings.period_s >= 0.0) {
            return Err(PerceptionError::Config(format!(
                "monitor.mining.period_s = {} must be >= 0",
                settings.period_s
            )));
        }
        let mut writer = LogWriter::create(path, rig)
            .map_err(|e| PerceptionError::Config(format!("mining log {}: {e}", path.display())))?
            .with_image_format(ImageFormat::Jpeg {
                quality: JPEG_QUALITY,
            });
        let report = Arc::new(Mutex::new(MiningReport {
            path: path.to_path_buf(),
            ..MiningReport::default()
        }));
        let (sender, receiver) = match mode {
            MonitorMode::Complete => crossbeam_channel::unbounded::<Mined>(),
            MonitorMode::Drop => crossbeam_channel::bounded(QUEUE),
        };
        let (worker_report, rig) = (Arc::clone(&report), rig.cloned());
        let worker = std::thread::Builder::new()
            .name("mining-writer".into())
            .spawn(move || {
                let mut failed = false;
                for m in receiver {
                    if failed {
                        continue;
                    }
                    let result = write_one(&mut writer, rig.as_ref(), &m);
                    let mut r = worker_report.lock().unwrap_or_else(|p| p.into_inner());
                    match result {
                        Ok(()) => r.written += 1,
                        Err(e) => {
                            r.error = Some(e);
                            failed = true;
                        }
                    }
                }
                if let Err(e) = writer.finish() {
                    let mut r = worker_report.lock().unwrap_or_else(|p| p.into_inner());
                    r.error.get_or_insert(e.to_string());
                }
            })
            .map_err(|e| PerceptionError::Config(format!("cannot start the mining writer: {e}")))?;
        Ok(Self {
            inner: Arc::new(Mutex::new(Inner {
                sender: Some(sender),
                mode,
                period_ns: (settings.period_s * 1e9) as u64,
                mined_stamps: BTreeMap::new(),
                report,
            })),
            worker: Arc::new(Mutex::new(Some(worker))),
        })
    }

    /// Offers `frame` for mining because of `trigger`, with a human `reason`; returns whether
    /// it was accepted (rate limit, and live, the writer's backlog).
    pub fn offer(&self, frame: &CameraFrame, trigger: MiningTrigger, reason: String) -> bool {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let Inner {
            sender,
            mode,
            period_ns,
            mined_stamps,
            report,
        } = &mut *inner;
        let mut report = report.lock().unwrap_or_else(|p| p.into_inner());
        // Mined stamps on either side count: disagreements arrive after later drift frames.
        let t = frame.timestamp.0;
        let stamps = mined_stamps.entry(frame.sensor.clone()).or_default();
        let due = stamps
            .range(t.saturating_sub(*period_ns).saturating_add(1)..)
            .next()
            .is_none_or(|&near| near >= t.saturating_add(*period_ns));
        let Some(sender) = sender.as_ref().filter(|_| due) else {
            report.rate_limited += 1;
            return false;
        };
        let mined = Mined {
            frame: frame.clone(),
            trigger,
            reason,
        };
        let sent = match mode {
            MonitorMode::Complete => sender.send(mined).is_ok(),
            MonitorMode::Drop => match sender.try_send(mined) {
                Ok(()) => true,
                Err(TrySendError::Full(_)) => {
                    report.dropped_busy += 1;
                    false
                }
                Err(TrySendError::Disconnected(_)) => false,
            },
        };
        if sent {
            stamps.insert(t);
            *report.mined.entry(trigger).or_default() += 1;
        }
        sent
    }

    /// What the recorder did so far.
    pub fn report(&self) -> MiningReport {
        let inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let report = inner.report.lock().unwrap_or_else(|p| p.into_inner());
        report.clone()
    }

    /// Closes the log: no more frames; waits for the writer to write what it accepted and
    /// finish the file.
    pub fn finish(&self) -> MiningReport {
        self.inner.lock().unwrap_or_else(|p| p.into_inner()).sender = None;
        let worker = self.worker.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(w) = worker
            && w.join().is_err()
        {
            tracing::warn!("mining writer panicked");
        }
        self.report()
    }
}
