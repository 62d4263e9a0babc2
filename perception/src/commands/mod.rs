//! One module per `kestrel` subcommand: its `Args` (clap) and its `run` function.

pub mod compare;
pub mod convert;
pub mod detect;
pub mod echo;
pub mod eval;
pub mod explain;
pub mod fault_flags;
pub mod fault_matrix;
pub mod fit_shapes;
pub mod infer;
pub mod inspect;
pub mod inspect_log;
pub mod live_sources;
pub mod play;
pub mod replay;
pub mod run;
pub mod sim;
