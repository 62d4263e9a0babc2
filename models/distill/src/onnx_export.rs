//! Writing a trained [`StudentNet`] as an ONNX graph (opset 13) with tract's prost types, and
//! the manifest that goes with it.
//!
//! Graph per level: `Conv+Relu` backbone -> head `Conv+Relu` -> `Conv` -> (`Sigmoid` for
//! scores) -> `Reshape [1, c, h*w]` -> `Transpose [0, 2, 1]`, i.e. the same `[1, cells, c]`
//! layout as the NanoDet teacher, so one decoder serves both.

use crate::DistillError;
use crate::student_classes::{BOX_BINS, REG_MAX, STUDENT_CLASSES};
use crate::student_net::{LEVEL_STRIDES, LEVEL_TAPS, StudentNet};
use burn::nn::conv::Conv2d;
use kestrel_models::ModelManifest;
use kestrel_models::manifest::{
    ChannelOrder, GflDecoderSpec, GflLevel, InputSpec, Provenance, ResizeMode, ScoreActivation,
    TensorSpec,
};
use kestrel_models::verified_model::sha256_hex;
use prost::Message;
use tract_onnx::pb;

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

struct GraphBuilder {
    graph: pb::GraphProto,
}

fn attr_ints(name: &str, v: &[i64]) -> pb::AttributeProto {
    pb::AttributeProto {
        name: name.into(),
        r#type: pb::attribute_proto::AttributeType::Ints as i32,
        ints: v.to_vec(),
        ..Default::default()
    }
}

fn value_info(name: &str, shape: &[usize]) -> pb::ValueInfoProto {
    use pb::tensor_shape_proto::{Dimension, dimension::Value};
    pb::ValueInfoProto {
        name: name.into(),
        r#type: Some(pb::TypeProto {
            value: Some(pb::type_proto::Value::TensorType(pb::type_proto::Tensor {
                elem_type: pb::tensor_proto::DataType::Float as i32,
                shape: Some(pb::TensorShapeProto {
                    dim: shape
                        .iter()
                        .map(|&d| Dimension {
                            value: Some(Value::DimValue(d as i64)),
                            ..Default::default()
                        })
                        .collect(),
                }),
            })),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn tensor_values(what: &str, t: burn::tensor::Tensor<1>) -> Result<Vec<f32>, DistillError> {
    t.into_data()
        .try_to_vec::<f32>()
        .map_err(|e| DistillError::Tensor {
            what: what.into(),
            reason: format!("{e:?}"),
        })
}

impl GraphBuilder {
    fn node(&mut self, op: &str, inputs: &[&str], output: &str, attrs: Vec<pb::AttributeProto>) {
        self.graph.node.push(pb::NodeProto {
            input: inputs.iter().map(|s| s.to_string()).collect(),
            output: vec![output.into()],
            name: output.into(),
            op_type: op.into(),
            attribute: attrs,
            ..Default::default()
        });
    }

    fn initializer(&mut self, name: &str, dims: &[usize], values: Vec<f32>) {
        self.graph.initializer.push(pb::TensorProto {
            dims: dims.iter().map(|&d| d as i64).collect(),
            data_type: pb::tensor_proto::DataType::Float as i32,
            float_data: values,
            name: name.into(),
            ..Default::default()
        });
    }

    fn conv(&mut self, name: &str, conv: &Conv2d, input: &str) -> Result<String, DistillError> {
        let dims = conv.weight.dims();
        let w = conv.weight.val();
        let n: usize = dims.iter().product();
        self.initializer(
            &format!("{name}.weight"),
            &dims,
            tensor_values(name, w.reshape([n]))?,
        );
        let mut inputs = vec![input.to_string(), format!("{name}.weight")];
        if let Some(b) = &conv.bias {
            self.initializer(
                &format!("{name}.bias"),
                &[dims[0]],
                tensor_values(name, b.val())?,
            );
            inputs.push(format!("{name}.bias"));
        }
        let [ph, pw] = [dims[2] as i64 / 2, dims[3] as i64 / 2];
        let s = conv.stride.map(|s| s as i64);
        let refs: Vec<&str> = inputs.iter().map(String::as_str).collect();
        self.node(
            "Conv",
            &refs,
            name,
            vec![
                attr_ints("kernel_shape", &[dims[2] as i64, dims[3] as i64]),
                attr_ints("strides", &s),
                attr_ints("pads", &[ph, pw, ph, pw]),
                attr_ints("dilations", &[1, 1]),
            ],
        );
        Ok(name.to_string())
    }

    fn relu(&mut self, input: &str) -> String {
        let out = format!("{input}.relu");
        self.node("Relu", &[input], &out, vec![]);
        out
    }

    /// `[1, c, h, w]` -> `[1, h*w, c]` as graph output `output`.
    fn cells_last(&mut self, input: &str, channels: usize, cells: usize, output: &str) {
        let shape_name = format!("{output}.shape");
        self.graph.initializer.push(pb::TensorProto {
            dims: vec![3],
            data_type: pb::tensor_proto::DataType::Int64 as i32,
            int64_data: vec![1, channels as i64, cells as i64],
            name: shape_name.clone(),
            ..Default::default()
        });
        let flat = format!("{output}.flat");
        self.node("Reshape", &[input, &shape_name], &flat, vec![]);
        self.node(
            "Transpose",
            &[&flat],
            output,
            vec![attr_ints("perm", &[0, 2, 1])],
        );
        self.graph
            .output
            .push(value_info(output, &[1, cells, channels]));
    }
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
    let mut b = GraphBuilder {
        graph: pb::GraphProto {
            name: name.into(),
            input: vec![value_info(INPUT_NAME, &[1, 3, height, width])],
            ..Default::default()
        },
    };
    let mut x = INPUT_NAME.to_string();
    let mut outputs = Vec::new();
    let mut levels = Vec::new();
    for (i, layer) in net.backbone.iter().enumerate() {
        let c = b.conv(&format!("backbone{i}"), layer, &x)?;
        x = b.relu(&c);
        if let Some(level) = LEVEL_TAPS.iter().position(|&t| t == i) {
            let stride = LEVEL_STRIDES[level];
            let cells = (height / stride) * (width / stride);
            let head = &net.heads[level];
            let h = b.conv(&format!("head{stride}.hidden"), &head.hidden, &x)?;
            let h = b.relu(&h);
            let cls = b.conv(&format!("head{stride}.cls"), &head.cls, &h)?;
            let prob = format!("{cls}.sigmoid");
            b.node("Sigmoid", &[&cls], &prob, vec![]);
            let scores = format!("scores_s{stride}");
            b.cells_last(&prob, STUDENT_CLASSES.len(), cells, &scores);
            let reg = b.conv(&format!("head{stride}.reg"), &head.reg, &h)?;
            let boxes = format!("boxes_s{stride}");
            b.cells_last(&reg, BOX_BINS, cells, &boxes);
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
    let model = pb::ModelProto {
        ir_version: 7,
        opset_import: vec![pb::OperatorSetIdProto {
            domain: String::new(),
            version: 13,
        }],
        producer_name: "kestrel-distill".into(),
        producer_version: env!("CARGO_PKG_VERSION").into(),
        graph: Some(b.graph),
        ..Default::default()
    };
    let onnx = model.encode_to_vec();
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
    };
    Ok(ExportedStudent { onnx, manifest })
}
