//! Budgets against measurements: for every stage budgeted on a machine class, the stated
//! percentile of the stage's per-iteration latency (criterion samples) must be within the
//! budget. A budgeted stage without a measurement fails too, so a renamed or dropped bench
//! cannot pass silently.

use crate::BenchError;
use crate::criterion_results::StageSamples;
use kestrel_perception::budgets::Budgets;
use serde::Serialize;
use std::fmt::Write as _;

/// How a stage fared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StageStatus {
    /// The budget's percentile is within the budget.
    Within,
    /// The budget's percentile exceeds the budget.
    Over,
    /// No criterion measurement for the stage.
    Missing,
}

/// One budgeted stage against its measurement. Latencies in milliseconds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StageVerdict {
    /// Stage name (`budgets.toml`, and the criterion group id).
    pub stage: String,
    /// Criterion's full id of the benchmark that measured the stage.
    pub benchmark: Option<String>,
    /// Percentile the budget bounds (0..100).
    pub percentile: f64,
    /// The budget on the machine class, ms.
    pub budget_ms: f64,
    /// Measured latency at `percentile`, ms.
    pub measured_ms: Option<f64>,
    /// Measured median, ms.
    pub median_ms: Option<f64>,
    /// Measured 99th percentile, ms.
    pub p99_ms: Option<f64>,
    /// Per-iteration latency of every criterion sample, ms (empty when missing).
    pub samples_ms: Vec<f64>,
    /// Outcome.
    pub status: StageStatus,
}

/// One speed-up goal against the measured medians.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SpeedupVerdict {
    /// Goal name (`[speedups.<name>]` in `budgets.toml`).
    pub name: String,
    /// The stage that must be faster.
    pub fast: String,
    /// The reference stage.
    pub slow: String,
    /// Least acceptable `median(slow) / median(fast)`.
    pub min_ratio: f64,
    /// Measured `median(slow) / median(fast)` (`None` if a stage is not measured).
    pub measured_ratio: Option<f64>,
    /// Outcome: `Within` when the ratio reaches `min_ratio`, `Over` when it falls short.
    pub status: StageStatus,
}

/// Every budgeted stage of one machine class against the measurements, sorted by stage name,
/// and every speed-up goal.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BudgetReport {
    /// Machine class the budgets were taken for.
    pub machine: String,
    /// One verdict per budgeted stage.
    pub stages: Vec<StageVerdict>,
    /// One verdict per speed-up goal.
    pub speedups: Vec<SpeedupVerdict>,
}

impl BudgetReport {
    /// The stages over budget or without measurement.
    pub fn failures(&self) -> impl Iterator<Item = &StageVerdict> {
        self.stages
            .iter()
            .filter(|s| s.status != StageStatus::Within)
    }

    /// The speed-up goals not reached or not measured.
    pub fn speedup_failures(&self) -> impl Iterator<Item = &SpeedupVerdict> {
        self.speedups
            .iter()
            .filter(|s| s.status != StageStatus::Within)
    }

    /// True when every budgeted stage is measured and within budget and every speed-up goal
    /// is reached.
    pub fn passed(&self) -> bool {
        self.failures().next().is_none() && self.speedup_failures().next().is_none()
    }

    /// A fixed-width text table: stage, samples, median, p99, budget percentile, budget, status.
    pub fn table(&self) -> String {
        let mut out = format!(
            "budgets for machine class `{}`\n{:<20} {:>7} {:>10} {:>10} {:>14} {:>10}  status\n",
            self.machine, "stage", "samples", "median ms", "p99 ms", "at budget pct", "budget ms"
        );
        let ms = |v: Option<f64>| v.map_or_else(|| "-".to_owned(), |v| format!("{v:.3}"));
        for s in &self.stages {
            let _ = writeln!(
                out,
                "{:<20} {:>7} {:>10} {:>10} {:>14} {:>10.3}  {}",
                s.stage,
                s.samples_ms.len(),
                ms(s.median_ms),
                ms(s.p99_ms),
                format!("p{} {}", s.percentile, ms(s.measured_ms)),
                s.budget_ms,
                match s.status {
                    StageStatus::Within => "ok",
                    StageStatus::Over => "OVER BUDGET",
                    StageStatus::Missing => "NOT MEASURED",
                }
            );
        }
        for g in &self.speedups {
            let _ = writeln!(
                out,
                "speed-up {:<11} {} / {} = {} (goal >= {:.1})  {}",
                g.name,
                g.slow,
                g.fast,
                g.measured_ratio
                    .map_or_else(|| "-".to_owned(), |r| format!("{r:.1}")),
                g.min_ratio,
                match g.status {
                    StageStatus::Within => "ok",
                    StageStatus::Over => "BELOW GOAL",
                    StageStatus::Missing => "NOT MEASURED",
                }
            );
        }
        out
    }
}

