//! Loading an ONNX model into tract after verifying it against its manifest: sha256 of the
//! bytes, then the declared input and output names and shapes, then optimisation (with the
//! manifest's tract knobs in scope: how this network's operators are lowered).

use crate::{ModelError, ModelManifest};
use ndarray::{Array4, ArrayD};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tract_onnx::prelude::*;
use tract_onnx::tract_core::knobs::KnobScope;
use tract_onnx::tract_hir::infer::Factoid;

/// Lower-case hex sha256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The tract knobs of a manifest (`tract_knobs`, read from `path`) as the scope tract
/// optimises that network in; an unknown knob, a process-wide one or a malformed value is a
/// [`ModelError::Manifest`] naming `tract_knobs`.
pub fn knob_scope(knobs: &BTreeMap<String, String>, path: &Path) -> Result<KnobScope, ModelError> {
    KnobScope::new(knobs.iter().map(|(k, v)| (k.as_str(), v.as_str()))).map_err(|e| {
        ModelError::Manifest {
            path: path.to_path_buf(),
            reason: format!("tract_knobs: {e:#}"),
        }
    })
}

/// An optimised, runnable tract model whose bytes and tensor shapes match its manifest.
#[derive(Debug, Clone)]
pub struct VerifiedModel {
    name: String,
    plan: Arc<TypedRunnableModel>,
}

impl VerifiedModel {
    /// Reads the ONNX file the manifest at `manifest_path` names and verifies it.
    pub fn load(manifest: &ModelManifest, manifest_path: &Path) -> Result<Self, ModelError> {
        let onnx_path = manifest.onnx_path(manifest_path);
        let bytes = std::fs::read(&onnx_path).map_err(|source| ModelError::Io {
            path: onnx_path.clone(),
            source,
        })?;
        Self::from_bytes(manifest, &onnx_path, &bytes)
    }

    /// Verifies ONNX `bytes` (read from `onnx_path`, used in messages) against `manifest`:
    /// sha256, input name and shape, output names, order and shapes; then optimises.
    pub fn from_bytes(
        manifest: &ModelManifest,
        onnx_path: &Path,
        bytes: &[u8],
    ) -> Result<Self, ModelError> {
        let path = onnx_path.to_path_buf();
        let actual = sha256_hex(bytes);
        if actual != manifest.sha256.to_ascii_lowercase() {
            return Err(ModelError::HashMismatch {
                path,
                expected: manifest.sha256.clone(),
                actual,
            });
        }
        let tract_err = |e: TractError| ModelError::Onnx {
            path: path.clone(),
            reason: format!("{e:#}"),
        };
        let mut model = tract_onnx::onnx()
            .model_for_read(&mut &bytes[..])
            .map_err(tract_err)?;
        let input = &manifest.input;
        check_input(&model, input.name.as_str(), &input.shape, &path)?;
        model
            .set_input_fact(0, f32::fact(input.shape).into())
            .map_err(tract_err)?;
        let typed = model.into_typed().map_err(tract_err)?;
        check_outputs(&typed, manifest, &path)?;
        let plan = knob_scope(&manifest.tract_knobs, &path)?
            .enter(|| typed.into_optimized().and_then(|m| m.into_runnable()))
            .map_err(tract_err)?;
        Ok(Self {
            name: manifest.name.clone(),
            plan,
        })
    }

    /// Runs the model on one `[1, 3, h, w]` input; returns the outputs in manifest order.
    pub fn run(&self, input: Array4<f32>) -> Result<Vec<ArrayD<f32>>, ModelError> {
        let err = |e: TractError| ModelError::Inference {
            name: self.name.clone(),
            reason: format!("{e:#}"),
        };
        let outputs = self
            .plan
            .run(tvec![Tensor::from(input).into()])
            .map_err(err)?;
        outputs
            .iter()
            .map(|t| Ok(t.to_plain_array_view::<f32>().map_err(err)?.to_owned()))
            .collect()
    }

    /// Manifest name of the model.
    pub fn name(&self) -> &str {
        &self.name
    }
}

fn check_input(
    model: &InferenceModel,
    name: &str,
    declared: &[usize; 4],
    path: &Path,
) -> Result<(), ModelError> {
    let outlets = model.input_outlets().map_err(|e| ModelError::Onnx {
        path: path.to_path_buf(),
        reason: format!("{e:#}"),
    })?;
    let names: Vec<&str> = outlets
        .iter()
        .map(|o| model.node(o.node).name.as_str())
        .collect();
    if names != [name] {
        return Err(ModelError::TensorName {
            path: path.to_path_buf(),
            what: "input",
            name: name.to_string(),
            problem: format!("is not the graph's only input (graph inputs: {names:?})"),
        });
    }
    let fact = model.input_fact(0).map_err(|e| ModelError::Onnx {
        path: path.to_path_buf(),
        reason: format!("{e:#}"),
    })?;
    // Each dimension the graph fixes must equal the declared one; free dimensions are set.
    let dims: Vec<Option<usize>> = match fact.shape.rank().concretize() {
        Some(_) => fact
            .shape
            .dims()
            .map(|d| d.concretize().and_then(|d| d.as_i64()).map(|d| d as usize))
            .collect(),
        None => vec![None; 4],
    };
    let matches = dims.len() == 4
        && dims
            .iter()
            .zip(declared)
            .all(|(d, want)| d.is_none_or(|d| d == *want));
    if !matches {
        return Err(ModelError::ShapeMismatch {
            path: path.to_path_buf(),
            what: "input",
            name: name.to_string(),
            declared: declared.to_vec(),
            actual: format!("{:?}", fact.shape),
        });
    }
    Ok(())
}

fn check_outputs(
    model: &TypedModel,
    manifest: &ModelManifest,
    path: &Path,
) -> Result<(), ModelError> {
    let outlets = model.output_outlets().map_err(|e| ModelError::Onnx {
        path: path.to_path_buf(),
        reason: format!("{e:#}"),
    })?;
    let found: Vec<String> = outlets
        .iter()
        .map(|o| {
            model
                .outlet_label(*o)
                .map(str::to_string)
                .unwrap_or_else(|| model.node(o.node).name.clone())
        })
        .collect();
    let declared: Vec<&str> = manifest.outputs.iter().map(|o| o.name.as_str()).collect();
    if found != declared {
        let name = declared
            .iter()
            .find(|d| !found.iter().any(|f| f == *d))
            .unwrap_or(&"?");
        return Err(ModelError::TensorName {
            path: path.to_path_buf(),
            what: "output",
            name: name.to_string(),
            problem: format!("differs: graph outputs are {found:?}, manifest lists {declared:?}"),
        });
    }
    for (outlet, spec) in outlets.iter().zip(&manifest.outputs) {
        let fact = model.outlet_fact(*outlet).map_err(|e| ModelError::Onnx {
            path: path.to_path_buf(),
            reason: format!("{e:#}"),
        })?;
        let concrete = fact.shape.as_concrete().map(|s| s.to_vec());
        if concrete.as_deref() != Some(spec.shape.as_slice()) {
            return Err(ModelError::ShapeMismatch {
                path: PathBuf::from(path),
                what: "output",
                name: spec.name.clone(),
                declared: spec.shape.clone(),
                actual: format!("{:?}", fact.shape),
            });
        }
    }
    Ok(())
}
