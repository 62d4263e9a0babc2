//! Latency budgets from `benches/budgets.toml` (schema documented in that file): per stage,
//! per machine class, a budget in milliseconds on a stated percentile.

use crate::error::PerceptionError;
use kestrel_fusion::fusion_stage::MAX_THREADS;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

/// The budgets file shipped with the workspace, compiled in as the default.
pub const DEFAULT_BUDGETS: &str = include_str!("../../benches/budgets.toml");

/// One stage's budget on one machine class.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StageBudget {
    /// Budget, milliseconds.
    pub budget_ms: f64,
    /// Percentile (0..100) of the latency distribution the budget bounds.
    pub percentile: f64,
}

#[derive(Debug, Deserialize)]
struct StageEntry {
    /// Required documentation; not used at run time.
    #[serde(rename = "description")]
    _description: String,
    percentile: f64,
    #[serde(flatten)]
    per_machine: BTreeMap<String, f64>,
}

/// A speed-up goal: stage `slow` must take at least `min_ratio` times as long as stage `fast`
/// (medians, measured on the same machine, so the goal holds on every machine class).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Speedup {
    /// What the goal stands for.
    pub description: String,
    /// The stage that must be faster.
    pub fast: String,
    /// The reference stage.
    pub slow: String,
    /// Least acceptable `median(slow) / median(fast)`.
    pub min_ratio: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MachineEntry {
    /// Required documentation; not used at run time.
    #[serde(rename = "description")]
    _description: String,
    threads: usize,
}

#[derive(Debug, Deserialize)]
struct BudgetsFile {
    schema_version: u32,
    machines: BTreeMap<String, MachineEntry>,
    stages: BTreeMap<String, StageEntry>,
    #[serde(default)]
    speedups: BTreeMap<String, Speedup>,
}

/// The parsed, validated budgets file.
#[derive(Debug, Clone)]
pub struct Budgets {
    /// machine class -> threads of the fusion stage its budgets assume
    threads: BTreeMap<String, usize>,
    /// stage -> (percentile, machine -> ms)
    stages: BTreeMap<String, (f64, BTreeMap<String, f64>)>,
    speedups: BTreeMap<String, Speedup>,
}

impl Budgets {
    /// Parses and validates budgets text; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Self, PerceptionError> {
        let file: BudgetsFile =
            toml::from_str(text).map_err(|e| PerceptionError::Config(format!("{origin}: {e}")))?;
        if file.schema_version != 1 {
            return Err(PerceptionError::Config(format!(
                "{origin}: schema_version {} is not supported (expected 1)",
                file.schema_version
            )));
        }
        let mut threads = BTreeMap::new();
        for (machine, entry) in file.machines {
            if !(1..=MAX_THREADS).contains(&entry.threads) {
                return Err(PerceptionError::Config(format!(
                    "{origin}: machine class `{machine}`: threads = {} must be 1..{MAX_THREADS}",
                    entry.threads
                )));
            }
            threads.insert(machine, entry.threads);
        }
        let mut stages = BTreeMap::new();
        for (stage, entry) in file.stages {
            if !(0.0..=100.0).contains(&entry.percentile) {
                return Err(PerceptionError::Config(format!(
                    "{origin}: stage `{stage}`: percentile {} is outside 0..100",
                    entry.percentile
                )));
            }
            for (machine, ms) in &entry.per_machine {
                if !threads.contains_key(machine) {
                    return Err(PerceptionError::Config(format!(
                        "{origin}: stage `{stage}` names unknown machine class `{machine}`"
                    )));
                }
                if !(ms.is_finite() && *ms > 0.0) {
                    return Err(PerceptionError::Config(format!(
                        "{origin}: stage `{stage}` on `{machine}`: budget {ms} ms is not positive"
                    )));
                }
            }
            if let Some(missing) = threads.keys().find(|m| !entry.per_machine.contains_key(*m)) {
                return Err(PerceptionError::Config(format!(
                    "{origin}: stage `{stage}` has no budget for machine class `{missing}`"
                )));
            }
            stages.insert(stage, (entry.percentile, entry.per_machine));
        }
        for (name, goal) in &file.speedups {
            if let Some(unknown) = [&goal.fast, &goal.slow]
                .into_iter()
                .find(|s| !stages.contains_key(*s))
            {
                return Err(PerceptionError::Config(format!(
                    "{origin}: speed-up `{name}` names unknown stage `{unknown}`"
                )));
            }
            if !(goal.min_ratio.is_finite() && goal.min_ratio > 0.0) {
                return Err(PerceptionError::Config(format!(
                    "{origin}: speed-up `{name}`: min_ratio {} is not positive",
                    goal.min_ratio
                )));
            }
        }
        Ok(Self {
            threads,
            stages,
            speedups: file.speedups,
        })
    }

    /// The speed-up goals by name.
    pub fn speedups(&self) -> &BTreeMap<String, Speedup> {
        &self.speedups
    }

    /// The compiled-in budgets (`benches/budgets.toml`).
    pub fn builtin() -> Result<Self, PerceptionError> {
        Self::parse(DEFAULT_BUDGETS, "benches/budgets.toml (built in)")
    }

    /// Loads a budgets file.
    pub fn load(path: &Path) -> Result<Self, PerceptionError> {
        let text = std::fs::read_to_string(path).map_err(|e| PerceptionError::io(path, e))?;
        Self::parse(&text, &path.display().to_string())
    }

    /// Machine classes, sorted.
    pub fn machines(&self) -> Vec<&str> {
        self.threads.keys().map(String::as_str).collect()
    }

    /// The threads the fusion stage uses on `machine` (`[machines.<class>] threads`): the
    /// budgets of that class hold for this thread count.
    pub fn threads(&self, machine: &str) -> Result<usize, PerceptionError> {
        self.threads.get(machine).copied().ok_or_else(|| {
            PerceptionError::Config(format!(
                "unknown machine class `{machine}` (budgets know: {})",
                self.machines().join(", ")
            ))
        })
    }

    /// The budgets of every stage on `machine`.
    pub fn for_machine(
        &self,
        machine: &str,
    ) -> Result<BTreeMap<String, StageBudget>, PerceptionError> {
        self.threads(machine)?;
        Ok(self
            .stages
            .iter()
            .map(|(stage, (percentile, per_machine))| {
                (
                    stage.clone(),
                    StageBudget {
                        budget_ms: per_machine[machine],
                        percentile: *percentile,
                    },
                )
            })
            .collect())
    }
}

