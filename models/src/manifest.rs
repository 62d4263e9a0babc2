//! The model manifest: a TOML file next to each ONNX file that says what the model is, how to
//! verify it, how to feed it and how to decode its outputs.
//!
//! Teacher and student models are described by the same schema and go through the same loader
//! ([`crate::VerifiedModel`]) and detector ([`crate::Detector`]).

use crate::ModelError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A model manifest (`*.toml` next to the `*.onnx` it describes).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelManifest {
    /// Short model name, e.g. `nanodet-coco-416`.
    pub name: String,
    /// Version of these weights (semantic version; bumped whenever the ONNX file changes).
    pub version: String,
    /// Path of the ONNX file, relative to the manifest's folder.
    pub onnx: String,
    /// Lower-case hex sha256 of the ONNX file's bytes.
    pub sha256: String,
    /// Where the model comes from and under which licence.
    pub provenance: Provenance,
    /// The single image input.
    pub input: InputSpec,
    /// Every graph output, in graph order, with its shape.
    pub outputs: Vec<TensorSpec>,
    /// How the outputs become [`crate::Detection2d`]s.
    pub decoder: GflDecoderSpec,
    /// Size and compute of the network at the declared input (absent for imported models
    /// nobody has measured).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost: Option<ModelCost>,
    /// How a distilled student was made (absent for models trained elsewhere).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distillation: Option<Distillation>,
    /// Measured metrics by name (e.g. `heldout_vehicle_recall`), as written by the tool that
    /// measured them; the model card explains each one.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub metrics: BTreeMap<String, f64>,
    /// What the runtime's monitors compare the model's inputs and outputs with (absent: the
    /// drift and shadow-teacher monitors stay off for this model).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monitoring: Option<Monitoring>,
    /// tract knobs tuned for this network (e.g. `TRACT_LAZY_IM2COL_MIN_KERNEL = "1000"`: how
    /// its convolutions are lowered), set while it is optimised and only for it (tract's
    /// `KnobScope`; names and values are checked then). Chosen by measurement, see the model
    /// card; empty: tract's defaults.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tract_knobs: BTreeMap<String, String>,
}

/// The monitoring references of a model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Monitoring {
    /// Path of the input reference ([`crate::input_reference::InputReference`]), relative to
    /// the manifest's folder.
    pub input_reference: String,
}

/// Parameters and multiply-accumulates of a network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelCost {
    /// Number of weights and biases.
    pub parameters: u64,
    /// Multiply-accumulates of one forward pass at the declared input shape (1 MAC = 2 FLOPs).
    pub macs: u64,
}

/// Provenance of a distilled and pruned student.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Distillation {
    /// Name of the teacher's manifest (e.g. `nanodet-coco-416`).
    pub teacher: String,
    /// Command that reproduces the model from a clean checkout.
    pub recipe: String,
    /// Pruning rounds that were kept.
    pub pruning_rounds: usize,
    /// Fraction of the unpruned student's parameters removed by pruning (0..1).
    pub pruned_parameter_fraction: f64,
}

/// Origin and licence of a model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provenance {
    /// SPDX licence identifier of the weights, e.g. `Apache-2.0`.
    pub licence: String,
    /// Where the weights come from (upstream project, package, conversion).
    pub source: String,
    /// Training data of the weights.
    pub trained_on: String,
}

/// A named tensor and its fixed shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TensorSpec {
    /// Tensor name in the ONNX graph.
    pub name: String,
    /// Fixed shape (no symbolic dimensions).
    pub shape: Vec<usize>,
}

/// Order of the three colour planes the model expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelOrder {
    /// Plane 0 red, 1 green, 2 blue.
    Rgb,
    /// Plane 0 blue, 1 green, 2 red.
    Bgr,
}

/// How an image of any size is mapped onto the fixed model input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResizeMode {
    /// Scale by one factor so the whole image fits, place it at the top-left corner, fill the
    /// rest with `pad_value`. Keeps the aspect ratio.
    Letterbox,
    /// Scale x and y independently to fill the input exactly.
    Stretch,
}

/// The image input: NCHW float32 `[1, 3, height, width]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputSpec {
    /// Tensor name in the ONNX graph.
    pub name: String,
    /// `[1, 3, height, width]`.
    pub shape: [usize; 4],
    /// Colour plane order.
    pub channel_order: ChannelOrder,
    /// Per-plane mean, in 0..255 pixel units, in `channel_order`.
    pub mean: [f32; 3],
    /// Per-plane standard deviation, in 0..255 pixel units, in `channel_order`.
    pub std: [f32; 3],
    /// Resize mode.
    pub resize: ResizeMode,
    /// RGB colour (0..255) of the letterbox padding.
    pub pad_value: [u8; 3],
}

impl InputSpec {
    /// Input height in pixels.
    pub fn height(&self) -> usize {
        self.shape[2]
    }

    /// Input width in pixels.
    pub fn width(&self) -> usize {
        self.shape[3]
    }
}

/// Activation to apply to the class-score outputs before thresholding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScoreActivation {
    /// The graph already outputs probabilities.
    None,
    /// The graph outputs logits; apply the logistic function.
    Sigmoid,
}

/// One feature level (stride) of a GFL head: a class-score map and a box-distribution map.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GflLevel {
    /// Stride in input pixels; cell `(row, col)` has its centre at
    /// `((col + 0.5) * stride, (row + 0.5) * stride)`.
    pub stride: usize,
    /// Output `[1, cells, classes]`, cells in row-major order.
    pub scores: String,
    /// Output `[1, cells, 4 * (reg_max + 1)]`: left, top, right, bottom distributions.
    pub boxes: String,
}

