//! `fuzz-seeds OUTDIR [TARGET...]`: writes each target's seed corpus to `OUTDIR/<target>/`
//! (all targets when none is named), for AFL++ (`sensors/fuzz/run.sh`).
//! `fuzz-seeds --list`: one line per target, its name and what it parses, tab-separated.

use kestrel_fuzz::{TARGETS, Target, target};
use std::path::Path;
use std::process::ExitCode;

fn write_seeds(out: &Path, t: &Target) -> Result<usize, Box<dyn std::error::Error>> {
    let dir = out.join(t.name);
    std::fs::create_dir_all(&dir)?;
    let seeds = (t.seeds)()?;
    for (i, seed) in seeds.iter().enumerate() {
        std::fs::write(dir.join(format!("seed-{i:02}")), seed)?;
    }
    Ok(seeds.len())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((out, names)) = args.split_first() else {
        eprintln!("usage: fuzz-seeds OUTDIR [TARGET...] | fuzz-seeds --list");
        return ExitCode::from(2);
    };
    if out == "--list" {
        for t in TARGETS {
            println!("{}\t{}", t.name, t.what);
        }
        return ExitCode::SUCCESS;
    }
    let mut chosen = Vec::new();
    for name in names {
        match target(name) {
            Some(t) => chosen.push(t),
            None => {
                let all: Vec<&str> = TARGETS.iter().map(|t| t.name).collect();
                eprintln!(
                    "fuzz-seeds: no target `{name}` (targets: {})",
                    all.join(", ")
                );
                return ExitCode::from(2);
            }
        }
    }
    if chosen.is_empty() {
        chosen = TARGETS.iter().collect();
    }
    for t in chosen {
        match write_seeds(Path::new(out), t) {
            Ok(n) => println!("{}: {n} seeds", t.name),
            Err(e) => {
                eprintln!("fuzz-seeds: {}: {e}", t.name);
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}
