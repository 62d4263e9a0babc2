//! The exported ONNX graph, loaded back through the verified loader, reproduces burn.

use burn::tensor::Device;
use kestrel_distill::onnx_export::export_student;
use kestrel_distill::parity::max_abs_difference;
use kestrel_distill::student_net::{StudentArch, StudentNet, StudentWidths};
use kestrel_models::manifest::Provenance;
use kestrel_models::{Detector, ModelError, VerifiedModel, load_image_file, zoo};
use std::path::Path;

fn provenance() -> Provenance {
    Provenance {
        licence: "Apache-2.0".into(),
        source: "test".into(),
        trained_on: "nothing".into(),
    }
}

#[test]
fn exported_student_matches_burn_forward() {
    let device = Device::flex();
    device.seed(5);
    let net = StudentNet::new(
        &StudentArch::reference(),
        &StudentWidths::scaled(0.25),
        &device,
    )
    .unwrap();
    let exported = export_student(&net, "parity-test", "0.1.0", 192, 320, provenance()).unwrap();
    let path = Path::new("parity-test/model.onnx");
    let model = VerifiedModel::from_bytes(&exported.manifest, path, &exported.onnx).unwrap();
    let detector = Detector::from_parts(exported.manifest.clone(), model).unwrap();
    let frame = load_image_file(&zoo::dashcam_data_dir().join("stills/test1.jpg")).unwrap();
    let diff = max_abs_difference(&net, &detector, &frame).unwrap();
    assert!(diff < 1e-4, "max |burn - tract| = {diff}");
    // Detection runs end to end on the exported graph.
    detector.detect(&frame).unwrap();
}

/// Every architecture option (patchify stems of 2, 4 and 8 pixels, 2x2 downsampling, deeper
/// and empty stages) exports to a graph tract runs with burn's results, and prunes to one too.
#[test]
fn architecture_options_export_with_parity() {
    use kestrel_distill::pruning::prune;
    use kestrel_distill::student_net::{Downsample, Stem};
    let frame = load_image_file(&zoo::dashcam_data_dir().join("stills/test1.jpg")).unwrap();
    let archs = [
        (
            Stem::Patchify { size: 4 },
            Downsample::Conv2x2S2,
            [0, 2, 1, 1],
        ),
        (
            Stem::Patchify { size: 2 },
            Downsample::Conv3x3S2,
            [1, 1, 2, 0],
        ),
        (Stem::Conv3x3S2, Downsample::Conv2x2S2, [1, 0, 1, 1]),
        (
            Stem::Patchify { size: 8 },
            Downsample::Conv2x2S2,
            [0, 1, 2, 1],
        ),
    ];
    let device = Device::flex();
    for (i, (stem, downsample, stage_depths)) in archs.into_iter().enumerate() {
        device.seed(20 + i as u64);
        let arch = StudentArch {
            stem,
            downsample,
            stage_depths,
        };
        let n = arch.layers().unwrap().len();
        let widths = StudentWidths {
            backbone: (0..n).map(|l| 8 + 4 * l).collect(),
            heads: vec![12, 16, 20],
        };
        let net = StudentNet::new(&arch, &widths, &device).unwrap();
        for (what, net) in [
            ("as built", net.clone()),
            ("pruned", prune(&net, 0.25, 4, &device).unwrap()),
        ] {
            let exported =
                export_student(&net, "arch-test", "0.1.0", 96, 160, provenance()).unwrap();
            let path = Path::new("arch-test/model.onnx");
            let model =
                VerifiedModel::from_bytes(&exported.manifest, path, &exported.onnx).unwrap();
            let detector = Detector::from_parts(exported.manifest.clone(), model).unwrap();
            let diff = max_abs_difference(&net, &detector, &frame).unwrap();
            assert!(diff < 1e-4, "{arch:?} {what}: max |burn - tract| = {diff}");
        }
    }
    let bad = StudentArch {
        stem: Stem::Patchify { size: 3 },
        ..StudentArch::reference()
    };
    assert!(bad.layers().is_err());
    // An 8-pixel stem skips the stride-4 stage: convs there cannot exist.
    let skipped = StudentArch {
        stem: Stem::Patchify { size: 8 },
        downsample: Downsample::Conv2x2S2,
        stage_depths: [1, 1, 1, 1],
    };
    assert!(skipped.layers().is_err());
    let short = StudentWidths {
        backbone: vec![8; 4],
        heads: vec![8; 3],
    };
    assert!(StudentNet::new(&StudentArch::reference(), &short, &device).is_err());
}

