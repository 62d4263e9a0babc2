//! Camera frames of recorded logs as training images: the mining logs the runtime writes
//! (`kestrel replay|run --mine`, frames its monitors flagged) or any Kestrel MCAP log.

use crate::DistillError;
use kestrel_log::SensorLogReader;
use kestrel_sensors::{CameraFrame, SensorMessage};
use std::path::PathBuf;

/// Every camera frame of the logs `paths`, log by log in log order.
pub fn camera_frames_of_logs(paths: &[PathBuf]) -> Result<Vec<CameraFrame>, DistillError> {
    let mut out = Vec::new();
    for path in paths {
        let data = |e: kestrel_log::LogError| DistillError::Data {
            path: path.clone(),
            reason: e.to_string(),
        };
        for entry in SensorLogReader::open(path, None).map_err(data)? {
            if let SensorMessage::Camera(frame) = entry.map_err(data)?.message {
                out.push(frame);
            }
        }
    }
    Ok(out)
}