/// Checks every stage budgeted on `machine` against `measured` (by stage name = criterion
/// group id, see [`crate::criterion_results`]). Measurements without a budget are ignored.
/// Errors for an unknown machine class and for a budgeted stage whose group holds more than
/// one benchmark (which one the budget bounds would be ambiguous).
pub fn check_budgets(
    budgets: &Budgets,
    machine: &str,
    measured: &[StageSamples],
) -> Result<BudgetReport, BenchError> {
    let mut stages = Vec::new();
    for (stage, budget) in budgets.for_machine(machine)? {
        let mut found = measured.iter().filter(|s| s.group == stage);
        let samples = found.next();
        if let (Some(first), Some(second)) = (samples, found.next()) {
            return Err(BenchError::Criterion {
                path: second.dir.clone(),
                reason: format!(
                    "stage `{stage}`: its criterion group holds `{}` and `{}`; a stage's \
                     group must hold one benchmark (remove a renamed bench's stale {})",
                    first.full_id,
                    second.full_id,
                    second.dir.parent().unwrap_or(&second.dir).display()
                ),
            });
        }
        let measured_ms = samples.map(|s| s.percentile_ms(budget.percentile));
        let status = match measured_ms {
            None => StageStatus::Missing,
            Some(ms) if ms <= budget.budget_ms => StageStatus::Within,
            Some(_) => StageStatus::Over,
        };
        stages.push(StageVerdict {
            benchmark: samples.map(|s| s.full_id.clone()),
            percentile: budget.percentile,
            budget_ms: budget.budget_ms,
            measured_ms,
            median_ms: samples.map(|s| s.percentile_ms(50.0)),
            p99_ms: samples.map(|s| s.percentile_ms(99.0)),
            samples_ms: samples.map_or_else(Vec::new, |s| s.per_iteration_ms.clone()),
            status,
            stage,
        });
    }
    let median = |stage: &str| {
        stages
            .iter()
            .find(|s| s.stage == stage)
            .and_then(|s| s.median_ms)
    };
    let speedups = budgets
        .speedups()
        .iter()
        .map(|(name, goal)| {
            let measured_ratio = match (median(&goal.slow), median(&goal.fast)) {
                (Some(slow), Some(fast)) if fast > 0.0 => Some(slow / fast),
                _ => None,
            };
            SpeedupVerdict {
                name: name.clone(),
                fast: goal.fast.clone(),
                slow: goal.slow.clone(),
                min_ratio: goal.min_ratio,
                measured_ratio,
                status: match measured_ratio {
                    None => StageStatus::Missing,
                    Some(r) if r >= goal.min_ratio => StageStatus::Within,
                    Some(_) => StageStatus::Over,
                },
            }
        })
        .collect();
    Ok(BudgetReport {
        machine: machine.to_owned(),
        stages,
        speedups,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    const BUDGETS: &str = "schema_version = 1\n[machines.ci]\ndescription = \"ci\"\nthreads = 1\n\
        [stages.lidar]\ndescription = \"l\"\npercentile = 90\nci = 10.0\n\
        [stages.radar]\ndescription = \"r\"\npercentile = 50\nci = 1.0\n\
        [stages.output]\ndescription = \"o\"\npercentile = 99\nci = 5.0\n";

    fn samples(id: &str, ms: &[f64]) -> StageSamples {
        StageSamples {
            group: id.to_owned(),
            full_id: format!("{id}/fixture"),
            dir: PathBuf::from(id),
            per_iteration_ms: ms.to_vec(),
        }
    }

    #[test]
    fn each_stage_is_judged_at_its_own_percentile() {
        let budgets = Budgets::parse(BUDGETS, "test").unwrap();
        // lidar: p90 of 1..=10 ms is 9 ms (within 10); radar: median 2 ms (over 1);
        // output: not measured; `extra` has no budget and is ignored.
        let mut measured = vec![
            samples("lidar", &(1..=10).map(f64::from).collect::<Vec<_>>()),
            samples("radar", &[0.5, 2.0, 3.0]),
            samples("extra", &[100.0]),
        ];
        let report = check_budgets(&budgets, "ci", &measured).unwrap();
        let status: Vec<(&str, StageStatus)> = report
            .stages
            .iter()
            .map(|s| (s.stage.as_str(), s.status))
            .collect();
        assert_eq!(
            status,
            [
                ("lidar", StageStatus::Within),
                ("output", StageStatus::Missing),
                ("radar", StageStatus::Over),
            ]
        );
        assert_eq!(report.stages[0].measured_ms, Some(9.0));
        assert_eq!(report.stages[0].p99_ms, Some(10.0));
        assert!(!report.passed());
        let table = report.table();
        assert!(
            table.contains("OVER BUDGET") && table.contains("NOT MEASURED"),
            "{table}"
        );
        assert!(check_budgets(&budgets, "pdp-11", &measured).is_err());
        measured.push(samples("lidar", &[1.0]));
        let e = check_budgets(&budgets, "ci", &measured).unwrap_err();
        assert!(e.to_string().contains("stage `lidar`"), "{e}");
    }

    #[test]
    fn speedup_goals_compare_medians() {
        let text = format!(
            "{BUDGETS}[speedups.radar_vs_lidar]\ndescription = \"g\"\nfast = \"radar\"\n\
             slow = \"lidar\"\nmin_ratio = 5.0\n"
        );
        let budgets = Budgets::parse(&text, "test").unwrap();
        let lidar = samples("lidar", &[9.0, 10.0, 11.0]);
        let status = |radar_ms: f64| {
            let measured = [lidar.clone(), samples("radar", &[radar_ms])];
            let report = check_budgets(&budgets, "ci", &measured).unwrap();
            (report.speedups[0].status, report.speedups[0].measured_ratio)
        };
        // Median lidar 10 ms: radar at 2 ms is exactly 5x, at 2.5 ms only 4x.
        assert_eq!(status(2.0), (StageStatus::Within, Some(5.0)));
        assert_eq!(status(2.5), (StageStatus::Over, Some(4.0)));
        let report = check_budgets(&budgets, "ci", &[lidar]).unwrap();
        assert_eq!(report.speedups[0].status, StageStatus::Missing);
        assert!(report.table().contains("NOT MEASURED"));
    }
}
