//! Progress hooks of the long-running toolchain commands (`recipe`, `adapt`): the binary draws
//! bars and log lines, tests and library callers report nothing.

use crate::trainer::StepLog;

/// Progress hooks of the recipe (the binary draws bars and log lines).
pub trait RecipeProgress: Sync {
    /// A phase starts with `len` units of work.
    fn phase(&self, name: &str, len: u64);
    /// One unit of work is done.
    fn tick(&self);
    /// A training step finished.
    fn step(&self, log: &StepLog);
    /// A line of information.
    fn note(&self, text: &str);
}

/// Progress hooks that report nothing (tests, library callers without a terminal).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl RecipeProgress for NoProgress {
    fn phase(&self, _: &str, _: u64) {}
    fn tick(&self) {}
    fn step(&self, _: &StepLog) {}
    fn note(&self, _: &str) {}
}
