//! `kestrel eval` on the shipped KITTI frames: the JSON report has the expected structure and
//! plausible numbers, is byte-identical run to run, agrees with scoring the `replay --json`
//! output of the same run, and the pictures are written.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn kestrel() -> Command {
    Command::new(env!("CARGO_BIN_EXE_kestrel"))
}

fn kitti_fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../sensors/testdata/kitti/object")
}

fn run(args: &[&std::ffi::OsStr]) -> String {
    let out = kestrel().args(args).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

fn is_share(v: &Value) -> bool {
    v.is_null() || v.as_f64().is_some_and(|x| (0.0..=1.0).contains(&x))
}

fn png_size(path: &Path) -> (u32, u32) {
    let img = image::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    (img.width(), img.height())
}

#[test]
fn eval_on_kitti_reports_and_draws() {
    let dir = std::env::temp_dir().join(format!("kestrel-eval-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out_dir = dir.join("out");
    let kitti = kitti_fixture();
    let json = run(&[
        "eval".as_ref(),
        kitti.as_os_str(),
        "--json".as_ref(),
        "--out".as_ref(),
        out_dir.as_os_str(),
    ]);
    let r: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(r["dataset"], "kitti");
    assert_eq!(r["settings"]["max_range_m"], 50.0);
    assert!(
        r["settings"]["label_scope"]
            .as_str()
            .unwrap()
            .contains("camera")
    );
    let blocks = r["blocks"].as_array().unwrap();
    assert_eq!(blocks.len(), 1, "no split outside PandaSet");
    let all = &blocks[0];
    assert_eq!(all["name"], "all frames");
    assert_eq!(all["frames"], "000000-000001");
    assert_eq!(all["frame_count"], 2);
    assert_eq!(all["frames_with_outputs"], 2);
    // Frame 0: a pedestrian at 8 m; frame 1: a cyclist at 46 m, a car and a truck beyond 50 m.
    assert_eq!(all["labels"], 4);
    let groups = all["tracked"]["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 12, "4 groups x 3 bands");
    let find = |g: &str, b: &str| {
        groups
            .iter()
            .find(|m| m["group"] == g && m["band"] == b)
            .unwrap()
    };
    assert_eq!(find("pedestrian", "0-30 m")["labels"], 1);
    assert_eq!(find("cyclist", "30-50 m")["labels"], 1);
    assert_eq!(find("vehicle", "0-50 m")["labels"], 0);
    for m in groups
        .iter()
        .chain(all["detected"]["groups"].as_array().unwrap())
    {
        for k in ["recall", "named_share", "class_exact_share", "precision"] {
            assert!(is_share(&m[k]), "{k}: {m}");
        }
    }
    let detected_ped = all["detected"]["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["group"] == "pedestrian" && m["band"] == "0-30 m")
        .unwrap();
    assert_eq!(
        detected_ped["recall"], 1.0,
        "the pedestrian 8 m ahead is detected: {detected_ped}"
    );
    let outputs = all["detected"]["outputs"].as_array().unwrap();
    assert_eq!(outputs.len(), 3);
    assert!(outputs[2]["outputs"].as_u64().unwrap() >= 1);
    let tracking = all["tracking"].as_array().unwrap();
    assert_eq!(tracking.len(), 2);
    assert_eq!(tracking[0]["variant"], "all tracks");
    assert_eq!(tracking[1]["variant"], "tracks with a class");
    assert_eq!(
        tracking[0]["clear_mot"]["id_switches"], 0,
        "KITTI labels have no track ids"
    );
    assert_eq!(all["acceptance"].as_array().unwrap().len(), 10);

    // Files: reports, one picture per frame, the contact sheet.
    let saved = std::fs::read_to_string(out_dir.join("report.json")).unwrap();
    assert_eq!(saved, json);
    let text = std::fs::read_to_string(out_dir.join("report.txt")).unwrap();
    assert!(
        text.contains("Tracking (`tracked` topic): CLEAR-MOT and IDF1"),
        "{text}"
    );
    for name in ["000000", "000001"] {
        assert_eq!(
            png_size(&out_dir.join(format!("frames/{name}.png"))),
            (1200, 900)
        );
    }
    let (w, h) = png_size(&out_dir.join("contact_sheet.png"));
    assert_eq!((w, h), (600, 265));

    // Byte-identical run to run.
    assert_eq!(
        run(&["eval".as_ref(), kitti.as_os_str(), "--json".as_ref()]),
        json
    );

    // Scoring the replay's JSON lines gives the same metrics.
    let lines = dir.join("objects.jsonl");
    run(&[
        "replay".as_ref(),
        kitti.as_os_str(),
        "--quiet".as_ref(),
        "--json".as_ref(),
        lines.as_os_str(),
    ]);
    let from_file: Value = serde_json::from_str(&run(&[
        "eval".as_ref(),
        kitti.as_os_str(),
        "--outputs".as_ref(),
        lines.as_os_str(),
        "--json".as_ref(),
    ]))
    .unwrap();
    // (Up to rounding: the lines hold headings read back from the wire's quaternions.)
    assert_json_close(&from_file["blocks"], &r["blocks"], "blocks");
    std::fs::remove_dir_all(&dir).ok();
}

/// `a` and `b` have the same structure, strings and booleans, and numbers within 1e-9
/// (relative).
fn assert_json_close(a: &Value, b: &Value, at: &str) {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            assert!(
                (x - y).abs() <= 1e-9 * x.abs().max(y.abs()).max(1.0),
                "{at}: {x} != {y}"
            );
        }
        (Value::Array(x), Value::Array(y)) => {
            assert_eq!(x.len(), y.len(), "{at}: lengths");
            for (i, (x, y)) in x.iter().zip(y).enumerate() {
                assert_json_close(x, y, &format!("{at}[{i}]"));
            }
        }
        (Value::Object(x), Value::Object(y)) => {
            assert_eq!(
                x.keys().collect::<Vec<_>>(),
                y.keys().collect::<Vec<_>>(),
                "{at}: keys"
            );
            for (k, x) in x {
                assert_json_close(x, &y[k], &format!("{at}.{k}"));
            }
        }
        _ => assert_eq!(a, b, "{at}"),
    }
}

#[test]
fn eval_rejects_unlabelled_inputs_and_bad_splits() {
    let out = kestrel()
        .args(["eval", "/nonexistent-kestrel-input"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not a labelled input"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = kestrel()
        .arg("eval")
        .arg(kitti_fixture())
        .args(["--tuning-frames", "9-3", "--no-camera"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("frame range"));
}

/// The shipped PandaSet slice (frames 36-55 of sequence 002, labels with track ids): the
/// default split puts 36-39 in "tuning" and 40-55 in "held-out", and the tracking metrics
/// are measured on labelled trajectories.
#[test]
fn eval_on_the_pandaset_slice_splits_tuning_and_held_out() {
    let slice =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../sensors/testdata/pandaset/seq002-36-55");
    let r: Value = serde_json::from_str(&run(&[
        "eval".as_ref(),
        slice.as_os_str(),
        "--json".as_ref(),
        "--no-camera".as_ref(),
    ]))
    .unwrap();
    assert_eq!(r["dataset"], "pandaset");
    assert_eq!(r["settings"]["labels_have_track_ids"], true);
    let blocks = r["blocks"].as_array().unwrap();
    let names: Vec<&str> = blocks.iter().map(|b| b["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["all frames", "tuning", "held-out"]);
    let frames: Vec<&str> = blocks
        .iter()
        .map(|b| b["frames"].as_str().unwrap())
        .collect();
    assert_eq!(frames, ["36-55", "36-39", "40-55"]);
    let counts: Vec<u64> = blocks
        .iter()
        .map(|b| b["frame_count"].as_u64().unwrap())
        .collect();
    assert_eq!(counts, [20, 4, 16]);
    // Blocks partition the frames: label-frames of the tracks add up.
    let objects = |b: &Value| b["tracking"][0]["clear_mot"]["objects"].as_u64().unwrap();
    assert!(objects(&blocks[0]) > 500, "{}", objects(&blocks[0]));
    assert_eq!(
        objects(&blocks[0]),
        objects(&blocks[1]) + objects(&blocks[2])
    );
    // Without the camera only the LiDAR shape classifier names objects: most vehicles
    // (0.85 of the matched ones on these frames when this test was written), no pedestrian.
    let all = &blocks[0];
    let group = |r: &Value, g: &str| {
        r["blocks"][0]["tracked"]["groups"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["group"] == g && m["band"] == "0-50 m")
            .unwrap()
            .clone()
    };
    let vehicles = group(&r, "vehicle");
    let recall = vehicles["recall"].as_f64().unwrap();
    assert!(recall > 0.3 && recall <= 1.0, "{vehicles}");
    let named = vehicles["named"].as_f64().unwrap();
    assert!(named > 0.6, "{vehicles}");
    assert_eq!(group(&r, "pedestrian")["named"], 0.0);
    assert!(
        all["tracking"][1]["clear_mot"]["hypotheses"]
            .as_u64()
            .unwrap()
            > 100
    );
    // With the classifier off every output is `unknown`: no track has a class.
    let config =
        std::env::temp_dir().join(format!("kestrel-no-shapes-{}.toml", std::process::id()));
    std::fs::write(
        &config,
        "[fusion.association]\nshape_classifier = \"none\"\n",
    )
    .unwrap();
    let off: Value = serde_json::from_str(&run(&[
        "eval".as_ref(),
        slice.as_os_str(),
        "--json".as_ref(),
        "--no-camera".as_ref(),
        "--config".as_ref(),
        config.as_os_str(),
    ]))
    .unwrap();
    std::fs::remove_file(&config).unwrap();
    assert_eq!(
        off["blocks"][0]["tracking"][1]["clear_mot"]["hypotheses"],
        0
    );
    assert_eq!(group(&off, "vehicle")["named"], 0.0);
    assert!(group(&off, "vehicle")["recall"].as_f64().unwrap() > 0.3);
}
