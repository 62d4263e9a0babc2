//! Candidate building blocks of a student, each written as a small ONNX graph with seeded
//! random weights, for the tract-vs-onnxruntime block benchmark
//! (`benches/compare/compare.py --blocks`, via `kestrel-distill block-graphs`).
//!
//! Every graph is one block (or a short chain of blocks) at the feature-map size it would see
//! in a student with a 416x256 input, so that per-block time, multiply-accumulates and the
//! tract/onnxruntime ratio can be compared between alternatives of the same job (families):
//! the stem, zero padding, channel counts, dense vs depthwise-separable convolutions,
//! activations and the input layout.

use crate::onnx_graph::{ConvParams, OnnxGraph, attr_float};
use crate::seeded_rng::SeededRng;

/// Name of every block graph's input tensor.
pub const BLOCK_INPUT: &str = "x";

/// One candidate block as an ONNX graph.
#[derive(Debug, Clone, serde::Serialize)]
pub struct BlockGraph {
    /// Unique name (also the file stem).
    pub name: String,
    /// The question the graph answers together with the others of its family.
    pub family: String,
    /// What the graph computes.
    pub description: String,
    /// Input shape (`[1, c, h, w]`, or `[1, h, w, c]` for the NHWC-input candidates).
    pub input_shape: Vec<usize>,
    /// Serialised ONNX.
    #[serde(skip)]
    pub onnx: Vec<u8>,
}

/// Zero padding of a 3x3 convolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Border {
    /// `pads` = kernel / 2 on every side (same-size output at stride 1).
    Same,
    /// No padding: the output is smaller by kernel - 1.
    Valid,
}

/// Activation after a convolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Act {
    None,
    Relu,
    /// `Clip(0, 6)`.
    Relu6,
    /// `LeakyRelu(0.1)`.
    Leaky,
}

/// A chain of layers on one tensor: tracks its name and `[c, h, w]` shape.
struct Chain {
    g: OnnxGraph,
    rng: SeededRng,
    x: String,
    chw: [usize; 3],
    layers: usize,
}

impl Chain {
    fn nchw(name: &str, chw: [usize; 3], seed: u64) -> Self {
        Self {
            g: OnnxGraph::new(name, BLOCK_INPUT, &[1, chw[0], chw[1], chw[2]]),
            rng: SeededRng::new(seed),
            x: BLOCK_INPUT.into(),
            chw,
            layers: 0,
        }
    }

    /// Input `[1, h, w, c]`, transposed to NCHW as the graph's first node.
    fn nhwc(name: &str, chw: [usize; 3], seed: u64) -> Self {
        let [c, h, w] = chw;
        let mut s = Self {
            g: OnnxGraph::new(name, BLOCK_INPUT, &[1, h, w, c]),
            rng: SeededRng::new(seed),
            x: BLOCK_INPUT.into(),
            chw,
            layers: 0,
        };
        s.x = s.g.transpose(BLOCK_INPUT, &[0, 3, 1, 2], "x_nchw");
        s
    }

    fn next_name(&mut self, what: &str) -> String {
        self.layers += 1;
        format!("l{}_{what}", self.layers)
    }

    /// Convolution `cout` x `k`x`k` / `stride`, `group` groups, then `act`.
    fn conv(
        &mut self,
        cout: usize,
        k: usize,
        stride: usize,
        border: Border,
        group: usize,
        act: Act,
    ) {
        let [cin, h, w] = self.chw;
        let fan_in = cin / group * k * k;
        let bound = (6.0 / fan_in as f32).sqrt();
        let weight = (0..cout * fan_in)
            .map(|_| self.rng.uniform(-bound, bound))
            .collect();
        let bias = (0..cout).map(|_| self.rng.uniform(-0.1, 0.1)).collect();
        let p = if border == Border::Same { k / 2 } else { 0 };
        let name = self.next_name("conv");
        self.x = self.g.conv(
            &name,
            &self.x.clone(),
            ConvParams {
                weight,
                dims: [cout, cin / group, k, k],
                bias: Some(bias),
                stride: [stride, stride],
                pads: [p, p, p, p],
                group,
            },
        );
        self.chw = [
            cout,
            (h + 2 * p - k) / stride + 1,
            (w + 2 * p - k) / stride + 1,
        ];
        self.act(act);
    }

