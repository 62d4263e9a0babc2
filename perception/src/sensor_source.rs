//! Where sensor messages come from: a recorded log, a dataset folder read through the sensor
//! adapters, the simulator or a live adapter — each wrapped as a [`SensorSource`], an iterator
//! of messages in that source's own time order plus the sensors it is expected to deliver.

use crate::error::PerceptionError;
use crate::fault_injection::{FaultCounts, FaultInjector, FaultPlan};
use kestrel_log::sensor_reader::SensorLogReader;
use kestrel_sensors::camera_shift::CameraShift;
use kestrel_sensors::kitti::{self, KittiObjectFrame};
use kestrel_sensors::nuscenes::NuscenesSample;
use kestrel_sensors::pandaset::PandasetSequence;
use kestrel_sensors::{Rig, SensorError, SensorMessage, Timestamp};
use std::path::Path;

/// The messages of a source, one `Result` per message (a failed message does not end it).
pub type MessageIter = Box<dyn Iterator<Item = Result<SensorMessage, PerceptionError>> + Send>;

/// One source of sensor messages.
pub struct SensorSource {
    name: String,
    sensors: Vec<String>,
    rig: Option<Rig>,
    messages: MessageIter,
}

impl SensorSource {
    /// A source called `name` (used in errors and logs) delivering `sensors`.
    pub fn new(name: impl Into<String>, sensors: Vec<String>, messages: MessageIter) -> Self {
        Self {
            name: name.into(),
            sensors,
            rig: None,
            messages,
        }
    }

    /// Attaches the rig the messages were recorded with; its sensors become the expected ones.
    pub fn with_rig(mut self, rig: Rig) -> Self {
        self.sensors = rig.sensors.iter().map(|s| s.name.clone()).collect();
        self.rig = Some(rig);
        self
    }

    /// The same source with every camera frame shifted by `shift` (a synthetic domain shift,
    /// see [`CameraShift`]).
    pub fn shifted(mut self, shift: CameraShift) -> Self {
        self.messages = Box::new(self.messages.map(move |m| match m {
            Ok(SensorMessage::Camera(f)) => Ok(SensorMessage::Camera(shift.apply(&f))),
            other => other,
        }));
        self
    }

    /// The same source with the faults of `plan` applied (see [`crate::fault_injection`]);
    /// the counters say how many messages each fault hit. A fault naming a sensor the source
    /// does not deliver is an error (see [`SensorSource::check_sensor_names`]).
    pub fn faulted(mut self, plan: FaultPlan) -> Result<(Self, FaultCounts), PerceptionError> {
        self.check_sensor_names(plan.faults.iter().filter_map(|f| f.sensor.as_ref()))?;
        let injector = FaultInjector::new(self.messages, plan);
        let counts = injector.counts();
        self.messages = Box::new(injector);
        Ok((self, counts))
    }

    /// The rig, when the source knows it.
    pub fn rig(&self) -> Option<&Rig> {
        self.rig.as_ref()
    }

    /// A source over messages already in memory (simulator output, tests). Its sensors are
    /// the distinct sensor names of the messages, sorted.
    pub fn from_messages(name: impl Into<String>, messages: Vec<SensorMessage>) -> Self {
        let mut sensors: Vec<String> = messages.iter().map(|m| m.sensor().to_owned()).collect();
        sensors.sort();
        sensors.dedup();
        Self::new(name, sensors, Box::new(messages.into_iter().map(Ok)))
    }

    /// An MCAP log (rosbag2 layout) read through `kestrel_log`, with the rig stored in the log
    /// when it has one.
    pub fn open_log(path: &Path) -> Result<Self, PerceptionError> {
        let name = path.display().to_string();
        let reader = SensorLogReader::open(path, None).map_err(|e| PerceptionError::Source {
            source_name: name.clone(),
            message: e.to_string(),
        })?;
        let rig = reader.rig().cloned();
        let source_name = name.clone();
        let messages = reader.map(move |entry| {
            entry
                .map(|e| e.message)
                .map_err(|e| PerceptionError::Source {
                    source_name: source_name.clone(),
                    message: e.to_string(),
                })
        });
        let source = Self::new(name, Vec::new(), Box::new(messages));
        Ok(match rig {
            Some(rig) => source.with_rig(rig),
            None => source,
        })
    }

