//! What the student is trained to output for one view, on its own grid (strides 8, 16, 32;
//! cells of all levels concatenated, stride 8 first, row-major within a level).

use crate::student_classes::REG_MAX;
use crate::student_net::LEVEL_STRIDES;

/// Bins of one side's distance distribution.
pub const BOX_BINS_PER_SIDE: usize = REG_MAX + 1;

/// Cells of a student with input `height x width`, over all levels (stride 8, 16, 32).
pub fn student_cells(height: usize, width: usize) -> usize {
    LEVEL_STRIDES
        .iter()
        .map(|s| (height / s) * (width / s))
        .sum()
}

/// Targets of one view.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainingTargets {
    /// Class probabilities `[cells * NUM_CLASSES]`, student class order.
    pub scores: Vec<f32>,
    /// Cells with a box target and their side-distance distributions (`4 *`
    /// [`BOX_BINS_PER_SIDE`] probabilities: left, top, right, bottom, in strides).
    pub box_probs: Vec<(u32, [f32; 4 * BOX_BINS_PER_SIDE])>,
    /// Cells left out of the class loss (uncertain or ignored objects).
    pub ignore: Vec<u32>,
}
