//! Dense training targets on the student's grid from box pseudo-labels (the ensemble
//! teacher's merged detections), for any augmented view of the labelled image.
//!
//! The boxes are carried into the view (crop, scale, mirror) and clipped to it; a box that
//! keeps less than [`MIN_KEPT_FRACTION`] of its area, or that is smaller than
//! [`MIN_SIDE_PX`] in the view, becomes an ignored region. Each box is assigned to the levels
//! whose scale suits it (FCOS scale ranges: the largest distance from a cell centre to the
//! box's sides must fall in the level's range, so that it is representable by the level's
//! `REG_MAX` bins of the stride) and to the cells of those levels whose centres lie inside the
//! box within [`CENTRE_RADIUS`] strides of its centre (the cell holding the centre always
//! qualifies). Where boxes compete for a cell, the smallest wins.
//!
//! A positive cell's class target is the box's confidence weight times a centre prior
//! (1 at the box centre, falling to 0.5 at the sampling radius), the other classes 0; its box
//! target is the two-hot distribution (distribution focal loss) of the distances to the four
//! sides in strides. Confidence weight: pseudo-labels at or above the confident score count 1;
//! those between the floor and it are *uncertain* and their cells are ignored (no class loss),
//! as are the cells of ignored regions; below the floor they are background.

use crate::augment::ViewParams;
use crate::student_classes::{NUM_CLASSES, REG_MAX, STUDENT_CLASSES};
use crate::student_net::LEVEL_STRIDES;
use crate::training_targets::{BOX_BINS_PER_SIDE, TrainingTargets, student_cells};
use kestrel_models::Detection2d;

/// A box keeping less of its area inside the view is ignored there.
pub const MIN_KEPT_FRACTION: f32 = 0.4;
/// Boxes with a side shorter than this in the view are ignored, canvas pixels.
pub const MIN_SIDE_PX: f32 = 4.0;
/// Centre sampling radius, in strides.
pub const CENTRE_RADIUS: f32 = 2.5;

/// Thresholds on the pseudo-labels' merged scores.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PseudoLabelThresholds {
    /// At or above: a confident label (target weight 1).
    pub confident: f32,
    /// Between this and `confident`: uncertain (its cells are ignored); below: background.
    pub floor: f32,
}

/// One pseudo-label in a view: student class index, box in canvas pixels, weight
/// (1 confident, 0 ignored region).
#[derive(Debug, Clone, Copy, PartialEq)]
struct ViewBox {
    class: usize,
    bbox: [f32; 4],
    confident: bool,
}

/// Carries image-pixel boxes into `view` (canvas pixels).
fn boxes_in_view(
    labels: &[Detection2d],
    view: &ViewParams,
    t: &PseudoLabelThresholds,
) -> Vec<ViewBox> {
    let r = view.region;
    let (sx, sy) = (
        view.content.0 as f32 / r.width,
        view.content.1 as f32 / r.height,
    );
    let (cw, ch) = (view.content.0 as f32, view.content.1 as f32);
    let mut out = Vec::new();
    for d in labels {
        if d.score < t.floor {
            continue;
        }
        let Some(class) = STUDENT_CLASSES.iter().position(|c| *c == d.label) else {
            continue;
        };
        let mut b = [
            (d.bbox[0] - r.x) * sx,
            (d.bbox[1] - r.y) * sy,
            (d.bbox[2] - r.x) * sx,
            (d.bbox[3] - r.y) * sy,
        ];
        if view.flip {
            b = [cw - b[2], b[1], cw - b[0], b[3]];
        }
        let area = |b: &[f32; 4]| (b[2] - b[0]).max(0.0) * (b[3] - b[1]).max(0.0);
        let full = area(&b);
        let clipped = [
            b[0].clamp(0.0, cw),
            b[1].clamp(0.0, ch),
            b[2].clamp(0.0, cw),
            b[3].clamp(0.0, ch),
        ];
        let kept = area(&clipped);
        if kept <= 0.0 {
            continue;
        }
        let small = clipped[2] - clipped[0] < MIN_SIDE_PX || clipped[3] - clipped[1] < MIN_SIDE_PX;
        out.push(ViewBox {
            class,
            bbox: clipped,
            confident: d.score >= t.confident && kept >= MIN_KEPT_FRACTION * full && !small,
        });
    }
    out
}

/// Range of the largest centre-to-side distance (canvas pixels) a level takes.
fn level_range(level: usize) -> (f32, f32) {
    match level {
        0 => (0.0, 64.0),
        1 => (64.0, 128.0),
        _ => (128.0, f32::INFINITY),
    }
}

