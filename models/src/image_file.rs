//! Reading PNG/JPEG files into [`CameraFrame`]s (RGB8), for tools, tests and training.

use crate::ModelError;
use kestrel_sensors::{CameraFrame, PixelEncoding, Timestamp};
use std::path::Path;

/// Decodes an image file into an RGB8 frame. The frame's `sensor` is the file stem and its
/// timestamp 0 (files carry no sensor clock).
pub fn load_image_file(path: &Path) -> Result<CameraFrame, ModelError> {
    let what = path.display().to_string();
    let img = image::open(path)
        .map_err(|e| ModelError::Image {
            what: what.clone(),
            reason: e.to_string(),
        })?
        .into_rgb8();
    let (w, h) = img.dimensions();
    let sensor = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    CameraFrame::new(
        sensor,
        Timestamp(0),
        w,
        h,
        PixelEncoding::Rgb8,
        img.into_raw(),
    )
    .map_err(|e| ModelError::Image {
        what,
        reason: e.to_string(),
    })
}
