//! Exact tests of the assignment solver: known optima (square, rectangular, forbidden pairs)
//! and agreement with brute force on small seeded random matrices.

mod tracking_support;

use kestrel_fusion::tracking::{
    CostMatrix, TrackingError, solve_assignment, solve_assignment_below,
};
use tracking_support::Rng;

const X: f64 = f64::INFINITY;

fn matrix(rows: &[&[f64]]) -> CostMatrix {
    let cols = rows.first().map_or(0, |r| r.len());
    CostMatrix::from_fn(rows.len(), cols, |r, c| rows[r][c])
}

fn pairs(m: &CostMatrix) -> Vec<(usize, usize)> {
    solve_assignment(m).expect("valid").pairs().collect()
}

#[test]
fn square_known_optimum() {
    // Classic 4x4 example; optimum 0->1, 1->0, 2->2, 3->3? computed: 2+6+1+4 = 13.
    let m = matrix(&[
        &[9.0, 2.0, 7.0, 8.0],
        &[6.0, 4.0, 3.0, 7.0],
        &[5.0, 8.0, 1.0, 8.0],
        &[7.0, 6.0, 9.0, 4.0],
    ]);
    let a = solve_assignment(&m).unwrap();
    assert_eq!(
        a.pairs().collect::<Vec<_>>(),
        vec![(0, 1), (1, 0), (2, 2), (3, 3)]
    );
    assert_eq!(a.total_cost, 13.0);
}

#[test]
fn rectangular_both_ways() {
    let wide = matrix(&[&[4.0, 1.0, 3.0], &[2.0, 0.0, 5.0]]);
    assert_eq!(pairs(&wide), vec![(0, 1), (1, 0)]); // 1 + 2 = 3 < 0 + 3 + ...
    let tall = matrix(&[&[4.0, 2.0], &[1.0, 0.0], &[2.5, 5.0]]);
    let a = solve_assignment(&tall).unwrap();
    assert_eq!(a.pairs().collect::<Vec<_>>(), vec![(1, 1), (2, 0)]);
    assert_eq!(a.row_to_col[0], None);
    assert_eq!(a.col_to_row, vec![Some(2), Some(1)]);
    assert_eq!(a.total_cost, 2.5);
}

#[test]
fn forbidden_pairs_are_never_used() {
    // Row 1 may only take column 0, so row 0 must take column 1 despite the cheaper 0.
    let m = matrix(&[&[0.0, 10.0], &[1.0, X]]);
    assert_eq!(pairs(&m), vec![(0, 1), (1, 0)]);
    // A row with no allowed pair stays unassigned; the others are still optimal.
    let m = matrix(&[&[X, X, X], &[3.0, 1.0, X], &[1.0, X, 2.0]]);
    let a = solve_assignment(&m).unwrap();
    assert_eq!(a.pairs().collect::<Vec<_>>(), vec![(1, 1), (2, 0)]);
    assert_eq!(a.total_cost, 2.0);
    // Everything forbidden, and empty matrices.
    assert_eq!(pairs(&matrix(&[&[X, X], &[X, X]])), vec![]);
    assert_eq!(pairs(&CostMatrix::from_fn(0, 3, |_, _| 1.0)), vec![]);
    assert_eq!(pairs(&CostMatrix::from_fn(3, 0, |_, _| 1.0)), vec![]);
}

#[test]
fn ties_are_broken_by_index_and_repeatable() {
    let m = CostMatrix::from_fn(3, 3, |_, _| 1.0);
    let first = pairs(&m);
    assert_eq!(first, vec![(0, 0), (1, 1), (2, 2)]);
    for _ in 0..3 {
        assert_eq!(pairs(&m), first);
    }
}

#[test]
fn nan_and_negative_infinity_are_errors() {
    let m = matrix(&[&[1.0, f64::NAN]]);
    assert!(matches!(
        solve_assignment(&m),
        Err(TrackingError::InvalidCost { row: 0, col: 1, .. })
    ));
    let m = matrix(&[&[1.0], &[f64::NEG_INFINITY]]);
    assert!(matches!(
        solve_assignment(&m),
        Err(TrackingError::InvalidCost { row: 1, col: 0, .. })
    ));
}