    fn act(&mut self, act: Act) {
        let x = self.x.clone();
        self.x = match act {
            Act::None => x,
            Act::Relu => self.g.relu(&x),
            Act::Relu6 => {
                let lo = format!("{x}.lo");
                let hi = format!("{x}.hi");
                self.g.initializer(&lo, &[], vec![0.0]);
                self.g.initializer(&hi, &[], vec![6.0]);
                let out = format!("{x}.clip");
                self.g.node("Clip", &[&x, &lo, &hi], &out, vec![]);
                out
            }
            Act::Leaky => {
                let out = format!("{x}.leaky");
                self.g
                    .node("LeakyRelu", &[&x], &out, vec![attr_float("alpha", 0.1)]);
                out
            }
        };
    }

    /// Dense 3x3 convolution + ReLU.
    fn dense3(&mut self, cout: usize, stride: usize) {
        self.conv(cout, 3, stride, Border::Same, 1, Act::Relu);
    }

    /// Depthwise 3x3 (+ ReLU) then pointwise 1x1 to `cout` (+ ReLU).
    fn dw_separable(&mut self, cout: usize, stride: usize) {
        let c = self.chw[0];
        self.conv(c, 3, stride, Border::Same, c, Act::Relu);
        self.conv(cout, 1, 1, Border::Same, 1, Act::Relu);
    }

    fn space_to_depth(&mut self, b: usize) {
        let name = self.next_name("s2d");
        self.x = self.g.space_to_depth(&self.x.clone(), self.chw, b, &name);
        let [c, h, w] = self.chw;
        self.chw = [c * b * b, h / b, w / b];
    }

    fn finish(mut self, family: &str, description: &str, input_shape: Vec<usize>) -> BlockGraph {
        let [c, h, w] = self.chw;
        let name = self.g_name();
        self.g.output(&self.x, &[1, c, h, w]);
        BlockGraph {
            name,
            family: family.into(),
            description: description.into(),
            input_shape,
            onnx: self.g.into_bytes(),
        }
    }

    fn g_name(&self) -> String {
        self.g.name().to_string()
    }
}

/// Seed of every block graph's weights.
const SEED: u64 = 0x5EED;

/// The feature-map sizes of a 416x256 input at strides 1, 2, 4, 8 and 16 (`[h, w]`).
const S1: [usize; 2] = [256, 416];
const S2: [usize; 2] = [128, 208];
const S4: [usize; 2] = [64, 104];
const S8: [usize; 2] = [32, 52];
const S16: [usize; 2] = [16, 26];

fn nchw(name: &str, c: usize, hw: [usize; 2]) -> Chain {
    Chain::nchw(name, [c, hw[0], hw[1]], SEED)
}

fn shape(c: usize, hw: [usize; 2]) -> Vec<usize> {
    vec![1, c, hw[0], hw[1]]
}

/// Every candidate block graph, grouped by family (seeded: the same bytes on every call).
pub fn block_graphs() -> Vec<BlockGraph> {
    let mut out = Vec::new();
    out.extend(stems());
    out.extend(wide_stems());
    out.extend(padding());
    out.extend(downsampling());
    out.extend(direct());
    out.extend(channels());
    out.extend(wide());
    out.extend(depthwise());
    out.extend(activations());
    out.extend(layouts());
    out
}

