//! Reading criterion's stored results: every `<id>/new/benchmark.json` (the benchmark's group
//! and full id) with its `sample.json` (per sample: iteration count and total time,
//! nanoseconds) under a criterion output directory (usually `target/criterion`), turned into
//! per-iteration latencies.
//!
//! Convention: a stage is measured by the one benchmark of the criterion group named after the
//! stage (`c.benchmark_group("lidar_branch").bench_function("kitti_000000", ..)`, or
//! `c.bench_function("lidar_branch", ..)`); the function id may describe the input.
//!
//! A sample's per-iteration latency is its total time over its iteration count; benches of
//! slow stages use criterion's flat sampling (one iteration per sample), so their percentiles
//! are percentiles of single runs.

use crate::BenchError;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The samples of one criterion benchmark.
#[derive(Debug, Clone, PartialEq)]
pub struct StageSamples {
    /// Criterion's group id: for Kestrel's benches, the stage name in `budgets.toml`.
    pub group: String,
    /// Criterion's full benchmark id (`group/function`).
    pub full_id: String,
    /// The `new/` directory the samples were read from.
    pub dir: PathBuf,
    /// Mean latency of one iteration in each sample, milliseconds, in sample order.
    pub per_iteration_ms: Vec<f64>,
}

impl StageSamples {
    /// The `p`-th percentile (0..100, nearest rank) of the per-iteration latencies, ms.
    pub fn percentile_ms(&self, p: f64) -> f64 {
        // `read_criterion_dir` rejects empty sample lists.
        percentile(&self.per_iteration_ms, p).unwrap_or(f64::NAN)
    }
}

/// The `p`-th percentile (0..100) of `values` by nearest rank (the smallest value with at
/// least `p`% of the values at or below it); `None` when `values` is empty.
pub fn percentile(values: &[f64], p: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = ((p.clamp(0.0, 100.0) / 100.0) * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

#[derive(Deserialize)]
struct BenchmarkJson {
    group_id: String,
    full_id: String,
}

#[derive(Deserialize)]
struct SampleJson {
    iters: Vec<f64>,
    times: Vec<f64>,
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, BenchError> {
    let text = std::fs::read_to_string(path).map_err(|e| BenchError::io(path, e))?;
    serde_json::from_str(&text).map_err(|e| BenchError::Criterion {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })
}

/// Reads one `new/` directory (holding `benchmark.json` and `sample.json`).
fn read_samples(new_dir: &Path) -> Result<StageSamples, BenchError> {
    let BenchmarkJson { group_id, full_id } = read_json(&new_dir.join("benchmark.json"))?;
    let path = new_dir.join("sample.json");
    let sample: SampleJson = read_json(&path)?;
    let bad = |reason: String| BenchError::Criterion {
        path: path.clone(),
        reason,
    };
    if sample.iters.len() != sample.times.len() {
        return Err(bad(format!(
            "{} iteration counts but {} times",
            sample.iters.len(),
            sample.times.len()
        )));
    }
    if sample.iters.is_empty() {
        return Err(bad("no samples".into()));
    }
    let per_iteration_ms = sample
        .iters
        .iter()
        .zip(&sample.times)
        .enumerate()
        .map(|(i, (&n, &t))| {
            if n.is_finite() && n >= 1.0 && t.is_finite() && t >= 0.0 {
                Ok(t / n * 1e-6)
            } else {
                Err(bad(format!("sample {i}: {n} iterations in {t} ns")))
            }
        })
        .collect::<Result<_, _>>()?;
    Ok(StageSamples {
        group: group_id,
        full_id,
        dir: new_dir.to_path_buf(),
        per_iteration_ms,
    })
}

fn collect(dir: &Path, out: &mut Vec<StageSamples>) -> Result<(), BenchError> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| BenchError::io(dir, e))?
        .map(|e| e.map(|e| e.path()).map_err(|e| BenchError::io(dir, e)))
        .collect::<Result<_, _>>()?;
    entries.sort();
    for path in entries.into_iter().filter(|p| p.is_dir()) {
        if path.file_name().is_some_and(|n| n == "new") && path.join("benchmark.json").is_file() {
            out.push(read_samples(&path)?);
        } else {
            collect(&path, out)?;
        }
    }
    Ok(())
}

/// Every benchmark criterion stored under `dir` (e.g. `target/criterion`), sorted by
/// directory. Baselines other than `new` (criterion's `base/`, named baselines) are ignored.
pub fn read_criterion_dir(dir: &Path) -> Result<Vec<StageSamples>, BenchError> {
    let mut out = Vec::new();
    collect(dir, &mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<f64> = (1..=100).rev().map(f64::from).collect();
        assert_eq!(percentile(&v, 50.0), Some(50.0));
        assert_eq!(percentile(&v, 99.0), Some(99.0));
        assert_eq!(percentile(&v, 100.0), Some(100.0));
        assert_eq!(percentile(&v, 0.0), Some(1.0));
        assert_eq!(percentile(&[3.0, 1.0, 2.0], 99.0), Some(3.0));
        assert_eq!(percentile(&[], 50.0), None);
    }
}
