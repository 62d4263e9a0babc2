//! CLEAR-MOT multi-object tracking metrics (Bernardin & Stiefelhagen, "Evaluating Multiple
//! Object Tracking Performance: The CLEAR MOT Metrics", 2008): MOTA, MOTP and identity
//! switches, frame by frame. The one implementation in the workspace: the simulator's closed
//! loop ([`crate::metrics`]) and `kestrel eval` (kestrel-perception) both use it.
//!
//! Per frame the caller gives the ground-truth object ids present, the hypothesis (track) ids
//! present, and the **candidate pairs**: every (object, hypothesis) pair whose distance is
//! within the caller's gate. The frame's correspondences are then made as CLEAR-MOT (and
//! py-motmetrics) make them:
//!
//! 1. **Keep**: an object whose last correspondence (in any earlier frame) was hypothesis `h`
//!    keeps `h` when `h` is present and the pair is a candidate (objects in index order, each
//!    hypothesis used once);
//! 2. **Assign**: the remaining candidates (both sides still free) go to the caller's
//!    assignment function (greedy by distance in the simulator, optimal Hungarian in
//!    `kestrel eval`);
//! 3. **Count**: a correspondence whose object was last matched to a *different* hypothesis is
//!    an identity switch (IDSW); unmatched objects are misses (FN), unmatched hypotheses false
//!    positives (FP).
//!
//! Totals over all frames `t` (`GT_t` objects present, `c_t` matches, `d_{i,t}` their
//! distances):
//! - `MOTA = 1 - sum_t (FN_t + FP_t + IDSW_t) / sum_t GT_t`;
//! - `MOTP = sum_{i,t} d_{i,t} / sum_t c_t` (mean distance of matched pairs, in the caller's
//!   unit: metres of ground-plane centre distance in Kestrel).

use serde::Serialize;
use std::collections::BTreeMap;

/// One allowed pairing of a frame: indexes into that frame's object and hypothesis lists and
/// their distance (within the caller's gate).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Candidate {
    /// Index of the ground-truth object in the frame's object list.
    pub object: usize,
    /// Index of the hypothesis in the frame's hypothesis list.
    pub hypothesis: usize,
    /// Their distance (finite, not negative).
    pub distance: f64,
}

/// Greedy one-to-one assignment: candidates by ascending distance (ties by object index, then
/// hypothesis index), each side used at most once. Returns `(object, hypothesis)` pairs in the
/// order they were made.
pub fn greedy_assignment(candidates: &[Candidate]) -> Vec<(usize, usize)> {
    let mut sorted = candidates.to_vec();
    sorted.sort_by(|a, b| {
        a.distance
            .total_cmp(&b.distance)
            .then(a.object.cmp(&b.object))
            .then(a.hypothesis.cmp(&b.hypothesis))
    });
    let mut used_objects = std::collections::BTreeSet::new();
    let mut used_hypotheses = std::collections::BTreeSet::new();
    let mut out = Vec::new();
    for c in sorted {
        if !used_objects.contains(&c.object) && !used_hypotheses.contains(&c.hypothesis) {
            used_objects.insert(c.object);
            used_hypotheses.insert(c.hypothesis);
            out.push((c.object, c.hypothesis));
        }
    }
    out
}

/// CLEAR-MOT counts over the frames added so far.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct ClearMotTotals {
    /// Ground-truth object instances (sum over frames of the objects present).
    pub objects: u64,
    /// Hypothesis instances (sum over frames of the hypotheses present).
    pub hypotheses: u64,
    /// Matched (object, hypothesis) pairs.
    pub matches: u64,
    /// Objects left unmatched (FN).
    pub misses: u64,
    /// Hypotheses left unmatched (FP).
    pub false_positives: u64,
    /// Matches whose object was last matched to another hypothesis (IDSW).
    pub id_switches: u64,
    /// Sum of the distances of the matches.
    pub distance_sum: f64,
}

impl ClearMotTotals {
    /// `1 - (FN + FP + IDSW) / GT`; `None` without ground truth.
    pub fn mota(&self) -> Option<f64> {
        (self.objects > 0).then(|| {
            1.0 - (self.misses + self.false_positives + self.id_switches) as f64
                / self.objects as f64
        })
    }

    /// Mean distance of the matches; `None` without matches.
    pub fn motp(&self) -> Option<f64> {
        (self.matches > 0).then(|| self.distance_sum / self.matches as f64)
    }

    /// Identity switches per 100 ground-truth object instances; `None` without ground truth.
    pub fn id_switches_per_100(&self) -> Option<f64> {
        (self.objects > 0).then(|| 100.0 * self.id_switches as f64 / self.objects as f64)
    }
}

/// Accumulates CLEAR-MOT over frames; `O` identifies ground-truth objects, `H` hypotheses.
#[derive(Debug, Clone)]
pub struct ClearMot<O, H> {
    last_match: BTreeMap<O, H>,
    totals: ClearMotTotals,
}

impl<O: Ord + Clone, H: Ord + Clone> Default for ClearMot<O, H> {
    fn default() -> Self {
        Self {
            last_match: BTreeMap::new(),
            totals: ClearMotTotals::default(),
        }
    }
}