/// Generalized-Focal-Loss (NanoDet-style) output decoding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GflDecoderSpec {
    /// Class names, indexed by the class channel of the score maps.
    pub classes: Vec<String>,
    /// Highest bin index of each side's distance distribution (bins `0..=reg_max`).
    pub reg_max: usize,
    /// Activation of the score outputs.
    pub score_activation: ScoreActivation,
    /// Default score threshold (0..1).
    pub score_threshold: f32,
    /// Per-class thresholds overriding `score_threshold`, by class name.
    #[serde(default)]
    pub class_thresholds: BTreeMap<String, f32>,
    /// Only these classes are reported (all if empty), by class name.
    #[serde(default)]
    pub report_classes: Vec<String>,
    /// IoU above which a lower-scored box of the same class is suppressed.
    pub nms_iou: f32,
    /// Most detections reported per image (highest scores kept).
    pub max_detections: usize,
    /// Feature levels.
    pub levels: Vec<GflLevel>,
}

impl ModelManifest {
    /// Reads and validates a manifest file.
    pub fn load(path: &Path) -> Result<Self, ModelError> {
        let text = std::fs::read_to_string(path).map_err(|source| ModelError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_toml(&text, path)
    }

    /// Parses and validates manifest text; `path` is only used in error messages.
    pub fn from_toml(text: &str, path: &Path) -> Result<Self, ModelError> {
        let manifest: Self = toml::from_str(text).map_err(|e| ModelError::Manifest {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        manifest.validate(path)?;
        Ok(manifest)
    }

    /// Serialises to TOML text.
    pub fn to_toml(&self) -> Result<String, ModelError> {
        toml::to_string_pretty(self).map_err(|e| ModelError::Manifest {
            path: PathBuf::from(&self.name),
            reason: e.to_string(),
        })
    }

    /// The ONNX file's path, given the manifest's own path.
    pub fn onnx_path(&self, manifest_path: &Path) -> PathBuf {
        manifest_path
            .parent()
            .unwrap_or_else(|| Path::new("."))
            .join(&self.onnx)
    }

    /// The input reference's path, given the manifest's own path (`None` without a
    /// `[monitoring]` table).
    pub fn input_reference_path(&self, manifest_path: &Path) -> Option<PathBuf> {
        let m = self.monitoring.as_ref()?;
        Some(
            manifest_path
                .parent()
                .unwrap_or_else(|| Path::new("."))
                .join(&m.input_reference),
        )
    }

    /// The declared shape of output `name`, if declared.
    pub fn output_shape(&self, name: &str) -> Option<&[usize]> {
        self.outputs
            .iter()
            .find(|o| o.name == name)
            .map(|o| o.shape.as_slice())
    }

    /// Checks that the manifest is self-consistent: input is `[1, 3, h, w]`, every level's
    /// outputs are declared with `[1, cells, classes]` and `[1, cells, 4 * (reg_max + 1)]`
    /// shapes matching the stride, thresholds are in 0..1 and name known classes.
    pub fn validate(&self, path: &Path) -> Result<(), ModelError> {
        let bad = |reason: String| ModelError::Manifest {
            path: path.to_path_buf(),
            reason,
        };
        if self.version.trim().is_empty() {
            return Err(bad("version is empty".into()));
        }
        if let Some((name, v)) = self.metrics.iter().find(|(_, v)| !v.is_finite()) {
            return Err(bad(format!("metric `{name}` = {v} is not finite")));
        }
        let [n, c, h, w] = self.input.shape;
        if n != 1 || c != 3 || h == 0 || w == 0 {
            return Err(bad(format!(
                "input shape {:?} is not [1, 3, h, w]",
                self.input.shape
            )));
        }
        if self.input.std.iter().any(|s| !(s.is_finite() && *s > 0.0)) {
            return Err(bad("input std must be finite and > 0".into()));
        }
        let d = &self.decoder;
        if d.classes.is_empty() || d.levels.is_empty() {
            return Err(bad("decoder needs classes and levels".into()));
        }
        let in_unit = |t: f32| (0.0..=1.0).contains(&t);
        if !in_unit(d.score_threshold) || !in_unit(d.nms_iou) {
            return Err(bad("score_threshold and nms_iou must be in 0..1".into()));
        }
        for (name, t) in &d.class_thresholds {
            if !d.classes.contains(name) || !in_unit(*t) {
                return Err(bad(format!("class threshold `{name}` = {t} is invalid")));
            }
        }
        if let Some(name) = d.report_classes.iter().find(|n| !d.classes.contains(n)) {
            return Err(bad(format!("report class `{name}` is not in classes")));
        }
        for level in &d.levels {
            if level.stride == 0 {
                return Err(bad("stride 0".into()));
            }
            let cells = h.div_ceil(level.stride) * w.div_ceil(level.stride);
            for (out, width) in [
                (&level.scores, d.classes.len()),
                (&level.boxes, 4 * (d.reg_max + 1)),
            ] {
                let shape = self
                    .output_shape(out)
                    .ok_or_else(|| bad(format!("level output `{out}` is not declared")))?;
                if shape != [1, cells, width] {
                    return Err(bad(format!(
                        "output `{out}` declared {shape:?}, stride {} needs [1, {cells}, {width}]",
                        level.stride
                    )));
                }
            }
        }
        Ok(())
    }
}
