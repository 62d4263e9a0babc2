//! A stronger offline teacher from any single detector: test-time augmentation (the whole
//! frame, tiles at twice the resolution, and their mirror images) merged by weighted box
//! fusion. It labels the training images once; it never runs on the vehicle.
//!
//! Passes: the whole image letterboxed onto the detector's input; a grid of tiles overlapping
//! by half (each a fraction `f` of the image's width and height, `f` = the smaller of
//! [`EnsembleSettings::tile_fraction`] and [`EnsembleSettings::max_tile_px`] / image width, so
//! a 1920-pixel camera is cut finer than a 960-pixel one and small, distant objects reach the
//! detector at a usable size); and each of those mirrored left-right when
//! [`EnsembleSettings::flip`] is set. A tile's
//! detections that touch one of its inner borders (not the image's) are dropped: the object
//! continues in a neighbouring tile, which overlaps enough to see it whole.
//!
//! Merging (weighted box fusion, Solovyev et al. 2021), per class: detections in descending
//! score join the first cluster whose fused box overlaps them by at least
//! [`EnsembleSettings::fusion_iou`], else start one. A cluster's box is the score-weighted mean
//! of its members' boxes; its score is the sum of the members' scores (one per pass at most,
//! the best) divided by the number of passes *eligible* to see the object: those whose region
//! contains the box centre and in which the box is at least [`EnsembleSettings::min_pass_px`]
//! tall at that pass's scale. So a small distant person found by the tiles that could see it
//! is not penalised for the whole-frame pass that could not, while a box found by one pass of
//! four that saw it clearly is. This score is what the pseudo-label threshold and the average
//! precision of the merged teacher are computed on.
//!
//! The detector is any manifest-described model ([`Detector`]); run it with a low score
//! threshold ([`Detector::with_score_threshold`]) so weak votes reach the fusion.

use crate::DistillError;
use crate::augment::{ViewParams, render_view};
use kestrel_models::detection::box_iou;
use kestrel_models::image_resample::PixelView;
use kestrel_models::preprocess::{InputTransform, input_from_rgb};
use kestrel_models::{Detection2d, Detector, Region};
use kestrel_sensors::CameraFrame;

/// How the ensemble looks at an image.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EnsembleSettings {
    /// Use tiles at all.
    pub tiles: bool,
    /// Largest tile size as a fraction of the image's width and height.
    pub tile_fraction: f32,
    /// Largest tile width, pixels (smaller tiles for wider images).
    pub max_tile_px: f32,
    /// Also run every pass mirrored left-right.
    pub flip: bool,
    /// Clusters merge boxes overlapping at least this much.
    pub fusion_iou: f32,
    /// A pass is eligible for an object only if the object is at least this tall, in the
    /// detector's input pixels at that pass's scale.
    pub min_pass_px: f32,
    /// Merged detections scoring below this are dropped.
    pub min_score: f32,
}

impl Default for EnsembleSettings {
    /// Tiles of at most half the image and at most 640 px wide (3x3 tiles on a 960- or
    /// 1280-pixel camera, 5x5 on a 1920-pixel one), flips, fusion at IoU 0.55, objects 12 px
    /// tall and up, merged scores down to 0.05.
    fn default() -> Self {
        Self {
            tiles: true,
            tile_fraction: 0.5,
            max_tile_px: 640.0,
            flip: true,
            fusion_iou: 0.55,
            min_pass_px: 12.0,
            min_score: 0.05,
        }
    }
}

/// One pass: a region of the image, maybe mirrored.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Pass {
    region: Region,
    flip: bool,
    /// Input pixels per image pixel.
    scale: f32,
}

fn passes(width: f32, height: f32, input: (usize, usize), s: &EnsembleSettings) -> Vec<Pass> {
    let scale_of = |w: f32, h: f32| (input.0 as f32 / w).min(input.1 as f32 / h);
    let mut regions = vec![Region {
        x: 0.0,
        y: 0.0,
        width,
        height,
    }];
    if s.tiles {
        let f = s.tile_fraction.min(s.max_tile_px / width).clamp(0.05, 1.0);
        // Half-tile steps: n tiles cover the image with (1 - f) / (f / 2) steps.
        let n = ((1.0 - f) / (f / 2.0)).round() as usize + 1;
        let (tw, th) = (width * f, height * f);
        let step = |extent: f32, tile: f32| {
            if n > 1 {
                (extent - tile) / (n - 1) as f32
            } else {
                0.0
            }
        };
        let (sx, sy) = (step(width, tw), step(height, th));
        for r in 0..n {
            for c in 0..n {
                regions.push(Region {
                    x: c as f32 * sx,
                    y: r as f32 * sy,
                    width: tw,
                    height: th,
                });
            }
        }
    }
    let mut out = Vec::new();
    for region in regions {
        for flip in [false, true] {
            if flip && !s.flip {
                continue;
            }
            out.push(Pass {
                region,
                flip,
                scale: scale_of(region.width, region.height),
            });
        }
    }
    out
}

