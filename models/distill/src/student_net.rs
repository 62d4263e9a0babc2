//! The student detector in burn: a plain convolution backbone ([`StudentArch`]: stem, then
//! stages of a stride-2 convolution and 3x3 convolutions; no depthwise layers: they run slowly
//! in tract, see `benches/RESULTS.md`) with one GFL head per stride (8, 16, 32), each a 3x3
//! hidden conv and two 1x1 convs (class logits, box-distribution logits).

use crate::DistillError;
use crate::student_classes::{BOX_BINS, NUM_CLASSES};
use burn::module::{Module, Param};
use burn::nn::PaddingConfig2d;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor, TensorData};

/// Output stride of each level in input pixels.
pub const LEVEL_STRIDES: [usize; 3] = [8, 16, 32];

/// How the student turns the image into its first feature map.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Stem {
    /// 3x3 stride-2 convolution with zero padding (kestrel-student-v2). tract runs it as a
    /// direct convolution over 3 channels (`DirectSpatialConv`), slowly.
    Conv3x3S2,
    /// `size` x `size` convolution of stride `size` without padding (2, 4 or 8; with 8 the
    /// stride-4 stage has no layers): non-overlapping
    /// patches, the same as space-to-depth followed by a 1x1 convolution but without moving
    /// data (tract: one matrix product; `benches/RESULTS.md`, block table "stem").
    Patchify {
        /// Patch side and stride, pixels.
        size: usize,
    },
}

/// The stride-2 convolution that opens each stage after the stem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Downsample {
    /// 3x3 stride-2 convolution with zero padding (kestrel-student-v2; tract copies its input
    /// into a padded buffer first).
    Conv3x3S2,
    /// 2x2 stride-2 convolution without padding (patch merging; no copy in tract).
    Conv2x2S2,
}

/// The layer structure of a student: stem, then one stage per stride 4, 8, 16 and 32, each a
/// stride-2 [`Downsample`] convolution (none for the stride-4 stage after a stride-4 stem)
/// followed by `stage_depths[i]` padded 3x3 convolutions. Every convolution is followed by
/// ReLU; the heads read the last layer of the stride-8, -16 and -32 stages.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StudentArch {
    /// The first layer.
    pub stem: Stem,
    /// The stride-2 convolution opening each later stage.
    pub downsample: Downsample,
    /// 3x3 stride-1 convolutions of the stride-4, -8, -16 and -32 stages.
    pub stage_depths: [usize; 4],
}

impl Default for StudentArch {
    /// The architecture of kestrel-student-v2 (so recipes and reports written before this
    /// option existed read as what they were).
    fn default() -> Self {
        Self::reference()
    }
}

/// One backbone layer's convolution geometry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LayerShape {
    /// Square kernel side.
    pub kernel: usize,
    /// Stride.
    pub stride: usize,
    /// Zero padding on every side.
    pub pad: usize,
}

impl StudentArch {
    /// kestrel-student-v2's architecture: 3x3/s2 stem and downsampling, one 3x3 conv per stage
    /// (9 backbone layers).
    pub fn reference() -> Self {
        Self {
            stem: Stem::Conv3x3S2,
            downsample: Downsample::Conv3x3S2,
            stage_depths: [1, 1, 1, 1],
        }
    }

    /// The architecture tract runs best within 1/8 of the teacher's MACs at 512x288
    /// (`benches/RESULTS.md`, block benchmark): an 8x8 patch stem straight to stride 8, one
    /// padded 3x3 conv there, and 2x2/s2 patch merging followed by one 3x3 conv at strides 16
    /// and 32 (kestrel-student-v3).
    pub fn patchify_8() -> Self {
        Self {
            stem: Stem::Patchify { size: 8 },
            downsample: Downsample::Conv2x2S2,
            stage_depths: [0, 1, 1, 1],
        }
    }

