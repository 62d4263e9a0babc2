//! `kestrel compare <a.jsonl> <b.jsonl> [--max-abs <bound>]`: compares two JSON-lines outputs
//! of the same run (`kestrel replay --json`, `kestrel infer`) number by number and prints the
//! largest difference per field; fails when they differ in structure or beyond the bound.

use kestrel_perception::output_comparison::compare_json_lines;
use std::path::PathBuf;

/// Arguments of `kestrel compare`.
#[derive(clap::Args)]
pub struct Args {
    /// First JSON-lines file.
    pub left: PathBuf,
    /// Second JSON-lines file.
    pub right: PathBuf,
    /// Fail when any floating-point field differs by more than this (absolute, in the field's
    /// unit; `0` demands bit-identical numbers). Without it, only report.
    #[arg(long, value_name = "BOUND")]
    pub max_abs: Option<f64>,
}

/// Runs `kestrel compare`.
pub fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let read = |p: &PathBuf| {
        std::fs::read_to_string(p).map_err(|e| format!("cannot read {}: {e}", p.display()))
    };
    let (left, right) = (read(&args.left)?, read(&args.right)?);
    let c = compare_json_lines(&left, &right).map_err(|e| {
        format!(
            "{} and {} differ in structure: {e}",
            args.left.display(),
            args.right.display()
        )
    })?;
    println!(
        "{} lines, {} numbers, {} differ; largest absolute difference {:e}",
        c.lines,
        c.numbers,
        c.differing,
        c.overall_max_abs()
    );
    for (field, d) in &c.max_abs {
        println!("  {field:<24} {d:e}");
    }
    match args.max_abs {
        Some(bound) if c.overall_max_abs() > bound => Err(format!(
            "difference {:e} exceeds the bound {bound:e}",
            c.overall_max_abs()
        )
        .into()),
        _ => Ok(()),
    }
}