#[test]
fn export_manifest_round_trips_and_detects_tampering() {
    let device = Device::flex();
    device.seed(6);
    let net = StudentNet::new(
        &StudentArch::reference(),
        &StudentWidths::scaled(0.25),
        &device,
    )
    .unwrap();
    let exported = export_student(&net, "t", "0.1.0", 96, 160, provenance()).unwrap();
    let toml = exported.manifest.to_toml().unwrap();
    let back = kestrel_models::ModelManifest::from_toml(&toml, Path::new("t.toml")).unwrap();
    assert_eq!(back, exported.manifest);
    let mut bytes = exported.onnx.clone();
    let n = bytes.len() - 10;
    bytes[n] ^= 0x40;
    let err =
        VerifiedModel::from_bytes(&exported.manifest, Path::new("t.onnx"), &bytes).unwrap_err();
    assert!(matches!(err, ModelError::HashMismatch { .. }), "{err}");
    assert!(export_student(&net, "t", "0.1.0", 100, 160, provenance()).is_err());
}

/// The shipped students, their weights loaded into their architectures, export to the very
/// bytes of their `model.onnx`: the export (and its plumbing of architecture options) still
/// writes the shipped graphs exactly — v3 (the default: patch stem, 2x2 patch merging) and
/// v2 (the baseline: the reference 3x3 architecture).
#[test]
fn shipped_students_reexport_bit_for_bit() {
    let zoo_dir = zoo::models_dir().join("zoo");
    reexport_bit_for_bit(
        &zoo_dir.join("kestrel-student-v3/model.toml"),
        &StudentArch::patchify_8(),
    );
    assert_eq!(zoo::DEFAULT_STUDENT, "kestrel-student-v3");
    reexport_bit_for_bit(
        &zoo_dir.join("kestrel-student-v2/model.toml"),
        &StudentArch::reference(),
    );
}

/// Loads the student of `manifest_path` into `arch` and checks its re-export is the shipped
/// ONNX, byte for byte.
fn reexport_bit_for_bit(manifest_path: &Path, arch: &StudentArch) {
    use kestrel_distill::pruning::HostConv;
    use kestrel_distill::student_net::GflHead;
    use prost::Message;
    use std::collections::HashMap;
    use tract_onnx::pb;

    let manifest = kestrel_models::ModelManifest::load(manifest_path).unwrap();
    let bytes = std::fs::read(manifest.onnx_path(manifest_path)).unwrap();
    let model = pb::ModelProto::decode(&bytes[..]).unwrap();
    let graph = model.graph.unwrap();
    let init: HashMap<&str, &pb::TensorProto> = graph
        .initializer
        .iter()
        .map(|t| (t.name.as_str(), t))
        .collect();
    let layers = arch.layers().unwrap();
    let device = Device::flex();
    let conv = |name: &str, stride: usize, pad: usize| {
        let w = init[format!("{name}.weight").as_str()];
        let d: Vec<usize> = w.dims.iter().map(|&d| d as usize).collect();
        HostConv {
            weight: w.float_data.clone(),
            dims: [d[0], d[1], d[2], d[3]],
            bias: init[format!("{name}.bias").as_str()].float_data.clone(),
            stride,
            pad,
        }
        .to_conv(&device)
    };
    let backbone: Vec<_> = layers
        .iter()
        .enumerate()
        .map(|(i, l)| conv(&format!("backbone{i}"), l.stride, l.pad))
        .collect();
    let heads = [8, 16, 32]
        .iter()
        .map(|s| GflHead {
            hidden: conv(&format!("head{s}.hidden"), 1, 1),
            cls: conv(&format!("head{s}.cls"), 1, 0),
            reg: conv(&format!("head{s}.reg"), 1, 0),
        })
        .collect();
    let net = StudentNet {
        taps: kestrel_distill::student_net::level_taps(&backbone).unwrap(),
        backbone,
        heads,
    };
    let [_, _, h, w] = manifest.input.shape;
    let exported = export_student(
        &net,
        &manifest.name,
        &manifest.version,
        h,
        w,
        manifest.provenance.clone(),
    )
    .unwrap();
    assert!(
        exported.onnx == bytes,
        "re-export differs from the shipped ONNX {}",
        manifest_path.display()
    );
    assert_eq!(exported.manifest.sha256, manifest.sha256);
}
