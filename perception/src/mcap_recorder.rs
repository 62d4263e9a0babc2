//! `--record out.mcap`: inputs and outputs in one MCAP log (rosbag2 layout, via `kestrel_log`):
//! every sensor message the runtime accepted on its rig topic (else Kestrel's default), and every output message
//! on its ROS topic, so the recording replays through Kestrel and opens in Foxglove.

use crate::error::PerceptionError;
use crate::output::{EncodedFrame, OutputSink};
use kestrel_log::LogWriter;
use kestrel_log::mcap_writer::{CameraFilter, topic_for};
use kestrel_sensors::{Rig, SensorMessage};
use std::path::{Path, PathBuf};

/// Records inputs and outputs to an MCAP file.
pub struct McapRecorder {
    path: PathBuf,
    writer: Option<LogWriter>,
    rig: Option<Rig>,
    tracked_topic: String,
    detected_topic: String,
}

impl McapRecorder {
    /// Creates `path`, storing `rig` (so the recording replays through the fusion stage);
    /// outputs go on `tracked_topic` and `detected_topic`.
    pub fn create(
        path: &Path,
        rig: Option<&Rig>,
        tracked_topic: &str,
        detected_topic: &str,
    ) -> Result<Self, PerceptionError> {
        let writer = LogWriter::create(path, rig).map_err(|e| err(path, e))?;
        Ok(Self {
            path: path.to_owned(),
            writer: Some(writer),
            rig: rig.cloned(),
            tracked_topic: tracked_topic.to_owned(),
            detected_topic: detected_topic.to_owned(),
        })
    }

    /// Passes every recorded camera frame through `filter` first (e.g. the anonymiser).
    pub fn with_camera_filter(mut self, filter: Box<dyn CameraFilter>) -> Self {
        self.writer = self.writer.take().map(|w| w.with_camera_filter(filter));
        self
    }

    fn writer(&mut self) -> Result<&mut LogWriter, PerceptionError> {
        self.writer.as_mut().ok_or_else(|| PerceptionError::Source {
            source_name: self.path.display().to_string(),
            message: "recording already finished".into(),
        })
    }
}

fn err(path: &Path, e: impl std::fmt::Display) -> PerceptionError {
    PerceptionError::Source {
        source_name: path.display().to_string(),
        message: format!("recording: {e}"),
    }
}

impl OutputSink for McapRecorder {
    fn on_input(&mut self, msg: &SensorMessage) -> Result<(), PerceptionError> {
        let (path, topic) = (self.path.clone(), topic_for(self.rig.as_ref(), msg));
        self.writer()?
            .write_sensor(&topic, msg)
            .map_err(|e| err(&path, e))
    }

    fn on_frame(&mut self, frame: &EncodedFrame) -> Result<(), PerceptionError> {
        let (path, tracked, detected) = (
            self.path.clone(),
            self.tracked_topic.clone(),
            self.detected_topic.clone(),
        );
        let w = self.writer()?;
        w.write(&tracked, frame.stamp, &frame.tracked)
            .map_err(|e| err(&path, e))?;
        w.write(&detected, frame.stamp, &frame.detected)
            .map_err(|e| err(&path, e))
    }

    fn finish(&mut self) -> Result<(), PerceptionError> {
        match self.writer.take() {
            Some(w) => w.finish().map(|_| ()).map_err(|e| err(&self.path, e)),
            None => Ok(()),
        }
    }
}
