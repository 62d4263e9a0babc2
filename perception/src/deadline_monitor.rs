//! Per-stage latency measurement against the budgets: every sample goes into a fixed-size
//! log-scale histogram (bounded memory however long the run), samples over budget are counted
//! as deadline misses.
//!
//! Latencies are processing durations measured with a monotonic timer; they describe the run,
//! never enter the outputs, and so do not affect replay determinism.

use crate::budgets::StageBudget;
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::Duration;

/// Histogram buckets per decade (~4.7 % relative resolution).
const BUCKETS_PER_DECADE: usize = 50;
/// Lowest bucket edge: 1 µs, in ms.
const MIN_MS: f64 = 1e-3;
/// Decades covered: 1 µs .. 100 s.
const DECADES: usize = 8;
const BUCKETS: usize = BUCKETS_PER_DECADE * DECADES;

/// Latency distribution of one stage.
#[derive(Debug, Clone)]
struct StageLatency {
    budget: Option<StageBudget>,
    counts: Vec<u64>,
    samples: u64,
    misses: u64,
    max_ms: f64,
    sum_ms: f64,
}

impl StageLatency {
    fn new(budget: Option<StageBudget>) -> Self {
        Self {
            budget,
            counts: vec![0; BUCKETS + 1],
            samples: 0,
            misses: 0,
            max_ms: 0.0,
            sum_ms: 0.0,
        }
    }

    fn bucket(ms: f64) -> usize {
        if ms <= MIN_MS {
            return 0;
        }
        let b = ((ms / MIN_MS).log10() * BUCKETS_PER_DECADE as f64).ceil() as usize;
        b.min(BUCKETS)
    }

    /// Upper edge of bucket `b`, ms.
    fn upper_edge(b: usize) -> f64 {
        MIN_MS * 10f64.powf(b as f64 / BUCKETS_PER_DECADE as f64)
    }

    fn record(&mut self, ms: f64) -> bool {
        self.counts[Self::bucket(ms)] += 1;
        self.samples += 1;
        self.sum_ms += ms;
        self.max_ms = self.max_ms.max(ms);
        let missed = self.budget.is_some_and(|b| ms > b.budget_ms);
        if missed {
            self.misses += 1;
        }
        missed
    }

    /// The `p`-th percentile (0..100), as the upper edge of its bucket (never above the max).
    fn percentile(&self, p: f64) -> f64 {
        if self.samples == 0 {
            return 0.0;
        }
        let rank = ((p / 100.0) * self.samples as f64).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (b, &c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return Self::upper_edge(b).min(self.max_ms);
            }
        }
        self.max_ms
    }
}

/// Latency summary of one stage, for health messages and run summaries.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StageReport {
    /// Stage name (as in `budgets.toml`).
    pub stage: String,
    /// Samples recorded.
    pub samples: u64,
    /// Mean latency, ms.
    pub mean_ms: f64,
    /// Median, ms (bucket resolution ~5 %).
    pub p50_ms: f64,
    /// 99th percentile, ms.
    pub p99_ms: f64,
    /// Largest sample, ms.
    pub max_ms: f64,
    /// Budget on this machine, ms, if the stage has one.
    pub budget_ms: Option<f64>,
    /// The percentile the budget bounds.
    pub budget_percentile: Option<f64>,
    /// Latency at the budget's percentile, ms.
    pub at_budget_percentile_ms: Option<f64>,
    /// Samples over budget.
    pub deadline_misses: u64,
    /// True when the budget's percentile is within budget (or there is no budget).
    pub within_budget: bool,
}

/// Measures stage latencies against budgets.
#[derive(Debug, Clone)]
pub struct DeadlineMonitor {
    budgets: BTreeMap<String, StageBudget>,
    stages: BTreeMap<String, StageLatency>,
}

impl DeadlineMonitor {
    /// A monitor for the given per-stage budgets (of the running machine class).
    pub fn new(budgets: BTreeMap<String, StageBudget>) -> Self {
        let stages = budgets
            .iter()
            .map(|(name, b)| (name.clone(), StageLatency::new(Some(*b))))
            .collect();
        Self { budgets, stages }
    }

    /// Records one sample of `stage`; returns true when it missed its deadline. Stages not in
    /// the budgets are measured without a deadline.
    pub fn record(&mut self, stage: &str, latency: Duration) -> bool {
        let ms = latency.as_secs_f64() * 1e3;
        let budget = self.budgets.get(stage).copied();
        self.stages
            .entry(stage.to_owned())
            .or_insert_with(|| StageLatency::new(budget))
            .record(ms)
    }

    /// Total deadline misses over all stages.
    pub fn total_misses(&self) -> u64 {
        self.stages.values().map(|s| s.misses).sum()
    }

    /// One report per stage, sorted by stage name.
    pub fn reports(&self) -> Vec<StageReport> {
        self.stages
            .iter()
            .map(|(name, s)| {
                let at = s.budget.map(|b| s.percentile(b.percentile));
                StageReport {
                    stage: name.clone(),
                    samples: s.samples,
                    mean_ms: if s.samples == 0 {
                        0.0
                    } else {
                        s.sum_ms / s.samples as f64
                    },
                    p50_ms: s.percentile(50.0),
                    p99_ms: s.percentile(99.0),
                    max_ms: s.max_ms,
                    budget_ms: s.budget.map(|b| b.budget_ms),
                    budget_percentile: s.budget.map(|b| b.percentile),
                    at_budget_percentile_ms: at,
                    deadline_misses: s.misses,
                    within_budget: match (s.budget, at) {
                        (Some(b), Some(at)) => at <= b.budget_ms,
                        _ => true,
                    },
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn monitor(budget_ms: f64) -> DeadlineMonitor {
        DeadlineMonitor::new(BTreeMap::from([(
            "fusion".to_string(),
            StageBudget {
                budget_ms,
                percentile: 90.0,
            },
        )]))
    }

    #[test]
    fn misses_are_counted_and_percentiles_follow_the_samples() {
        let mut m = monitor(10.0);
        for ms in 1..=100u64 {
            let missed = m.record("fusion", Duration::from_millis(ms));
            assert_eq!(missed, ms > 10);
        }
        let r = &m.reports()[0];
        assert_eq!(r.samples, 100);
        assert_eq!(r.deadline_misses, 90);
        assert_eq!(m.total_misses(), 90);
        assert!((r.p50_ms - 50.0).abs() / 50.0 < 0.05, "{}", r.p50_ms);
        assert!((r.at_budget_percentile_ms.unwrap() - 90.0).abs() / 90.0 < 0.05);
        assert_eq!(r.max_ms, 100.0);
        assert!(!r.within_budget);
        assert!((r.mean_ms - 50.5).abs() < 1e-9);
    }

    #[test]
    fn unbudgeted_stage_is_measured_without_deadline() {
        let mut m = monitor(10.0);
        assert!(!m.record("decode", Duration::from_secs(3)));
        let r = m
            .reports()
            .into_iter()
            .find(|r| r.stage == "decode")
            .unwrap();
        assert_eq!(r.budget_ms, None);
        assert!(r.within_budget);
        assert_eq!(r.samples, 1);
    }

    #[test]
    fn memory_does_not_grow_with_samples() {
        let mut m = monitor(1.0);
        for i in 0..100_000u64 {
            m.record("fusion", Duration::from_nanos(i * 997));
        }
        assert_eq!(m.stages["fusion"].counts.len(), BUCKETS + 1);
    }
}
