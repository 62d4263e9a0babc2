//! Decoding NanoDet/GFL-style dense outputs (per-stride class-score maps and
//! box-distribution logits) into [`Detection2d`]s in image pixels.

use crate::Detection2d;
use crate::manifest::{GflDecoderSpec, ScoreActivation};
use crate::nms::nms;
use crate::preprocess::InputTransform;
use ndarray::ArrayView2;

/// The two maps of one feature level: scores `[cells, classes]` and box logits
/// `[cells, 4 * (reg_max + 1)]`, cells in row-major order of the level's grid.
#[derive(Debug, Clone, Copy)]
pub struct LevelMaps<'a> {
    /// Stride of the level in model-input pixels.
    pub stride: usize,
    /// Class scores (probabilities or logits, as the manifest says).
    pub scores: ArrayView2<'a, f32>,
    /// Box-distribution logits: left, top, right, bottom, `reg_max + 1` bins each.
    pub boxes: ArrayView2<'a, f32>,
}

/// Expected distance (in bins) of each side from softmax-normalised distribution logits
/// (`4 * (reg_max + 1)` values: left, top, right, bottom).
pub fn expected_distances(logits: &[f32], reg_max: usize) -> [f32; 4] {
    let bins = reg_max + 1;
    let mut out = [0.0f32; 4];
    for (side, d) in out.iter_mut().enumerate() {
        let l = &logits[side * bins..(side + 1) * bins];
        let m = l.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let (mut z, mut e) = (0.0f32, 0.0f32);
        for (i, v) in l.iter().enumerate() {
            let p = (v - m).exp();
            z += p;
            e += p * i as f32;
        }
        *d = e / z;
    }
    out
}

/// Decodes GFL outputs per a manifest's decoder section.
#[derive(Debug, Clone)]
pub struct GflDecoder {
    spec: GflDecoderSpec,
    /// Threshold per class index; `None` for classes that are not reported.
    thresholds: Vec<Option<f32>>,
    /// Model input width in pixels (gives each level's grid width).
    input_width: usize,
}

impl GflDecoder {
    /// Builds the decoder from a validated manifest section and the model input width
    /// (pixels).
    pub fn new(spec: &GflDecoderSpec, input_width: usize) -> Self {
        let thresholds = spec
            .classes
            .iter()
            .map(|name| {
                let reported = spec.report_classes.is_empty() || spec.report_classes.contains(name);
                reported.then(|| {
                    spec.class_thresholds
                        .get(name)
                        .copied()
                        .unwrap_or(spec.score_threshold)
                })
            })
            .collect();
        Self {
            spec: spec.clone(),
            thresholds,
            input_width,
        }
    }

    /// The decoder section this was built from.
    pub fn spec(&self) -> &GflDecoderSpec {
        &self.spec
    }

    /// All boxes above their class threshold, before NMS, in model-input pixels.
    /// Cells whose maps contain a non-finite value are skipped and counted in the second
    /// return value.
    pub fn candidates(&self, levels: &[LevelMaps<'_>]) -> (Vec<Detection2d>, usize) {
        let mut out = Vec::new();
        let mut skipped = 0;
        for level in levels {
            let cols = self.input_width.div_ceil(level.stride);
            for (cell, scores) in level.scores.rows().into_iter().enumerate() {
                let mut hits = Vec::new();
                for (class, raw) in scores.iter().enumerate() {
                    let Some(thr) = self.thresholds.get(class).copied().flatten() else {
                        continue;
                    };
                    let s = match self.spec.score_activation {
                        ScoreActivation::None => *raw,
                        ScoreActivation::Sigmoid => 1.0 / (1.0 + (-raw).exp()),
                    };
                    if s >= thr {
                        hits.push((class, s));
                    }
                }
                if hits.is_empty() {
                    continue;
                }
                let logits: Vec<f32> = level.boxes.row(cell).iter().copied().collect();
                if logits.iter().chain(scores.iter()).any(|v| !v.is_finite()) {
                    skipped += 1;
                    continue;
                }
                let d = expected_distances(&logits, self.spec.reg_max);
                let s = level.stride as f32;
                let (cx, cy) = (
                    ((cell % cols) as f32 + 0.5) * s,
                    ((cell / cols) as f32 + 0.5) * s,
                );
                let bbox = [cx - d[0] * s, cy - d[1] * s, cx + d[2] * s, cy + d[3] * s];
                for (class, score) in hits {
                    out.push(Detection2d {
                        bbox,
                        score,
                        class_id: class as u32,
                        label: self.spec.classes[class].clone(),
                    });
                }
            }
        }
        (out, skipped)
    }

    /// Full decoding: candidates, class-aware NMS, mapping to image pixels (clipped), boxes
    /// that end up empty after clipping dropped. Returns detections (descending score) and
    /// the number of cells skipped for non-finite values.
    pub fn decode(
        &self,
        levels: &[LevelMaps<'_>],
        transform: &InputTransform,
    ) -> (Vec<Detection2d>, usize) {
        let (cands, skipped) = self.candidates(levels);
        let kept = nms(cands, self.spec.nms_iou, self.spec.max_detections);
        let dets = kept
            .into_iter()
            .map(|mut d| {
                d.bbox = transform.to_image(d.bbox);
                d
            })
            .filter(|d| d.area() > 0.0)
            .collect();
        (dets, skipped)
    }
}
