//! `check-budgets`: compares criterion's stored samples with `benches/budgets.toml` for one
//! machine class. Prints a table; exits 1 naming every stage over budget or not measured, 2 on
//! unreadable input, 0 when every budgeted stage is within budget.
//!
//! ```text
//! cargo bench --profile dev -p kestrel-benches -- --sample-size 10 --measurement-time 1
//! cargo run -p kestrel-benches --bin check-budgets -- --machine x86-2core
//! ```

use clap::Parser;
use kestrel_benches::{BenchError, BudgetReport, StageStatus, check_budgets, read_criterion_dir};
use kestrel_perception::budgets::{Budgets, default_machine_class};
use std::path::PathBuf;
use std::process::ExitCode;

/// Checks criterion measurements against the latency budgets.
#[derive(Debug, Parser)]
#[command(name = "check-budgets", version, about)]
struct Args {
    /// Machine class whose budgets apply (default: this machine's class).
    #[arg(long)]
    machine: Option<String>,
    /// Criterion output directory.
    #[arg(long, default_value = "target/criterion")]
    criterion_dir: PathBuf,
    /// Budgets file.
    #[arg(long, default_value = "benches/budgets.toml")]
    budgets: PathBuf,
    /// Also write the report (with every sample) as JSON to this file.
    #[arg(long)]
    json: Option<PathBuf>,
}

fn run(args: &Args) -> Result<BudgetReport, BenchError> {
    let budgets = Budgets::load(&args.budgets)?;
    let machine = args.machine.as_deref().unwrap_or(default_machine_class());
    let measured = read_criterion_dir(&args.criterion_dir)?;
    let report = check_budgets(&budgets, machine, &measured)?;
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(&report).map_err(|e| BenchError::Criterion {
            path: path.clone(),
            reason: format!("report as JSON: {e}"),
        })?;
        std::fs::write(path, text).map_err(|e| BenchError::io(path, e))?;
    }
    Ok(report)
}

fn main() -> ExitCode {
    let args = Args::parse();
    let report = match run(&args) {
        Ok(report) => report,
        Err(e) => {
            eprintln!("check-budgets: {e}");
            return ExitCode::from(2);
        }
    };
    print!("{}", report.table());
    if report.passed() {
        println!(
            "all {} budgeted stages within budget, {} speed-up goal(s) reached",
            report.stages.len(),
            report.speedups.len()
        );
        return ExitCode::SUCCESS;
    }
    for g in report.speedup_failures() {
        eprintln!(
            "check-budgets: speed-up `{}` not reached: {} / {} = {} < {:.1}",
            g.name,
            g.slow,
            g.fast,
            g.measured_ratio
                .map_or_else(|| "not measured".to_owned(), |r| format!("{r:.2}")),
            g.min_ratio
        );
    }
    for s in report.failures() {
        match (s.status, s.measured_ms) {
            (StageStatus::Over, Some(ms)) => eprintln!(
                "check-budgets: stage `{}` over budget on `{}`: p{} = {ms:.3} ms > {:.3} ms",
                s.stage, report.machine, s.percentile, s.budget_ms
            ),
            _ => eprintln!(
                "check-budgets: stage `{}` has a budget but no measurement under {}",
                s.stage,
                args.criterion_dir.display()
            ),
        }
    }
    ExitCode::from(1)
}