/// Detections of one pass, in image pixels, with the pass index.
fn run_pass(
    detector: &Detector,
    image: &PixelView<'_>,
    pass: &Pass,
) -> Result<Vec<Detection2d>, DistillError> {
    let spec = &detector.manifest().input;
    let r = pass.region;
    let content = (
        ((r.width * pass.scale).round() as usize).clamp(1, spec.width()),
        ((r.height * pass.scale).round() as usize).clamp(1, spec.height()),
    );
    let view = ViewParams {
        image: 0,
        region: r,
        content,
        flip: pass.flip,
        brightness: 1.0,
        contrast: 1.0,
        saturation: 1.0,
    };
    let rgb = render_view(&view, image);
    let input = input_from_rgb(spec, &rgb, content.0, content.1);
    let transform = InputTransform {
        scale_x: content.0 as f32 / r.width,
        scale_y: content.1 as f32 / r.height,
        image_width: r.width,
        image_height: r.height,
    };
    let outputs = detector.run_raw(input)?;
    let mut dets = detector.decode(&outputs, &transform)?;
    let (iw, ih) = (image.width() as f32, image.height() as f32);
    let margin = 2.0;
    dets.retain_mut(|d| {
        if pass.flip {
            let [x1, y1, x2, y2] = d.bbox;
            d.bbox = [r.width - x2, y1, r.width - x1, y2];
        }
        d.bbox = [
            d.bbox[0] + r.x,
            d.bbox[1] + r.y,
            d.bbox[2] + r.x,
            d.bbox[3] + r.y,
        ];
        // Touching an inner tile border: the object continues outside this tile.
        let cut = (d.bbox[0] <= r.x + margin && r.x > margin)
            || (d.bbox[1] <= r.y + margin && r.y > margin)
            || (d.bbox[2] >= r.x + r.width - margin && r.x + r.width < iw - margin)
            || (d.bbox[3] >= r.y + r.height - margin && r.y + r.height < ih - margin);
        !cut
    });
    Ok(dets)
}

/// One cluster of the fusion.
struct Cluster {
    class_id: u32,
    label: String,
    /// Score-weighted sum of boxes and the weight.
    sum: [f32; 4],
    weight: f32,
    /// Best score per pass.
    votes: Vec<(usize, f32)>,
}

impl Cluster {
    fn bbox(&self) -> [f32; 4] {
        self.sum.map(|v| v / self.weight)
    }
}

/// Merges per-pass detections by weighted box fusion (see the module docs).
fn fuse(per_pass: &[Vec<Detection2d>], passes: &[Pass], s: &EnsembleSettings) -> Vec<Detection2d> {
    let mut all: Vec<(usize, &Detection2d)> = per_pass
        .iter()
        .enumerate()
        .flat_map(|(p, d)| d.iter().map(move |d| (p, d)))
        .collect();
    all.sort_by(|a, b| {
        b.1.score
            .total_cmp(&a.1.score)
            .then(a.0.cmp(&b.0))
            .then(a.1.class_id.cmp(&b.1.class_id))
    });
    let mut clusters: Vec<Cluster> = Vec::new();
    for (p, d) in all {
        let found = clusters
            .iter_mut()
            .find(|c| c.class_id == d.class_id && box_iou(&c.bbox(), &d.bbox) >= s.fusion_iou);
        match found {
            Some(c) => {
                for k in 0..4 {
                    c.sum[k] += d.bbox[k] * d.score;
                }
                c.weight += d.score;
                if !c.votes.iter().any(|v| v.0 == p) {
                    c.votes.push((p, d.score));
                }
            }
            None => clusters.push(Cluster {
                class_id: d.class_id,
                label: d.label.clone(),
                sum: d.bbox.map(|v| v * d.score),
                weight: d.score,
                votes: vec![(p, d.score)],
            }),
        }
    }
    let mut out: Vec<Detection2d> = clusters
        .into_iter()
        .filter_map(|c| {
            let b = c.bbox();
            let (cx, cy, h) = ((b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0, b[3] - b[1]);
            let eligible = passes
                .iter()
                .filter(|p| {
                    let r = p.region;
                    cx >= r.x
                        && cx <= r.x + r.width
                        && cy >= r.y
                        && cy <= r.y + r.height
                        && h * p.scale >= s.min_pass_px
                })
                .count()
                .max(c.votes.len());
            let score = c.votes.iter().map(|v| v.1).sum::<f32>() / eligible as f32;
            (score >= s.min_score).then_some(Detection2d {
                bbox: b,
                score,
                class_id: c.class_id,
                label: c.label,
            })
        })
        .collect();
    out.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(a.class_id.cmp(&b.class_id))
    });
    out
}

