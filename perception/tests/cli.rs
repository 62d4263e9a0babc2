//! The `kestrel` binary: `run` on its built-in defaults finishes and prints a summary;
//! `replay` prints the same digest twice and writes JSON lines, also with faults injected from
//! a seed; bad input gives clear errors.

mod common;

use std::path::PathBuf;
use std::process::Command;

fn kestrel() -> Command {
    Command::new(env!("CARGO_BIN_EXE_kestrel"))
}

fn kitti_fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../sensors/testdata/kitti/object")
}

#[test]
fn run_on_defaults_finishes_with_a_summary() {
    let port = common::free_port();
    let out = kestrel()
        .args(["run", "--listen", &format!("tcp/127.0.0.1:{port}")])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stdout.contains("pandaset/seq002-36-55"), "{stdout}");
    // 20 sweeps, each with its odometry sample and six images. The camera schedule keeps the
    // fusion stage within its budget, but a loaded machine may still fall behind real time:
    // then the queues drop messages, never silently: every sweep is an output frame or a
    // counted drop.
    // (The periodic health lines also say `frames N`; the summary lines start with their key.)
    let line = |start: &str| {
        stdout
            .lines()
            .find(|l| l.starts_with(start))
            .unwrap_or_else(|| panic!("no `{start}` line: {stdout}"))
    };
    let frames = common::summary_number(line("frames "), "frames ");
    let dropped = common::summary_number(line("queue input/lidar_top"), "dropped ");
    assert_eq!(frames + dropped, 20, "{stdout}");
    assert!(frames > 0, "{stdout}");
    let tracked = common::summary_number(&stdout, &format!("frames {frames}: "));
    assert!(tracked > frames * 10, "real objects tracked: {stdout}");
    assert!(stdout.contains("stage fusion"), "{stdout}");
    assert!(
        stdout.contains(&format!(
            "output digest (sha256 of {} CDR messages)",
            2 * frames
        )),
        "{stdout}"
    );
}

#[test]
fn replay_twice_prints_the_same_digest_and_writes_json_lines() {
    let dir = std::env::temp_dir().join(format!("kestrel-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let json = dir.join("objects.jsonl");
    let mut digests = Vec::new();
    for _ in 0..2 {
        let out = kestrel()
            .arg("replay")
            .arg(kitti_fixture())
            .args(["--digest", "--quiet", "--json"])
            .arg(&json)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        digests.push(common::digest_line(&stdout));
    }
    assert_eq!(digests[0], digests[1]);
    assert_eq!(digests[0].len(), 64);
    let text = std::fs::read_to_string(&json).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(!lines.is_empty(), "the fixture sweeps hold obstacles");
    for l in &lines {
        for key in [
            "topic", "stamp_ns", "class", "position", "size", "yaw", "track_id",
        ] {
            assert!(l.get(key).is_some(), "{key} missing in {l}");
        }
        assert_eq!(l["position"].as_array().unwrap().len(), 3);
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn faulted_replays_print_what_was_injected_and_repeat_with_their_seed() {
    let replay = |seed: &str| {
        let out = kestrel()
            .arg("replay")
            .arg(kitti_fixture())
            .args([
                "--digest",
                "--quiet",
                "--faults",
                "partial_lidar sensor=velodyne keep=0.5; duplicate probability=0.5",
                "--fault-seed",
                seed,
            ])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(out.status.success(), "{stdout}");
        assert!(stdout.contains("faults injected (seed "), "{stdout}");
        assert!(
            stdout
                .lines()
                .any(|l| l.contains("partial_lidar velodyne from 0 s") && l.ends_with(" messages")),
            "{stdout}"
        );
        common::digest_line(&stdout)
    };
    let a = replay("1");
    assert_eq!(a, replay("1"));
    assert_ne!(a, replay("2"));
}

#[test]
fn bad_paths_and_flags_give_clear_errors() {
    let out = kestrel()
        .args(["replay", "/no/such/log.mcap"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("/no/such/log.mcap") && stderr.contains("no such file"),
        "{stderr}"
    );

    let out = kestrel()
        .arg("replay")
        .arg(kitti_fixture())
        .args(["--drop-sensor", "lidar_top"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("`lidar_top`") && stderr.contains("velodyne"),
        "{stderr}"
    );

    for (spec, needle) in [
        ("dropout sensor=lidar_top", "`lidar_top`"),
        ("melt sensor=velodyne", "unknown fault `melt`"),
        ("plan.toml", "no such file"),
    ] {
        let out = kestrel()
            .arg("replay")
            .arg(kitti_fixture())
            .args(["--faults", spec])
            .output()
            .unwrap();
        assert!(!out.status.success(), "{spec}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(needle), "{spec}: {stderr}");
    }

    let out = kestrel().args(["run", "--speed=-2"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--speed"));

    let out = kestrel()
        .args(["run", "--connect", "udp/1.2.3.4:5"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("udp/1.2.3.4:5"));
}

#[test]
fn echo_prints_what_a_publishing_replay_sends() {
    let port = common::free_port();
    let dir = std::env::temp_dir().join(format!("kestrel-echo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("wait.toml");
    std::fs::write(&config, "[ros]\nwait_for_subscribers_s = 30.0\n").unwrap();
    let mut echo = kestrel()
        .args(["echo", "--detected", "--count", "2", "--timeout", "60"])
        .arg("--listen")
        .arg(format!("tcp/127.0.0.1:{port}"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Start publishing only once echo listens and has subscribed.
    let mut stderr = std::io::BufReader::new(echo.stderr.take().unwrap());
    let mut line = String::new();
    while !line.contains("subscribed to") {
        line.clear();
        let n = std::io::BufRead::read_line(&mut stderr, &mut line).unwrap();
        assert!(n > 0, "echo exited before subscribing");
    }
    let replay = kestrel()
        .arg("replay")
        .arg(kitti_fixture())
        .args(["--quiet", "--publish", "--config"])
        .arg(&config)
        .arg("--connect")
        .arg(format!("tcp/127.0.0.1:{port}"))
        .output()
        .unwrap();
    assert!(
        replay.status.success(),
        "{}",
        String::from_utf8_lossy(&replay.stderr)
    );
    let out = echo.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains("seq 1 stamp 0.000000000s"), "{stdout}");
    assert!(stdout.contains("seq 2 stamp 0.100000000s"), "{stdout}");
    assert!(stdout.contains(" pos ("), "objects are printed: {stdout}");
    std::fs::remove_dir_all(&dir).ok();
}
