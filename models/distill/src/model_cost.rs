//! Size and compute of an ONNX model as tract sees it: parameters (constant float weights)
//! and multiply-accumulates per inference (tract's FMA cost of every node).

use crate::DistillError;
use kestrel_models::ModelManifest;
pub use kestrel_models::manifest::ModelCost;
use std::path::Path;
use tract_onnx::prelude::*;
use tract_onnx::tract_core::ops::Cost;
use tract_onnx::tract_core::ops::konst::Const;

/// Measures ONNX `bytes` at `manifest`'s input shape; `path` names them in errors.
pub fn model_cost(
    manifest: &ModelManifest,
    bytes: &[u8],
    path: &Path,
) -> Result<ModelCost, DistillError> {
    graph_cost(bytes, &manifest.input.shape, path)
}

/// Measures ONNX `bytes` whose single input has `input_shape`; `path` names them in errors.
pub fn graph_cost(
    bytes: &[u8],
    input_shape: &[usize],
    path: &Path,
) -> Result<ModelCost, DistillError> {
    let err = |e: TractError| DistillError::Data {
        path: path.to_path_buf(),
        reason: format!("{e:#}"),
    };
    let model = tract_onnx::onnx()
        .model_for_read(&mut &bytes[..])
        .and_then(|m| m.with_input_fact(0, f32::fact(input_shape).into()))
        .and_then(|m| m.into_typed())
        .and_then(|m| m.into_decluttered())
        .map_err(err)?;
    let mut parameters = 0u64;
    let mut macs = 0u64;
    for node in model.nodes() {
        if let Some(k) = node.op_as::<Const>()
            && k.val().datum_type().is_float()
        {
            parameters += k.val().len() as u64;
        }
        let inputs: Vec<&TypedFact> = node
            .inputs
            .iter()
            .map(|o| model.outlet_fact(*o))
            .collect::<TractResult<_>>()
            .map_err(err)?;
        for (cost, n) in node.op.cost(&inputs).map_err(err)? {
            if let Cost::FMA(_) = cost {
                macs += n.to_i64().unwrap_or(0).max(0) as u64;
            }
        }
    }
    Ok(ModelCost { parameters, macs })
}