    /// A KITTI object-benchmark folder (`velodyne/`, `image_2/`, `calib/`) read through the
    /// `kestrel_sensors` adapter: per frame, the Velodyne sweep and the left colour image.
    /// KITTI object frames carry no time: frame `i` (in id order) gets `i` x 100 ms (KITTI's
    /// 10 Hz). The rig is frame 0's calibration restricted to the two delivered sensors.
    pub fn open_kitti(root: &Path) -> Result<Self, PerceptionError> {
        let name = root.display().to_string();
        let err = |e: SensorError| PerceptionError::Source {
            source_name: name.clone(),
            message: e.to_string(),
        };
        let ids = kitti::frame_ids(root).map_err(&err)?;
        let first = ids.first().ok_or_else(|| PerceptionError::Source {
            source_name: name.clone(),
            message: "no frames in velodyne/".into(),
        })?;
        let mut rig = KittiObjectFrame::load(root, first).map_err(&err)?.rig;
        rig.sensors
            .retain(|s| s.name == kitti::calib::LIDAR || s.name == kitti::calib::CAMERAS[2]);
        let root = root.to_owned();
        let source_name = name.clone();
        let messages = ids.into_iter().enumerate().flat_map(move |(i, id)| {
            let t = Timestamp::from_nanos(i as u64 * 100_000_000);
            match KittiObjectFrame::load(&root, &id) {
                Ok(mut f) => {
                    if f.skipped_points > 0 {
                        tracing::warn!(
                            "KITTI frame {id}: {} non-finite points skipped",
                            f.skipped_points
                        );
                    }
                    f.cloud.timestamp = t;
                    f.image.timestamp = t;
                    vec![
                        Ok(SensorMessage::Lidar(f.cloud)),
                        Ok(SensorMessage::Camera(f.image)),
                    ]
                }
                Err(e) => vec![Err(PerceptionError::Source {
                    source_name: source_name.clone(),
                    message: format!("frame {id}: {e}"),
                })],
            }
        });
        Ok(Self::new(name, Vec::new(), Box::new(messages)).with_rig(rig))
    }

    /// A nuScenes sample folder (`info.json` + files) read through the `kestrel_sensors`
    /// adapter: the LiDAR sweep and every camera image, at their recorded times.
    pub fn open_nuscenes(dir: &Path) -> Result<Self, PerceptionError> {
        let name = dir.display().to_string();
        let err = |e: SensorError| PerceptionError::Source {
            source_name: name.clone(),
            message: e.to_string(),
        };
        let sample = NuscenesSample::load(dir).map_err(&err)?;
        let mut messages = vec![sample.lidar().map(|d| {
            if d.skipped > 0 {
                tracing::warn!("{name}: {} invalid LiDAR points skipped", d.skipped);
            }
            SensorMessage::Lidar(d.cloud)
        })];
        let cameras: Vec<String> = sample.camera_names().map(str::to_owned).collect();
        for cam in cameras {
            messages.push(sample.camera(&cam).map(SensorMessage::Camera));
        }
        let mut messages: Vec<Result<SensorMessage, PerceptionError>> =
            messages.into_iter().map(|m| m.map_err(&err)).collect();
        // Time order within the source (camera exposures precede or follow the sweep).
        messages.sort_by_key(|m| m.as_ref().map(|m| m.timestamp()).unwrap_or_default());
        let rig = sample.rig.clone();
        Ok(Self::new(name, Vec::new(), Box::new(messages.into_iter())).with_rig(rig))
    }

