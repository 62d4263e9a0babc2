//! The student detector in burn: a plain 3x3-convolution backbone (no depthwise layers: they
//! run slowly in tract) with one GFL head per stride (8, 16, 32), each a 3x3 hidden conv and
//! two 1x1 convs (class logits, box-distribution logits).

use crate::student_classes::{BOX_BINS, NUM_CLASSES};
use burn::module::{Module, Param};
use burn::nn::PaddingConfig2d;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor, TensorData};

/// Strides of the backbone layers (layer `i` divides the resolution by `BACKBONE_STRIDES[i]`).
pub const BACKBONE_STRIDES: [usize; 9] = [2, 2, 1, 2, 1, 2, 1, 2, 1];

/// Backbone layer whose output feeds the head of each level (strides 8, 16, 32).
pub const LEVEL_TAPS: [usize; 3] = [4, 6, 8];

/// Output stride of each level in input pixels.
pub const LEVEL_STRIDES: [usize; 3] = [8, 16, 32];

/// Channel widths of a student: one per backbone layer, one per head's hidden conv.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StudentWidths {
    /// Output channels of the 9 backbone layers.
    pub backbone: Vec<usize>,
    /// Hidden channels of the 3 heads.
    pub heads: Vec<usize>,
}

impl StudentWidths {
    /// The unpruned reference widths.
    pub fn reference() -> Self {
        Self {
            backbone: vec![16, 32, 32, 64, 64, 96, 96, 128, 128],
            heads: vec![64, 96, 128],
        }
    }

    /// Reference widths scaled by `factor` (rounded, at least 4 channels), for small tests.
    pub fn scaled(factor: f32) -> Self {
        let s = |c: &usize| ((*c as f32 * factor).round() as usize).max(4);
        let r = Self::reference();
        Self {
            backbone: r.backbone.iter().map(s).collect(),
            heads: r.heads.iter().map(s).collect(),
        }
    }
}

/// One level's head.
#[derive(Module, Debug)]
pub struct GflHead {
    /// 3x3 hidden conv (ReLU after it).
    pub hidden: Conv2d,
    /// 1x1 conv to class logits.
    pub cls: Conv2d,
    /// 1x1 conv to box-distribution logits.
    pub reg: Conv2d,
}

/// The student network. Input `[batch, 3, h, w]` normalised pixels (h, w multiples of 32).
#[derive(Module, Debug)]
pub struct StudentNet {
    /// Backbone 3x3 convs, each followed by ReLU.
    pub backbone: Vec<Conv2d>,
    /// Heads for strides 8, 16, 32.
    pub heads: Vec<GflHead>,
}

/// Raw outputs of one level: class logits `[batch, cells, classes]` and box logits
/// `[batch, cells, 4 * (reg_max + 1)]`, cells in row-major grid order.
#[derive(Debug, Clone)]
pub struct LevelLogits {
    /// Class logits (apply the logistic function for probabilities).
    pub cls: Tensor<3>,
    /// Box-distribution logits.
    pub reg: Tensor<3>,
}

fn conv(cin: usize, cout: usize, k: usize, stride: usize, device: &Device) -> Conv2d {
    Conv2dConfig::new([cin, cout], [k, k])
        .with_stride([stride, stride])
        .with_padding(PaddingConfig2d::Explicit(k / 2, k / 2, k / 2, k / 2))
        .init(device)
}

impl StudentNet {
    /// A randomly initialised student (burn's Kaiming init; seed with `Device::seed`).
    pub fn new(widths: &StudentWidths, device: &Device) -> Self {
        let mut cin = 3;
        let backbone = widths
            .backbone
            .iter()
            .zip(BACKBONE_STRIDES)
            .map(|(&cout, stride)| {
                let c = conv(cin, cout, 3, stride, device);
                cin = cout;
                c
            })
            .collect();
        let heads = LEVEL_TAPS
            .iter()
            .zip(&widths.heads)
            .map(|(&tap, &hidden)| {
                let cin = widths.backbone[tap];
                let mut cls = conv(hidden, NUM_CLASSES, 1, 1, device);
                // Start from a low prior (p ~ 0.01) as in focal-loss detectors.
                let bias = vec![-4.6f32; NUM_CLASSES];
                cls.bias = Some(Param::from_data(
                    TensorData::new(bias, [NUM_CLASSES]),
                    device,
                ));
                GflHead {
                    hidden: conv(cin, hidden, 3, 1, device),
                    cls,
                    reg: conv(hidden, BOX_BINS, 1, 1, device),
                }
            })
            .collect();
        Self { backbone, heads }
    }

    /// Current channel widths.
    pub fn widths(&self) -> StudentWidths {
        StudentWidths {
            backbone: self.backbone.iter().map(|c| c.weight.dims()[0]).collect(),
            heads: self
                .heads
                .iter()
                .map(|h| h.hidden.weight.dims()[0])
                .collect(),
        }
    }

    /// Number of weights and biases.
    pub fn num_params(&self) -> usize {
        Module::num_params(self)
    }

    /// Forward pass: per-level class and box logits.
    pub fn forward(&self, input: Tensor<4>) -> Vec<LevelLogits> {
        let mut x = input;
        let mut levels = Vec::with_capacity(3);
        for (i, layer) in self.backbone.iter().enumerate() {
            x = relu(layer.forward(x));
            if let Some(level) = LEVEL_TAPS.iter().position(|&t| t == i) {
                let head = &self.heads[level];
                let h = relu(head.hidden.forward(x.clone()));
                levels.push(LevelLogits {
                    cls: cells_last(head.cls.forward(h.clone())),
                    reg: cells_last(head.reg.forward(h)),
                });
            }
        }
        levels
    }
}

/// `[b, c, h, w]` -> `[b, h * w, c]` (row-major cells).
fn cells_last(t: Tensor<4>) -> Tensor<3> {
    let [b, c, h, w] = t.dims();
    t.reshape([b, c, h * w]).swap_dims(1, 2)
}
