//! `kestrel inspect <path>`.

use std::path::PathBuf;

/// Arguments of `kestrel inspect`.
#[derive(clap::Args)]
pub struct Args {
    /// File or folder to inspect.
    pub path: PathBuf,
    /// Print one JSON object per message instead of a human summary.
    #[arg(long)]
    pub json: bool,
}

/// Runs `kestrel inspect`.
pub fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    Err(format!("cannot inspect {}: no adapter yet", args.path.display()).into())
}
