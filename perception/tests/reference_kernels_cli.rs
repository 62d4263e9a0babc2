//! `--reference-kernels`, `kestrel infer` and `kestrel compare` on the shipped student and a
//! real KITTI frame: the reference kernels really replace the native ones (different low bits,
//! the same network to ~1e-5), give run-to-run identical outputs, and reach the replay digest;
//! `compare` fails on a difference beyond its bound. The cross-architecture half of the
//! contract (x86_64 == aarch64 bit for bit) is `.ci/aarch64-replay-check`.

use std::path::PathBuf;
use std::process::{Command, Output};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn kitti_frame() -> PathBuf {
    repo().join("sensors/testdata/kitti/object/image_2/000000.png")
}

fn kestrel(args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_kestrel"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "kestrel {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// `kestrel [--reference-kernels] infer <frame>` into a file; returns it and stderr.
fn infer(reference: bool, dir: &std::path::Path, name: &str) -> (PathBuf, String) {
    let frame = kitti_frame();
    let mut args = vec![];
    if reference {
        args.push("--reference-kernels");
    }
    args.extend(["infer", frame.to_str().unwrap()]);
    let out = kestrel(&args);
    let path = dir.join(name);
    std::fs::write(&path, &out.stdout).unwrap();
    (path, String::from_utf8_lossy(&out.stderr).into_owned())
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kestrel-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Largest absolute difference `kestrel compare` reports (its first line).
fn reported_max(stdout: &[u8]) -> f64 {
    let text = String::from_utf8_lossy(stdout);
    let first = text.lines().next().unwrap();
    first
        .rsplit(' ')
        .next()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no difference in {first:?}"))
}

#[test]
fn reference_kernels_replace_native_ones_and_compute_the_same_network() {
    let dir = scratch("refkernels");
    let (native, native_err) = infer(false, &dir, "native.jsonl");
    let (reference, reference_err) = infer(true, &dir, "reference.jsonl");
    let (again, _) = infer(true, &dir, "reference-again.jsonl");
    assert!(native_err.contains("kernels: native ("), "{native_err}");
    assert!(
        reference_err.contains("kernels: reference (tract generic kernels)"),
        "{reference_err}"
    );

    // One line per output tensor of the student, with its declared shape.
    let text = std::fs::read_to_string(&reference).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let manifest =
        kestrel_models::ModelManifest::load(&kestrel_models::zoo::default_student_manifest())
            .unwrap();
    assert_eq!(lines.len(), manifest.outputs.len());
    for (line, declared) in lines.iter().zip(&manifest.outputs) {
        assert_eq!(line["output"], declared.name.as_str());
        assert_eq!(line["shape"], serde_json::json!(declared.shape));
        let len: usize = declared.shape.iter().product();
        assert_eq!(line["values"].as_array().unwrap().len(), len);
    }

    // Run to run: bit-identical.
    let same = kestrel(&[
        "compare",
        reference.to_str().unwrap(),
        again.to_str().unwrap(),
        "--max-abs",
        "0",
    ]);
    assert_eq!(reported_max(&same.stdout), 0.0);

    // Native vs reference: other kernels (the low bits differ), the same network.
    let cross = kestrel(&[
        "compare",
        native.to_str().unwrap(),
        reference.to_str().unwrap(),
    ]);
    let max = reported_max(&cross.stdout);
    assert!(
        max > 0.0,
        "reference kernels gave the native bits: not in effect"
    );
    assert!(max < 1e-4, "reference and native networks differ by {max}");

    // ...and a bound below the difference fails, naming it.
    let out = Command::new(env!("CARGO_BIN_EXE_kestrel"))
        .args([
            "compare",
            native.to_str().unwrap(),
            reference.to_str().unwrap(),
            "--max-abs",
            "0",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("exceeds the bound"));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn reference_replay_is_deterministic_and_selectable_from_the_environment() {
    let log = repo().join("sensors/testdata/kitti/object");
    let digest = |envs: &[(&str, &str)], flags: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_kestrel"))
            .envs(envs.iter().copied())
            .args(flags)
            .args(["replay", log.to_str().unwrap(), "--quiet", "--digest"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .find_map(|l| l.strip_prefix("digest ").map(str::to_owned))
            .unwrap()
    };
    let flag = digest(&[], &["--reference-kernels"]);
    assert_eq!(flag, digest(&[], &["--reference-kernels"]));
    assert_eq!(flag, digest(&[("KESTREL_REFERENCE_KERNELS", "true")], &[]));
    assert_eq!(flag.len(), 64);
}
