//! The classes the Kestrel stack needs, and where they sit in the teacher's COCO outputs.

/// Student class names, in the order of the student's score channels.
pub const STUDENT_CLASSES: [&str; 6] = ["person", "bicycle", "car", "motorcycle", "bus", "truck"];

/// COCO channel of the teacher for each student class (same order as [`STUDENT_CLASSES`]).
pub const TEACHER_CHANNELS: [usize; 6] = [0, 1, 2, 3, 5, 7];

/// Number of student classes.
pub const NUM_CLASSES: usize = STUDENT_CLASSES.len();

/// Highest bin of each side's distance distribution (teacher and student alike: 11 bins).
pub const REG_MAX: usize = 10;

/// Box-distribution values per cell: 4 sides x (`REG_MAX` + 1) bins.
pub const BOX_BINS: usize = 4 * (REG_MAX + 1);
