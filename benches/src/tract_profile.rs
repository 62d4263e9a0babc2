//! Per-node timing of a model in tract: the same optimised plan the runtime builds (input fact
//! from the manifest, `into_optimized`, `into_runnable`, one thread), run with an evaluation
//! hook that times every node. Used by `tract-latency --per-node` to show where tract spends
//! the student's time when it is slower than onnxruntime.

use crate::BenchError;
use kestrel_models::ModelError;
use kestrel_models::verified_model::knob_scope;
use ndarray::ArrayD;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tract_onnx::prelude::*;
use tract_onnx::tract_core::plan::eval;

/// Time spent in the nodes of one operator kind, per run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OpTime {
    /// tract operator name after optimisation (e.g. `Conv`, `OptMatMul`, `Im2col`).
    pub op: String,
    /// Nodes of this kind in the optimised plan.
    pub nodes: usize,
    /// Mean time per run, milliseconds.
    pub ms_per_run: f64,
}

/// Per-operator timings of a model, slowest first, and the total per run (ms).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlanProfile {
    /// One entry per operator kind, slowest first.
    pub ops: Vec<OpTime>,
    /// Sum over all nodes, milliseconds per run.
    pub total_ms_per_run: f64,
}

/// The optimised plan of the ONNX file at `path` with its input fixed to `input_shape`, built
/// as the runtime builds it (`into_optimized`, `into_runnable`; one thread) with `knobs` (a
/// manifest's `tract_knobs`) in scope.
pub fn optimised_plan(
    path: &Path,
    input_shape: &[usize],
    knobs: &BTreeMap<String, String>,
) -> Result<Arc<TypedRunnableModel>, BenchError> {
    knob_scope(knobs, path)?
        .enter(|| {
            tract_onnx::onnx()
                .model_for_path(path)
                .and_then(|m| m.with_input_fact(0, f32::fact(input_shape).into()))
                .and_then(|m| m.into_optimized())
                .and_then(|m| m.into_runnable())
        })
        .map_err(|e| onnx_error(path, e))
}

fn onnx_error(path: &Path, e: TractError) -> BenchError {
    BenchError::Model(ModelError::Onnx {
        path: path.to_path_buf(),
        reason: format!("{e:#}"),
    })
}

/// Loads the ONNX file at `path` into an optimised tract plan ([`optimised_plan`], with
/// `knobs`) and times every node over `runs` runs on `input` (after one untimed run).
pub fn profile_plan(
    path: &Path,
    knobs: &BTreeMap<String, String>,
    input: &ArrayD<f32>,
    runs: usize,
) -> Result<PlanProfile, BenchError> {
    let plan = optimised_plan(path, input.shape(), knobs)?;
    let tract_err = |e: TractError| onnx_error(path, e);
    let mut state = plan.spawn().map_err(tract_err)?;
    let mut per_node: BTreeMap<usize, (String, Duration)> = BTreeMap::new();
    for run in 0..=runs {
        let inputs = tvec![Tensor::from(input.clone()).into()];
        state
            .run_plan_with_eval(inputs, |ctx, op_state, node, node_inputs| {
                let start = Instant::now();
                let out = eval(ctx, op_state, node, node_inputs);
                if run > 0 {
                    let entry = per_node
                        .entry(node.id)
                        .or_insert_with(|| (node.op().name().to_string(), Duration::ZERO));
                    entry.1 += start.elapsed();
                }
                out
            })
            .map_err(tract_err)?;
    }
    let mut by_op: BTreeMap<String, (usize, Duration)> = BTreeMap::new();
    for (op, time) in per_node.into_values() {
        let entry = by_op.entry(op).or_default();
        entry.0 += 1;
        entry.1 += time;
    }
    let per_run = |d: Duration| d.as_secs_f64() * 1e3 / runs.max(1) as f64;
    let mut ops: Vec<OpTime> = by_op
        .into_iter()
        .map(|(op, (nodes, time))| OpTime {
            op,
            nodes,
            ms_per_run: per_run(time),
        })
        .collect();
    ops.sort_by(|a, b| b.ms_per_run.total_cmp(&a.ms_per_run));
    let total_ms_per_run = ops.iter().map(|o| o.ms_per_run).sum();
    Ok(PlanProfile {
        ops,
        total_ms_per_run,
    })
}
