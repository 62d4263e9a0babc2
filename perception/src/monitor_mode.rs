//! How the runtime hands work to the model monitors' own threads (the shadow teacher, the
//! mining writer).

/// Hand-off policy of the monitors' threads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MonitorMode {
    /// Every handed-over item is processed; the end of the run waits for them (replay: the
    /// verdicts repeat exactly).
    Complete,
    /// An item handed over while the thread is behind is skipped and counted (live: the
    /// monitors may fall behind, the pipeline never waits for them).
    Drop,
}
