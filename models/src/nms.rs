//! Class-aware greedy non-maximum suppression.

use crate::Detection2d;

/// Keeps, per class, the highest-scored boxes and drops any box whose IoU with an
/// already-kept box of the same class exceeds `iou_threshold`; returns at most `max_keep`
/// boxes sorted by descending score. Ties keep input order, so the result is deterministic.
pub fn nms(
    mut candidates: Vec<Detection2d>,
    iou_threshold: f32,
    max_keep: usize,
) -> Vec<Detection2d> {
    candidates.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut kept: Vec<Detection2d> = Vec::new();
    for c in candidates {
        if kept.len() == max_keep {
            break;
        }
        if kept
            .iter()
            .all(|k| k.class_id != c.class_id || k.iou(&c) <= iou_threshold)
        {
            kept.push(c);
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    fn det(b: [f32; 4], score: f32, class_id: u32) -> Detection2d {
        Detection2d {
            bbox: b,
            score,
            class_id,
            label: String::new(),
        }
    }

    #[test]
    fn suppresses_overlaps_of_the_same_class_only() {
        let out = nms(
            vec![
                det([0.0, 0.0, 10.0, 10.0], 0.5, 0),
                det([1.0, 0.0, 11.0, 10.0], 0.9, 0),
                det([1.0, 0.0, 11.0, 10.0], 0.4, 1),
                det([50.0, 50.0, 60.0, 60.0], 0.3, 0),
            ],
            0.5,
            10,
        );
        let scores: Vec<f32> = out.iter().map(|d| d.score).collect();
        assert_eq!(scores, vec![0.9, 0.4, 0.3]);
        assert_eq!(nms(out, 0.5, 1).len(), 1);
    }
}