#[test]
fn threshold_mode_leaves_unprofitable_pairs_unassigned() {
    // Max cardinality would force (0,1) + (1,0) = 9 + 9; with threshold 10 the single pair
    // (0,0) at 0.5 saves more (9.5) than both forced pairs (1 + 1).
    let m = matrix(&[&[0.5, 9.0], &[9.0, X]]);
    assert_eq!(pairs(&m), vec![(0, 1), (1, 0)]);
    let a = solve_assignment_below(&m, 10.0).unwrap();
    assert_eq!(a.pairs().collect::<Vec<_>>(), vec![(0, 0)]);
    assert_eq!(a.total_cost, 0.5);
    // Pairs at or above the threshold are never made.
    let a = solve_assignment_below(&matrix(&[&[3.0, 4.0]]), 3.0).unwrap();
    assert_eq!(a.pairs().count(), 0);
    assert!(solve_assignment_below(&m, f64::NAN).is_err());
}

/// Best by exhaustive search over partial injections: with `threshold` None, max pairs then
/// min cost; with a threshold, min sum of (cost - threshold) over pairs below it.
fn brute_force(m: &CostMatrix, threshold: Option<f64>) -> (usize, f64) {
    fn go(
        m: &CostMatrix,
        t: Option<f64>,
        row: usize,
        used: &mut Vec<bool>,
        pairs: usize,
        cost: f64,
        best: &mut (usize, f64, f64),
    ) {
        if row == m.rows() {
            let score = cost - t.unwrap_or(0.0) * pairs as f64;
            let better = match t {
                None => pairs > best.0 || (pairs == best.0 && cost < best.1),
                Some(_) => score < best.2,
            };
            if better {
                *best = (pairs, cost, score);
            }
            return;
        }
        go(m, t, row + 1, used, pairs, cost, best); // leave the row unassigned
        for c in 0..m.cols() {
            let v = m.get(row, c).unwrap();
            if !used[c] && v.is_finite() && t.is_none_or(|t| v < t) {
                used[c] = true;
                go(m, t, row + 1, used, pairs + 1, cost + v, best);
                used[c] = false;
            }
        }
    }
    let mut best = (0, f64::INFINITY, f64::INFINITY);
    go(
        m,
        threshold,
        0,
        &mut vec![false; m.cols()],
        0,
        0.0,
        &mut best,
    );
    if best.0 == 0 {
        best.1 = 0.0;
    }
    (best.0, best.1)
}

#[test]
fn agrees_with_brute_force_on_random_matrices() {
    let mut rng = Rng::new(7);
    let mut checked = 0;
    for _ in 0..600 {
        let rows = 1 + (rng.next_u64() % 6) as usize;
        let cols = 1 + (rng.next_u64() % 6) as usize;
        let forbid = rng.uniform() * 0.6;
        // Integer-valued costs make exact ties common, which is the hard case.
        let m = CostMatrix::from_fn(rows, cols, |_, _| {
            if rng.uniform() < forbid {
                X
            } else {
                (rng.next_u64() % 10) as f64 - 3.0
            }
        });
        let a = solve_assignment(&m).unwrap();
        let (best_pairs, best_cost) = brute_force(&m, None);
        let got: Vec<_> = a.pairs().collect();
        assert_eq!(got.len(), best_pairs, "cardinality, matrix {m:?}");
        assert!(
            (a.total_cost - best_cost).abs() < 1e-9,
            "cost {} vs {best_cost}, {m:?}",
            a.total_cost
        );
        // Threshold mode: the score (sum of cost - threshold) must match brute force.
        let t = (rng.next_u64() % 8) as f64 - 1.5;
        let b = solve_assignment_below(&m, t).unwrap();
        let (_, bf_cost) = brute_force(&m, Some(t));
        let (bf_pairs, _) = brute_force(&m, Some(t));
        let score = b.total_cost - t * b.pairs().count() as f64;
        let bf_score = bf_cost - t * bf_pairs as f64;
        assert!(
            (score - bf_score).abs() < 1e-9,
            "threshold {t}: {score} vs {bf_score}, {m:?}"
        );
        assert!(b.pairs().all(|(r, c)| m.get(r, c).unwrap() < t));
        let sum: f64 = got.iter().map(|&(r, c)| m.get(r, c).unwrap()).sum();
        assert!((sum - a.total_cost).abs() < 1e-9);
        for &(r, c) in &got {
            assert_eq!(a.col_to_row[c], Some(r));
        }
        checked += 1;
    }
    println!(
        "[tracking] hungarian vs brute force: {checked} random matrices up to 6x6 agree (both modes)"
    );
}
