//! Reading PNG/JPEG files into [`CameraFrame`]s (RGB8), for tools, tests and training.

use crate::ModelError;
use kestrel_sensors::image_file::read_image_file;
use kestrel_sensors::{CameraFrame, Timestamp};
use std::path::Path;

/// Decodes an image file into an RGB8 frame through the sensors crate's image adapter. The
/// frame's `sensor` is the file stem and its timestamp 0 (files carry no sensor clock).
pub fn load_image_file(path: &Path) -> Result<CameraFrame, ModelError> {
    let sensor = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    read_image_file(path, &sensor, Timestamp(0)).map_err(|e| ModelError::Image {
        what: path.display().to_string(),
        reason: e.to_string(),
    })
}