    /// A PandaSet sequence folder read through the `kestrel_sensors` adapter: per frame, the
    /// camera images (at their exposure times), the ego odometry and the motion-compensated
    /// sweep (both at the sweep time), in time order. The rig is the adapter's (all cameras
    /// with an image folder).
    pub fn open_pandaset(root: &Path) -> Result<Self, PerceptionError> {
        let name = root.display().to_string();
        let err = |e: SensorError| PerceptionError::Source {
            source_name: name.clone(),
            message: e.to_string(),
        };
        let sequence = PandasetSequence::open(root).map_err(&err)?;
        let rig = sequence.rig().clone();
        let source_name = name.clone();
        let cameras: Vec<String> = sequence
            .camera_names()
            .into_iter()
            .map(str::to_owned)
            .collect();
        let frames = sequence.frames().len();
        let messages = (0..frames).flat_map(move |i| {
            let id = &sequence.frames()[i].id;
            let fail = |what: &str, e: SensorError| {
                Err(PerceptionError::Source {
                    source_name: source_name.clone(),
                    message: format!("frame {id} {what}: {e}"),
                })
            };
            let mut out: Vec<Result<SensorMessage, PerceptionError>> = Vec::new();
            for cam in &cameras {
                out.push(match sequence.camera(i, cam) {
                    Ok(f) => Ok(SensorMessage::Camera(f)),
                    Err(e) => fail(cam, e),
                });
            }
            out.push(match sequence.odometry(i) {
                Ok(o) => Ok(SensorMessage::Odometry(o)),
                Err(e) => fail("odometry", e),
            });
            out.push(match sequence.lidar(i) {
                Ok(d) => {
                    if d.skipped > 0 {
                        tracing::warn!(
                            "PandaSet frame {id}: {} non-finite points skipped",
                            d.skipped
                        );
                    }
                    Ok(SensorMessage::Lidar(d.cloud))
                }
                Err(e) => fail("lidar", e),
            });
            // Time order within the frame (cameras expose before the sweep's stamp; the
            // odometry sample precedes the sweep of the same stamp: stable sort).
            out.sort_by_key(|m| m.as_ref().map(|m| m.timestamp()).unwrap_or_default());
            out
        });
        Ok(Self::new(name, Vec::new(), Box::new(messages)).with_rig(rig))
    }

    /// Opens whatever `path` holds: an MCAP log (`*.mcap`), a KITTI object folder, a
    /// nuScenes sample folder or a PandaSet sequence folder. Errors name the path and what
    /// was expected.
    pub fn open_path(path: &Path) -> Result<Self, PerceptionError> {
        let bad = |why: &str| {
            PerceptionError::Config(format!(
                "input {}: {why} (expected an MCAP log `*.mcap`, a KITTI object folder with \
                 velodyne/ and calib/, a nuScenes sample folder with info.json, or a PandaSet \
                 sequence folder with sequence.json and lidar/)",
                path.display()
            ))
        };
        if !path.exists() {
            return Err(bad("no such file or folder"));
        }
        if path.is_file() && path.extension().is_some_and(|e| e == "mcap") {
            return Self::open_log(path);
        }
        if path.is_dir() && kitti::is_object_root(path) {
            return Self::open_kitti(path);
        }
        if path.is_dir() && NuscenesSample::is_sample_dir(path) {
            return Self::open_nuscenes(path);
        }
        if path.is_dir() && PandasetSequence::is_sequence_dir(path) {
            return Self::open_pandaset(path);
        }
        Err(bad("not a recognised input"))
    }

    /// The source's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Checks that every name in `names` is one of the source's sensors (when the source lists
    /// them), so that a misspelt `--drop-sensor` is an error, not a silent no-op.
    pub fn check_sensor_names<'a>(
        &self,
        names: impl IntoIterator<Item = &'a String>,
    ) -> Result<(), PerceptionError> {
        if self.sensors.is_empty() {
            return Ok(());
        }
        match names.into_iter().find(|n| !self.sensors.contains(n)) {
            Some(n) => Err(PerceptionError::Config(format!(
                "sensor `{n}` is not in input {} (its sensors: {})",
                self.name,
                self.sensors.join(", ")
            ))),
            None => Ok(()),
        }
    }

    /// Sensors the source is expected to deliver.
    pub fn sensors(&self) -> &[String] {
        &self.sensors
    }
}

impl Iterator for SensorSource {
    type Item = Result<SensorMessage, PerceptionError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.messages.next()
    }
}