impl<O: Ord + Clone, H: Ord + Clone> ClearMot<O, H> {
    /// An empty accumulator.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one frame (see the module docs). `assign` receives the candidates left after the
    /// keep step and returns `(object, hypothesis)` index pairs taken from them; pairs that are
    /// not among those candidates are ignored. Returns the frame's correspondences as
    /// `(object index, hypothesis index)`, kept ones first.
    pub fn add_frame(
        &mut self,
        objects: &[O],
        hypotheses: &[H],
        candidates: &[Candidate],
        assign: impl FnOnce(&[Candidate]) -> Vec<(usize, usize)>,
    ) -> Vec<(usize, usize)> {
        let mut object_used = vec![false; objects.len()];
        let mut hypothesis_used = vec![false; hypotheses.len()];
        let distance_of = |o: usize, h: usize| {
            candidates
                .iter()
                .find(|c| c.object == o && c.hypothesis == h)
                .map(|c| c.distance)
        };
        let mut pairs: Vec<(usize, usize, f64)> = Vec::new();
        for (o, id) in objects.iter().enumerate() {
            let Some(previous) = self.last_match.get(id) else {
                continue;
            };
            let kept = hypotheses
                .iter()
                .enumerate()
                .filter(|&(h, hid)| hid == previous && !hypothesis_used[h])
                .find_map(|(h, _)| distance_of(o, h).map(|d| (h, d)));
            if let Some((h, d)) = kept {
                object_used[o] = true;
                hypothesis_used[h] = true;
                pairs.push((o, h, d));
            }
        }
        let remaining: Vec<Candidate> = candidates
            .iter()
            .filter(|c| {
                c.object < objects.len()
                    && c.hypothesis < hypotheses.len()
                    && !object_used[c.object]
                    && !hypothesis_used[c.hypothesis]
            })
            .copied()
            .collect();
        for (o, h) in assign(&remaining) {
            let valid = remaining
                .iter()
                .find(|c| c.object == o && c.hypothesis == h);
            if let Some(c) = valid
                && !object_used[o]
                && !hypothesis_used[h]
            {
                object_used[o] = true;
                hypothesis_used[h] = true;
                pairs.push((o, h, c.distance));
                if self
                    .last_match
                    .get(&objects[o])
                    .is_some_and(|prev| *prev != hypotheses[h])
                {
                    self.totals.id_switches += 1;
                }
            }
        }
        for &(o, h, d) in &pairs {
            self.last_match
                .insert(objects[o].clone(), hypotheses[h].clone());
            self.totals.distance_sum += d;
        }
        let matched = pairs.len() as u64;
        self.totals.objects += objects.len() as u64;
        self.totals.hypotheses += hypotheses.len() as u64;
        self.totals.matches += matched;
        self.totals.misses += objects.len() as u64 - matched;
        self.totals.false_positives += hypotheses.len() as u64 - matched;
        pairs.into_iter().map(|(o, h, _)| (o, h)).collect()
    }

    /// The totals so far.
    pub fn totals(&self) -> ClearMotTotals {
        self.totals
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cand(object: usize, hypothesis: usize, distance: f64) -> Candidate {
        Candidate {
            object,
            hypothesis,
            distance,
        }
    }

    #[test]
    fn greedy_takes_closest_first() {
        let pairs = greedy_assignment(&[cand(0, 0, 1.0), cand(0, 1, 0.5), cand(1, 1, 0.2)]);
        assert_eq!(pairs, vec![(1, 1), (0, 0)]);
    }

    /// A hand-computed sequence: object A tracked by 7, then by 9 (a switch), then by 7 again
    /// (another switch, as the last match was 9); object B missed once; one ghost.
    #[test]
    fn switches_misses_and_false_positives() {
        let mut m: ClearMot<&str, u64> = ClearMot::new();
        // Frame 1: A-7 (0.5 m), B unmatched, ghost 8.
        let p = m.add_frame(&["A", "B"], &[7, 8], &[cand(0, 0, 0.5)], greedy_assignment);
        assert_eq!(p, vec![(0, 0)]);
        // Frame 2: A near 9 only: switch. B matched by 10.
        m.add_frame(
            &["A", "B"],
            &[9, 10],
            &[cand(0, 0, 0.1), cand(1, 1, 0.3)],
            greedy_assignment,
        );
        // Frame 3: A near both 7 (closer) and 9: keep step keeps 9 although 7 is closer.
        let p = m.add_frame(
            &["A"],
            &[7, 9],
            &[cand(0, 0, 0.1), cand(0, 1, 0.9)],
            greedy_assignment,
        );
        assert_eq!(p, vec![(0, 1)]);
        // Frame 4: 9 gone, A matched by 7: a switch (last match was 9).
        m.add_frame(&["A"], &[7], &[cand(0, 0, 0.2)], greedy_assignment);
        let t = m.totals();
        assert_eq!(t.objects, 6);
        assert_eq!(t.hypotheses, 7);
        assert_eq!(t.matches, 5);
        assert_eq!(t.misses, 1);
        assert_eq!(t.false_positives, 2);
        assert_eq!(t.id_switches, 2);
        assert!((t.mota().unwrap() - (1.0 - 5.0 / 6.0)).abs() < 1e-12);
        assert!((t.motp().unwrap() - (0.5 + 0.1 + 0.3 + 0.9 + 0.2) / 5.0).abs() < 1e-12);
        assert!((t.id_switches_per_100().unwrap() - 200.0 / 6.0).abs() < 1e-12);
    }

    #[test]
    fn assignment_outside_the_candidates_is_ignored() {
        let mut m: ClearMot<u32, u32> = ClearMot::new();
        let p = m.add_frame(&[1], &[2], &[], |_| vec![(0, 0)]);
        assert!(p.is_empty());
        assert_eq!(m.totals().misses, 1);
        assert_eq!(m.totals().mota(), Some(-1.0));
        assert_eq!(ClearMotTotals::default().mota(), None);
    }
}
