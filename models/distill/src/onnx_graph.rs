//! Writing ONNX graphs (opset 13) with tract's prost types: the one ONNX writer of the crate,
//! used by the student export ([`crate::onnx_export`]) and the tract block benchmark graphs
//! ([`crate::block_graphs`]). Node names equal their (single) output names.

use prost::Message;
use tract_onnx::pb;

/// A convolution's parameters as written into the graph.
#[derive(Debug, Clone, PartialEq)]
pub struct ConvParams {
    /// Weights `[out, in / group, kh, kw]`, row-major.
    pub weight: Vec<f32>,
    /// `[out, in / group, kh, kw]`.
    pub dims: [usize; 4],
    /// Bias `[out]`, if any.
    pub bias: Option<Vec<f32>>,
    /// Strides (height, width).
    pub stride: [usize; 2],
    /// Zero padding `[top, left, bottom, right]` (ONNX `pads` order).
    pub pads: [usize; 4],
    /// Channel groups (1 = dense, `in` = depthwise).
    pub group: usize,
}

/// A graph under construction.
#[derive(Debug, Clone)]
pub struct OnnxGraph {
    graph: pb::GraphProto,
}

/// An `ints` attribute.
pub fn attr_ints(name: &str, v: &[i64]) -> pb::AttributeProto {
    pb::AttributeProto {
        name: name.into(),
        r#type: pb::attribute_proto::AttributeType::Ints as i32,
        ints: v.to_vec(),
        ..Default::default()
    }
}

/// An `int` attribute.
pub fn attr_int(name: &str, v: i64) -> pb::AttributeProto {
    pb::AttributeProto {
        name: name.into(),
        r#type: pb::attribute_proto::AttributeType::Int as i32,
        i: v,
        ..Default::default()
    }
}

/// A `float` attribute.
pub fn attr_float(name: &str, v: f32) -> pb::AttributeProto {
    pb::AttributeProto {
        name: name.into(),
        r#type: pb::attribute_proto::AttributeType::Float as i32,
        f: v,
        ..Default::default()
    }
}

