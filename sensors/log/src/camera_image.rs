//! `sensor_msgs/Image` and `sensor_msgs/CompressedImage` <-> Kestrel [`CameraFrame`].
//!
//! Compressed images are PNG (lossless: decodes pixel for pixel) or JPEG (lossy), encoded and
//! decoded with the `image` crate; rgb8 and bgr8 frames are stored as RGB, mono8 as grey.

use crate::ros2_msg::sensor_msgs::{CompressedImage, Image};
use crate::ros2_msg::std_msgs::Header;
use kestrel_sensors::{CameraFrame, PixelEncoding, SensorError};

/// A camera frame as an uncompressed `sensor_msgs/Image` (`frame_id` = sensor name, rows
/// tightly packed, encoding `rgb8` / `bgr8` / `mono8`).
pub fn frame_to_image(frame: &CameraFrame) -> Image {
    Image {
        header: Header::new(frame.timestamp, &frame.sensor),
        height: frame.height,
        width: frame.width,
        encoding: frame.encoding.ros_name().to_owned(),
        is_bigendian: 0,
        step: frame.row_stride() as u32,
        data: frame.data.to_vec(),
    }
}

/// An uncompressed image as a frame of `sensor` (rgb8 / bgr8 / mono8; row padding beyond
/// `width * bytes_per_pixel` is dropped).
pub fn image_to_frame(msg: &Image, sensor: &str) -> Result<CameraFrame, SensorError> {
    let encoding =
        PixelEncoding::from_ros_name(&msg.encoding).ok_or_else(|| SensorError::Unsupported {
            what: "sensor_msgs/Image".into(),
            reason: format!("pixel encoding `{}`", msg.encoding),
        })?;
    let row = msg.width as usize * encoding.bytes_per_pixel();
    let step = msg.step as usize;
    let rows = msg.height as usize;
    if step < row {
        return Err(SensorError::malformed(
            "sensor_msgs/Image",
            0,
            format!("step {step} < width * bytes per pixel {row}"),
        ));
    }
    let needed = step.saturating_mul(rows);
    if msg.data.len() < needed {
        return Err(SensorError::Truncated {
            what: "sensor_msgs/Image".into(),
            offset: msg.data.len(),
            needed: needed - msg.data.len(),
        });
    }
    let data: Vec<u8> = if step == row {
        msg.data[..needed].to_vec()
    } else {
        msg.data
            .chunks(step)
            .take(rows)
            .flat_map(|r| &r[..row])
            .copied()
            .collect()
    };
    let stamp = msg.header.stamp.to_timestamp();
    CameraFrame::new(sensor, stamp, msg.width, msg.height, encoding, data)
}

/// A JPEG or PNG `CompressedImage` as a frame of `sensor`: grey images decode to mono8,
/// everything else to rgb8.
pub fn compressed_to_frame(
    msg: &CompressedImage,
    sensor: &str,
) -> Result<CameraFrame, SensorError> {
    let img = image::load_from_memory(&msg.data).map_err(|e| SensorError::Malformed {
        what: format!("sensor_msgs/CompressedImage ({})", msg.format),
        offset: 0,
        reason: e.to_string(),
    })?;
    let (w, h) = (img.width(), img.height());
    let stamp = msg.header.stamp.to_timestamp();
    match img {
        image::DynamicImage::ImageLuma8(g) => {
            CameraFrame::new(sensor, stamp, w, h, PixelEncoding::Mono8, g.into_raw())
        }
        other => CameraFrame::new(
            sensor,
            stamp,
            w,
            h,
            PixelEncoding::Rgb8,
            other.to_rgb8().into_raw(),
        ),
    }
}

/// How camera frames are written to a log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ImageFormat {
    /// Uncompressed `sensor_msgs/Image` (bit exact, largest).
    #[default]
    Raw,
    /// `sensor_msgs/CompressedImage`, format `png` (lossless).
    Png,
    /// `sensor_msgs/CompressedImage`, format `jpeg` (lossy).
    Jpeg {
        /// JPEG quality, 1 (smallest) to 100 (best); values outside are clamped.
        quality: u8,
    },
}

/// The topic of a camera's compressed images, as image_transport names it:
/// `/kestrel/cam/image` -> `/kestrel/cam/image/compressed`.
pub fn compressed_topic(image_topic: &str) -> String {
    format!("{image_topic}/compressed")
}

/// JPEG quality used when none is given.
pub const DEFAULT_JPEG_QUALITY: u8 = 90;

/// A camera frame as a PNG or JPEG `CompressedImage` (`frame_id` = sensor name, `format`
/// `png` / `jpeg`); `None` for [`ImageFormat::Raw`]. bgr8 frames are stored as RGB.
pub fn frame_to_compressed(
    frame: &CameraFrame,
    format: ImageFormat,
) -> Result<Option<CompressedImage>, SensorError> {
    use image::{ExtendedColorType, ImageEncoder};
    let (color, pixels) = match frame.encoding {
        PixelEncoding::Rgb8 => (ExtendedColorType::Rgb8, frame.data.to_vec()),
        PixelEncoding::Bgr8 => {
            let mut rgb = frame.data.to_vec();
            rgb.chunks_exact_mut(3).for_each(|p| p.swap(0, 2));
            (ExtendedColorType::Rgb8, rgb)
        }
        PixelEncoding::Mono8 => (ExtendedColorType::L8, frame.data.to_vec()),
    };
    let mut data = Vec::new();
    let (name, encoded) = match format {
        ImageFormat::Raw => return Ok(None),
        ImageFormat::Png => (
            "png",
            image::codecs::png::PngEncoder::new(&mut data).write_image(
                &pixels,
                frame.width,
                frame.height,
                color,
            ),
        ),
        ImageFormat::Jpeg { quality } => (
            "jpeg",
            image::codecs::jpeg::JpegEncoder::new_with_quality(&mut data, quality.clamp(1, 100))
                .write_image(&pixels, frame.width, frame.height, color),
        ),
    };
    encoded.map_err(|e| SensorError::Malformed {
        what: format!(
            "{} frame at {} ns as {name}",
            frame.sensor,
            frame.timestamp.as_nanos()
        ),
        offset: 0,
        reason: e.to_string(),
    })?;
    Ok(Some(CompressedImage {
        header: Header::new(frame.timestamp, &frame.sensor),
        format: name.to_owned(),
        data,
    }))
}