fn stems() -> Vec<BlockGraph> {
    const F: &str = "stem (416x256x3 input)";
    let mut v = Vec::new();
    let mut c = nchw("stem_conv3x3s2_c16", 3, S1);
    c.dense3(16, 2);
    v.push(c.finish(
        F,
        "3x3/s2 conv 3->16 + ReLU (shipped v2 stem): output /2",
        shape(3, S1),
    ));
    let mut c = nchw("stem_conv3x3s2_c32", 3, S1);
    c.dense3(32, 2);
    v.push(c.finish(F, "3x3/s2 conv 3->32 + ReLU: output /2", shape(3, S1)));
    let mut c = nchw("stem_conv2x2s2_c16", 3, S1);
    c.conv(16, 2, 2, Border::Valid, 1, Act::Relu);
    v.push(c.finish(
        F,
        "2x2/s2 conv 3->16 + ReLU (patchify, no padding): output /2",
        shape(3, S1),
    ));
    let mut c = nchw("stem_s2d2_conv1x1_c16", 3, S1);
    c.space_to_depth(2);
    c.conv(16, 1, 1, Border::Valid, 1, Act::Relu);
    v.push(c.finish(
        F,
        "space-to-depth 2x2 (Reshape/Transpose) -> 1x1 conv 12->16 + ReLU: output /2",
        shape(3, S1),
    ));
    let mut c = nchw("stem_s2d2_conv3x3_c16", 3, S1);
    c.space_to_depth(2);
    c.dense3(16, 1);
    v.push(c.finish(
        F,
        "space-to-depth 2x2 -> 3x3 conv 12->16 + ReLU: output /2",
        shape(3, S1),
    ));
    let mut c = nchw("stem_conv3x3s2_x2_c16_c32", 3, S1);
    c.dense3(16, 2);
    c.dense3(32, 2);
    v.push(c.finish(
        F,
        "3x3/s2 conv 3->16 + 3x3/s2 conv 16->32 (+ ReLUs): output /4",
        shape(3, S1),
    ));
    let mut c = nchw("stem_conv4x4s4_c32", 3, S1);
    c.conv(32, 4, 4, Border::Valid, 1, Act::Relu);
    v.push(c.finish(
        F,
        "4x4/s4 conv 3->32 + ReLU (patchify, no padding): output /4",
        shape(3, S1),
    ));
    let mut c = nchw("stem_s2d4_conv1x1_c32", 3, S1);
    c.space_to_depth(4);
    c.conv(32, 1, 1, Border::Valid, 1, Act::Relu);
    v.push(c.finish(
        F,
        "space-to-depth 4x4 -> 1x1 conv 48->32 + ReLU: output /4",
        shape(3, S1),
    ));
    let mut c = nchw("stem_s2d4_conv3x3_c32", 3, S1);
    c.space_to_depth(4);
    c.dense3(32, 1);
    v.push(c.finish(
        F,
        "space-to-depth 4x4 -> 3x3 conv 48->32 + ReLU: output /4",
        shape(3, S1),
    ));
    v
}

fn wide_stems() -> Vec<BlockGraph> {
    const F: &str =
        "stem on a 768x448 input (output rows >= 128 make tract pick its direct convolution)";
    let hw = [448, 768];
    let mut v = Vec::new();
    let mut c = nchw("wstem_conv3x3s2_c16", 3, hw);
    c.dense3(16, 2);
    v.push(c.finish(F, "3x3/s2 conv 3->16 (v2 stem): output /2", shape(3, hw)));
    let mut c = nchw("wstem_patch4_c24", 3, hw);
    c.conv(24, 4, 4, Border::Valid, 1, Act::Relu);
    v.push(c.finish(
        F,
        "4x4/s4 patchify conv 3->24: output /4, rows of 192",
        shape(3, hw),
    ));
    let mut c = nchw("wstem_patch4_g3_c48_pw24", 3, hw);
    c.conv(48, 4, 4, Border::Valid, 3, Act::None);
    c.conv(24, 1, 1, Border::Valid, 1, Act::Relu);
    v.push(c.finish(F, "4x4/s4 patchify conv in 3 groups 3->48 (a learned space-to-depth), then 1x1 conv 48->24: output /4", shape(3, hw)));
    let mut c = nchw("wstem_s2d4_pw24", 3, hw);
    c.space_to_depth(4);
    c.conv(24, 1, 1, Border::Valid, 1, Act::Relu);
    v.push(c.finish(
        F,
        "space-to-depth 4x4 (Reshape/Transpose) then 1x1 conv 48->24: output /4",
        shape(3, hw),
    ));
    let mut c = nchw("wstem_patch8_c48", 3, hw);
    c.conv(48, 8, 8, Border::Valid, 1, Act::Relu);
    v.push(c.finish(
        F,
        "8x8/s8 patchify conv 3->48: output /8, rows of 96",
        shape(3, hw),
    ));
    let mut c = nchw("wstem_patch4_down2_c48", 3, hw);
    c.conv(24, 4, 4, Border::Valid, 1, Act::Relu);
    c.conv(48, 2, 2, Border::Valid, 1, Act::Relu);
    v.push(c.finish(
        F,
        "4x4/s4 patchify 3->24 then 2x2/s2 conv 24->48: output /8",
        shape(3, hw),
    ));
    let mut c = nchw("wstem_g3_down2_c48", 3, hw);
    c.conv(48, 4, 4, Border::Valid, 3, Act::None);
    c.conv(24, 1, 1, Border::Valid, 1, Act::Relu);
    c.conv(48, 2, 2, Border::Valid, 1, Act::Relu);
    v.push(c.finish(
        F,
        "grouped 4x4/s4 3->48, 1x1 48->24, 2x2/s2 24->48: output /8",
        shape(3, hw),
    ));
    v
}

