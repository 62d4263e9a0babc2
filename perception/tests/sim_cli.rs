//! `kestrel sim`: `--list` names every canonical scenario; `--scenario` exits 0 on a pass and
//! 1 on a failure and writes an MCAP (readable by kestrel-log, with the sim rig, sensor inputs
//! and the stack's objects) and a BEV PNG; usage errors exit 2. The MCAP holds the ego's
//! odometry too, so `kestrel replay` of it reproduces the run's outputs bit for bit.

use kestrel_log::{RawLogReader, SensorLogReader};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn kestrel_sim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kestrel"))
        .arg("sim")
        .args(args)
        .output()
        .unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn out_dir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kestrel-sim-cli-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Messages per topic of an MCAP file, read with kestrel-log.
fn topic_counts(path: &Path) -> BTreeMap<String, u64> {
    let mut counts = BTreeMap::new();
    for m in RawLogReader::open(path).unwrap() {
        let m = m.unwrap();
        *counts.entry(m.channel.topic.clone()).or_default() += 1;
    }
    counts
}

/// The `N` of the `output CDR digest ... (N frames)` line.
fn frames_line(stdout: &str) -> u64 {
    let line = stdout
        .lines()
        .find(|l| l.contains("output CDR digest"))
        .unwrap_or_else(|| panic!("no digest line in {stdout}"));
    let n = line.rsplit('(').next().unwrap().split(' ').next().unwrap();
    n.parse().unwrap()
}

/// Width and height of a PNG file, from its signature and IHDR chunk.
fn png_size(path: &Path) -> (u32, u32) {
    let b = std::fs::read(path).unwrap();
    assert!(b.len() > 24 && b.starts_with(b"\x89PNG\r\n\x1a\n") && &b[12..16] == b"IHDR");
    let be = |i: usize| u32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
    (be(16), be(20))
}

const TRACKED: &str = "/perception/object_recognition/tracking/objects";

#[test]
fn list_names_every_scenario_with_a_description() {
    let out = kestrel_sim(&["--list"]);
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    for name in kestrel_sim::scenario_library::list() {
        let line = stdout
            .lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("{name} not listed:\n{stdout}"));
        assert!(line.len() > name.len() + 20, "no description: {line}");
    }
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("night_no_lidar_radar") && l.contains("[expected to fail]")),
        "{stdout}"
    );
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(kestrel_sim(&[]).status.code(), Some(2));
    let dir = out_dir("usage");
    let out = kestrel_sim(&[
        "--scenario",
        "no_such_scenario",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no_such_scenario"),
        "{}",
        text(&out)
    );
    // An output folder that cannot be created (a file is in the way).
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("a_file");
    std::fs::write(&file, b"x").unwrap();
    let out = kestrel_sim(&["--scenario", "lead_brake", "--out", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_failing_scenario_exits_1_and_writes_its_mcap_and_plot() {
    let dir = out_dir("fail");
    let out = kestrel_sim(&[
        "--scenario",
        "night_no_lidar_radar",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "FAIL",
        "collision with `lead`",
        "lidar missing",
        "declared to fail",
        "MOTA",
        "first confirmed track: lead never",
    ] {
        assert!(
            stdout.contains(needle),
            "missing `{needle}`: {}",
            text(&out)
        );
    }
    let mcap = dir.join("night_no_lidar_radar.mcap");
    let counts = topic_counts(&mcap);
    // Camera only: the camera images and one tracked-objects message per stack frame.
    assert_eq!(
        counts.get(TRACKED).copied(),
        Some(frames_line(&stdout)),
        "{counts:?}"
    );
    assert!(
        counts
            .get("/sensing/camera/front/image_raw")
            .copied()
            .unwrap_or(0)
            > 60,
        "{counts:?}"
    );
    assert!(
        !counts
            .keys()
            .any(|t| t.contains("lidar") || t.contains("radar")),
        "{counts:?}"
    );
    assert_eq!(
        png_size(&dir.join("night_no_lidar_radar_bev.png")),
        (1200, 500)
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_passing_scenario_exits_0_and_its_mcap_holds_inputs_outputs_and_rig() {
    let dir = out_dir("pass");
    let out = kestrel_sim(&[
        "--scenario",
        "cut_in",
        "--seed",
        "2",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("cut_in (seed 2): PASS"), "{stdout}");
    assert!(stdout.contains("stack compute per frame"), "{stdout}");
    let mcap = dir.join("cut_in.mcap");
    let counts = topic_counts(&mcap);
    assert_eq!(
        counts.get(TRACKED).copied(),
        Some(frames_line(&stdout)),
        "{counts:?}"
    );
    for topic in [
        "/sensing/camera/front/image_raw",
        "/sensing/lidar/top/points",
        "/sensing/radar/front/objects",
        "/perception/object_recognition/detection/objects",
    ] {
        assert!(
            counts.get(topic).copied().unwrap_or(0) > 0,
            "{topic}: {counts:?}"
        );
    }
    // The log carries the simulator's rig, so `kestrel replay` can run it again.
    let reader = SensorLogReader::open(&mcap, None).unwrap();
    let rig = reader.rig().expect("rig metadata");
    assert_eq!(rig.name, "kestrel_sim");
    assert_eq!(rig.sensors.len(), 3);
    assert_eq!(png_size(&dir.join("cut_in_bev.png")), (1200, 500));
    // ... and the ego's odometry, one sample per simulation step, so the replay compensates
    // the same ego motion and publishes exactly what the closed loop did.
    assert!(counts.get("/kestrel/ego/odom").copied().unwrap_or(0) >= frames_line(&stdout));
    let digest = |text: &str, prefix: &str| {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(prefix))
            .and_then(|rest| rest.split_whitespace().next())
            .map(str::to_owned)
            .unwrap_or_else(|| panic!("no `{prefix}` line in:\n{text}"))
    };
    let replay = Command::new(env!("CARGO_BIN_EXE_kestrel"))
        .args([
            "replay",
            mcap.to_str().unwrap(),
            "--digest",
            "--no-monitors",
        ])
        .output()
        .unwrap();
    assert_eq!(replay.status.code(), Some(0), "{}", text(&replay));
    assert_eq!(
        digest(&String::from_utf8_lossy(&replay.stdout), "digest "),
        digest(&stdout, "output CDR digest "),
        "the replayed log's outputs differ from the closed loop's"
    );
    std::fs::remove_dir_all(&dir).ok();
}
