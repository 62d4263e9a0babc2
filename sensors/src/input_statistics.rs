//! Cheap per-message statistics of sensor inputs, the quantities an input-drift monitor
//! compares with the statistics of the data a model was trained or tuned on.
//!
//! Each statistic is a plain number with a fixed name ([`CAMERA_STATISTICS`],
//! [`LIDAR_STATISTICS`], [`RADAR_STATISTICS`]); the same functions compute them when a
//! reference is recorded and when the runtime watches its inputs, so the two can be compared.
//!
//! Costs are bounded: images are sampled on every [`IMAGE_SAMPLE_STEP`]th row and column
//! (sharpness on every sampled row at full horizontal resolution), point clouds on every
//! [`CLOUD_SAMPLE_STEP`]th point for the ground estimate.

use crate::{CameraFrame, PixelEncoding, PointCloud, RadarScan, SensorMessage};
use std::collections::BTreeMap;

/// Rows and columns between sampled image pixels.
pub const IMAGE_SAMPLE_STEP: usize = 4;
/// Points between sampled points for the ground-height estimate.
pub const CLOUD_SAMPLE_STEP: usize = 4;
/// Luma at or above which a pixel counts as saturated (over-exposed), 0..255.
pub const SATURATED_LUMA: u8 = 250;
/// Range beyond which a LiDAR point counts as far, metres.
pub const FAR_RANGE_M: f32 = 30.0;
/// Height above the cloud's low surface within which a point counts as ground, metres.
pub const GROUND_BAND_M: f32 = 0.3;

/// Camera statistics, in order: mean luma (0..1), luma standard deviation (contrast, 0..1),
/// sharpness (mean absolute luma difference of horizontally adjacent pixels, 0..1) and the
/// saturated fraction (luma at or above [`SATURATED_LUMA`]).
pub const CAMERA_STATISTICS: [&str; 4] = ["brightness", "contrast", "sharpness", "saturated"];
/// LiDAR statistics, in order: finite points per sweep, mean range (m), fraction of points
/// beyond [`FAR_RANGE_M`], and the ground fraction: points within [`GROUND_BAND_M`] above the
/// cloud's low surface (its 5th-percentile height, the road for a level mount; this holds in
/// the sensor and in the vehicle frame alike).
pub const LIDAR_STATISTICS: [&str; 4] = ["points", "mean_range", "far_fraction", "ground_fraction"];
/// Radar statistics, in order: detections per scan and the fraction the sensor marks valid.
pub const RADAR_STATISTICS: [&str; 2] = ["detections", "valid_fraction"];

/// Statistics of one sensor message: the sensor kind (`camera`, `lidar`, `radar`) and the value
/// of each named statistic. A statistic that is undefined for the message (e.g. the mean range
/// of an empty cloud) is left out.
#[derive(Debug, Clone, PartialEq)]
pub struct InputStatistics {
    /// `camera`, `lidar` or `radar`.
    pub kind: &'static str,
    /// Statistic name -> value.
    pub values: BTreeMap<&'static str, f64>,
}

impl InputStatistics {
    /// Statistics of `msg`; `None` for messages without any (odometry).
    pub fn of(msg: &SensorMessage) -> Option<Self> {
        match msg {
            SensorMessage::Camera(f) => Some(camera_statistics(f)),
            SensorMessage::Lidar(c) => Some(lidar_statistics(c)),
            SensorMessage::Radar(r) => Some(radar_statistics(r)),
            SensorMessage::Odometry(_) => None,
        }
    }
}

/// Rec. 601 luma of an 8-bit pixel.
fn luma(p: &[u8], encoding: PixelEncoding) -> f64 {
    let (r, g, b) = match encoding {
        PixelEncoding::Rgb8 => (p[0], p[1], p[2]),
        PixelEncoding::Bgr8 => (p[2], p[1], p[0]),
        PixelEncoding::Mono8 => (p[0], p[0], p[0]),
    };
    0.299 * f64::from(r) + 0.587 * f64::from(g) + 0.114 * f64::from(b)
}

/// Statistics of an image (see [`CAMERA_STATISTICS`]).
pub fn camera_statistics(frame: &CameraFrame) -> InputStatistics {
    let (w, h) = (frame.width as usize, frame.height as usize);
    let bpp = frame.encoding.bytes_per_pixel();
    let stride = frame.row_stride();
    let (mut n, mut sum, mut sum_sq, mut saturated) = (0usize, 0.0, 0.0, 0usize);
    let (mut diffs, mut diff_sum) = (0usize, 0.0);
    for v in (0..h).step_by(IMAGE_SAMPLE_STEP) {
        let row = &frame.data[v * stride..(v + 1) * stride];
        let mut previous: Option<f64> = None;
        for u in 0..w {
            let y = luma(&row[u * bpp..(u + 1) * bpp], frame.encoding);
            if let Some(p) = previous {
                diff_sum += (y - p).abs();
                diffs += 1;
            }
            previous = Some(y);
            if u % IMAGE_SAMPLE_STEP == 0 {
                n += 1;
                sum += y;
                sum_sq += y * y;
                saturated += usize::from(y >= f64::from(SATURATED_LUMA));
            }
        }
    }
    let mut values = BTreeMap::new();
    if n > 0 {
        let mean = sum / n as f64;
        let var = (sum_sq / n as f64 - mean * mean).max(0.0);
        values.insert("brightness", mean / 255.0);
        values.insert("contrast", var.sqrt() / 255.0);
        values.insert("saturated", saturated as f64 / n as f64);
    }
    if diffs > 0 {
        values.insert("sharpness", diff_sum / diffs as f64 / 255.0);
    }
    InputStatistics {
        kind: "camera",
        values,
    }
}

