//! One module per `kestrel` subcommand: its `Args` (clap) and its `run` function.

pub mod convert;
pub mod detect;
pub mod echo;
pub mod inspect;
pub mod replay;
pub mod run;
