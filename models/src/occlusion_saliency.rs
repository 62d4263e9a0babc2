//! Where a detector looked: occlusion sensitivity (Zeiler and Fergus, "Visualizing and
//! Understanding Convolutional Networks", 2014) of each of its detections, computed with the
//! same tract model that runs on the vehicle.
//!
//! A square patch of the model input is replaced by the image's mean colour, the network is
//! run again, and each detection's score drop is credited to the patch's pixels. Patches slide
//! over the image content with half-patch steps; a pixel's saliency is the mean drop over the
//! patches that covered it. A detection's score under occlusion is that of the best detection
//! of its class overlapping it with IoU >= 0.5, decoded down to `floor_score` (zero if there is
//! none), and its drop is measured from the same matching on the unoccluded input. The
//! occlusion happens in the model's input tensor, after resizing and normalisation, so the
//! map is exactly "which input pixels this score depends on", at the model's resolution.

use crate::detection::box_iou;
use crate::preprocess::{InputTransform, prepare};
use crate::{Detection2d, Detector, ModelError, PixelView};
use ndarray::{Array4, s};

/// How the occluding patch slides.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OcclusionConfig {
    /// Patch side in model-input pixels; `None` = 2/17 of the longer side of the image content
    /// in the model input (sixteen half-patch steps across it), at most a quarter of the
    /// shorter side, at least 8 pixels.
    pub patch: Option<usize>,
    /// Detections of the occluded input are decoded down to this score, so that a weakened
    /// detection still counts with its lowered score instead of vanishing at the operating
    /// threshold.
    pub floor_score: f32,
}

impl Default for OcclusionConfig {
    fn default() -> Self {
        Self {
            patch: None,
            floor_score: 0.05,
        }
    }
}

/// Saliency of one detection over the image content, at model-input resolution.
#[derive(Debug, Clone, PartialEq)]
pub struct SaliencyMap {
    /// Columns (model-input pixels covered by the image content).
    pub width: usize,
    /// Rows.
    pub height: usize,
    /// Row-major score drops (can be negative where hiding a patch raised the score).
    pub values: Vec<f32>,
    /// How image pixels map onto the model input.
    pub transform: InputTransform,
}

impl SaliencyMap {
    /// Saliency at image pixel `(x, y)` (nearest model-input pixel; 0 outside the content).
    pub fn at_image(&self, x: f32, y: f32) -> f32 {
        let (u, v) = (x * self.transform.scale_x, y * self.transform.scale_y);
        if u < 0.0 || v < 0.0 {
            return 0.0;
        }
        let (u, v) = (u as usize, v as usize);
        if u >= self.width || v >= self.height {
            return 0.0;
        }
        self.values[v * self.width + u]
    }

    /// Largest value.
    pub fn max(&self) -> f32 {
        self.values.iter().copied().fold(0.0, f32::max)
    }

    /// Image pixel (centre of the model-input pixel) of the largest value.
    pub fn peak_image(&self) -> (f32, f32) {
        let i = (0..self.values.len())
            .max_by(|&a, &b| self.values[a].total_cmp(&self.values[b]))
            .unwrap_or(0);
        let (u, v) = (
            (i % self.width.max(1)) as f32,
            (i / self.width.max(1)) as f32,
        );
        (
            (u + 0.5) / self.transform.scale_x,
            (v + 0.5) / self.transform.scale_y,
        )
    }

    /// Share of the positive saliency that lies inside `bbox` (image pixels `[x1, y1, x2,
    /// y2]`); 0 when there is none.
    pub fn share_inside(&self, bbox: [f32; 4]) -> f32 {
        let (mut inside, mut total) = (0.0f64, 0.0f64);
        for v in 0..self.height {
            for u in 0..self.width {
                let s = self.values[v * self.width + u].max(0.0) as f64;
                let (x, y) = (
                    (u as f32 + 0.5) / self.transform.scale_x,
                    (v as f32 + 0.5) / self.transform.scale_y,
                );
                total += s;
                if x >= bbox[0] && x <= bbox[2] && y >= bbox[1] && y <= bbox[3] {
                    inside += s;
                }
            }
        }
        if total > 0.0 {
            (inside / total) as f32
        } else {
            0.0
        }
    }
}

/// One detection and where the model looked for it.
#[derive(Debug, Clone, PartialEq)]
pub struct Explanation {
    /// The detection at the model's operating point, on the unoccluded image.
    pub detection: Detection2d,
    /// Its occlusion saliency.
    pub saliency: SaliencyMap,
}

/// The result of explaining one image.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageExplanation {
    /// One entry per detection of the unoccluded image, in the detector's order.
    pub explanations: Vec<Explanation>,
    /// Patch side used, model-input pixels.
    pub patch: usize,
    /// Network runs made (one per patch position, plus the unoccluded input).
    pub runs: usize,
}