fn padding() -> Vec<BlockGraph> {
    const F: &str = "zero padding (3x3 conv 32->32 at /4, 64x104 output)";
    let mut v = Vec::new();
    let mut c = nchw("pad_same_s1", 32, S4);
    c.dense3(32, 1);
    v.push(c.finish(
        F,
        "pads=1: tract inserts a Pad copy before the conv",
        shape(32, S4),
    ));
    let big = [S4[0] + 2, S4[1] + 2];
    let mut c = nchw("pad_valid_s1", 32, big);
    c.conv(32, 3, 1, Border::Valid, 1, Act::Relu);
    v.push(c.finish(
        F,
        "valid conv on a 66x106 input (border made elsewhere): same output, no Pad",
        shape(32, big),
    ));
    let mut c = nchw("pad_same_x3", 32, S4);
    for _ in 0..3 {
        c.dense3(32, 1);
    }
    v.push(c.finish(F, "three padded 3x3 convs", shape(32, S4)));
    let big = [S4[0] + 6, S4[1] + 6];
    let mut c = nchw("pad_valid_x3", 32, big);
    for _ in 0..3 {
        c.conv(32, 3, 1, Border::Valid, 1, Act::Relu);
    }
    v.push(c.finish(
        F,
        "three valid 3x3 convs on a 70x110 input (same output size)",
        shape(32, big),
    ));
    let mut c = nchw("pad_same_s2", 32, S2);
    c.dense3(32, 2);
    v.push(c.finish(
        F,
        "3x3/s2 conv with pads=1 from /2 (128x208)",
        shape(32, S2),
    ));
    let odd = [S2[0] + 1, S2[1] + 1];
    let mut c = nchw("pad_valid_s2", 32, odd);
    c.conv(32, 3, 2, Border::Valid, 1, Act::Relu);
    v.push(c.finish(
        F,
        "valid 3x3/s2 conv on a 129x209 input (same output)",
        shape(32, odd),
    ));
    v
}

fn downsampling() -> Vec<BlockGraph> {
    const F: &str = "downsampling (stride-2 conv 32->64 from /4 to /8)";
    let mut v = Vec::new();
    let mut c = nchw("down_conv3x3s2", 32, S4);
    c.dense3(64, 2);
    v.push(c.finish(F, "3x3/s2 conv, pads=1 (shipped v2)", shape(32, S4)));
    let mut c = nchw("down_conv2x2s2", 32, S4);
    c.conv(64, 2, 2, Border::Valid, 1, Act::Relu);
    v.push(c.finish(F, "2x2/s2 conv, no padding (patch merging)", shape(32, S4)));
    let mut c = nchw("down_conv3x3s2_then_3x3", 32, S4);
    c.dense3(64, 2);
    c.dense3(64, 1);
    v.push(c.finish(
        F,
        "3x3/s2 conv then 3x3 conv 64->64 (a v2 stage)",
        shape(32, S4),
    ));
    let mut c = nchw("down_conv2x2s2_then_3x3", 32, S4);
    c.conv(64, 2, 2, Border::Valid, 1, Act::Relu);
    c.dense3(64, 1);
    v.push(c.finish(F, "2x2/s2 conv then 3x3 conv 64->64", shape(32, S4)));
    v
}

fn direct() -> Vec<BlockGraph> {
    const F: &str = "3x3 conv by output row width (tract's direct convolution takes rows >= 128 with C_in <= 64)";
    let mut v = Vec::new();
    for (ch, hw, label) in [
        (32, [64, 104], "416x256 at /4"),
        (32, [72, 128], "512x288 at /4"),
        (32, [96, 160], "640x384 at /4"),
        (32, [112, 192], "768x448 at /4"),
        (64, [72, 128], "512x288 at /4"),
        (64, [36, 64], "512x288 at /8"),
    ] {
        let mut c = nchw(&format!("rows_c{ch}_{}x{}", hw[1], hw[0]), ch, hw);
        c.dense3(ch, 1);
        v.push(c.finish(
            F,
            &format!("3x3 conv {ch}->{ch} on {}x{} ({label})", hw[1], hw[0]),
            shape(ch, hw),
        ));
    }
    v
}