/// Statistics of a LiDAR sweep (see [`LIDAR_STATISTICS`]); non-finite points are not counted.
pub fn lidar_statistics(cloud: &PointCloud) -> InputStatistics {
    let (mut n, mut range_sum, mut far) = (0usize, 0.0f64, 0usize);
    let mut heights = Vec::with_capacity(cloud.len() / CLOUD_SAMPLE_STEP + 1);
    for (i, [x, y, z]) in cloud.iter_xyz().enumerate() {
        if !(x.is_finite() && y.is_finite() && z.is_finite()) {
            continue;
        }
        let r = (x * x + y * y + z * z).sqrt();
        n += 1;
        range_sum += f64::from(r);
        far += usize::from(r > FAR_RANGE_M);
        if i % CLOUD_SAMPLE_STEP == 0 {
            heights.push(z);
        }
    }
    let mut values = BTreeMap::from([("points", n as f64)]);
    if n > 0 {
        values.insert("mean_range", range_sum / n as f64);
        values.insert("far_fraction", far as f64 / n as f64);
    }
    if !heights.is_empty() {
        let k = heights.len() / 20;
        let (_, &mut low, _) = heights.select_nth_unstable_by(k, f32::total_cmp);
        let ground = heights
            .iter()
            .filter(|&&z| z <= low + GROUND_BAND_M)
            .count();
        values.insert("ground_fraction", ground as f64 / heights.len() as f64);
    }
    InputStatistics {
        kind: "lidar",
        values,
    }
}

/// Statistics of a radar scan (see [`RADAR_STATISTICS`]).
pub fn radar_statistics(scan: &RadarScan) -> InputStatistics {
    let n = scan.detections.len();
    let mut values = BTreeMap::from([("detections", n as f64)]);
    if n > 0 {
        values.insert("valid_fraction", scan.valid().count() as f64 / n as f64);
    }
    InputStatistics {
        kind: "radar",
        values,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Timestamp;

    fn image(w: u32, h: u32, pixel: impl Fn(u32, u32) -> u8) -> CameraFrame {
        let mut data = Vec::with_capacity((w * h) as usize);
        for v in 0..h {
            for u in 0..w {
                data.push(pixel(u, v));
            }
        }
        CameraFrame::new("cam", Timestamp(0), w, h, PixelEncoding::Mono8, data).unwrap()
    }

    #[test]
    fn flat_image_has_no_contrast_or_sharpness() {
        let s = camera_statistics(&image(64, 32, |_, _| 51));
        assert!((s.values["brightness"] - 0.2).abs() < 1e-9);
        assert!(s.values["contrast"] < 1e-6);
        assert_eq!(s.values["sharpness"], 0.0);
        assert_eq!(s.values["saturated"], 0.0);
    }

    #[test]
    fn stripes_are_sharp_and_half_saturated() {
        // Alternate columns of 0 and 255: every adjacent pair differs by 255.
        let s = camera_statistics(&image(64, 32, |u, _| if u % 2 == 0 { 0 } else { 255 }));
        assert_eq!(s.values["sharpness"], 1.0);
        // Sampled columns are multiples of 4, all black.
        assert_eq!(s.values["saturated"], 0.0);
        let s = camera_statistics(&image(64, 32, |u, _| if u % 8 < 4 { 0 } else { 255 }));
        assert!((s.values["saturated"] - 0.5).abs() < 1e-9);
        assert!((s.values["contrast"] - 0.5).abs() < 1e-9);
    }

    #[test]
    fn cloud_statistics_skip_nan_points() {
        let mut c = PointCloud::with_capacity("lidar", Timestamp(0), 8, false, false);
        for i in 0..8 {
            // Ground at z = -1.7 m (sensor frame) from 10 to 45 m, one point above it.
            let z = if i == 7 { 0.5 } else { -1.7 };
            c.push(10.0 + 5.0 * i as f32, 0.0, z, 0.0, 0, 0);
        }
        c.push(f32::NAN, 0.0, 0.0, 0.0, 0, 0);
        let s = lidar_statistics(&c);
        assert_eq!(s.values["points"], 8.0);
        // Ranges include the 1.7 m drop: the point at x = 30 m is 30.05 m away.
        assert!((s.values["far_fraction"] - 4.0 / 8.0).abs() < 1e-9);
        assert_eq!(
            s.values["ground_fraction"], 1.0,
            "sampled points 0 and 4 are ground"
        );
        let empty = PointCloud::with_capacity("lidar", Timestamp(0), 0, false, false);
        let s = lidar_statistics(&empty);
        assert_eq!(s.values.len(), 1);
        assert_eq!(s.values["points"], 0.0);
    }
}
