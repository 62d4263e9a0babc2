//! Candidate students for the next camera model (issue 19): full networks (backbone + the three
//! GFL heads, 6 classes, 44 box logits per cell, outputs laid out as the shipped student's) at
//! the input sizes the urban cameras need, each within 1/8 of the teacher's multiply-accumulates
//! (261 M), with random seeded weights, exported by the recipe's own export so that tract and
//! onnxruntime time exactly the graph a trained student of that configuration would have
//! (`benches/compare/blocks.py`).

use crate::DistillError;
use crate::onnx_export::{ExportedStudent, export_student};
use crate::student_net::{Downsample, Stem, StudentArch, StudentNet, StudentWidths};
use burn::tensor::Device;
use kestrel_models::manifest::Provenance;

/// One candidate: a recipe's `arch`, `widths`, `height` and `width`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct StudentCandidate {
    /// Unique name (folder name of the export).
    pub name: String,
    /// What distinguishes it.
    pub description: String,
    /// Layer structure.
    pub arch: StudentArch,
    /// Channel widths.
    pub widths: StudentWidths,
    /// Input height, pixels.
    pub height: usize,
    /// Input width, pixels.
    pub width: usize,
}

/// The input sizes considered, `(width, height)`: 16:9 cameras letterboxed (416x256 is the
/// shipped student's).
pub const INPUT_SIZES: [(usize, usize); 4] = [(416, 256), (512, 288), (640, 384), (768, 448)];

fn arch(stem: Stem, downsample: Downsample, stage_depths: [usize; 4]) -> StudentArch {
    StudentArch {
        stem,
        downsample,
        stage_depths,
    }
}

fn candidate(
    family: &str,
    description: &str,
    arch: &StudentArch,
    (width, height): (usize, usize),
    backbone: &[usize],
    heads: [usize; 3],
) -> StudentCandidate {
    StudentCandidate {
        name: format!("{family}_{width}x{height}"),
        description: description.into(),
        arch: arch.clone(),
        widths: StudentWidths {
            backbone: backbone.to_vec(),
            heads: heads.to_vec(),
        },
        height,
        width,
    }
}

