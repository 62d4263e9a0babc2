//! Export parity: the exported ONNX graph run by tract must reproduce burn's forward pass.

use crate::DistillError;
use crate::student_net::StudentNet;
use burn::tensor::activation::sigmoid;
use burn::tensor::{Device, Tensor, TensorData};
use kestrel_models::Detector;
use kestrel_models::image_resample::PixelView;
use kestrel_models::preprocess::prepare;
use kestrel_sensors::CameraFrame;

/// Largest absolute difference between burn's outputs (class probabilities and box logits,
/// per level) and tract's outputs of the exported `detector` on `frame`.
pub fn max_abs_difference(
    net: &StudentNet,
    detector: &Detector,
    frame: &CameraFrame,
) -> Result<f32, DistillError> {
    let spec = &detector.manifest().input;
    let (input, _) = prepare(spec, &PixelView::from_frame(frame));
    let device = Device::flex();
    let x = Tensor::<4>::from_data(
        TensorData::new(input.iter().copied().collect::<Vec<f32>>(), spec.shape),
        &device,
    );
    let tract_out = detector.run_raw(input)?;
    let levels = net.forward(x);
    let mut burn_out = Vec::new();
    for l in levels {
        burn_out.push(sigmoid(l.cls));
        burn_out.push(l.reg);
    }
    if burn_out.len() != tract_out.len() {
        return Err(DistillError::Tensor {
            what: "outputs".into(),
            reason: format!("burn {} vs tract {}", burn_out.len(), tract_out.len()),
        });
    }
    let mut max = 0.0f32;
    for (b, t) in burn_out.into_iter().zip(&tract_out) {
        let b: Vec<f32> = b
            .into_data()
            .try_to_vec::<f32>()
            .map_err(|e| DistillError::Tensor {
                what: "burn output".into(),
                reason: format!("{e:?}"),
            })?;
        if b.len() != t.len() {
            return Err(DistillError::Tensor {
                what: "outputs".into(),
                reason: format!("sizes {} vs {}", b.len(), t.len()),
            });
        }
        for (x, y) in b.iter().zip(t.iter()) {
            max = max.max((x - y).abs());
        }
    }
    Ok(max)
}
