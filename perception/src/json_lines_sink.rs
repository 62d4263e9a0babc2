//! `--json <file>`: every published object as one JSON line, read back from the encoded wire
//! messages (so the file shows exactly what planners receive). Fields: see
//! [`ObjectRecord`]; `topic` is `tracked` or `detected`. Objects are in the vehicle frame, or
//! in the input's fixed frame with [`JsonLinesSink::in_world`] (`--frame world`).

use crate::error::PerceptionError;
use crate::object_messages::{ObjectRecord, detected_records, tracked_records};
use crate::output::{EncodedFrame, OutputSink};
use crate::world_frame::{WorldPoses, to_world};
use kestrel_sensors::Timestamp;
use serde::Serialize;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// One JSON line.
#[derive(Serialize)]
struct Line<'a> {
    topic: &'static str,
    #[serde(flatten)]
    object: &'a ObjectRecord,
}

/// Writes objects as JSON lines.
pub struct JsonLinesSink {
    path: PathBuf,
    out: BufWriter<File>,
    world: Option<WorldPoses>,
}

/// Largest gap between a frame and the odometry pose that places it in the world, ns.
const POSE_TOLERANCE_NS: u64 = 50_000_000;

impl JsonLinesSink {
    /// Creates (truncates) `path`.
    pub fn create(path: &Path) -> Result<Self, PerceptionError> {
        let file = File::create(path).map_err(|e| PerceptionError::io(path, e))?;
        Ok(Self {
            path: path.to_owned(),
            out: BufWriter::new(file),
            world: None,
        })
    }

    /// Writes objects in the fixed frame of `poses` (each frame placed by the pose at its
    /// stamp, within 50 ms) instead of the vehicle frame; a frame without a pose is an error.
    pub fn in_world(mut self, poses: WorldPoses) -> Self {
        self.world = Some(poses);
        self
    }

    fn frame_records(
        &self,
        records: Vec<ObjectRecord>,
    ) -> Result<Vec<ObjectRecord>, PerceptionError> {
        let Some(poses) = &self.world else {
            return Ok(records);
        };
        records
            .iter()
            .map(|r| {
                let pose = poses.pose_at(Timestamp(r.stamp_ns), POSE_TOLERANCE_NS)?;
                Ok(to_world(r, &pose))
            })
            .collect()
    }

    fn write_line(
        &mut self,
        topic: &'static str,
        object: &ObjectRecord,
    ) -> Result<(), PerceptionError> {
        serde_json::to_writer(&mut self.out, &Line { topic, object })
            .map_err(|e| PerceptionError::io(&self.path, e.into()))?;
        self.out
            .write_all(b"\n")
            .map_err(|e| PerceptionError::io(&self.path, e))
    }
}

impl OutputSink for JsonLinesSink {
    fn on_frame(&mut self, frame: &EncodedFrame) -> Result<(), PerceptionError> {
        for o in self.frame_records(tracked_records(&frame.tracked))? {
            self.write_line("tracked", &o)?;
        }
        for o in self.frame_records(detected_records(&frame.detected))? {
            self.write_line("detected", &o)?;
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<(), PerceptionError> {
        self.out
            .flush()
            .map_err(|e| PerceptionError::io(&self.path, e))
    }
}
