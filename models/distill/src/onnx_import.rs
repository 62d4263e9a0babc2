//! Reading a shipped student's ONNX graph back into a trainable [`StudentNet`], the inverse of
//! [`crate::onnx_export`]: every convolution's weights and bias come from the graph's
//! initializers (`backbone{i}.weight`, `head{stride}.{hidden,cls,reg}.{weight,bias}`), the
//! channel widths from their shapes, the layer structure from the recipe's `arch`. Used to
//! fine-tune a student from where it is (`kestrel-distill adapt`) instead of from scratch.
//! Exporting an imported student gives the same ONNX bytes (tested).

use crate::DistillError;
use crate::student_net::{LEVEL_STRIDES, StudentArch, StudentNet, StudentWidths};
use burn::module::Param;
use burn::nn::conv::Conv2d;
use burn::tensor::{Device, TensorData};
use prost::Message;
use std::collections::BTreeMap;
use tract_onnx::pb;

/// f32 initializers of a graph by name: (dims, values).
type Initializers = BTreeMap<String, (Vec<usize>, Vec<f32>)>;

fn bad(reason: String) -> DistillError {
    DistillError::Tensor {
        what: "student ONNX".into(),
        reason,
    }
}

fn initializers(onnx: &[u8]) -> Result<Initializers, DistillError> {
    let model = pb::ModelProto::decode(onnx).map_err(|e| bad(e.to_string()))?;
    let graph = model.graph.ok_or_else(|| bad("no graph".into()))?;
    let mut out = BTreeMap::new();
    for t in graph.initializer {
        if t.data_type != pb::tensor_proto::DataType::Float as i32 {
            continue;
        }
        let dims: Vec<usize> = t.dims.iter().map(|&d| d.max(0) as usize).collect();
        let values = if t.float_data.is_empty() {
            t.raw_data
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect()
        } else {
            t.float_data
        };
        if values.len() != dims.iter().product::<usize>() {
            return Err(bad(format!(
                "initializer `{}` holds {} values for dims {dims:?}",
                t.name,
                values.len()
            )));
        }
        out.insert(t.name, (dims, values));
    }
    Ok(out)
}

fn out_channels(inits: &Initializers, conv: &str) -> Result<usize, DistillError> {
    inits
        .get(&format!("{conv}.weight"))
        .map(|(dims, _)| dims[0])
        .ok_or_else(|| bad(format!("no initializer `{conv}.weight`")))
}

fn load_conv(
    conv: &mut Conv2d,
    name: &str,
    inits: &Initializers,
    device: &Device,
) -> Result<(), DistillError> {
    let (dims, values) = inits
        .get(&format!("{name}.weight"))
        .ok_or_else(|| bad(format!("no initializer `{name}.weight`")))?;
    if dims.as_slice() != conv.weight.dims() {
        return Err(bad(format!(
            "`{name}.weight` has dims {dims:?}, the architecture expects {:?}",
            conv.weight.dims()
        )));
    }
    conv.weight = Param::from_data(TensorData::new(values.clone(), dims.clone()), device);
    if conv.bias.is_some() {
        let (dims, values) = inits
            .get(&format!("{name}.bias"))
            .ok_or_else(|| bad(format!("no initializer `{name}.bias`")))?;
        conv.bias = Some(Param::from_data(
            TensorData::new(values.clone(), dims.clone()),
            device,
        ));
    }
    Ok(())
}

/// The student of architecture `arch` whose weights are those of the ONNX graph `onnx` (an
/// export of [`crate::onnx_export::export_student`]).
pub fn import_student(
    onnx: &[u8],
    arch: &StudentArch,
    device: &Device,
) -> Result<StudentNet, DistillError> {
    let inits = initializers(onnx)?;
    let layers = arch.layers()?.len();
    let widths = StudentWidths {
        backbone: (0..layers)
            .map(|i| out_channels(&inits, &format!("backbone{i}")))
            .collect::<Result<_, _>>()?,
        heads: LEVEL_STRIDES
            .iter()
            .map(|s| out_channels(&inits, &format!("head{s}.hidden")))
            .collect::<Result<_, _>>()?,
    };
    let mut net = StudentNet::new(arch, &widths, device)?;
    for (i, conv) in net.backbone.iter_mut().enumerate() {
        load_conv(conv, &format!("backbone{i}"), &inits, device)?;
    }
    for (head, stride) in net.heads.iter_mut().zip(LEVEL_STRIDES) {
        load_conv(
            &mut head.hidden,
            &format!("head{stride}.hidden"),
            &inits,
            device,
        )?;
        load_conv(&mut head.cls, &format!("head{stride}.cls"), &inits, device)?;
        load_conv(&mut head.reg, &format!("head{stride}.reg"), &inits, device)?;
    }
    Ok(net)
}
