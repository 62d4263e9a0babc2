//! Writing a trained [`StudentNet`] as an ONNX graph (opset 13) with tract's prost types, and
//! the manifest that goes with it.
//!
//! Graph per level: `Conv+Relu` backbone -> head `Conv+Relu` -> `Conv` -> (`Sigmoid` for
//! scores) -> `Reshape [1, c, h*w]` -> `Transpose [0, 2, 1]`, i.e. the same `[1, cells, c]`
//! layout as the NanoDet teacher, so one decoder serves both.

use crate::DistillError;
use crate::onnx_graph::{ConvParams, OnnxGraph};
use crate::student_classes::{BOX_BINS, REG_MAX, STUDENT_CLASSES};
use crate::student_net::{LEVEL_STRIDES, StudentNet};
use burn::nn::PaddingConfig2d;
use burn::nn::conv::Conv2d;
use kestrel_models::ModelManifest;
use kestrel_models::manifest::{
    ChannelOrder, GflDecoderSpec, GflLevel, InputSpec, Provenance, ResizeMode, ScoreActivation,
    TensorSpec,
};
use kestrel_models::verified_model::sha256_hex;

/// Name of the student's input tensor.
pub const INPUT_NAME: &str = "image";

/// The student's input spec for an input of `height x width` pixels: the teacher's BGR
/// normalisation, letterboxed at the top-left with black padding.
pub fn student_input_spec(height: usize, width: usize) -> InputSpec {
    InputSpec {
        name: INPUT_NAME.into(),
        shape: [1, 3, height, width],
        channel_order: ChannelOrder::Bgr,
        mean: [103.53, 116.28, 123.675],
        std: [57.375, 57.12, 58.395],
        resize: ResizeMode::Letterbox,
        pad_value: [0, 0, 0],
    }
}

/// An exported student: ONNX bytes and a manifest whose `sha256` matches them.
#[derive(Debug, Clone)]
pub struct ExportedStudent {
    /// Serialised `ModelProto`.
    pub onnx: Vec<u8>,
    /// Manifest (`onnx` = `model.onnx`).
    pub manifest: ModelManifest,
}

fn tensor_values(what: &str, t: burn::tensor::Tensor<1>) -> Result<Vec<f32>, DistillError> {
    t.into_data()
        .try_to_vec::<f32>()
        .map_err(|e| DistillError::Tensor {
            what: what.into(),
            reason: format!("{e:?}"),
        })
}

/// A burn convolution's parameters as written into the graph.
pub fn conv_params(name: &str, conv: &Conv2d) -> Result<ConvParams, DistillError> {
    let dims = conv.weight.dims();
    let n: usize = dims.iter().product();
    let weight = tensor_values(name, conv.weight.val().reshape([n]))?;
    let bias = match &conv.bias {
        Some(b) => Some(tensor_values(name, b.val())?),
        None => None,
    };
    let pads = match &conv.padding {
        PaddingConfig2d::Explicit(top, left, bottom, right) => [*top, *left, *bottom, *right],
        PaddingConfig2d::Valid => [0; 4],
        PaddingConfig2d::Same => {
            return Err(DistillError::Tensor {
                what: name.into(),
                reason: "\"same\" padding has no fixed pads to export".into(),
            });
        }
    };
    Ok(ConvParams {
        weight,
        dims,
        bias,
        stride: conv.stride,
        pads,
        group: conv.groups,
    })
}

/// `[1, c, h, w]` -> `[1, h*w, c]` as graph output `output` (`Reshape` to `{output}.flat`
/// with the constant `{output}.shape`, then `Transpose`).
fn cells_last(g: &mut OnnxGraph, input: &str, channels: usize, cells: usize, output: &str) {
    let shape_name = format!("{output}.shape");
    g.initializer_i64(&shape_name, vec![1, channels as i64, cells as i64]);
    let flat = format!("{output}.flat");
    g.node("Reshape", &[input, &shape_name], &flat, vec![]);
    g.transpose(&flat, &[0, 2, 1], output);
    g.output(output, &[1, cells, channels]);
}

/// Exports `net` for an input of `height x width` pixels (multiples of 32) under `name`.
pub fn export_student(
    net: &StudentNet,
    name: &str,
    version: &str,
    height: usize,
    width: usize,
    provenance: Provenance,
) -> Result<ExportedStudent, DistillError> {
    if !height.is_multiple_of(32) || !width.is_multiple_of(32) {
        return Err(DistillError::Setting(format!(
            "student input {height}x{width} must be multiples of 32"
        )));
    }
    let mut b = OnnxGraph::new(name, INPUT_NAME, &[1, 3, height, width]);
    let mut x = INPUT_NAME.to_string();
    let mut outputs = Vec::new();
    let mut levels = Vec::new();
    for (i, layer) in net.backbone.iter().enumerate() {
        let conv = format!("backbone{i}");
        let c = b.conv(&conv, &x, conv_params(&conv, layer)?);
        x = b.relu(&c);
        if let Some(level) = net.taps.iter().position(|&t| t == i) {
            let stride = LEVEL_STRIDES[level];
            let cells = (height / stride) * (width / stride);
            let head = &net.heads[level];
            let hidden = format!("head{stride}.hidden");
            let h = b.conv(&hidden, &x, conv_params(&hidden, &head.hidden)?);
            let h = b.relu(&h);
            let cls = format!("head{stride}.cls");
            let cls = b.conv(&cls, &h, conv_params(&cls, &head.cls)?);
            let prob = format!("{cls}.sigmoid");
            b.node("Sigmoid", &[&cls], &prob, vec![]);
            let scores = format!("scores_s{stride}");
            cells_last(&mut b, &prob, STUDENT_CLASSES.len(), cells, &scores);
            let reg = format!("head{stride}.reg");
            let reg = b.conv(&reg, &h, conv_params(&reg, &head.reg)?);
            let boxes = format!("boxes_s{stride}");
            cells_last(&mut b, &reg, BOX_BINS, cells, &boxes);
            outputs.push(TensorSpec {
                name: scores.clone(),
                shape: vec![1, cells, STUDENT_CLASSES.len()],
            });
            outputs.push(TensorSpec {
                name: boxes.clone(),
                shape: vec![1, cells, BOX_BINS],
            });
            levels.push(GflLevel {
                stride,
                scores,
                boxes,
            });
        }
    }
    let onnx = b.into_bytes();
    let manifest = ModelManifest {
        name: name.into(),
        version: version.into(),
        onnx: "model.onnx".into(),
        sha256: sha256_hex(&onnx),
        provenance,
        input: student_input_spec(height, width),
        outputs,
        decoder: GflDecoderSpec {
            classes: STUDENT_CLASSES.iter().map(|s| s.to_string()).collect(),
            reg_max: REG_MAX,
            score_activation: ScoreActivation::None,
            score_threshold: 0.35,
            class_thresholds: Default::default(),
            report_classes: vec![],
            nms_iou: 0.5,
            max_detections: 100,
            levels,
        },
        cost: None,
        distillation: None,
        metrics: Default::default(),
        monitoring: None,
        tract_knobs: Default::default(),
    };
    Ok(ExportedStudent { onnx, manifest })
}
