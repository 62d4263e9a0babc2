//! `--json <file>`: every published object as one JSON line, read back from the encoded wire
//! messages (so the file shows exactly what planners receive). Fields: see
//! [`ObjectRecord`]; `topic` is `tracked` or `detected`. Objects are in the frame the run
//! publishes in (the vehicle frame, or the world frame: [`crate::world_frame`]).

use crate::error::PerceptionError;
use crate::object_messages::{ObjectRecord, detected_records, tracked_records};
use crate::output::{EncodedFrame, OutputSink};
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
}

impl JsonLinesSink {
    /// Creates (truncates) `path`.
    pub fn create(path: &Path) -> Result<Self, PerceptionError> {
        let file = File::create(path).map_err(|e| PerceptionError::io(path, e))?;
        Ok(Self {
            path: path.to_owned(),
            out: BufWriter::new(file),
        })
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
        for o in tracked_records(&frame.tracked) {
            self.write_line("tracked", &o)?;
        }
        for o in detected_records(&frame.detected) {
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