/// Occlusion saliency of every detection `detector` makes on `image`.
///
/// Deterministic: the same image and model give the same maps. Cost: one network run per
/// patch position (about `(2 W / patch) x (2 H / patch)` runs).
pub fn explain_detections(
    detector: &Detector,
    image: &PixelView<'_>,
    config: &OcclusionConfig,
) -> Result<ImageExplanation, ModelError> {
    let spec = &detector.manifest().input;
    let (input, transform) = prepare(spec, image);
    let outputs = detector.run_raw(input.clone())?;
    let detections = detector.decode(&outputs, &transform)?;
    let low = detector.with_score_threshold(config.floor_score)?;
    // Each detection's score as the low-threshold decoding of the same outputs sees it (its
    // own score, unless the longer candidate list makes non-maximum suppression keep another
    // box): the baseline its drops are measured from.
    let unoccluded = low.decode(&outputs, &transform)?;
    let baselines: Vec<f32> = detections
        .iter()
        .map(|d| matched_score(&unoccluded, d))
        .collect();
    let (_, (cw, ch)) = InputTransform::for_image(spec, image.width(), image.height());
    let patch = config
        .patch
        .unwrap_or((cw.max(ch) * 2 / 17).min(cw.min(ch) / 4))
        .clamp(8, cw.min(ch).max(8));
    let stride = (patch / 2).max(1);
    let fill = content_mean(&input, cw, ch);

    let mut sums = vec![vec![0.0f64; cw * ch]; detections.len()];
    let mut counts = vec![0u32; cw * ch];
    let mut runs = 1;
    for y0 in positions(ch, patch, stride) {
        for x0 in positions(cw, patch, stride) {
            let (x1, y1) = ((x0 + patch).min(cw), (y0 + patch).min(ch));
            let mut occluded = input.clone();
            for (c, &value) in fill.iter().enumerate() {
                occluded.slice_mut(s![0, c, y0..y1, x0..x1]).fill(value);
            }
            let found = low.decode(&low.run_raw(occluded)?, &transform)?;
            runs += 1;
            for ((d, sum), baseline) in detections.iter().zip(&mut sums).zip(&baselines) {
                let drop = (baseline - matched_score(&found, d)) as f64;
                for v in y0..y1 {
                    for cell in &mut sum[v * cw + x0..v * cw + x1] {
                        *cell += drop;
                    }
                }
            }
            for v in y0..y1 {
                for count in &mut counts[v * cw + x0..v * cw + x1] {
                    *count += 1;
                }
            }
        }
    }
    let explanations = detections
        .into_iter()
        .zip(sums)
        .map(|(detection, sum)| Explanation {
            detection,
            saliency: SaliencyMap {
                width: cw,
                height: ch,
                values: sum
                    .iter()
                    .zip(&counts)
                    .map(|(&s, &n)| if n > 0 { (s / n as f64) as f32 } else { 0.0 })
                    .collect(),
                transform,
            },
        })
        .collect();
    Ok(ImageExplanation {
        explanations,
        patch,
        runs,
    })
}

/// Score of the best detection in `found` of `d`'s class overlapping it with IoU >= 0.5
/// (0 if none).
fn matched_score(found: &[Detection2d], d: &Detection2d) -> f32 {
    found
        .iter()
        .filter(|f| f.class_id == d.class_id && box_iou(&f.bbox, &d.bbox) >= 0.5)
        .map(|f| f.score)
        .fold(0.0, f32::max)
}

/// Patch origins along one axis of `len` pixels: every `stride`, the last one flush with the
/// end so the whole axis is covered.
fn positions(len: usize, patch: usize, stride: usize) -> Vec<usize> {
    if len <= patch {
        return vec![0];
    }
    let mut p: Vec<usize> = (0..=len - patch).step_by(stride).collect();
    if p.last() != Some(&(len - patch)) {
        p.push(len - patch);
    }
    p
}

/// Per-channel mean of the model input over the image content (the occluder's colour).
fn content_mean(input: &Array4<f32>, cw: usize, ch: usize) -> [f32; 3] {
    std::array::from_fn(|c| {
        let view = input.slice(s![0, c, 0..ch, 0..cw]);
        (view.iter().map(|&v| v as f64).sum::<f64>() / (cw * ch).max(1) as f64) as f32
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_cover_the_axis_with_half_patch_steps() {
        assert_eq!(positions(100, 40, 20), vec![0, 20, 40, 60]);
        assert_eq!(positions(105, 40, 20), vec![0, 20, 40, 60, 65]);
        assert_eq!(positions(30, 40, 20), vec![0]);
    }

    #[test]
    fn map_queries_use_image_pixels() {
        let transform = InputTransform {
            scale_x: 0.5,
            scale_y: 0.5,
            image_width: 8.0,
            image_height: 4.0,
        };
        // 4x2 input pixels; all saliency in input pixel (3, 1) = image pixels 6..8 x 2..4.
        let mut values = vec![0.0; 8];
        values[7] = 0.4;
        values[0] = -0.2;
        let map = SaliencyMap {
            width: 4,
            height: 2,
            values,
            transform,
        };
        assert_eq!(map.at_image(7.0, 3.0), 0.4);
        assert_eq!(map.at_image(9.0, 3.0), 0.0);
        assert_eq!(map.max(), 0.4);
        assert_eq!(map.peak_image(), (7.0, 3.0));
        assert_eq!(map.share_inside([6.0, 2.0, 8.0, 4.0]), 1.0);
        assert_eq!(map.share_inside([0.0, 0.0, 4.0, 2.0]), 0.0);
    }
}
