//! Optimal rectangular assignment (Kuhn-Munkres / Hungarian algorithm, O(n^2 m)) with
//! forbidden pairs.
//!
//! Two semantics, both never returning a forbidden pair (`+inf`):
//! - [`solve_assignment`]: among all assignments that use only allowed pairs, one with the
//!   **largest number of pairs**, and among those one with the **smallest total cost**;
//! - [`solve_assignment_below`]: the **smallest total of `cost - threshold`** over any set of
//!   allowed pairs, so a pair is made only where it pays compared with leaving its row and
//!   column unassigned (global nearest neighbour with a non-assignment cost).
//!
//! Rows and columns may be left unassigned when the matrix is rectangular or when gating
//! forbids every partner.
//!
//! Rows and columns linked by allowed pairs are split into independent sub-problems first, so
//! sparse (gated) problems cost far less than O(n^3).
//!
//! Determinism: the search scans columns in index order and only replaces a candidate on a
//! strictly smaller reduced cost, so ties are broken towards the lower column index, and the
//! same matrix always gives the same assignment.

use super::error::TrackingError;

/// A dense `rows x cols` cost matrix, row-major. `f64::INFINITY` marks a forbidden pair.
#[derive(Debug, Clone, PartialEq)]
pub struct CostMatrix {
    rows: usize,
    cols: usize,
    costs: Vec<f64>,
}

