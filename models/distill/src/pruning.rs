//! Structured channel pruning: rank each layer's output channels by filter L1 norm, keep the
//! strongest, and cut the matching input channels of every consumer layer.

use crate::DistillError;
use crate::student_net::{GflHead, StudentNet};
use burn::module::Param;
use burn::nn::PaddingConfig2d;
use burn::nn::conv::Conv2d;
use burn::tensor::{Device, TensorData};

/// A convolution's parameters on the host.
#[derive(Debug, Clone, PartialEq)]
pub struct HostConv {
    /// Weights `[out, in, kh, kw]`, row-major.
    pub weight: Vec<f32>,
    /// `[out, in, kh, kw]`.
    pub dims: [usize; 4],
    /// Bias `[out]`.
    pub bias: Vec<f32>,
    /// Stride (same along both axes).
    pub stride: usize,
    /// Zero padding (same on every side).
    pub pad: usize,
}

impl HostConv {
    /// Copies a burn convolution (with bias) to the host.
    pub fn from_conv(conv: &Conv2d) -> Result<Self, DistillError> {
        let dims = conv.weight.dims();
        let err = |e| DistillError::Tensor {
            what: "conv".into(),
            reason: format!("{e:?}"),
        };
        let weight = conv
            .weight
            .val()
            .into_data()
            .try_to_vec::<f32>()
            .map_err(err)?;
        let bias = match &conv.bias {
            Some(b) => b.val().into_data().try_to_vec::<f32>().map_err(err)?,
            None => vec![0.0; dims[0]],
        };
        let pad = match &conv.padding {
            PaddingConfig2d::Explicit(top, left, bottom, right)
                if [left, bottom, right].iter().all(|p| *p == top) =>
            {
                *top
            }
            PaddingConfig2d::Valid => 0,
            other => {
                return Err(DistillError::Tensor {
                    what: "conv".into(),
                    reason: format!("padding {other:?} is not the same on every side"),
                });
            }
        };
        Ok(Self {
            weight,
            dims,
            bias,
            stride: conv.stride[0],
            pad,
        })
    }

    /// L1 norm of each output filter.
    pub fn filter_l1(&self) -> Vec<f32> {
        let per = self.dims[1] * self.dims[2] * self.dims[3];
        self.weight
            .chunks_exact(per)
            .map(|f| f.iter().map(|v| v.abs()).sum())
            .collect()
    }

    /// Keeps output channels `keep` (ascending).
    pub fn keep_outputs(&self, keep: &[usize]) -> Self {
        let per = self.dims[1] * self.dims[2] * self.dims[3];
        let weight = keep
            .iter()
            .flat_map(|&o| self.weight[o * per..(o + 1) * per].iter().copied())
            .collect();
        Self {
            weight,
            dims: [keep.len(), self.dims[1], self.dims[2], self.dims[3]],
            bias: keep.iter().map(|&o| self.bias[o]).collect(),
            stride: self.stride,
            pad: self.pad,
        }
    }

    /// Keeps input channels `keep` (ascending).
    pub fn keep_inputs(&self, keep: &[usize]) -> Self {
        let k = self.dims[2] * self.dims[3];
        let mut weight = Vec::with_capacity(self.dims[0] * keep.len() * k);
        for o in 0..self.dims[0] {
            for &i in keep {
                let start = (o * self.dims[1] + i) * k;
                weight.extend_from_slice(&self.weight[start..start + k]);
            }
        }
        Self {
            weight,
            dims: [self.dims[0], keep.len(), self.dims[2], self.dims[3]],
            bias: self.bias.clone(),
            stride: self.stride,
            pad: self.pad,
        }
    }

    /// A burn convolution with these parameters on `device` (trainable there if it is an
    /// autodiff device).
    pub fn to_conv(&self, device: &Device) -> Conv2d {
        let [_, _, kh, kw] = self.dims;
        Conv2d {
            weight: Param::from_data(TensorData::new(self.weight.clone(), self.dims), device),
            bias: Some(Param::from_data(
                TensorData::new(self.bias.clone(), [self.dims[0]]),
                device,
            )),
            stride: [self.stride, self.stride],
            kernel_size: [kh, kw],
            dilation: [1, 1],
            groups: 1,
            padding: PaddingConfig2d::Explicit(self.pad, self.pad, self.pad, self.pad),
        }
    }
}

