//! Image files (PNG, JPEG) as camera frames.

use crate::{CameraFrame, PixelEncoding, SensorError, Timestamp};
use std::path::Path;

/// Decodes a PNG or JPEG file into an [`PixelEncoding::Rgb8`] frame of camera `sensor`
/// taken at `timestamp` (image files carry no sensor clock: the caller supplies it).
/// Greyscale and RGBA images are converted to RGB.
pub fn read_image_file(
    path: &Path,
    sensor: &str,
    timestamp: Timestamp,
) -> Result<CameraFrame, SensorError> {
    let bytes = std::fs::read(path).map_err(|e| SensorError::io(path, e))?;
    decode_image(&bytes, &path.display().to_string(), sensor, timestamp)
}

/// Decodes PNG or JPEG bytes (format from the magic bytes) into an RGB8 frame; `what` names
/// the source in errors.
pub fn decode_image(
    bytes: &[u8],
    what: &str,
    sensor: &str,
    timestamp: Timestamp,
) -> Result<CameraFrame, SensorError> {
    let img = image::load_from_memory(bytes)
        .map_err(|e| SensorError::malformed(what, 0, format!("image decoding failed: {e}")))?;
    let rgb = img.to_rgb8();
    let (w, h) = rgb.dimensions();
    CameraFrame::new(sensor, timestamp, w, h, PixelEncoding::Rgb8, rgb.into_raw())
}

/// Width and height in pixels of a PNG or JPEG file, read from its header only.
pub fn image_dimensions(path: &Path) -> Result<(u32, u32), SensorError> {
    image::image_dimensions(path).map_err(|e| match e {
        image::ImageError::IoError(io) => SensorError::io(path, io),
        other => SensorError::malformed(path.display().to_string(), 0, other.to_string()),
    })
}