/// Runs every pass of the ensemble over `frame` and merges them: detections in the frame's
/// pixels, descending score.
pub fn ensemble_detect(
    detector: &Detector,
    frame: &CameraFrame,
    settings: &EnsembleSettings,
) -> Result<Vec<Detection2d>, DistillError> {
    let image = PixelView::from_frame(frame);
    let spec = &detector.manifest().input;
    let passes = passes(
        frame.width as f32,
        frame.height as f32,
        (spec.width(), spec.height()),
        settings,
    );
    let per_pass = passes
        .iter()
        .map(|p| run_pass(detector, &image, p))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(fuse(&per_pass, &passes, settings))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn det(bbox: [f32; 4], score: f32, class_id: u32) -> Detection2d {
        Detection2d {
            bbox,
            score,
            class_id,
            label: format!("c{class_id}"),
        }
    }

    #[test]
    fn tiles_cover_the_image_with_overlap() {
        let s = EnsembleSettings::default();
        let p = passes(960.0, 540.0, (416, 416), &s);
        assert_eq!(p.len(), 2 * (1 + 9));
        assert!((p[0].scale - 416.0 / 960.0).abs() < 1e-6);
        assert!(
            (p[2].scale - 416.0 / 480.0).abs() < 1e-6,
            "tiles at twice the scale"
        );
        let last = p.last().unwrap().region;
        assert_eq!((last.x + last.width, last.y + last.height), (960.0, 540.0));
        assert_eq!(p[4].region.x, 240.0, "tiles step by a quarter of the image");
        // A 1920-pixel camera: 640-pixel tiles (a third), 5 x 5 of them at three times the scale.
        let wide = passes(1920.0, 1080.0, (416, 416), &s);
        assert_eq!(wide.len(), 2 * (1 + 25));
        assert!((wide[2].region.width - 640.0).abs() < 1e-3);
        assert_eq!(wide[4].region.x, 320.0);
    }

    #[test]
    fn fusion_averages_boxes_and_scores_over_eligible_passes() {
        let s = EnsembleSettings {
            max_tile_px: 960.0,
            ..EnsembleSettings::default()
        };
        let passes = passes(1920.0, 1080.0, (416, 416), &s);
        // A 40 px tall object at (700, 400): 8.7 px in the whole-frame passes (not eligible),
        // 17 px in tiles; its centre lies in 2 x 2 tiles, x 2 flips = 8 eligible passes.
        let b = [690.0, 380.0, 710.0, 420.0];
        let mut per_pass = vec![Vec::new(); passes.len()];
        per_pass[2].push(det(b, 0.8, 0));
        per_pass[3].push(det([692.0, 380.0, 712.0, 420.0], 0.4, 0));
        per_pass[3].push(det(b, 0.6, 1)); // another class: its own cluster
        let fused = fuse(&per_pass, &passes, &s);
        assert_eq!(fused.len(), 2);
        let car = fused.iter().find(|d| d.class_id == 0).unwrap();
        assert!((car.score - 1.2 / 8.0).abs() < 1e-6, "{}", car.score);
        let x1 = (690.0 * 0.8 + 692.0 * 0.4) / 1.2;
        assert!((car.bbox[0] - x1).abs() < 1e-3);
        // Below the floor: dropped.
        let mut weak = vec![Vec::new(); passes.len()];
        weak[2].push(det(b, 0.2, 0));
        assert!(fuse(&weak, &passes, &s).is_empty());
    }
}
