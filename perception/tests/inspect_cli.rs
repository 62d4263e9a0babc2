//! Runs the built `kestrel inspect` on the sensors crate's real fixtures and checks its JSON.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn testdata(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../sensors/testdata")
        .join(rel)
}

fn inspect(args: &[&Path]) -> (bool, Vec<Value>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_kestrel"))
        .arg("inspect")
        .arg("--json")
        .args(args)
        .output()
        .unwrap();
    let lines = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (
        out.status.success(),
        lines,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn ok(args: &[&Path]) -> Vec<Value> {
    let (success, lines, err) = inspect(args);
    assert!(success, "{err}");
    for l in &lines {
        assert!(l["sensor"].is_string() && l["timestamp_ns"].is_u64(), "{l}");
        let kind = l["kind"].as_str().unwrap();
        match kind {
            "lidar" => assert!(l["points"].is_u64()),
            "radar" => assert!(l["detections"].is_u64()),
            "camera" => assert!(l["width"].is_u64() && l["height"].is_u64()),
            other => panic!("kind {other}"),
        }
    }
    lines
}

#[test]
fn kitti_object_root() {
    let lines = ok(&[&testdata("kitti/object")]);
    assert_eq!(lines.len(), 4, "2 frames x (lidar + camera)");
    let lidar = &lines[0];
    assert_eq!(lidar["frame"], "000000");
    let size = std::fs::metadata(testdata("kitti/object/velodyne/000000.bin"))
        .unwrap()
        .len();
    assert_eq!(lidar["points"].as_u64().unwrap(), size / 16);
    let in_cam2 = lidar["points_in_camera"]["cam2"].as_u64().unwrap();
    assert!(
        in_cam2 > size / 16 / 10 && in_cam2 < size / 16 * 3 / 10,
        "{in_cam2}"
    );
    assert_eq!(
        (lines[1]["width"].as_u64(), lines[1]["height"].as_u64()),
        (Some(1224), Some(370)),
        "frame 000000 image is 1224x370"
    );
}

#[test]
fn kitti_demo_folder() {
    let lines = ok(&[&testdata("kitti/demo-000008")]);
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["points"], 275_808 / 16);
    assert_eq!(
        lines[0]["points_in_camera"]["cam2"],
        275_808 / 16,
        "scan is FOV-cropped"
    );
}

#[test]
fn nuscenes_sample_and_radar() {
    let lines = ok(&[&testdata("nuscenes/sample-n015-2018-07-24")]);
    assert_eq!(lines.iter().filter(|l| l["kind"] == "camera").count(), 6);
    let lidar = lines.iter().find(|l| l["kind"] == "lidar").unwrap();
    assert_eq!(lidar["ground_truth_objects"], 69);
    assert_eq!(lidar["points_in_camera"].as_object().unwrap().len(), 6);
    let radar = ok(&[&testdata(
        "nuscenes/radar/n015-2018-07-25-16-15-50+0800__RADAR_BACK_LEFT__1532506682462345.pcd",
    )]);
    assert_eq!(radar.len(), 1);
    assert_eq!(radar[0]["kind"], "radar");
    assert_eq!(radar[0]["sensor"], "RADAR_BACK_LEFT");
    assert_eq!(radar[0]["detections"], 125);
    assert_eq!(radar[0]["timestamp_ns"], 1_532_506_682_462_345_000u64);
}

#[test]
fn ouster_capture_with_meta() {
    let pcap = testdata("ouster/OS-1-32-G_v2.1.1_1024x10.pcap");
    let meta = testdata("ouster/OS-1-32-G_v2.1.1_1024x10.json");
    let lines = ok(&[&pcap, Path::new("--meta"), &meta]);
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["frame_id"], 638);
    assert_eq!(lines[0]["points"], 27_310);
    assert_eq!(lines[0]["missing_columns"], 0);
    // Without --meta: a clear error, no output.
    let (success, out, err) = inspect(&[&pcap]);
    assert!(
        !success && out.is_empty() && err.contains("--meta"),
        "{err}"
    );
}

#[test]
fn unknown_format_is_a_clear_error() {
    let (success, out, err) = inspect(&[&testdata("README.md")]);
    assert!(!success && out.is_empty());
    assert!(err.contains("unknown format"), "{err}");
}
