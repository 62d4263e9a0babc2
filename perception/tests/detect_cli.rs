//! `kestrel detect`: the shipped student and the teacher run on a held-out dash-cam frame
//! (never used in training), print well-formed detections in the image's own pixels, and agree
//! on the frame's cars; a missing image or a tampered model is a clear error, not a panic.

use kestrel_models::detection::box_iou;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Held-out frame (see models/data/dashcam/README.md): 640x360, two clearly visible cars.
fn heldout_frame() -> PathBuf {
    repo().join("models/data/dashcam/test_video/030.jpg")
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn teacher_manifest() -> PathBuf {
    repo().join("models/teachers/nanodet_coco.toml")
}

fn student_manifest() -> PathBuf {
    repo().join("models/zoo/kestrel-student-v3/model.toml")
}

fn detect(args: &[&Path], json: bool) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kestrel"));
    cmd.arg("detect");
    if json {
        cmd.arg("--json");
    }
    cmd.args(args).output().unwrap()
}

/// One parsed `--json` line.
struct Det {
    class: String,
    score: f64,
    bbox: [f32; 4],
}

fn json_detections(model: &Path) -> Vec<Det> {
    let frame = heldout_frame();
    let out = detect(&[&frame, Path::new("--model"), model], true);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
        .lines()
        .map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            assert_eq!(v["image"], frame.display().to_string(), "{line}");
            let b: Vec<f32> = v["box"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap() as f32)
                .collect();
            Det {
                class: v["class"].as_str().unwrap().to_owned(),
                score: v["score"].as_f64().unwrap(),
                bbox: [b[0], b[1], b[2], b[3]],
            }
        })
        .collect()
}

fn assert_well_formed(dets: &[Det]) {
    const CLASSES: [&str; 6] = ["person", "bicycle", "car", "motorcycle", "bus", "truck"];
    for d in dets {
        assert!(CLASSES.contains(&d.class.as_str()), "class {}", d.class);
        assert!((0.0..=1.0).contains(&d.score), "score {}", d.score);
        let [x1, y1, x2, y2] = d.bbox;
        assert!(0.0 <= x1 && x1 < x2 && x2 <= 640.0, "box {:?}", d.bbox);
        assert!(0.0 <= y1 && y1 < y2 && y2 <= 360.0, "box {:?}", d.bbox);
    }
}

#[test]
fn student_finds_the_teachers_confident_cars_on_a_heldout_frame() {
    let teacher = json_detections(&teacher_manifest());
    let student = json_detections(&student_manifest());
    assert_well_formed(&teacher);
    assert_well_formed(&student);
    let confident_cars: Vec<&Det> = teacher
        .iter()
        .filter(|d| d.class == "car" && d.score >= 0.5)
        .collect();
    assert!(
        confident_cars.len() >= 2,
        "the frame shows two cars; teacher found {}",
        confident_cars.len()
    );
    for car in confident_cars {
        let best = student
            .iter()
            .filter(|d| d.class == "car")
            .map(|d| box_iou(&d.bbox, &car.bbox))
            .fold(0.0, f32::max);
        assert!(
            best >= 0.5,
            "teacher car {:?}: best student IoU {best:.2}",
            car.bbox
        );
    }
}

#[test]
fn text_output_names_the_image_size_and_model() {
    let out = detect(&[&heldout_frame()], false);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    let header = stdout.lines().next().unwrap();
    assert!(header.contains("640x360 px"), "{header}");
    assert!(header.contains("(kestrel-student-v3)"), "{header}");
    assert!(stdout.contains("car"), "{stdout}");
}

#[test]
fn missing_image_is_a_clear_error() {
    let missing = repo().join("models/data/dashcam/no_such_frame.jpg");
    let out = detect(&[&missing], false);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("no_such_frame.jpg"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn tampered_model_fails_the_hash_check() {
    let dir = std::env::temp_dir().join(format!("kestrel-detect-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let src = student_manifest();
    std::fs::copy(&src, dir.join("model.toml")).unwrap();
    let mut onnx = std::fs::read(src.with_file_name("model.onnx")).unwrap();
    let mid = onnx.len() / 2;
    onnx[mid] ^= 0x01;
    std::fs::write(dir.join("model.onnx"), onnx).unwrap();
    let manifest = dir.join("model.toml");
    let out = detect(&[&heldout_frame(), Path::new("--model"), &manifest], false);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("sha256 mismatch"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn score_threshold_lists_the_detections_below_the_operating_point() {
    let frame = heldout_frame();
    let model = student_manifest();
    let count = |extra: &[&str]| {
        let mut args: Vec<&Path> = vec![&frame, Path::new("--model"), &model];
        args.extend(extra.iter().map(Path::new));
        let out = detect(&args, true);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| {
                serde_json::from_str::<serde_json::Value>(l).unwrap()["score"]
                    .as_f64()
                    .unwrap()
            })
            .collect::<Vec<f64>>()
    };
    let calibrated = count(&[]);
    let low = count(&["--score-threshold", "0.05"]);
    assert!(
        low.len() > calibrated.len(),
        "{} vs {}",
        low.len(),
        calibrated.len()
    );
    assert!(low.iter().all(|s| *s >= 0.05) && low.iter().any(|s| *s < 0.3));
    let out = detect(
        &[&frame, Path::new("--score-threshold"), Path::new("1.5")],
        false,
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("0..1"));
}

/// `kestrel detect ... | head -1`: the command ends when its reader goes away, without a
/// panic on the broken pipe.
#[cfg(unix)]
#[test]
fn detect_ends_quietly_when_its_reader_goes_away() {
    use std::io::{BufRead, BufReader};
    use std::os::unix::process::ExitStatusExt;
    use std::process::Stdio;
    let image = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../sensors/testdata/kitti/demo-000008/000008.png");
    // Every detection down to 0.01 (100 lines of ~50 bytes per image), the image listed 30
    // times: about twice what a pipe buffer holds, so writes go on after the reader is gone.
    let mut child = Command::new(env!("CARGO_BIN_EXE_kestrel"))
        .arg("detect")
        .args(std::iter::repeat_n(&image, 30))
        .args(["--score-threshold", "0.01"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.contains("detections"), "{first}");
    // The reader is dropped here, closing the pipe.
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.signal(), Some(libc::SIGPIPE), "{stderr}");
}
