//! `kestrel convert`: the KITTI fixture written with raw and with PNG camera frames replays to
//! the same output digest as the fixture folder itself (PNG is lossless, CameraInfo rides along), a strong JPEG changes it
//! (so the digest does see the pixels) and is smaller, and a bad `--image-format` is a clear
//! error.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn kestrel() -> Command {
    Command::new(env!("CARGO_BIN_EXE_kestrel"))
}

fn kitti_fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../sensors/testdata/kitti/object")
}

fn ok(out: Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

fn convert(format: &str, out: &Path) -> String {
    ok(kestrel()
        .args([
            "convert",
            "--image-format",
            format,
            "--jpeg-quality",
            "30",
            "kitti",
        ])
        .arg(kitti_fixture())
        .arg(out)
        .output()
        .unwrap())
}

fn digest(log: &Path) -> String {
    let stdout = ok(kestrel()
        .arg("replay")
        .arg(log)
        .args(["--digest", "--quiet"])
        .output()
        .unwrap());
    common::digest_line(&stdout)
}

#[test]
fn png_logs_replay_like_raw_logs_and_jpeg_is_smaller() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("convert_cli");
    std::fs::create_dir_all(&dir).unwrap();
    let (raw, png, jpeg) = (
        dir.join("raw.mcap"),
        dir.join("png.mcap"),
        dir.join("jpeg.mcap"),
    );

    let listed = convert("raw", &raw);
    assert!(listed.contains("/kestrel/cam2/image "), "{listed}");
    assert!(listed.contains("/kestrel/cam2/camera_info "), "{listed}");
    let listed = convert("png", &png);
    assert!(
        listed.contains("/kestrel/cam2/image/compressed "),
        "{listed}"
    );
    assert!(listed.contains("/kestrel/cam2/camera_info "), "{listed}");
    assert!(!listed.contains("/kestrel/cam2/image "), "{listed}");
    convert("jpeg", &jpeg);

    let size = |p: &Path| std::fs::metadata(p).unwrap().len();
    assert!(
        size(&jpeg) < size(&png),
        "{} >= {}",
        size(&jpeg),
        size(&png)
    );
    let reference = digest(&kitti_fixture());
    assert_eq!(reference.len(), 64);
    assert_eq!(
        digest(&raw),
        reference,
        "a converted log replays exactly like its source (rig, clouds and images lossless)"
    );
    assert_eq!(
        digest(&png),
        reference,
        "lossless images: identical outputs"
    );
    assert_ne!(
        digest(&jpeg),
        reference,
        "JPEG at quality 30 changes detections"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn unknown_image_formats_are_rejected() {
    let out = kestrel()
        .args(["convert", "--image-format", "gif", "kitti"])
        .arg(kitti_fixture())
        .arg("/tmp/never-written.mcap")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("gif") && stderr.contains("png"), "{stderr}");
}
