//! The output of a 2D detector, in the coordinates of the image it was given.

use serde::{Deserialize, Serialize};

/// One 2D detection decoded from a model's outputs (after score threshold and NMS).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Detection2d {
    /// Box `[x1, y1, x2, y2]` in pixels of the **original** image (not the model input),
    /// x to the right, y down, `x1 <= x2`, `y1 <= y2`.
    pub bbox: [f32; 4],
    /// Confidence in 0..1.
    pub score: f32,
    /// Index into the model manifest's class list.
    pub class_id: u32,
    /// Class name from the manifest (COCO names for the shipped models: `car`, `person`, ...).
    pub label: String,
}

impl Detection2d {
    /// Box area in square pixels.
    pub fn area(&self) -> f32 {
        (self.bbox[2] - self.bbox[0]).max(0.0) * (self.bbox[3] - self.bbox[1]).max(0.0)
    }

    /// Intersection over union with another box.
    pub fn iou(&self, other: &Detection2d) -> f32 {
        box_iou(&self.bbox, &other.bbox)
    }
}

/// Intersection over union of two boxes `[x1, y1, x2, y2]` (same units); 0 for empty boxes.
pub fn box_iou(a: &[f32; 4], b: &[f32; 4]) -> f32 {
    let area = |r: &[f32; 4]| (r[2] - r[0]).max(0.0) * (r[3] - r[1]).max(0.0);
    let ix = (a[2].min(b[2]) - a[0].max(b[0])).max(0.0);
    let iy = (a[3].min(b[3]) - a[1].max(b[1])).max(0.0);
    let inter = ix * iy;
    let union = area(a) + area(b) - inter;
    if union > 0.0 { inter / union } else { 0.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn det(b: [f32; 4]) -> Detection2d {
        Detection2d {
            bbox: b,
            score: 1.0,
            class_id: 0,
            label: "car".into(),
        }
    }

    #[test]
    fn iou_of_half_overlap() {
        let a = det([0.0, 0.0, 2.0, 1.0]);
        let b = det([1.0, 0.0, 3.0, 1.0]);
        assert!((a.iou(&b) - 1.0 / 3.0).abs() < 1e-6);
        assert_eq!(a.iou(&det([5.0, 5.0, 6.0, 6.0])), 0.0);
        assert_eq!(box_iou(&[0.0; 4], &[0.0; 4]), 0.0);
    }
}
