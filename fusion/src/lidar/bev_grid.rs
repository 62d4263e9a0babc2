//! A regular bird's-eye-view grid over the x/y plane of the vehicle frame.

/// An `nx` x `ny` grid of square cells covering `[x_min, x_min + nx * cell) x
/// [y_min, y_min + ny * cell)` in the vehicle frame (metres). Cells are numbered row-major
/// along y: `index = ix * ny + iy`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BevGrid {
    /// Lower x edge, metres.
    pub x_min: f32,
    /// Lower y edge, metres.
    pub y_min: f32,
    /// Cell side, metres.
    pub cell: f32,
    /// Number of cells along x.
    pub nx: usize,
    /// Number of cells along y.
    pub ny: usize,
}

impl BevGrid {
    /// A grid covering the closed rectangle `[x_min, x_max] x [y_min, y_max]` with cells of
    /// `cell` metres (the upper edges always fall inside the last cell). `cell` must be
    /// positive (checked by the configs).
    pub fn covering(x_min: f32, x_max: f32, y_min: f32, y_max: f32, cell: f32) -> Self {
        let count = |lo: f32, hi: f32| ((hi - lo) / cell).max(0.0).floor() as usize + 1;
        Self {
            x_min,
            y_min,
            cell,
            nx: count(x_min, x_max),
            ny: count(y_min, y_max),
        }
    }

    /// Number of cells.
    pub fn len(&self) -> usize {
        self.nx * self.ny
    }

    /// True when the grid has no cells (never, for grids built by [`BevGrid::covering`]).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Cell `(ix, iy)` of a point, or `None` outside the grid (or non-finite).
    #[inline]
    pub fn cell_xy(&self, x: f32, y: f32) -> Option<(usize, usize)> {
        let fx = (x - self.x_min) / self.cell;
        let fy = (y - self.y_min) / self.cell;
        // The negated comparison also rejects NaN.
        if !(fx >= 0.0 && fy >= 0.0) {
            return None;
        }
        let (ix, iy) = (fx as usize, fy as usize);
        (ix < self.nx && iy < self.ny).then_some((ix, iy))
    }

    /// Linear index of the cell holding `(x, y)`, or `None` outside the grid.
    #[inline]
    pub fn index(&self, x: f32, y: f32) -> Option<usize> {
        self.cell_xy(x, y).map(|(ix, iy)| ix * self.ny + iy)
    }

    /// Centre of cell `(ix, iy)`, metres.
    pub fn center(&self, ix: usize, iy: usize) -> (f32, f32) {
        (
            self.x_min + (ix as f32 + 0.5) * self.cell,
            self.y_min + (iy as f32 + 0.5) * self.cell,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indexes_and_rejects_outside_points() {
        let g = BevGrid::covering(-1.0, 1.0, -2.0, 2.0, 0.5);
        assert_eq!((g.nx, g.ny), (5, 9));
        assert_eq!(g.index(-1.0, -2.0), Some(0));
        assert_eq!(g.index(0.9, 1.9), Some(3 * 9 + 7));
        assert_eq!(g.index(1.0, 2.0), Some(4 * 9 + 8));
        assert_eq!(g.index(1.5, 0.0), None);
        assert_eq!(g.index(-1.01, 0.0), None);
        assert_eq!(g.index(f32::NAN, 0.0), None);
        assert_eq!(g.center(0, 0), (-0.75, -1.75));
    }
}
