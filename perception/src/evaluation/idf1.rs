//! IDF1 identity metrics (Ristani, Solera, Zou, Cucchiara, Tomasi, "Performance Measures and a
//! Data Set for Multi-Target, Multi-Camera Tracking", 2016).
//!
//! Every ground-truth trajectory (object id) is paired with at most one hypothesis trajectory
//! (track id), one-to-one, over the **whole sequence**. For a pair, `IDTP(o, h)` is the number of
//! frames in which both are present and within the matching gate of each other (the same
//! candidate pairs CLEAR-MOT uses). The pairing maximises the total `IDTP` (equivalently, it
//! minimises `IDFN + IDFP`, Ristani's bipartite formulation), solved exactly with the Hungarian
//! solver (`kestrel_fusion::tracking::solve_assignment_below` on costs `-IDTP(o, h)` with
//! threshold 0). Then, with `GT` the object instances and `H` the hypothesis instances:
//! `IDFN = GT - IDTP`, `IDFP = H - IDTP`, `IDP = IDTP / H`, `IDR = IDTP / GT`,
//! `IDF1 = 2 IDTP / (GT + H)`.

use super::error::EvalError;
use kestrel_fusion::tracking::{CostMatrix, solve_assignment_below};
use kestrel_sim::clear_mot::Candidate;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// IDF1 counts and scores.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct Idf1Totals {
    /// Identity true positives (instances on the optimal trajectory pairing).
    pub idtp: u64,
    /// Identity false negatives.
    pub idfn: u64,
    /// Identity false positives.
    pub idfp: u64,
    /// `2 IDTP / (GT + H)`; `None` when there is neither ground truth nor hypothesis.
    pub idf1: Option<f64>,
    /// Identity precision `IDTP / H`; `None` without hypotheses.
    pub idp: Option<f64>,
    /// Identity recall `IDTP / GT`; `None` without ground truth.
    pub idr: Option<f64>,
}

/// Accumulates co-presence counts over frames; `O` identifies objects, `H` hypotheses.
#[derive(Debug, Clone)]
pub struct Idf1<O, H> {
    together: BTreeMap<(O, H), u64>,
    objects: u64,
    hypotheses: u64,
}

impl<O: Ord + Clone, H: Ord + Clone> Default for Idf1<O, H> {
    fn default() -> Self {
        Self {
            together: BTreeMap::new(),
            objects: 0,
            hypotheses: 0,
        }
    }
}

impl<O: Ord + Clone, H: Ord + Clone> Idf1<O, H> {
    /// An empty accumulator.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one frame: the objects and hypotheses present and every candidate pair within the
    /// gate (indexes into those lists). A pair of identities counts once per frame.
    pub fn add_frame(&mut self, objects: &[O], hypotheses: &[H], candidates: &[Candidate]) {
        self.objects += objects.len() as u64;
        self.hypotheses += hypotheses.len() as u64;
        let pairs: BTreeSet<(&O, &H)> = candidates
            .iter()
            .filter(|c| c.object < objects.len() && c.hypothesis < hypotheses.len())
            .map(|c| (&objects[c.object], &hypotheses[c.hypothesis]))
            .collect();
        for (o, h) in pairs {
            *self.together.entry((o.clone(), h.clone())).or_default() += 1;
        }
    }

    /// The scores over the frames added so far.
    pub fn totals(&self) -> Result<Idf1Totals, EvalError> {
        let objects: Vec<&O> = self
            .together
            .keys()
            .map(|(o, _)| o)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let hypotheses: Vec<&H> = self
            .together
            .keys()
            .map(|(_, h)| h)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let row: BTreeMap<&O, usize> = objects.iter().enumerate().map(|(i, o)| (*o, i)).collect();
        let col: BTreeMap<&H, usize> = hypotheses
            .iter()
            .enumerate()
            .map(|(i, h)| (*h, i))
            .collect();
        let mut dense = vec![f64::INFINITY; objects.len() * hypotheses.len()];
        for ((o, h), &n) in &self.together {
            dense[row[o] * hypotheses.len() + col[h]] = -(n as f64);
        }
        let idtp = if dense.is_empty() {
            0
        } else {
            let costs = CostMatrix::from_fn(objects.len(), hypotheses.len(), |r, c| {
                dense[r * hypotheses.len() + c]
            });
            let a = solve_assignment_below(&costs, 0.0)
                .map_err(|e| EvalError::Matching(e.to_string()))?;
            a.pairs()
                .map(|(r, c)| self.together[&(objects[r].clone(), hypotheses[c].clone())])
                .sum()
        };
        let (gt, h) = (self.objects, self.hypotheses);
        let ratio = |n: u64, d: u64| (d > 0).then(|| n as f64 / d as f64);
        Ok(Idf1Totals {
            idtp,
            idfn: gt - idtp,
            idfp: h - idtp,
            idf1: ratio(2 * idtp, gt + h),
            idp: ratio(idtp, h),
            idr: ratio(idtp, gt),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_pairs(n: usize, m: usize) -> Vec<Candidate> {
        (0..n)
            .flat_map(|o| {
                (0..m).map(move |h| Candidate {
                    object: o,
                    hypothesis: h,
                    distance: 0.0,
                })
            })
            .collect()
    }

    /// One object seen in 4 frames, tracked by 7 in frames 1-3 and by 9 in frame 4; a ghost
    /// track 5 in frame 4. Best pairing: object-7 (3 frames). IDTP 3, GT 4, H 5:
    /// IDF1 = 6 / 9, IDP = 3 / 5, IDR = 3 / 4.
    #[test]
    fn hand_computed_idf1() {
        let mut m: Idf1<&str, u64> = Idf1::new();
        for _ in 0..3 {
            m.add_frame(&["A"], &[7], &all_pairs(1, 1));
        }
        m.add_frame(
            &["A"],
            &[9, 5],
            &[Candidate {
                object: 0,
                hypothesis: 0,
                distance: 0.3,
            }],
        );
        let t = m.totals().unwrap();
        assert_eq!((t.idtp, t.idfn, t.idfp), (3, 1, 2));
        assert!((t.idf1.unwrap() - 6.0 / 9.0).abs() < 1e-12);
        assert!((t.idp.unwrap() - 0.6).abs() < 1e-12);
        assert!((t.idr.unwrap() - 0.75).abs() < 1e-12);
    }

    /// The pairing maximises IDTP, not the number of pairs: A-1 shares 10 frames, A-2 and B-1
    /// one each; pairing A-1 alone (10) beats A-2 + B-1 (2).
    #[test]
    fn pairing_maximises_identity_true_positives() {
        let mut m: Idf1<&str, u64> = Idf1::new();
        for _ in 0..10 {
            m.add_frame(&["A"], &[1], &all_pairs(1, 1));
        }
        m.add_frame(
            &["A", "B"],
            &[2, 1],
            &[
                Candidate {
                    object: 0,
                    hypothesis: 0,
                    distance: 0.0,
                },
                Candidate {
                    object: 1,
                    hypothesis: 1,
                    distance: 0.0,
                },
            ],
        );
        assert_eq!(m.totals().unwrap().idtp, 10);
        assert_eq!(Idf1::<u8, u8>::new().totals().unwrap().idf1, None);
    }
}