fn channels() -> Vec<BlockGraph> {
    const F: &str = "channel counts (3x3 conv C->C + ReLU at /8, 32x52)";
    [16, 24, 32, 40, 48, 56, 64, 80, 96, 128]
        .into_iter()
        .map(|ch| {
            let mut c = nchw(&format!("channels_c{ch}"), ch, S8);
            c.dense3(ch, 1);
            c.finish(F, &format!("3x3 conv {ch}->{ch} + ReLU"), shape(ch, S8))
        })
        .collect()
}

fn wide() -> Vec<BlockGraph> {
    const F: &str = "wide layers at /16 (16x26)";
    let mut v = Vec::new();
    for ch in [128, 192, 256] {
        let mut c = nchw(&format!("wide3x3_c{ch}"), ch, S16);
        c.dense3(ch, 1);
        v.push(c.finish(F, &format!("3x3 conv {ch}->{ch} + ReLU"), shape(ch, S16)));
    }
    for ch in [128, 256] {
        let mut c = nchw(&format!("wide1x1_c{ch}"), ch, S16);
        c.conv(ch, 1, 1, Border::Valid, 1, Act::Relu);
        v.push(c.finish(F, &format!("1x1 conv {ch}->{ch} + ReLU"), shape(ch, S16)));
    }
    v
}

fn depthwise() -> Vec<BlockGraph> {
    let mut v = Vec::new();
    for (hw, ch, at) in [(S4, 32, "/4"), (S8, 64, "/8")] {
        let f = format!("dense vs depthwise-separable ({ch} channels at {at})");
        let mut c = nchw(&format!("dense3x3_c{ch}"), ch, hw);
        c.dense3(ch, 1);
        v.push(c.finish(
            &f,
            &format!("dense 3x3 conv {ch}->{ch} + ReLU"),
            shape(ch, hw),
        ));
        let mut c = nchw(&format!("dwsep_c{ch}"), ch, hw);
        c.dw_separable(ch, 1);
        v.push(c.finish(
            &f,
            &format!("depthwise 3x3 + ReLU, pointwise 1x1 {ch}->{ch} + ReLU"),
            shape(ch, hw),
        ));
        let mut c = nchw(&format!("dwsep_x2_c{ch}"), ch, hw);
        c.dw_separable(ch, 1);
        c.dw_separable(ch, 1);
        v.push(c.finish(
            &f,
            "two depthwise-separable blocks (receptive field of two 3x3)",
            shape(ch, hw),
        ));
        let mut c = nchw(&format!("pointwise_c{ch}"), ch, hw);
        c.conv(ch, 1, 1, Border::Valid, 1, Act::Relu);
        v.push(c.finish(
            &f,
            &format!("1x1 conv {ch}->{ch} + ReLU alone"),
            shape(ch, hw),
        ));
        let mut c = nchw(&format!("depthwise_c{ch}"), ch, hw);
        c.conv(ch, 3, 1, Border::Same, ch, Act::Relu);
        v.push(c.finish(&f, "depthwise 3x3 + ReLU alone", shape(ch, hw)));
    }
    v
}

fn activations() -> Vec<BlockGraph> {
    const F: &str = "activation after a 3x3 conv 48->48 at /8";
    [
        (Act::None, "none"),
        (Act::Relu, "relu"),
        (Act::Relu6, "relu6"),
        (Act::Leaky, "leaky"),
    ]
    .into_iter()
    .map(|(act, label)| {
        let mut c = nchw(&format!("act_{label}"), 48, S8);
        c.conv(48, 3, 1, Border::Same, 1, act);
        c.finish(
            F,
            &format!("3x3 conv 48->48, activation: {label}"),
            shape(48, S8),
        )
    })
    .collect()
}

fn layouts() -> Vec<BlockGraph> {
    const F: &str = "input layout (stem 3->16 s2, 16->32 s2, 32->32: a 416x256 backbone start)";
    let build = |mut c: Chain| {
        c.dense3(16, 2);
        c.dense3(32, 2);
        c.dense3(32, 1);
        c
    };
    vec![
        build(nchw("layout_nchw", 3, S1)).finish(F, "NCHW input [1,3,256,416]", shape(3, S1)),
        build(Chain::nhwc("layout_nhwc", [3, S1[0], S1[1]], SEED)).finish(
            F,
            "NHWC input [1,256,416,3] + Transpose to NCHW in the graph",
            vec![1, S1[0], S1[1], 3],
        ),
    ]
}
