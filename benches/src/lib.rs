//! # kestrel-benches
//!
//! Latency budgets enforced on criterion measurements. The criterion benches in
//! `benches/benches/` time each pipeline stage on real fixtures under the stage's name in
//! `benches/budgets.toml`; [`criterion_results`] reads what criterion stored (per-sample
//! iteration counts and times), [`budget_check`] compares the stated percentile of each stage's
//! per-iteration latency with its budget on a machine class (budgets parsed by
//! [`kestrel_perception::budgets`], the same parser the runtime's deadline monitor uses).
//!
//! [`bench_inputs`] loads the real fixtures every bench measures on; [`frame_breakdown`]
//! times the parts of one end-to-end frame; [`tract_profile`] times a model's optimised tract
//! plan node by node.
//!
//! [`soak`] runs the real-time pipeline on a looping real sequence at multiples of its rate
//! while sampling memory and latency.
//!
//! Binaries: `check-budgets` (the CI gate), `tract-latency` (per-run tract latencies for the
//! onnxruntime comparison in `benches/compare/`), `frame-breakdown` (per-part latencies of
//! the end-to-end frame) and `soak` (overload and soak).

pub mod bench_inputs;
pub mod budget_check;
pub mod criterion_results;
pub mod error;
pub mod frame_breakdown;
pub mod soak;
pub mod tract_profile;

pub use budget_check::{BudgetReport, StageStatus, StageVerdict, check_budgets};
pub use criterion_results::{StageSamples, percentile, read_criterion_dir};
pub use error::BenchError;
