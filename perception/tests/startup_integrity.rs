//! Start-up integrity: `kestrel run` refuses a swapped or corrupt model, an invalid
//! configuration or budgets file, mining with a model that cannot be monitored, and a sensor
//! the input's rig does not have, each with one clear error naming the file and the problem,
//! before anything is published (no summary, no frame), and exits with a failure.

use std::path::{Path, PathBuf};
use std::process::Command;

fn kestrel() -> Command {
    Command::new(env!("CARGO_BIN_EXE_kestrel"))
}

fn zoo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../models/zoo/kestrel-student-v3")
}

/// A copy of the shipped student's manifest in `dir`, pointing at `onnx` with `sha256`.
fn manifest(dir: &Path, name: &str, onnx: &Path, sha256: &str) -> PathBuf {
    let text = std::fs::read_to_string(zoo().join("model.toml")).unwrap();
    let mut out = String::new();
    for line in text.lines() {
        if line.starts_with("onnx = ") {
            out.push_str(&format!("onnx = \"{}\"\n", onnx.display()));
        } else if line.starts_with("sha256 = ") {
            out.push_str(&format!("sha256 = \"{sha256}\"\n"));
        } else if line.starts_with("input_reference") || line == "[monitoring]" {
            // The copy has no reference next to it; the monitors are not under test.
            continue;
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    let path = dir.join(name);
    std::fs::write(&path, out).unwrap();
    path
}

fn sha256_hex(bytes: &[u8]) -> String {
    kestrel_models::verified_model::sha256_hex(bytes)
}

/// Runs `kestrel run` with `args` (on the shipped slice, loopback port 0); asserts it failed
/// before publishing and that its one error line holds every `needles`.
fn refused(args: &[&str], needles: &[&str]) {
    let out = kestrel()
        .arg("run")
        .args(["--listen", "tcp/127.0.0.1:0"])
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{args:?} ran:\n{stdout}");
    assert!(
        !stdout.contains("frames ") && !stdout.contains("output digest"),
        "{args:?} published before refusing:\n{stdout}"
    );
    let errors: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("kestrel: error:"))
        .collect();
    assert_eq!(
        errors.len(),
        1,
        "{args:?}: one error line expected:\n{stderr}"
    );
    for n in needles {
        assert!(
            errors[0].contains(n),
            "{args:?}: `{n}` not in: {}",
            errors[0]
        );
    }
}

#[test]
fn bad_models_configs_budgets_and_sensors_are_refused_before_anything_is_published() {
    let dir = std::env::temp_dir().join(format!("kestrel-startup-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let student = std::fs::read(zoo().join("model.onnx")).unwrap();

    // A swapped model: the manifest's checksum is the student's, the file is the teacher's.
    let teacher = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../models/teachers/nanodet_coco.onnx")
        .canonicalize()
        .unwrap();
    let swapped = manifest(&dir, "swapped.toml", &teacher, &sha256_hex(&student));
    refused(
        &["--model", swapped.to_str().unwrap()],
        &["nanodet_coco.onnx", "sha256"],
    );

    // A corrupt model whose manifest matches its (damaged) bytes: tract cannot read it.
    let damaged_path = dir.join("damaged.onnx");
    let damaged = &student[..student.len() / 2];
    std::fs::write(&damaged_path, damaged).unwrap();
    let corrupt = manifest(&dir, "corrupt.toml", &damaged_path, &sha256_hex(damaged));
    refused(&["--model", corrupt.to_str().unwrap()], &["damaged.onnx"]);

    // An invalid configuration: an unknown key, and a value out of range.
    let typo = dir.join("typo.toml");
    std::fs::write(&typo, "[runtime]\nstale_after = 0.5\n").unwrap();
    refused(
        &["--config", typo.to_str().unwrap()],
        &["typo.toml", "stale_after"],
    );
    let negative = dir.join("negative.toml");
    std::fs::write(&negative, "[runtime]\nmax_clock_jump_s = -1\n").unwrap();
    refused(
        &["--config", negative.to_str().unwrap()],
        &["negative.toml", "max_clock_jump_s"],
    );

    // A budgets file that does not parse, named by the configuration.
    let budgets = dir.join("budgets.toml");
    std::fs::write(&budgets, "[x86-2core\nfusion = ").unwrap();
    let uses = dir.join("uses-budgets.toml");
    std::fs::write(
        &uses,
        format!("[runtime]\nbudgets = \"{}\"\n", budgets.display()),
    )
    .unwrap();
    refused(&["--config", uses.to_str().unwrap()], &["budgets.toml"]);

    // Mining with a model that has no input reference: no monitor could ever flag a frame.
    let plain = manifest(
        &dir,
        "plain.toml",
        &zoo().join("model.onnx").canonicalize().unwrap(),
        &sha256_hex(&student),
    );
    let mined = dir.join("mined.mcap");
    refused(
        &[
            "--model",
            plain.to_str().unwrap(),
            "--mine",
            mined.to_str().unwrap(),
        ],
        &["mined.mcap", "no input reference"],
    );
    assert!(!mined.exists(), "nothing written");

    // A sensor the input's rig does not have.
    refused(&["--drop-sensor", "radar_front"], &["radar_front"]);
    std::fs::remove_dir_all(&dir).ok();
}
