//! `kestrel inspect <log.mcap>` on every real rosbag2 bag of the test data and on a converted
//! Kestrel log: the per-topic counts it prints equal what the log reader delivers.

use kestrel_log::RawLogReader;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn kestrel(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_kestrel"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Messages per topic, as the log reader delivers them.
fn reader_counts(path: &Path) -> BTreeMap<String, u64> {
    let mut counts = BTreeMap::new();
    for m in RawLogReader::open(path).unwrap() {
        *counts.entry(m.unwrap().channel.topic.clone()).or_insert(0) += 1;
    }
    counts
}

fn inspect_counts(path: &Path) -> (Value, BTreeMap<String, u64>) {
    let (ok, stdout, stderr) = kestrel(&["inspect", "--json", path.to_str().unwrap()]);
    assert!(ok, "{}: {stderr}", path.display());
    let v: Value = serde_json::from_str(stdout.trim()).unwrap();
    let counts = v["topics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["messages"].as_u64() != Some(0))
        .map(|t| {
            let name = t["topic"].as_str().unwrap().to_owned();
            (name, t["messages"].as_u64().unwrap())
        })
        .collect();
    (v, counts)
}

#[test]
fn every_rosbag2_bag_reports_the_reader_counts() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../sensors/log/testdata");
    let mut bags: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "mcap"))
        .collect();
    bags.sort();
    assert!(bags.len() >= 4);
    for bag in &bags {
        let (v, counts) = inspect_counts(bag);
        assert_eq!(counts, reader_counts(bag), "{}", bag.display());
        assert_eq!(v["format"], "mcap");
        assert_eq!(v["profile"], "ros2");
        assert!(v["duration_s"].as_f64().unwrap() >= 0.0);
        for t in v["topics"].as_array().unwrap() {
            assert!(
                t["type"].as_str().is_some_and(|s| s.contains("/msg/")),
                "{t}"
            );
        }
    }
    // The human form names every topic with its type and count.
    let talker = dir.join("talker.mcap");
    let (ok, text, _) = kestrel(&["inspect", talker.to_str().unwrap()]);
    assert!(ok);
    assert!(
        text.contains("Duration:") && text.contains("Compression:  zstd"),
        "{text}"
    );
    let line = text.lines().find(|l| l.contains("/topic ")).unwrap();
    assert!(
        line.contains("std_msgs/msg/String") && line.contains(" 10 msgs"),
        "{line}"
    );
}

#[test]
fn converted_kestrel_log_reports_the_reader_counts() {
    let dir = std::env::temp_dir().join(format!("kestrel-inspect-log-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("nuscenes.mcap");
    let sample = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../sensors/testdata/nuscenes/sample-n015-2018-07-24");
    let (ok, _, err) = kestrel(&[
        "convert",
        "--image-format",
        "jpeg",
        "nuscenes",
        sample.to_str().unwrap(),
        log.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    let (v, counts) = inspect_counts(&log);
    assert_eq!(counts, reader_counts(&log));
    assert_eq!(
        counts.len(),
        13,
        "LiDAR + 6 x (image + camera_info): {counts:?}"
    );
    assert_eq!(v["metadata"][0], "kestrel_rig");
    assert!(v["compression"]["zstd"]["chunks"].as_u64().unwrap() >= 1);
    std::fs::remove_dir_all(&dir).ok();
}