/// A `string` attribute.
pub fn attr_string(name: &str, v: &str) -> pb::AttributeProto {
    pb::AttributeProto {
        name: name.into(),
        r#type: pb::attribute_proto::AttributeType::String as i32,
        s: v.as_bytes().to_vec(),
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

impl OnnxGraph {
    /// An empty graph `name` with one f32 input `input` of `shape`.
    pub fn new(name: &str, input: &str, shape: &[usize]) -> Self {
        Self {
            graph: pb::GraphProto {
                name: name.into(),
                input: vec![value_info(input, shape)],
                ..Default::default()
            },
        }
    }

    /// The graph's name.
    pub fn name(&self) -> &str {
        &self.graph.name
    }

    /// Appends a node `op` reading `inputs`, writing `output` (also its name).
    pub fn node(
        &mut self,
        op: &str,
        inputs: &[&str],
        output: &str,
        attrs: Vec<pb::AttributeProto>,
    ) {
        self.graph.node.push(pb::NodeProto {
            input: inputs.iter().map(|s| s.to_string()).collect(),
            output: vec![output.into()],
            name: output.into(),
            op_type: op.into(),
            attribute: attrs,
            ..Default::default()
        });
    }

    /// Adds an f32 constant.
    pub fn initializer(&mut self, name: &str, dims: &[usize], values: Vec<f32>) {
        self.graph.initializer.push(pb::TensorProto {
            dims: dims.iter().map(|&d| d as i64).collect(),
            data_type: pb::tensor_proto::DataType::Float as i32,
            float_data: values,
            name: name.into(),
            ..Default::default()
        });
    }

    /// Adds an i64 constant (shapes).
    pub fn initializer_i64(&mut self, name: &str, values: Vec<i64>) {
        self.graph.initializer.push(pb::TensorProto {
            dims: vec![values.len() as i64],
            data_type: pb::tensor_proto::DataType::Int64 as i32,
            int64_data: values,
            name: name.into(),
            ..Default::default()
        });
    }

    /// `Conv` named `name` on `input` (weights `{name}.weight`, bias `{name}.bias`); the
    /// `group` attribute is written only for grouped convolutions. Returns the output name.
    pub fn conv(&mut self, name: &str, input: &str, p: ConvParams) -> String {
        let [_, _, kh, kw] = p.dims;
        let weight = format!("{name}.weight");
        self.initializer(&weight, &p.dims, p.weight);
        let mut inputs = vec![input.to_string(), weight];
        if let Some(b) = p.bias {
            let bias = format!("{name}.bias");
            self.initializer(&bias, &[p.dims[0]], b);
            inputs.push(bias);
        }
        let mut attrs = vec![
            attr_ints("kernel_shape", &[kh as i64, kw as i64]),
            attr_ints("strides", &p.stride.map(|s| s as i64)),
            attr_ints("pads", &p.pads.map(|s| s as i64)),
            attr_ints("dilations", &[1, 1]),
        ];
        if p.group != 1 {
            attrs.push(attr_int("group", p.group as i64));
        }
        let refs: Vec<&str> = inputs.iter().map(String::as_str).collect();
        self.node("Conv", &refs, name, attrs);
        name.to_string()
    }

    /// `Relu` of `input`, named `{input}.relu`.
    pub fn relu(&mut self, input: &str) -> String {
        let out = format!("{input}.relu");
        self.node("Relu", &[input], &out, vec![]);
        out
    }

    /// `Reshape` of `input` to `shape` (constant `{output}.shape`), named `output`.
    pub fn reshape(&mut self, input: &str, shape: &[i64], output: &str) -> String {
        let shape_name = format!("{output}.shape");
        self.initializer_i64(&shape_name, shape.to_vec());
        self.node("Reshape", &[input, &shape_name], output, vec![]);
        output.to_string()
    }

    /// `Transpose` of `input` by `perm`, named `output`.
    pub fn transpose(&mut self, input: &str, perm: &[i64], output: &str) -> String {
        self.node("Transpose", &[input], output, vec![attr_ints("perm", perm)]);
        output.to_string()
    }

    /// `[1, c, h, w]` -> `[1, c * b * b, h / b, w / b]`: each `b x b` block of pixels becomes
    /// `b * b` channels, channel index `c * b * b + dy * b + dx` (`Reshape` -> `Transpose` ->
    /// `Reshape`, named `{output}.split`, `{output}.moved`, `output`).
    pub fn space_to_depth(
        &mut self,
        input: &str,
        chw: [usize; 3],
        b: usize,
        output: &str,
    ) -> String {
        let [c, h, w] = chw.map(|d| d as i64);
        let b = b as i64;
        let split = self.reshape(
            input,
            &[1, c, h / b, b, w / b, b],
            &format!("{output}.split"),
        );
        let moved = self.transpose(&split, &[0, 1, 3, 5, 2, 4], &format!("{output}.moved"));
        self.reshape(&moved, &[1, c * b * b, h / b, w / b], output)
    }

    /// Declares `name` a graph output of `shape`.
    pub fn output(&mut self, name: &str, shape: &[usize]) {
        self.graph.output.push(value_info(name, shape));
    }

    /// The serialised `ModelProto` (IR 7, opset 13, producer `kestrel-distill`).
    pub fn into_bytes(self) -> Vec<u8> {
        pb::ModelProto {
            ir_version: 7,
            opset_import: vec![pb::OperatorSetIdProto {
                domain: String::new(),
                version: 13,
            }],
            producer_name: "kestrel-distill".into(),
            producer_version: env!("CARGO_PKG_VERSION").into(),
            graph: Some(self.graph),
            ..Default::default()
        }
        .encode_to_vec()
    }
}
