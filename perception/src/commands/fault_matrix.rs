//! `kestrel fault-matrix [INPUT]`: every injectable fault replayed on a real sequence and
//! checked against its declared behaviour ([`kestrel_perception::fault_matrix`]); prints the
//! table, optionally writes it as Markdown (RELIABILITY.md). Exit 0 when every row passes, 1
//! when one fails, 2 on a usage or I/O error.

use kestrel_perception::fault_matrix::run_matrix;
use kestrel_perception::stage_factory::{camera_manifest, default_input};
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `kestrel fault-matrix`.
#[derive(clap::Args)]
pub struct Args {
    /// The sequence to fault (default: the shipped PandaSet slice).
    #[arg(value_name = "INPUT")]
    pub input: Option<PathBuf>,
    /// Camera detector model manifest (default: the shipped student).
    #[arg(long, value_name = "MANIFEST")]
    pub model: Option<PathBuf>,
    /// Write the table as Markdown to this file.
    #[arg(long, value_name = "FILE")]
    pub markdown: Option<PathBuf>,
}

/// Runs `kestrel fault-matrix`.
pub fn main(args: Args) -> ExitCode {
    match run(args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("kestrel fault-matrix: error: {e}");
            ExitCode::from(2)
        }
    }
}

fn run(args: Args) -> Result<bool, Box<dyn std::error::Error>> {
    let input = args.input.unwrap_or_else(default_input);
    let model = camera_manifest(args.model, false);
    let report = run_matrix(&input, model.as_deref(), |name| eprintln!("fault: {name}"))?;
    for r in std::iter::once(&report.clean).chain(&report.results) {
        println!(
            "{:<6} {:<28} frames {:>3}  tracks {:>4} (max {:>3})  non-finite {}  {}",
            if r.passed { "pass" } else { "FAIL" },
            r.name,
            r.frames,
            r.distinct_tracks,
            r.max_tracks,
            r.non_finite,
            r.verdict.measured
        );
    }
    if let Some(path) = &args.markdown {
        std::fs::write(path, report.markdown())
            .map_err(|e| format!("writing {}: {e}", path.display()))?;
        println!("wrote {}", path.display());
    }
    Ok(report.all_passed())
}