/// The machine class to assume when none is configured: `arm-a72` on 64-bit ARM (the slowest
/// ARM class, so budgets are not too loose), `x86-2core` elsewhere.
pub fn default_machine_class() -> &'static str {
    if cfg!(target_arch = "aarch64") {
        "arm-a72"
    } else {
        "x86-2core"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_budgets_parse_and_cover_every_machine() {
        let b = Budgets::builtin().unwrap();
        assert_eq!(b.machines(), ["arm-a72", "arm-a78", "x86-2core"]);
        let x86 = b.for_machine("x86-2core").unwrap();
        assert!(x86.contains_key("fusion") && x86.contains_key("output"));
        assert!(x86["fusion"].budget_ms > 0.0);
        assert!(b.for_machine("pdp-11").is_err());
        let goal = &b.speedups()["student_vs_teacher"];
        assert_eq!(
            (goal.fast.as_str(), goal.slow.as_str()),
            ("student_inference", "teacher_inference")
        );
        assert!(goal.min_ratio >= 5.0);
        assert_eq!(b.threads("x86-2core").unwrap(), 2);
        assert!(b.threads("pdp-11").is_err());
    }

    #[test]
    fn machine_classes_state_a_valid_thread_count() {
        let stage = "[stages.s]\ndescription = \"s\"\npercentile = 99\na = 1.0\n";
        let none = format!("schema_version = 1\n[machines.a]\ndescription = \"a\"\n{stage}");
        let e = Budgets::parse(&none, "t").unwrap_err().to_string();
        assert!(e.contains("threads"), "{e}");
        let zero =
            format!("schema_version = 1\n[machines.a]\ndescription = \"a\"\nthreads = 0\n{stage}");
        let e = Budgets::parse(&zero, "t").unwrap_err().to_string();
        assert!(e.contains("`a`") && e.contains("threads = 0"), "{e}");
    }

    #[test]
    fn invalid_budgets_are_rejected_with_the_stage_named() {
        let missing = "schema_version = 1\n[machines.a]\ndescription = \"a\"\nthreads = 1\n\
                       [machines.b]\ndescription = \"b\"\nthreads = 2\n\
                       [stages.fusion]\ndescription = \"f\"\npercentile = 99\na = 1.0\n";
        let e = Budgets::parse(missing, "t").unwrap_err().to_string();
        assert!(e.contains("fusion") && e.contains("`b`"), "{e}");
        let negative = "schema_version = 1\n[machines.a]\ndescription = \"a\"\nthreads = 1\n\
                        [stages.s]\ndescription = \"s\"\npercentile = 99\na = -1.0\n";
        assert!(Budgets::parse(negative, "t").is_err());
        let version = "schema_version = 2\n[machines]\n[stages]\n";
        assert!(Budgets::parse(version, "t").is_err());
        let speedup = "schema_version = 1\n[machines.a]\ndescription = \"a\"\nthreads = 1\n\
                       [stages.s]\ndescription = \"s\"\npercentile = 99\na = 1.0\n\
                       [speedups.g]\ndescription = \"g\"\nfast = \"s\"\nslow = \"t\"\n\
                       min_ratio = 5.0\n";
        let e = Budgets::parse(speedup, "t").unwrap_err().to_string();
        assert!(e.contains("speed-up `g`") && e.contains("`t`"), "{e}");
    }
}
