//! Where sensor messages come from: a recorded log, a dataset folder read through the sensor
//! adapters, the simulator or a live adapter — each wrapped as a [`SensorSource`], an iterator
//! of messages in that source's own time order plus the sensors it is expected to deliver.

use crate::error::PerceptionError;
use kestrel_log::sensor_reader::SensorLogReader;
use kestrel_sensors::{Rig, SensorMessage};
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

    /// Opens whatever `path` holds: an MCAP log (`*.mcap`). Errors name the path and what
    /// was expected.
    pub fn open_path(path: &Path) -> Result<Self, PerceptionError> {
        let bad = |why: &str| {
            PerceptionError::Config(format!(
                "input {}: {why} (expected an MCAP log `*.mcap`)",
                path.display()
            ))
        };
        if !path.exists() {
            return Err(bad("no such file or folder"));
        }
        if path.is_file() && path.extension().is_some_and(|e| e == "mcap") {
            return Self::open_log(path);
        }
        Err(bad("not a recognised input"))
    }

    /// The source's name.
    pub fn name(&self) -> &str {
        &self.name
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