/// Indices (ascending) of the `n_keep` largest `scores`; ties keep the lower index.
pub fn strongest(scores: &[f32], n_keep: usize) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..scores.len()).collect();
    idx.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
    let mut keep: Vec<usize> = idx.into_iter().take(n_keep).collect();
    keep.sort_unstable();
    keep
}

/// Removes `fraction` of the output channels of every backbone layer and every head's hidden
/// conv, by filter L1 norm; returns the pruned network on `device`. Each layer keeps a
/// multiple of `align` channels (the nearest one, at least `align`), e.g. 8, the row panel of
/// tract's x86 matrix kernels (`benches/RESULTS.md` measured no speed-up from it on the
/// shipped student, but no loss either).
pub fn prune(
    net: &StudentNet,
    fraction: f32,
    align: usize,
    device: &Device,
) -> Result<StudentNet, DistillError> {
    if !(0.0..1.0).contains(&fraction) {
        return Err(DistillError::Setting(format!(
            "pruning fraction {fraction} not in 0..1"
        )));
    }
    let mut backbone: Vec<HostConv> = net
        .backbone
        .iter()
        .map(HostConv::from_conv)
        .collect::<Result<_, _>>()?;
    let mut heads: Vec<[HostConv; 3]> = net
        .heads
        .iter()
        .map(|h| {
            Ok([
                HostConv::from_conv(&h.hidden)?,
                HostConv::from_conv(&h.cls)?,
                HostConv::from_conv(&h.reg)?,
            ])
        })
        .collect::<Result<_, DistillError>>()?;
    let align = align.max(1);
    let n_keep = |c: usize| {
        let k = ((c as f32) * (1.0 - fraction) / align as f32).round() as usize * align;
        k.clamp(align.min(c), c)
    };
    for i in 0..backbone.len() {
        let keep = strongest(&backbone[i].filter_l1(), n_keep(backbone[i].dims[0]));
        backbone[i] = backbone[i].keep_outputs(&keep);
        if i + 1 < backbone.len() {
            backbone[i + 1] = backbone[i + 1].keep_inputs(&keep);
        }
        if let Some(level) = net.taps.iter().position(|&t| t == i) {
            heads[level][0] = heads[level][0].keep_inputs(&keep);
        }
    }
    for h in &mut heads {
        let keep = strongest(&h[0].filter_l1(), n_keep(h[0].dims[0]));
        h[0] = h[0].keep_outputs(&keep);
        h[1] = h[1].keep_inputs(&keep);
        h[2] = h[2].keep_inputs(&keep);
    }
    Ok(StudentNet {
        backbone: backbone.iter().map(|c| c.to_conv(device)).collect(),
        heads: heads
            .iter()
            .map(|[hidden, cls, reg]| GflHead {
                hidden: hidden.to_conv(device),
                cls: cls.to_conv(device),
                reg: reg.to_conv(device),
            })
            .collect(),
        taps: net.taps.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strongest_keeps_the_largest_in_index_order() {
        assert_eq!(strongest(&[0.1, 3.0, 2.0, 0.5], 2), vec![1, 2]);
        assert_eq!(strongest(&[1.0, 1.0, 1.0], 2), vec![0, 1]);
    }

    #[test]
    fn slicing_inputs_and_outputs_moves_the_right_weights() {
        // 2 outputs x 3 inputs x 1x1: weight[o][i] = 10 o + i.
        let c = HostConv {
            weight: vec![0.0, 1.0, 2.0, 10.0, 11.0, 12.0],
            dims: [2, 3, 1, 1],
            bias: vec![5.0, 6.0],
            stride: 1,
            pad: 0,
        };
        let o = c.keep_outputs(&[1]);
        assert_eq!(
            (o.weight.clone(), o.bias.clone(), o.dims),
            (vec![10.0, 11.0, 12.0], vec![6.0], [1, 3, 1, 1])
        );
        let i = c.keep_inputs(&[0, 2]);
        assert_eq!(
            (i.weight, i.dims),
            (vec![0.0, 2.0, 10.0, 12.0], [2, 2, 1, 1])
        );
        assert_eq!(c.filter_l1(), vec![3.0, 33.0]);
    }
}
