//! `kestrel explain` end to end on a real frame: the picture is written and the listed
//! detections say where the student looked; a missing image is a clear error.

use std::process::Command;

const KITTI_DEMO: &str = "../sensors/testdata/kitti/demo-000008/000008.png";

#[test]
fn explain_writes_the_picture_and_lists_where_the_student_looked() {
    let dir = std::env::temp_dir().join(format!("kestrel-explain-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("heat.png");
    let run = Command::new(env!("CARGO_BIN_EXE_kestrel"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["explain", KITTI_DEMO, "--patch", "32", "--json", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8(run.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(!lines.is_empty());
    // The clear, near annotated car [598, 176, 721, 261]: found, and much of what its score
    // depends on lies in its box (a third or more; a map unrelated to the car would put
    // 2.5 %, the box's share of the image, there; patches overlapping the box's edges
    // credit pixels around it too).
    let car = lines
        .iter()
        .find(|l| {
            let b: Vec<f64> = serde_json::from_value(l["box"].clone()).unwrap();
            l["class"] == "car" && (b[0] - 598.0).abs() < 40.0 && (b[2] - 721.0).abs() < 40.0
        })
        .expect("the annotated car is listed");
    assert!(car["share_in_box"].as_f64().unwrap() >= 0.33, "{car}");
    assert!(car["max_drop"].as_f64().unwrap() > 0.1, "{car}");
    // One panel: the image (1242 x 375) under a caption strip.
    let picture = image::open(&out).unwrap();
    assert_eq!(picture.width(), 1242);
    assert!(picture.height() > 375);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_missing_image_is_a_clear_error() {
    let run = Command::new(env!("CARGO_BIN_EXE_kestrel"))
        .args([
            "explain",
            "/nonexistent/frame.png",
            "--out",
            "/tmp/never.png",
        ])
        .output()
        .unwrap();
    assert!(!run.status.success());
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(err.contains("/nonexistent/frame.png"), "{err}");
}