impl CostMatrix {
    /// Builds the matrix from `cost(row, col)`; return `f64::INFINITY` for a forbidden pair.
    pub fn from_fn(rows: usize, cols: usize, mut cost: impl FnMut(usize, usize) -> f64) -> Self {
        let mut costs = Vec::with_capacity(rows * cols);
        for r in 0..rows {
            for c in 0..cols {
                costs.push(cost(r, c));
            }
        }
        Self { rows, cols, costs }
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Number of columns.
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// The cost of pairing `row` with `col` (`+inf` = forbidden); `None` when out of range.
    pub fn get(&self, row: usize, col: usize) -> Option<f64> {
        (row < self.rows && col < self.cols).then(|| self.costs[row * self.cols + col])
    }
}

/// The solution of an assignment problem.
#[derive(Debug, Clone, PartialEq)]
pub struct Assignment {
    /// For each row, the column it is assigned to.
    pub row_to_col: Vec<Option<usize>>,
    /// For each column, the row it is assigned to.
    pub col_to_row: Vec<Option<usize>>,
    /// Sum of the costs of the assigned pairs.
    pub total_cost: f64,
}

impl Assignment {
    /// The assigned `(row, col)` pairs in increasing row order.
    pub fn pairs(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.row_to_col
            .iter()
            .enumerate()
            .filter_map(|(r, c)| c.map(|c| (r, c)))
    }
}

/// Solves the assignment problem for `costs` (see the module docs for the exact semantics).
///
/// Errors: [`TrackingError::InvalidCost`] for a NaN or `-inf` entry,
/// [`TrackingError::CostRangeTooWide`] when the finite costs cannot be combined exactly.
pub fn solve_assignment(costs: &CostMatrix) -> Result<Assignment, TrackingError> {
    solve(costs, None)
}

/// Solves the assignment problem with a non-assignment option: minimises the sum of
/// `cost - threshold` over the chosen pairs, so only pairs cheaper than `threshold` are ever
/// made, and a pair is made only when the total gets lower (see the module docs).
///
/// Errors: as [`solve_assignment`]; a non-finite `threshold` is reported as
/// [`TrackingError::InvalidCost`] at `(rows, cols)`.
pub fn solve_assignment_below(
    costs: &CostMatrix,
    threshold: f64,
) -> Result<Assignment, TrackingError> {
    if !threshold.is_finite() {
        return Err(TrackingError::InvalidCost {
            row: costs.rows,
            col: costs.cols,
            value: threshold,
        });
    }
    solve(costs, Some(threshold))
}

fn solve(costs: &CostMatrix, threshold: Option<f64>) -> Result<Assignment, TrackingError> {
    let (rows, cols) = (costs.rows, costs.cols);
    // Pairs at or above the threshold never pay: treat them as forbidden.
    let allowed = |c: f64| c.is_finite() && threshold.is_none_or(|t| c < t);
    for (i, &c) in costs.costs.iter().enumerate() {
        if c.is_nan() || c == f64::NEG_INFINITY {
            return Err(TrackingError::InvalidCost {
                row: i / cols,
                col: i % cols,
                value: c,
            });
        }
    }
    let mut result = Assignment {
        row_to_col: vec![None; rows],
        col_to_row: vec![None; cols],
        total_cost: 0.0,
    };
    // Rows and columns linked by allowed pairs form independent sub-problems (gating makes
    // them small); both objectives are sums over pairs, so solving each one exactly solves
    // the whole problem.
    for (sub_rows, sub_cols) in components(costs, &allowed) {
        let sub = CostMatrix::from_fn(sub_rows.len(), sub_cols.len(), |r, c| {
            costs.costs[sub_rows[r] * cols + sub_cols[c]]
        });
        for (r, c) in solve_dense(&sub, threshold, &allowed)? {
            let (r, c) = (sub_rows[r], sub_cols[c]);
            result.row_to_col[r] = Some(c);
            result.col_to_row[c] = Some(r);
            result.total_cost += costs.costs[r * cols + c];
        }
    }
    Ok(result)
}

/// Connected components of the bipartite graph of allowed pairs, each as (rows, columns) in
/// increasing index order; components are ordered by their smallest row.
fn components(costs: &CostMatrix, allowed: &impl Fn(f64) -> bool) -> Vec<(Vec<usize>, Vec<usize>)> {
    let (rows, cols) = (costs.rows, costs.cols);
    // Union-find over rows (0..rows) and columns (rows..rows + cols).
    let mut parent: Vec<usize> = (0..rows + cols).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    for r in 0..rows {
        for c in 0..cols {
            if allowed(costs.costs[r * cols + c]) {
                let (a, b) = (root(&mut parent, r), root(&mut parent, rows + c));
                if a != b {
                    parent[a.max(b)] = a.min(b);
                }
            }
        }
    }
    let mut index_of_root = vec![usize::MAX; rows + cols];
    let mut out: Vec<(Vec<usize>, Vec<usize>)> = Vec::new();
    for node in 0..rows + cols {
        let rt = root(&mut parent, node);
        if rt == node && node >= rows {
            continue; // a column with no allowed pair
        }
        if index_of_root[rt] == usize::MAX {
            index_of_root[rt] = out.len();
            out.push((Vec::new(), Vec::new()));
        }
        let (sub_rows, sub_cols) = &mut out[index_of_root[rt]];
        if node < rows {
            sub_rows.push(node);
        } else {
            sub_cols.push(node - rows);
        }
    }
    out.retain(|(_, c)| !c.is_empty());
    out
}

/// Exact solution of one (connected) sub-problem; returns the chosen allowed pairs.
fn solve_dense(
    costs: &CostMatrix,
    threshold: Option<f64>,
    allowed: &impl Fn(f64) -> bool,
) -> Result<Vec<(usize, usize)>, TrackingError> {
    let (rows, cols) = (costs.rows, costs.cols);
    let (mut min, mut max) = (f64::INFINITY, f64::NEG_INFINITY);
    for &c in costs.costs.iter().filter(|&&c| allowed(c)) {
        min = min.min(c);
        max = max.max(c);
    }
    if min > max {
        return Ok(Vec::new());
    }
    // The reduced problem has n <= m; transpose when there are more rows than columns.
    let transposed = rows > cols;
    let (n, m) = if transposed {
        (cols, rows)
    } else {
        (rows, cols)
    };
    let span = max - min;
    // Max-cardinality mode: forbidden pairs become a cost so large that using one more of
    // them always costs more than any difference between assignments of allowed pairs:
    // big > n * (max - min). Threshold mode: allowed pairs cost `c - threshold` < 0 and an
    // unusable pair costs 0, the same as leaving both unassigned, so the min-cost complete
    // assignment of the smaller side is the min-cost partial assignment.
    let (offset, unusable) = match threshold {
        None => (min, (span + 1.0) * (n as f64 + 1.0)),
        Some(t) => (t, 0.0),
    };
    if !unusable.is_finite() || unusable > 1e15 || span > 1e15 {
        return Err(TrackingError::CostRangeTooWide { span });
    }
    let reduced = |i: usize, j: usize| {
        let c = if transposed {
            costs.costs[j * cols + i]
        } else {
            costs.costs[i * cols + j]
        };
        if allowed(c) { c - offset } else { unusable }
    };
    let col_of_row = kuhn_munkres(n, m, reduced);
    Ok(col_of_row
        .iter()
        .enumerate()
        .map(|(i, &j)| if transposed { (j, i) } else { (i, j) })
        .filter(|&(r, c)| allowed(costs.costs[r * cols + c]))
        .collect())
}

/// Shortest-augmenting-path Hungarian algorithm with potentials for an `n x m` problem,
/// `n <= m`, all costs finite. Returns the column assigned to each row.
fn kuhn_munkres(n: usize, m: usize, cost: impl Fn(usize, usize) -> f64) -> Vec<usize> {
    // 1-based internally; index 0 is the virtual source row/column.
    let mut u = vec![0.0_f64; n + 1];
    let mut v = vec![0.0_f64; m + 1];
    let mut row_of_col = vec![0_usize; m + 1];
    let mut way = vec![0_usize; m + 1];
    let mut min_to = vec![0.0_f64; m + 1];
    let mut used = vec![false; m + 1];
    for i in 1..=n {
        row_of_col[0] = i;
        let mut j0 = 0;
        min_to.fill(f64::INFINITY);
        used.fill(false);
        loop {
            used[j0] = true;
            let i0 = row_of_col[j0];
            let mut delta = f64::INFINITY;
            let mut j1 = 0;
            for j in 1..=m {
                if used[j] {
                    continue;
                }
                let cur = cost(i0 - 1, j - 1) - u[i0] - v[j];
                if cur < min_to[j] {
                    min_to[j] = cur;
                    way[j] = j0;
                }
                if min_to[j] < delta {
                    delta = min_to[j];
                    j1 = j;
                }
            }
            for j in 0..=m {
                if used[j] {
                    u[row_of_col[j]] += delta;
                    v[j] -= delta;
                } else {
                    min_to[j] -= delta;
                }
            }
            j0 = j1;
            if row_of_col[j0] == 0 {
                break;
            }
        }
        // Augment along the alternating path back to the source.
        loop {
            let j1 = way[j0];
            row_of_col[j0] = row_of_col[j1];
            j0 = j1;
            if j0 == 0 {
                break;
            }
        }
    }
    let mut col_of_row = vec![0; n];
    for j in 1..=m {
        if row_of_col[j] != 0 {
            col_of_row[row_of_col[j] - 1] = j - 1;
        }
    }
    col_of_row
}
