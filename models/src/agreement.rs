//! Agreement between student and teacher detections: recall of the teacher's detections and
//! precision of the student's, matching same-class boxes at IoU >= 0.5, sliced by class and
//! by image source. The model cards report it (`kestrel-distill`) and the runtime's shadow
//! teacher monitor watches it, with this one definition.

use crate::Detection2d;
use std::collections::BTreeMap;

/// IoU at which a student box counts as agreeing with a teacher box.
pub const MATCH_IOU: f32 = 0.5;

/// Classes counted as vehicles in agreement reports.
pub const VEHICLE_CLASSES: [&str; 4] = ["car", "motorcycle", "bus", "truck"];

/// Detection counts of one slice.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MatchCounts {
    /// Teacher detections.
    pub teacher: usize,
    /// Student detections.
    pub student: usize,
    /// Matched pairs (each teacher and student box used at most once).
    pub matched: usize,
}

impl MatchCounts {
    /// Matched / teacher (`None` without teacher detections).
    pub fn recall(&self) -> Option<f32> {
        (self.teacher > 0).then(|| self.matched as f32 / self.teacher as f32)
    }

    /// Matched / student (`None` without student detections).
    pub fn precision(&self) -> Option<f32> {
        (self.student > 0).then(|| self.matched as f32 / self.student as f32)
    }

    /// Adds `o`'s counts.
    pub fn add(&mut self, o: &MatchCounts) {
        self.teacher += o.teacher;
        self.student += o.student;
        self.matched += o.matched;
    }
}

/// Greedy matching on one image: student boxes in descending score each take the unmatched
/// teacher box of the same class with the highest IoU (>= [`MATCH_IOU`]). Returns counts per
/// class label, for the labels in `classes` only (the classes the student decodes; the
/// teacher's others are not the student's job).
pub fn match_image(
    teacher: &[Detection2d],
    student: &[Detection2d],
    classes: &[&str],
) -> BTreeMap<String, MatchCounts> {
    let keep = |d: &&Detection2d| classes.contains(&d.label.as_str());
    let teacher: Vec<&Detection2d> = teacher.iter().filter(keep).collect();
    let mut student: Vec<&Detection2d> = student.iter().filter(keep).collect();
    student.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut used = vec![false; teacher.len()];
    let mut out: BTreeMap<String, MatchCounts> = BTreeMap::new();
    for t in &teacher {
        out.entry(t.label.clone()).or_default().teacher += 1;
    }
    for s in &student {
        let entry = out.entry(s.label.clone()).or_default();
        entry.student += 1;
        let best = teacher
            .iter()
            .enumerate()
            .filter(|(i, t)| !used[*i] && t.label == s.label)
            .map(|(i, t)| (i, t.iou(s)))
            .filter(|(_, iou)| *iou >= MATCH_IOU)
            .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)));
        if let Some((i, _)) = best {
            used[i] = true;
            entry.matched += 1;
        }
    }
    out
}

/// Accumulated agreement: per source name, per class label.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct AgreementReport {
    /// `source -> class -> counts`.
    pub by_source: BTreeMap<String, BTreeMap<String, MatchCounts>>,
    /// Images evaluated per source.
    pub images: BTreeMap<String, usize>,
}

impl AgreementReport {
    /// Adds one image's per-class counts under `source`.
    pub fn add(&mut self, source: &str, counts: &BTreeMap<String, MatchCounts>) {
        *self.images.entry(source.to_string()).or_default() += 1;
        let slot = self.by_source.entry(source.to_string()).or_default();
        for (class, c) in counts {
            slot.entry(class.clone()).or_default().add(c);
        }
    }

    /// Counts over `sources` (all if empty) and over `classes` (all if empty).
    pub fn total(&self, sources: &[&str], classes: &[&str]) -> MatchCounts {
        let mut out = MatchCounts::default();
        for (src, per_class) in &self.by_source {
            if !sources.is_empty() && !sources.contains(&src.as_str()) {
                continue;
            }
            for (class, c) in per_class {
                if classes.is_empty() || classes.contains(&class.as_str()) {
                    out.add(c);
                }
            }
        }
        out
    }

    /// Counts of the vehicle classes over `sources` (all if empty).
    pub fn vehicles(&self, sources: &[&str]) -> MatchCounts {
        self.total(sources, &VEHICLE_CLASSES)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn det(label: &str, b: [f32; 4], score: f32) -> Detection2d {
        Detection2d {
            bbox: b,
            score,
            class_id: 0,
            label: label.into(),
        }
    }

    #[test]
    fn matches_same_class_once_at_iou_half() {
        let teacher = [
            det("car", [0.0, 0.0, 10.0, 10.0], 0.9),
            det("car", [20.0, 0.0, 30.0, 10.0], 0.8),
            det("person", [0.0, 0.0, 10.0, 10.0], 0.7),
        ];
        let student = [
            det("car", [1.0, 0.0, 11.0, 10.0], 0.9), // IoU 0.82 with the first car
            det("car", [0.0, 0.0, 10.0, 10.0], 0.5), // the first car is taken already
            det("truck", [20.0, 0.0, 30.0, 10.0], 0.6), // wrong class
        ];
        let m = match_image(&teacher, &student, &["person", "car", "truck"]);
        assert_eq!(
            m["car"],
            MatchCounts {
                teacher: 2,
                student: 2,
                matched: 1
            }
        );
        assert_eq!(
            m["person"],
            MatchCounts {
                teacher: 1,
                student: 0,
                matched: 0
            }
        );
        assert_eq!(
            m["truck"],
            MatchCounts {
                teacher: 0,
                student: 1,
                matched: 0
            }
        );
        let mut r = AgreementReport::default();
        r.add("kitti", &m);
        assert_eq!(r.vehicles(&[]).recall(), Some(0.5));
        assert_eq!(r.total(&["kitti"], &[]).precision(), Some(1.0 / 3.0));
    }
}
