//! Live input end to end on loopback: `kestrel play` publishes a shipped multi-sensor log
//! (the nuScenes keyframe: LIDAR_TOP + 6 cameras, looped into a 10 Hz drive) over zenoh as
//! rmw_zenoh publishers would -> `kestrel run --input ros` (rig from `kestrel play`, no other
//! configuration than queues large enough to hold everything) -> `kestrel echo` receives the
//! tracked objects.
//!
//! In this lossless setting (a quarter of real time, queues that never drop) the live run is
//! exactly the replay: the same messages reach the stage in the same order, so its output
//! digest (SHA-256 over every published CDR message, stamps included) equals `kestrel
//! replay`'s on the same log, and echo receives exactly replay's tracked objects. (When the
//! two could differ — messages dropped by full queues, or a sensor later than the alignment
//! latency — the run's summary shows it: the test checks both are zero.)

mod live_support;

use live_support::*;
use serde_json::Value;
use std::time::Duration;

#[test]
fn play_to_run_to_echo_equals_replay() {
    let dir = scratch("live-e2e");
    let log = dir.join("nuscenes-loop.mcap");
    looped_nuscenes_log(&log, 5);
    let log_s = log.to_str().unwrap();
    let replay_json = dir.join("replay.jsonl");
    let (ok, replay_out, err) = spawn(&[
        "replay",
        log_s,
        "--quiet",
        "--json",
        replay_json.to_str().unwrap(),
    ])
    .wait(Duration::from_secs(300));
    assert!(ok, "{err}");
    let frames = summary_frames(&replay_out);
    assert_eq!(frames, 5, "one frame per LiDAR sweep:\n{replay_out}");
    let replay_tracked: Vec<Value> = std::fs::read_to_string(&replay_json)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|v| v["topic"] == "tracked")
        .map(|mut v| {
            v.as_object_mut().unwrap().remove("topic");
            v
        })
        .collect();
    assert!(
        replay_tracked.len() >= 3,
        "the repeated scene confirms real tracks: {}",
        replay_tracked.len()
    );

    let ep = endpoint();
    let config = lossless_config(&dir);
    let run = spawn(&[
        "run",
        "--input",
        "ros",
        "--listen",
        &ep,
        "--config",
        config.to_str().unwrap(),
        "--max-idle",
        "4",
    ]);
    let echo = spawn(&[
        "echo",
        "--connect",
        &ep,
        "--json",
        "--count",
        &frames.to_string(),
        "--timeout",
        "120",
    ]);
    let (ok, play_out, err) = spawn(&[
        "play",
        log_s,
        "--connect",
        &ep,
        "--rate",
        "0.25",
        "--wait-for-subscribers",
        "60",
    ])
    .wait(Duration::from_secs(180));
    assert!(ok, "{err}");
    assert!(play_out.contains("published 65 messages"), "{play_out}");
    let (ok, run_out, run_err) = run.wait(Duration::from_secs(180));
    assert!(ok, "{run_err}");
    let (ok, echo_out, echo_err) = echo.wait(Duration::from_secs(60));
    assert!(ok, "{echo_err}");

    // Nothing lost on the way: no drops, no late or unreadable messages.
    assert!(
        run_out.contains("out of order 0, clock jumps 0, unreadable 0"),
        "{run_out}"
    );
    for line in run_out.lines().filter(|l| l.starts_with("queue ")) {
        assert!(line.ends_with("dropped 0"), "{line}");
    }
    assert_eq!(summary_frames(&run_out), frames, "{run_out}");
    assert_eq!(
        summary_digest(&run_out),
        summary_digest(&replay_out),
        "live output differs from replay:\n{run_out}\n{replay_out}"
    );
    let echoed: Vec<Value> = echo_out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(echoed, replay_tracked);
    assert!(
        echoed.iter().any(|o| o["class"] != "unknown"),
        "the camera classifies some tracks: {echoed:?}"
    );
    std::fs::remove_dir_all(&dir).ok();
}
