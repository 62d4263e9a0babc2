//! Matching outputs to labels in one frame, and the ground-plane geometry the metrics use.
//!
//! **Matched**: an output and a label are paired one-to-one when their ground-plane centre
//! distance (vehicle frame x/y) is at most the label group's gate (2 m for vehicles, 1 m
//! otherwise; [`ClassGroup::match_gate`]), class-agnostic. Among all such pairings the one with
//! the **most pairs**, and among those the **smallest total distance**, is chosen: a globally
//! optimal assignment (the Hungarian solver of `kestrel_fusion::tracking::solve_assignment`,
//! deterministic: ties go to the lower output index).

use super::class_group::ClassGroup;
use super::error::EvalError;
use kestrel_fusion::tracking::{CostMatrix, solve_assignment};
use kestrel_sensors::{GroundTruthObject, OrientedBox3};
use kestrel_sim::clear_mot::Candidate;
use nalgebra::Point3;

use crate::object_messages::ObjectRecord;

/// Ground-plane distance between a label's centre and an output's centre, metres.
pub fn centre_distance(label: &GroundTruthObject, output: &ObjectRecord) -> f64 {
    (label.bbox.center.x - output.position[0]).hypot(label.bbox.center.y - output.position[1])
}

/// Ground-plane range of a point from the vehicle origin, metres.
pub fn ground_range(x: f64, y: f64) -> f64 {
    x.hypot(y)
}

/// True when the ground-plane point `(x, y)` lies in the footprint of `b` (its length x width
/// rectangle rotated by its yaw) grown by `margin` metres on every side.
pub fn footprint_contains(b: &OrientedBox3, x: f64, y: f64, margin: f64) -> bool {
    b.contains(&Point3::new(x, y, b.center.z), margin)
}

/// The box of an output record.
pub fn output_box(o: &ObjectRecord) -> OrientedBox3 {
    OrientedBox3 {
        center: Point3::new(o.position[0], o.position[1], o.position[2]),
        length: o.size[0],
        width: o.size[1],
        height: o.size[2],
        yaw: o.yaw,
    }
}

/// Every (label, output) pair within the label's gate, as CLEAR-MOT candidates (`object` =
/// label index, `hypothesis` = output index), in label-then-output order.
pub fn candidates(labels: &[&GroundTruthObject], outputs: &[&ObjectRecord]) -> Vec<Candidate> {
    let mut out = Vec::new();
    for (i, l) in labels.iter().enumerate() {
        let gate = ClassGroup::of_label(l.class).match_gate();
        for (j, o) in outputs.iter().enumerate() {
            let d = centre_distance(l, o);
            if d <= gate {
                out.push(Candidate {
                    object: i,
                    hypothesis: j,
                    distance: d,
                });
            }
        }
    }
    out
}

/// The optimal one-to-one assignment over `candidates` (module docs) among `labels` rows and
/// `outputs` columns: `(label, output)` pairs in increasing label order.
pub fn optimal_pairs(
    labels: usize,
    outputs: usize,
    candidates: &[Candidate],
) -> Result<Vec<(usize, usize)>, EvalError> {
    if candidates.is_empty() {
        return Ok(Vec::new());
    }
    let mut dense = vec![f64::INFINITY; labels * outputs];
    for c in candidates {
        dense[c.object * outputs + c.hypothesis] = c.distance;
    }
    let costs = CostMatrix::from_fn(labels, outputs, |r, c| dense[r * outputs + c]);
    let assignment = solve_assignment(&costs).map_err(|e| EvalError::Matching(e.to_string()))?;
    Ok(assignment.pairs().collect())
}

/// The matching of one frame.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FrameMatch {
    /// For each label, the output matched to it.
    pub label_to_output: Vec<Option<usize>>,
    /// For each output, the label matched to it.
    pub output_to_label: Vec<Option<usize>>,
}

impl FrameMatch {
    /// Matches `outputs` to `labels` (module docs).
    pub fn compute(
        labels: &[GroundTruthObject],
        outputs: &[ObjectRecord],
    ) -> Result<FrameMatch, EvalError> {
        let l: Vec<&GroundTruthObject> = labels.iter().collect();
        let o: Vec<&ObjectRecord> = outputs.iter().collect();
        let pairs = optimal_pairs(l.len(), o.len(), &candidates(&l, &o))?;
        let mut m = FrameMatch {
            label_to_output: vec![None; labels.len()],
            output_to_label: vec![None; outputs.len()],
        };
        for (i, j) in pairs {
            m.label_to_output[i] = Some(j);
            m.output_to_label[j] = Some(i);
        }
        Ok(m)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use kestrel_sensors::ObjectClass;

    /// A label of `class` at `(x, y)` with a `l` x `w` footprint and heading `yaw`.
    pub(crate) fn label(class: ObjectClass, x: f64, y: f64, l: f64, w: f64) -> GroundTruthObject {
        GroundTruthObject {
            class,
            source_label: class.name().into(),
            frame: "vehicle".into(),
            bbox: OrientedBox3 {
                center: Point3::new(x, y, 0.8),
                length: l,
                width: w,
                height: 1.6,
                yaw: 0.0,
            },
            velocity: None,
            num_lidar_points: None,
            track_id: None,
        }
    }

    /// An output of `class` at `(x, y)` with a `l` x `w` footprint, track `id`.
    pub(crate) fn output(
        class: ObjectClass,
        x: f64,
        y: f64,
        l: f64,
        w: f64,
        id: Option<u64>,
    ) -> ObjectRecord {
        ObjectRecord {
            stamp_ns: 0,
            track_id: id,
            class,
            class_probability: 0.9,
            existence_probability: 0.9,
            position: [x, y, 0.8],
            velocity: None,
            size: [l, w, 1.6],
            yaw: 0.0,
        }
    }

    #[test]
    fn optimal_matching_maximises_pairs_then_minimises_distance() {
        // Greedy would give output 0 to label 0 (0.5 m) and leave label 1 unmatched; the
        // optimal assignment matches both.
        let labels = [
            label(ObjectClass::Car, 10.0, 0.0, 4.0, 1.8),
            label(ObjectClass::Car, 11.8, 0.0, 4.0, 1.8),
        ];
        let outputs = [
            output(ObjectClass::Car, 10.5, 0.0, 4.0, 1.8, None),
            output(ObjectClass::Car, 8.6, 0.0, 4.0, 1.8, None),
        ];
        let m = FrameMatch::compute(&labels, &outputs).unwrap();
        assert_eq!(m.label_to_output, vec![Some(1), Some(0)]);
        // Gates: 2 m for vehicles, 1 m for pedestrians.
        let ped = [label(ObjectClass::Pedestrian, 10.0, 0.0, 0.6, 0.6)];
        let near = [output(ObjectClass::Unknown, 11.2, 0.0, 0.6, 0.6, None)];
        assert_eq!(
            FrameMatch::compute(&ped, &near).unwrap().label_to_output,
            vec![None]
        );
    }

    #[test]
    fn footprints_are_rotated_rectangles() {
        let mut b = label(ObjectClass::Car, 0.0, 0.0, 4.0, 2.0).bbox;
        b.yaw = std::f64::consts::FRAC_PI_2;
        assert!(footprint_contains(&b, 0.0, 1.9, 0.0));
        assert!(!footprint_contains(&b, 1.9, 0.0, 0.0));
        assert!(footprint_contains(&b, 1.4, 0.0, 0.5));
    }
}