    /// The backbone layers in order.
    pub fn layers(&self) -> Result<Vec<LayerShape>, DistillError> {
        let same = |kernel, stride| LayerShape {
            kernel,
            stride,
            pad: kernel / 2,
        };
        let mut layers = vec![match self.stem {
            Stem::Conv3x3S2 => same(3, 2),
            Stem::Patchify {
                size: size @ (2 | 4 | 8),
            } => LayerShape {
                kernel: size,
                stride: size,
                pad: 0,
            },
            Stem::Patchify { size } => {
                return Err(DistillError::Setting(format!(
                    "patchify stem of {size} pixels: 2, 4 or 8 supported"
                )));
            }
        }];
        let down = match self.downsample {
            Downsample::Conv3x3S2 => same(3, 2),
            Downsample::Conv2x2S2 => LayerShape {
                kernel: 2,
                stride: 2,
                pad: 0,
            },
        };
        for (stage, &depth) in self.stage_depths.iter().enumerate() {
            let stride_so_far: usize = layers.iter().map(|l| l.stride).product();
            if stride_so_far < 4 << stage {
                layers.push(down);
            } else if stride_so_far > 4 << stage && depth > 0 {
                return Err(DistillError::Setting(format!(
                    "{self:?}: the stem's stride {stride_so_far} leaves no stride-{} stage for {depth} convs",
                    4 << stage
                )));
            }
            layers.extend(std::iter::repeat_n(same(3, 1), depth));
        }
        Ok(layers)
    }
}

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

    /// Reference widths scaled by `factor` (rounded, at least 4 channels), for small tests of
    /// the reference architecture.
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
    /// Backbone convs ([`StudentArch::layers`]), each followed by ReLU.
    pub backbone: Vec<Conv2d>,
    /// Heads for strides 8, 16, 32.
    pub heads: Vec<GflHead>,
    /// The backbone layer each head reads ([`level_taps`] of the backbone).
    #[module(skip)]
    pub taps: Vec<usize>,
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
    conv_padded(cin, cout, k, stride, k / 2, device)
}

fn conv_padded(
    cin: usize,
    cout: usize,
    k: usize,
    stride: usize,
    pad: usize,
    device: &Device,
) -> Conv2d {
    Conv2dConfig::new([cin, cout], [k, k])
        .with_stride([stride, stride])
        .with_padding(PaddingConfig2d::Explicit(pad, pad, pad, pad))
        .init(device)
}

impl StudentNet {
    /// A randomly initialised student of architecture `arch` (burn's Kaiming init; seed with
    /// `Device::seed`); `widths.backbone` has one width per layer of `arch`.
    pub fn new(
        arch: &StudentArch,
        widths: &StudentWidths,
        device: &Device,
    ) -> Result<Self, DistillError> {
        let layers = arch.layers()?;
        if widths.backbone.len() != layers.len() || widths.heads.len() != LEVEL_STRIDES.len() {
            return Err(DistillError::Setting(format!(
                "{} backbone and {} head widths for {arch:?} ({} layers, {} heads)",
                widths.backbone.len(),
                widths.heads.len(),
                layers.len(),
                LEVEL_STRIDES.len()
            )));
        }
        let mut cin = 3;
        let backbone: Vec<Conv2d> = widths
            .backbone
            .iter()
            .zip(&layers)
            .map(|(&cout, l)| {
                let c = conv_padded(cin, cout, l.kernel, l.stride, l.pad, device);
                cin = cout;
                c
            })
            .collect();
        let taps = level_taps(&backbone)?;
        let heads = taps
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
        Ok(Self {
            backbone,
            heads,
            taps,
        })
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
            if let Some(level) = self.taps.iter().position(|&t| t == i) {
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

/// The backbone layer each head reads: the last layer at each of the strides 8, 16 and 32
/// (products of the layers' strides), in that order.
pub fn level_taps(backbone: &[Conv2d]) -> Result<Vec<usize>, DistillError> {
    let mut stride = 1;
    let mut last_at = Vec::with_capacity(backbone.len());
    for c in backbone {
        stride *= c.stride[0];
        last_at.push(stride);
    }
    LEVEL_STRIDES
        .iter()
        .map(|&s| {
            last_at.iter().rposition(|&at| at == s).ok_or_else(|| {
                DistillError::Setting(format!(
                    "no backbone layer at stride {s} (strides {last_at:?})"
                ))
            })
        })
        .collect()
}

/// `[b, c, h, w]` -> `[b, h * w, c]` (row-major cells).
fn cells_last(t: Tensor<4>) -> Tensor<3> {
    let [b, c, h, w] = t.dims();
    t.reshape([b, c, h * w]).swap_dims(1, 2)
}