/// Two-hot distribution of a distance `d` (in strides) over `REG_MAX + 1` bins.
fn two_hot(d: f32, out: &mut [f32]) {
    let d = d.clamp(0.0, REG_MAX as f32 - 0.01);
    let lo = d.floor() as usize;
    let w = d - lo as f32;
    out[lo] = 1.0 - w;
    out[lo + 1] = w;
}

/// Dense targets of `view` (canvas `height x width`, the student's input) from the pseudo-
/// labels of its image.
pub fn pseudo_label_targets(
    labels: &[Detection2d],
    view: &ViewParams,
    height: usize,
    width: usize,
    thresholds: &PseudoLabelThresholds,
) -> TrainingTargets {
    let boxes = boxes_in_view(labels, view, thresholds);
    let cells = student_cells(height, width);
    let mut scores = vec![0.0f32; cells * NUM_CLASSES];
    let mut owner: Vec<Option<(f32, usize, f32)>> = vec![None; cells]; // (area, box, prior)
    let mut ignore = vec![false; cells];
    let mut base = 0usize;
    let mut level_of_cell = Vec::with_capacity(cells);
    for (level, &s) in LEVEL_STRIDES.iter().enumerate() {
        let (rows, cols) = (height / s, width / s);
        let sf = s as f32;
        let (lo, hi) = level_range(level);
        for (bi, b) in boxes.iter().enumerate() {
            let (bcx, bcy) = ((b.bbox[0] + b.bbox[2]) / 2.0, (b.bbox[1] + b.bbox[3]) / 2.0);
            let area = (b.bbox[2] - b.bbox[0]) * (b.bbox[3] - b.bbox[1]);
            let radius = CENTRE_RADIUS * sf;
            let c0 = ((b.bbox[0] / sf).floor().max(0.0) as usize).min(cols.saturating_sub(1));
            let c1 = ((b.bbox[2] / sf).ceil() as usize).min(cols);
            let r0 = ((b.bbox[1] / sf).floor().max(0.0) as usize).min(rows.saturating_sub(1));
            let r1 = ((b.bbox[3] / sf).ceil() as usize).min(rows);
            let centre_cell =
                ((bcy / sf) as usize).min(rows - 1) * cols + ((bcx / sf) as usize).min(cols - 1);
            for r in r0..r1 {
                for c in c0..c1 {
                    let (x, y) = ((c as f32 + 0.5) * sf, (r as f32 + 0.5) * sf);
                    let inside = x > b.bbox[0] && x < b.bbox[2] && y > b.bbox[1] && y < b.bbox[3];
                    let idx = r * cols + c;
                    let is_centre = idx == centre_cell;
                    let near = (x - bcx).abs() <= radius && (y - bcy).abs() <= radius;
                    if !(is_centre || (inside && near)) {
                        continue;
                    }
                    let m = [x - b.bbox[0], y - b.bbox[1], b.bbox[2] - x, b.bbox[3] - y]
                        .iter()
                        .copied()
                        .fold(0.0, f32::max);
                    // The centre cell of the finest level takes any small box.
                    let fits = (m >= lo && m < hi) || (level == 0 && is_centre && m < lo);
                    if !fits {
                        continue;
                    }
                    let cell = base + idx;
                    if !b.confident {
                        ignore[cell] = true;
                        continue;
                    }
                    let dist = ((x - bcx) / radius).hypot((y - bcy) / radius).min(1.0);
                    let prior = 1.0 - 0.5 * dist;
                    if owner[cell].is_none_or(|(a, _, _)| area < a) {
                        owner[cell] = Some((area, bi, prior));
                    }
                }
            }
        }
        level_of_cell.extend(std::iter::repeat_n((level, s, cols), rows * cols));
        base += rows * cols;
    }
    let mut box_targets = Vec::new();
    for (cell, o) in owner.iter().enumerate() {
        let Some((_, bi, prior)) = *o else { continue };
        let b = &boxes[bi];
        scores[cell * NUM_CLASSES + b.class] = prior;
        ignore[cell] = false;
        let (level, s, cols) = level_of_cell[cell];
        let level_base: usize = LEVEL_STRIDES[..level]
            .iter()
            .map(|st| (height / st) * (width / st))
            .sum();
        let idx = cell - level_base;
        let (r, c) = (idx / cols, idx % cols);
        let sf = s as f32;
        let (x, y) = ((c as f32 + 0.5) * sf, (r as f32 + 0.5) * sf);
        let mut bins = [0.0f32; 4 * BOX_BINS_PER_SIDE];
        for (side, d) in [x - b.bbox[0], y - b.bbox[1], b.bbox[2] - x, b.bbox[3] - y]
            .into_iter()
            .enumerate()
        {
            two_hot(
                d / sf,
                &mut bins[side * BOX_BINS_PER_SIDE..(side + 1) * BOX_BINS_PER_SIDE],
            );
        }
        box_targets.push((cell as u32, bins));
    }
    TrainingTargets {
        scores,
        box_probs: box_targets,
        ignore: ignore
            .iter()
            .enumerate()
            .filter_map(|(i, &g)| g.then_some(i as u32))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kestrel_models::Region;

    fn view(flip: bool) -> ViewParams {
        ViewParams {
            image: 0,
            region: Region {
                x: 100.0,
                y: 0.0,
                width: 640.0,
                height: 384.0,
            },
            content: (320, 192),
            flip,
            brightness: 1.0,
            contrast: 1.0,
            saturation: 1.0,
        }
    }

    fn label(class: &str, bbox: [f32; 4], score: f32) -> Detection2d {
        Detection2d {
            bbox,
            score,
            class_id: 0,
            label: class.into(),
        }
    }

    const T: PseudoLabelThresholds = PseudoLabelThresholds {
        confident: 0.4,
        floor: 0.15,
    };

    #[test]
    fn a_car_becomes_positive_cells_with_two_hot_boxes() {
        // A car 80x40 image px at (300..380, 200..240): 40x20 canvas px at (100..140, 100..120).
        let t = pseudo_label_targets(
            &[label("car", [300.0, 200.0, 380.0, 240.0], 0.9)],
            &view(false),
            192,
            320,
            &T,
        );
        let car = STUDENT_CLASSES.iter().position(|c| *c == "car").unwrap();
        let positives: Vec<usize> = (0..t.scores.len() / NUM_CLASSES)
            .filter(|c| t.scores[c * NUM_CLASSES + car] > 0.0)
            .collect();
        // Stride 8 only (max side distance < 64): cells whose centres are inside the box.
        assert!(!positives.is_empty() && positives.iter().all(|&c| c < 24 * 40));
        assert_eq!(positives.len(), t.box_probs.len());
        // The cell at (row 13, col 14) has its centre at (116, 108): distances 16, 8, 24, 12 px
        // = 2, 1, 3, 1.5 strides.
        let (cell, bins) = t
            .box_probs
            .iter()
            .find(|(c, _)| *c as usize == 13 * 40 + 14)
            .unwrap();
        assert!(t.scores[*cell as usize * NUM_CLASSES + car] > 0.5);
        let b = BOX_BINS_PER_SIDE;
        assert_eq!(bins[2], 1.0);
        assert_eq!(bins[b + 1], 1.0);
        assert_eq!(bins[2 * b + 3], 1.0);
        assert_eq!((bins[3 * b + 1], bins[3 * b + 2]), (0.5, 0.5));
        assert!(t.ignore.is_empty());
    }

    #[test]
    fn flips_uncertain_and_cut_boxes() {
        let car = STUDENT_CLASSES.iter().position(|c| *c == "car").unwrap();
        let hot = |t: &TrainingTargets| -> Vec<usize> {
            (0..t.scores.len() / NUM_CLASSES)
                .filter(|c| t.scores[c * NUM_CLASSES + car] > 0.0)
                .collect()
        };
        let lab = [label("car", [300.0, 200.0, 380.0, 240.0], 0.9)];
        let plain = hot(&pseudo_label_targets(&lab, &view(false), 192, 320, &T));
        let flipped = hot(&pseudo_label_targets(&lab, &view(true), 192, 320, &T));
        // Mirrored columns: col c -> 39 - c.
        let mirrored: Vec<usize> = plain.iter().map(|c| (c / 40) * 40 + 39 - c % 40).collect();
        let mut m = mirrored.clone();
        m.sort();
        assert_eq!(flipped, m);
        // Uncertain: no positives, cells ignored. Below the floor: background.
        let unsure = pseudo_label_targets(
            &[label("car", [300., 200., 380., 240.], 0.3)],
            &view(false),
            192,
            320,
            &T,
        );
        assert!(hot(&unsure).is_empty() && !unsure.ignore.is_empty());
        let faint = pseudo_label_targets(
            &[label("car", [300., 200., 380., 240.], 0.1)],
            &view(false),
            192,
            320,
            &T,
        );
        assert!(hot(&faint).is_empty() && faint.ignore.is_empty());
        // Mostly outside the view: ignored. Not a student class: nothing.
        let cut = pseudo_label_targets(
            &[label("car", [0., 200., 130., 240.], 0.9)],
            &view(false),
            192,
            320,
            &T,
        );
        assert!(hot(&cut).is_empty() && !cut.ignore.is_empty());
        let dog = pseudo_label_targets(
            &[label("dog", [300., 200., 380., 240.], 0.9)],
            &view(false),
            192,
            320,
            &T,
        );
        assert!(dog.ignore.is_empty() && dog.box_probs.is_empty());
    }
}