/// Every candidate. Widths are multiples of 8 scaled per input size to use most of the
/// 261 M multiply-accumulate budget (the export's tract count is in the benchmark's table).
pub fn student_candidates() -> Vec<StudentCandidate> {
    let [s416, s512, s640, s768] = INPUT_SIZES;
    let v2 = StudentArch::reference();
    const V2: &str = "v2 architecture (3x3/s2 stem and downsampling, one 3x3 conv per stage)";
    let p4c2 = arch(
        Stem::Patchify { size: 4 },
        Downsample::Conv2x2S2,
        [1, 1, 1, 1],
    );
    const P4C2: &str = "4x4/s4 patchify stem, 2x2/s2 downsampling, one 3x3 conv per stage";
    let p4c3 = arch(
        Stem::Patchify { size: 4 },
        Downsample::Conv3x3S2,
        [1, 1, 1, 1],
    );
    const P4C3: &str = "4x4/s4 patchify stem, 3x3/s2 downsampling, one 3x3 conv per stage";
    let p2c2 = arch(
        Stem::Patchify { size: 2 },
        Downsample::Conv2x2S2,
        [1, 1, 1, 1],
    );
    const P2C2: &str = "2x2/s2 patchify stem, 2x2/s2 downsampling, one 3x3 conv per stage";
    let deep = arch(
        Stem::Patchify { size: 4 },
        Downsample::Conv2x2S2,
        [0, 2, 2, 1],
    );
    const DEEP: &str = "4x4/s4 patchify stem, 2x2/s2 downsampling, 3x3 convs per stage 0/2/2/1";
    let mid = arch(
        Stem::Patchify { size: 4 },
        Downsample::Conv2x2S2,
        [0, 1, 2, 1],
    );
    const MID: &str = "4x4/s4 patchify stem, 2x2/s2 downsampling, 3x3 convs per stage 0/1/2/1, wide at /16 and /32";
    let p8c2 = arch(
        Stem::Patchify { size: 8 },
        Downsample::Conv2x2S2,
        [0, 1, 1, 1],
    );
    const P8C2: &str = "8x8/s8 patchify stem, 2x2/s2 downsampling, one 3x3 conv per stage from /8";
    let p8mid = arch(
        Stem::Patchify { size: 8 },
        Downsample::Conv2x2S2,
        [0, 1, 2, 1],
    );
    const P8MID: &str = "8x8/s8 patchify stem, 2x2/s2 downsampling, 3x3 convs per stage -/1/2/1";
    vec![
        candidate(
            "v2",
            "kestrel-student-v2 as shipped (widths after pruning)",
            &v2,
            s416,
            &[16, 16, 16, 40, 40, 56, 56, 80, 80],
            [40, 56, 80],
        ),
        candidate(
            "v2wide",
            V2,
            &v2,
            s416,
            &[24, 24, 24, 48, 48, 72, 72, 104, 104],
            [48, 72, 104],
        ),
        candidate(
            "v2wide",
            V2,
            &v2,
            s512,
            &[16, 16, 16, 40, 40, 64, 64, 88, 88],
            [40, 64, 88],
        ),
        candidate(
            "v2wide",
            V2,
            &v2,
            s640,
            &[16, 16, 16, 32, 32, 40, 40, 64, 64],
            [32, 40, 64],
        ),
        candidate(
            "v2wide",
            V2,
            &v2,
            s768,
            &[8, 8, 8, 32, 32, 40, 40, 56, 56],
            [32, 40, 56],
        ),
        candidate(
            "p2c2",
            P2C2,
            &p2c2,
            s416,
            &[24, 24, 24, 56, 56, 80, 80, 120, 120],
            [56, 80, 120],
        ),
        candidate(
            "p4c3",
            P4C3,
            &p4c3,
            s416,
            &[24, 24, 56, 56, 80, 80, 112, 112],
            [56, 80, 112],
        ),
        candidate(
            "p4c2",
            P4C2,
            &p4c2,
            s416,
            &[24, 24, 56, 56, 80, 80, 120, 120],
            [56, 80, 120],
        ),
        candidate(
            "p4c2",
            P4C2,
            &p4c2,
            s512,
            &[16, 16, 48, 48, 72, 72, 96, 96],
            [48, 72, 96],
        ),
        candidate(
            "p4c2",
            P4C2,
            &p4c2,
            s768,
            &[8, 8, 32, 32, 40, 40, 56, 56],
            [32, 40, 56],
        ),
        candidate(
            "p4c2deep",
            DEEP,
            &deep,
            s416,
            &[24, 56, 56, 56, 72, 72, 72, 104, 104],
            [56, 72, 104],
        ),
        candidate(
            "p4c2mid",
            MID,
            &mid,
            s416,
            &[24, 48, 48, 96, 96, 96, 128, 128],
            [40, 96, 128],
        ),
        candidate(
            "p8c2",
            P8C2,
            &p8c2,
            s512,
            &[40, 40, 96, 96, 144, 144],
            [40, 96, 144],
        ),
        candidate(
            "p8c2mid",
            P8MID,
            &p8mid,
            s640,
            &[24, 24, 64, 64, 64, 128, 128],
            [24, 64, 128],
        ),
        candidate(
            "p8c2mid",
            P8MID,
            &p8mid,
            s768,
            &[24, 24, 48, 48, 48, 96, 96],
            [24, 48, 96],
        ),
    ]
}

/// Exports `c` with random weights (burn's initialisation, seeded with `seed`).
pub fn export_candidate(c: &StudentCandidate, seed: u64) -> Result<ExportedStudent, DistillError> {
    let device = Device::flex();
    device.seed(seed);
    let net = StudentNet::new(&c.arch, &c.widths, &device)?;
    export_student(
        &net,
        &c.name,
        "0.0.0",
        c.height,
        c.width,
        Provenance {
            licence: "Apache-2.0".into(),
            source: "kestrel-distill block-graphs: untrained candidate (random weights)".into(),
            trained_on: "nothing".into(),
        },
    )
}
