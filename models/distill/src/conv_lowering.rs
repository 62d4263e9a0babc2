//! Choosing, by measurement, how tract lowers a student's convolutions.
//!
//! tract turns each convolution into a matrix product fed by an *im2col* of its input, either
//! **lazy** (the matrix product gathers its input panels through per-position offset tables)
//! or **eager** (the patches are first copied into a contiguous scratch). tract picks lazy for
//! every kernel of 6 taps or more (its `TRACT_LAZY_IM2COL_MIN_KERNEL`), a choice tuned on
//! bigger networks and Apple AMX; for a small student on x86 the gather can cost more than the
//! copy (`benches/RESULTS.md`: `LazyIm2colInput::write` was a fifth of the frame's samples).
//!
//! [`measure_lowerings`] builds the network once per [`LoweringCandidate`] (its knobs in
//! scope while tract optimises it, as `kestrel_models::VerifiedModel` does with a manifest's
//! `tract_knobs`), checks that every candidate's outputs are **bit-identical** to tract's
//! default lowering on the same input (a lowering may change speed, never results), and times
//! them in alternating rounds so that a change in machine load hits every candidate alike.
//! [`fastest`] picks the knobs a manifest should carry: tract's default unless another lowering
//! is clearly ([`MIN_GAIN`]) faster.

use crate::DistillError;
use kestrel_models::{ModelManifest, VerifiedModel};
use ndarray::Array4;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

/// One way of lowering the network: tract knobs set while it is optimised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoweringCandidate {
    /// Short name for tables.
    pub name: &'static str,
    /// The knobs (name, value).
    pub knobs: &'static [(&'static str, &'static str)],
}

/// The candidates measured: tract's default and eager im2col for every convolution whose
/// scratch stays under tract's own ceiling (`TRACT_LAZY_IM2COL_MAX_EAGER_BYTES`, 4 MiB on
/// native targets; larger ones stay lazy).
pub const CANDIDATES: [LoweringCandidate; 2] = [
    LoweringCandidate {
        name: "tract default (lazy im2col from 6 taps)",
        knobs: &[],
    },
    LoweringCandidate {
        name: "eager im2col",
        knobs: &[("TRACT_LAZY_IM2COL_MIN_KERNEL", "1000000")],
    },
];

/// The measured latency of one candidate.
#[derive(Debug, Clone, PartialEq)]
pub struct LoweringTiming {
    /// The candidate.
    pub candidate: LoweringCandidate,
    /// Median network time over every timed run, milliseconds (one thread).
    pub median_ms: f64,
    /// Runs timed.
    pub runs: usize,
}

/// How long each candidate is timed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimingPlan {
    /// Rounds; every round times each candidate in turn.
    pub rounds: usize,
    /// Timed runs per candidate and round (after one untimed run).
    pub runs_per_round: usize,
}

/// Builds the model of `manifest` (read from `manifest_path`) once per candidate of
/// [`CANDIDATES`] and times each on `input` per `plan`.
///
/// # Errors
/// The model fails to load or run, or a candidate's outputs differ from the default
/// lowering's in any bit ([`DistillError::Data`], naming the candidate).
pub fn measure_lowerings(
    manifest: &ModelManifest,
    manifest_path: &Path,
    input: &Array4<f32>,
    plan: TimingPlan,
) -> Result<Vec<LoweringTiming>, DistillError> {
    let onnx_path = manifest.onnx_path(manifest_path);
    let bytes = std::fs::read(&onnx_path).map_err(DistillError::io(&onnx_path))?;
    let mut models = Vec::with_capacity(CANDIDATES.len());
    for candidate in CANDIDATES {
        let mut m = manifest.clone();
        m.tract_knobs = knobs_of(&candidate);
        models.push(VerifiedModel::from_bytes(&m, &onnx_path, &bytes)?);
    }
    let reference = models[0].run(input.clone())?;
    for (candidate, model) in CANDIDATES.iter().zip(&models).skip(1) {
        let outputs = model.run(input.clone())?;
        let same = outputs.len() == reference.len()
            && outputs.iter().zip(&reference).all(|(a, b)| {
                a.shape() == b.shape()
                    && a.iter()
                        .zip(b.iter())
                        .all(|(x, y)| x.to_bits() == y.to_bits())
            });
        if !same {
            return Err(DistillError::Data {
                path: onnx_path,
                reason: format!(
                    "lowering `{}` changes the network's outputs; tract's default is kept",
                    candidate.name
                ),
            });
        }
    }
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); models.len()];
    for _ in 0..plan.rounds {
        for (model, t) in models.iter().zip(&mut times) {
            model.run(input.clone())?;
            for _ in 0..plan.runs_per_round {
                let x = input.clone();
                let start = Instant::now();
                model.run(x)?;
                t.push(start.elapsed().as_secs_f64() * 1e3);
            }
        }
    }
    Ok(CANDIDATES
        .into_iter()
        .zip(times)
        .map(|(candidate, mut t)| {
            t.sort_by(f64::total_cmp);
            LoweringTiming {
                candidate,
                median_ms: t.get(t.len() / 2).copied().unwrap_or(f64::NAN),
                runs: t.len(),
            }
        })
        .collect())
}

/// A candidate replaces tract's default only when its median is at least this share faster:
/// a smaller gain is within the run-to-run noise of a shared machine.
pub const MIN_GAIN: f64 = 0.03;

/// The knobs of the fastest candidate of `timings` (by median), as a manifest's
/// `tract_knobs`; empty (tract's default, the first candidate) when no other candidate is at
/// least [`MIN_GAIN`] faster than it, or nothing was timed.
pub fn fastest(timings: &[LoweringTiming]) -> BTreeMap<String, String> {
    let Some(default) = timings.first().map(|t| t.median_ms) else {
        return BTreeMap::new();
    };
    timings
        .iter()
        .skip(1)
        .filter(|t| t.median_ms.is_finite() && t.median_ms <= default * (1.0 - MIN_GAIN))
        .min_by(|a, b| a.median_ms.total_cmp(&b.median_ms))
        .map(|t| knobs_of(&t.candidate))
        .unwrap_or_default()
}

fn knobs_of(candidate: &LoweringCandidate) -> BTreeMap<String, String> {
    candidate
        .knobs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timing(i: usize, ms: f64) -> LoweringTiming {
        LoweringTiming {
            candidate: CANDIDATES[i].clone(),
            median_ms: ms,
            runs: 10,
        }
    }

    #[test]
    fn the_fastest_candidate_gives_its_knobs() {
        let eager = fastest(&[timing(0, 14.0), timing(1, 12.5)]);
        assert_eq!(
            eager
                .get("TRACT_LAZY_IM2COL_MIN_KERNEL")
                .map(String::as_str),
            Some("1000000")
        );
        assert!(fastest(&[timing(0, 12.0), timing(1, 12.5)]).is_empty());
        // 2% faster is noise: the default stays.
        assert!(fastest(&[timing(0, 12.0), timing(1, 11.76)]).is_empty());
        assert!(fastest(&[timing(0, 12.0), timing(1, f64::NAN)]).is_empty());
        assert!(fastest(&[]).is_empty());
    }
}
