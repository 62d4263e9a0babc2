//! `kestrel play`'s publishing, seen by a plain subscriber: rmw_zenoh keys, attachments and
//! liveliness tokens; `--loop` keeps time increasing pass after pass; `--restamp` moves the
//! log to the wall clock, keeping relative timing.

use kestrel_log::ros2_msg::RosMessage;
use kestrel_log::ros2_msg::sensor_msgs::PointCloud2;
use kestrel_perception::clock::{Clock, WallClock};
use kestrel_perception::log_player::{LogPlayer, PlayOptions};
use kestrel_perception::rmw_zenoh::{ATTACHMENT_SIZE, Attachment, RosMessageType, topic_key_expr};
use kestrel_perception::zenoh_session::ZenohSettings;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use zenoh::Wait;

fn kitti_log(dir: &Path) -> PathBuf {
    let log = dir.join("kitti.mcap");
    let kitti = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../sensors/testdata/kitti/object");
    kestrel_log::convert::kitti_to_mcap(&kitti, &log, kestrel_log::camera_image::ImageFormat::Png)
        .unwrap();
    log
}

/// Plays `log` with `options` until `n` sweeps were received; returns their header stamps
/// (ns) and attachments, and the liveliness tokens seen.
fn sweeps(log: &Path, options: PlayOptions, n: usize) -> (Vec<u64>, Vec<Attachment>, Vec<String>) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let sub = ZenohSettings {
        listen: vec![format!("tcp/127.0.0.1:{port}")],
        ..ZenohSettings::default()
    }
    .open()
    .unwrap();
    let key = topic_key_expr(
        0,
        "/kestrel/velodyne/points",
        &RosMessageType::of::<PointCloud2>().unwrap(),
    );
    let points = sub.declare_subscriber(key.as_str()).wait().unwrap();
    let tokens = sub
        .liveliness()
        .declare_subscriber("@ros2_lv/0/**")
        .wait()
        .unwrap();
    let publisher = ZenohSettings {
        listen: vec![],
        connect: vec![format!("tcp/127.0.0.1:{port}")],
        ..ZenohSettings::default()
    }
    .open()
    .unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let player = LogPlayer::open(&publisher, log, options).unwrap();
    let playing = {
        let stop = stop.clone();
        std::thread::spawn(move || player.play(&stop, |_, _| true).unwrap())
    };
    let mut stamps = Vec::new();
    let mut attachments = Vec::new();
    while stamps.len() < n {
        let s = points
            .recv_timeout(Duration::from_secs(30))
            .unwrap()
            .expect("a sweep");
        assert_eq!(s.key_expr().as_str(), key);
        let msg = PointCloud2::from_cdr(&s.payload().to_bytes()).unwrap();
        stamps.push(msg.header.stamp.to_timestamp().0);
        let a = s.attachment().expect("rmw_zenoh attachment").to_bytes();
        assert_eq!(a.len(), ATTACHMENT_SIZE);
        attachments.push(Attachment::from_bytes(&a).unwrap());
    }
    stop.store(true, Ordering::SeqCst);
    playing.join().unwrap();
    let mut seen = Vec::new();
    while let Ok(Some(t)) = tokens.recv_timeout(Duration::from_millis(300)) {
        seen.push(t.key_expr().as_str().to_owned());
    }
    (stamps, attachments, seen)
}

#[test]
fn loop_keeps_time_increasing_and_restamp_moves_to_the_wall_clock() {
    let dir = std::env::temp_dir().join(format!("kestrel-live-play-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let log = kitti_log(&dir);
    let wait = Duration::from_secs(30);
    // Two sweeps at 0 and 100 ms; each pass starts one period (100 ms) after the last.
    let (stamps, attachments, tokens) = sweeps(
        &log,
        PlayOptions {
            repeat: true,
            rate: 4.0,
            wait_for_subscribers: wait,
            topics: vec!["/kestrel/velodyne/points".into()],
            ..PlayOptions::default()
        },
        6,
    );
    assert_eq!(
        stamps,
        vec![
            0,
            100_000_000,
            200_000_000,
            300_000_000,
            400_000_000,
            500_000_000
        ]
    );
    let seq: Vec<i64> = attachments.iter().map(|a| a.sequence_number).collect();
    assert_eq!(seq, vec![1, 2, 3, 4, 5, 6]);
    let gid = attachments[0].source_gid;
    assert!(attachments.iter().all(|a| a.source_gid == gid));
    assert!(
        tokens.iter().any(|t| t.ends_with("/NN/%/%/kestrel_play")),
        "{tokens:?}"
    );
    assert!(
        tokens.iter().any(|t| t.contains(
            "/MP/%/%/kestrel_play/%kestrel%velodyne%points/\
             sensor_msgs::msg::dds_::PointCloud2_/RIHS01_"
        )),
        "{tokens:?}"
    );
    // Restamped: the first sweep is stamped about now, the second 100 ms later.
    let before = WallClock.now().0;
    let (stamps, _, _) = sweeps(
        &log,
        PlayOptions {
            restamp: true,
            wait_for_subscribers: wait,
            topics: vec!["/kestrel/velodyne/points".into()],
            ..PlayOptions::default()
        },
        2,
    );
    assert_eq!(stamps[1] - stamps[0], 100_000_000);
    assert!(
        stamps[0] >= before && stamps[0] < before + 60_000_000_000,
        "{stamps:?}"
    );
    std::fs::remove_dir_all(&dir).ok();
}
