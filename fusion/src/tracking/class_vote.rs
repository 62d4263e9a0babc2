//! Per-track class histogram: a decaying, confidence-weighted vote so that a single
//! misclassified detection does not flip a track's class.

use kestrel_sensors::ObjectClass;

/// Decaying class vote of one track, indexed by [`ObjectClass::label`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ClassVote {
    scores: [f64; ObjectClass::ALL.len()],
}

impl ClassVote {
    /// Adds a detection of `class` with confidence `confidence` (0..1) after multiplying the
    /// earlier votes by `decay` (0..1]. An [`ObjectClass::Unknown`] detection with confidence
    /// 0 (nothing looked at it: no camera, no shape verdict) carries no class evidence and
    /// leaves the vote untouched; with a positive confidence (the LiDAR shape classifier
    /// judged it and named nothing) it is a vote for `unknown`, so that a wall named a car
    /// once does not stay a car.
    pub fn add(&mut self, class: ObjectClass, confidence: f64, decay: f64) {
        if class == ObjectClass::Unknown && (confidence.is_nan() || confidence <= 0.0) {
            return;
        }
        for s in &mut self.scores {
            *s *= decay;
        }
        self.scores[class.label() as usize] += confidence.clamp(0.0, 1.0).max(1e-3);
    }

    /// The winning class: the highest score, ties to the lower label;
    /// [`ObjectClass::Unknown`] while no class evidence has been seen.
    pub fn class(&self) -> ObjectClass {
        let mut best = (ObjectClass::Unknown, 0.0);
        for c in ObjectClass::ALL {
            let s = self.scores[c.label() as usize];
            if s > best.1 {
                best = (c, s);
            }
        }
        best.0
    }

    /// Share of the vote per class (sums to 1), indexed by label; all weight on
    /// [`ObjectClass::Unknown`] while no class evidence has been seen.
    pub fn probabilities(&self) -> [f64; ObjectClass::ALL.len()] {
        let total: f64 = self.scores.iter().sum();
        let mut p = [0.0; ObjectClass::ALL.len()];
        if total > 0.0 {
            for (p, s) in p.iter_mut().zip(&self.scores) {
                *p = s / total;
            }
        } else {
            p[ObjectClass::Unknown.label() as usize] = 1.0;
        }
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_misclassification_does_not_flip_the_class() {
        let mut v = ClassVote::default();
        assert_eq!(v.class(), ObjectClass::Unknown);
        for _ in 0..5 {
            v.add(ObjectClass::Car, 0.7, 0.9);
        }
        v.add(ObjectClass::Pedestrian, 0.95, 0.9);
        v.add(ObjectClass::Unknown, 0.0, 0.9);
        assert_eq!(v.class(), ObjectClass::Car);
        let p = v.probabilities();
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert!(p[ObjectClass::Car.label() as usize] > 0.7);
        // Judged "nothing to name" again and again, the object becomes unknown.
        for _ in 0..12 {
            v.add(ObjectClass::Unknown, 0.9, 0.9);
        }
        assert_eq!(v.class(), ObjectClass::Unknown);
    }
}
