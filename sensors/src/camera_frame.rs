//! Camera images.

use crate::{SensorError, Timestamp};
use std::sync::Arc;

/// How the bytes of a [`CameraFrame`] encode pixels. Rows are tightly packed (no padding).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PixelEncoding {
    /// 8-bit red, green, blue per pixel.
    Rgb8,
    /// 8-bit blue, green, red per pixel.
    Bgr8,
    /// 8-bit luminance.
    Mono8,
}

impl PixelEncoding {
    /// Bytes per pixel.
    pub const fn bytes_per_pixel(self) -> usize {
        match self {
            PixelEncoding::Rgb8 | PixelEncoding::Bgr8 => 3,
            PixelEncoding::Mono8 => 1,
        }
    }

    /// The ROS 2 `sensor_msgs/Image.encoding` string.
    pub const fn ros_name(self) -> &'static str {
        match self {
            PixelEncoding::Rgb8 => "rgb8",
            PixelEncoding::Bgr8 => "bgr8",
            PixelEncoding::Mono8 => "mono8",
        }
    }

    /// Parses a ROS 2 encoding string (`rgb8`, `bgr8`, `mono8`).
    pub fn from_ros_name(name: &str) -> Option<Self> {
        match name {
            "rgb8" => Some(PixelEncoding::Rgb8),
            "bgr8" => Some(PixelEncoding::Bgr8),
            "mono8" | "8UC1" => Some(PixelEncoding::Mono8),
            _ => None,
        }
    }
}

/// One decoded camera image.
///
/// Pixel `(u, v)` has `u` to the right and `v` down, origin at the top-left pixel's corner;
/// it is the image of the camera's optical frame (x right, y down, z forward). The pixel buffer
/// is shared (`Arc`), so cloning a frame to hand it to several stages copies no pixels.
#[derive(Debug, Clone, PartialEq)]
pub struct CameraFrame {
    /// Name of the camera in the [`crate::Rig`].
    pub sensor: String,
    /// Exposure time (mid-exposure where the source says so), sensor clock.
    pub timestamp: Timestamp,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Pixel layout of `data`.
    pub encoding: PixelEncoding,
    /// `height` rows of `width * encoding.bytes_per_pixel()` bytes.
    pub data: Arc<[u8]>,
}

impl CameraFrame {
    /// Builds a frame, checking that `data` holds exactly `width * height` pixels.
    pub fn new(
        sensor: impl Into<String>,
        timestamp: Timestamp,
        width: u32,
        height: u32,
        encoding: PixelEncoding,
        data: impl Into<Arc<[u8]>>,
    ) -> Result<Self, SensorError> {
        let data = data.into();
        let expected = width as usize * height as usize * encoding.bytes_per_pixel();
        if data.len() != expected || width == 0 || height == 0 {
            return Err(SensorError::ImageSize {
                width,
                height,
                expected,
                actual: data.len(),
            });
        }
        Ok(Self {
            sensor: sensor.into(),
            timestamp,
            width,
            height,
            encoding,
            data,
        })
    }

    /// Bytes per image row.
    pub fn row_stride(&self) -> usize {
        self.width as usize * self.encoding.bytes_per_pixel()
    }

    /// The pixel at `(u, v)` as RGB, or `None` outside the image.
    pub fn rgb_at(&self, u: u32, v: u32) -> Option<[u8; 3]> {
        if u >= self.width || v >= self.height {
            return None;
        }
        let bpp = self.encoding.bytes_per_pixel();
        let i = v as usize * self.row_stride() + u as usize * bpp;
        let p = &self.data[i..i + bpp];
        Some(match self.encoding {
            PixelEncoding::Rgb8 => [p[0], p[1], p[2]],
            PixelEncoding::Bgr8 => [p[2], p[1], p[0]],
            PixelEncoding::Mono8 => [p[0], p[0], p[0]],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_is_checked() {
        let ok = CameraFrame::new(
            "cam",
            Timestamp(1),
            2,
            2,
            PixelEncoding::Bgr8,
            vec![0u8; 12],
        );
        assert!(ok.is_ok());
        let bad = CameraFrame::new(
            "cam",
            Timestamp(1),
            2,
            2,
            PixelEncoding::Rgb8,
            vec![0u8; 11],
        );
        assert!(matches!(
            bad,
            Err(SensorError::ImageSize {
                expected: 12,
                actual: 11,
                ..
            })
        ));
    }

    #[test]
    fn bgr_reads_as_rgb() {
        let f = CameraFrame::new(
            "cam",
            Timestamp(1),
            1,
            1,
            PixelEncoding::Bgr8,
            vec![1, 2, 3],
        )
        .unwrap();
        assert_eq!(f.rgb_at(0, 0), Some([3, 2, 1]));
        assert_eq!(f.rgb_at(1, 0), None);
    }
}
