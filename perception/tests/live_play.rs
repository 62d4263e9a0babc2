//! `kestrel play`'s publishing, seen by a plain subscriber: rmw_zenoh keys, attachments and
//! liveliness tokens; `--loop` keeps time increasing pass after pass; `--restamp` moves the
//! log to the wall clock, keeping relative timing; `--faults` changes what is published as the
//! plan says (duplicates, clock jumps, lost points), the same way on every pass.

use kestrel_log::ros2_msg::RosMessage;
use kestrel_log::ros2_msg::sensor_msgs::PointCloud2;
use kestrel_perception::clock::{Clock, WallClock};
use kestrel_perception::fault_injection::FaultPlan;
use kestrel_perception::log_player::{LogPlayer, PlayOptions, PlaySummary};
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

/// What a subscriber saw of a play.
struct Played {
    /// The sweeps' payloads (CDR as published).
    payloads: Vec<Vec<u8>>,
    /// Their rmw_zenoh attachments.
    attachments: Vec<Attachment>,
    /// The liveliness tokens seen.
    tokens: Vec<String>,
    /// The player's summary.
    summary: PlaySummary,
}

impl Played {
    fn clouds(&self) -> Vec<PointCloud2> {
        self.payloads
            .iter()
            .map(|p| PointCloud2::from_cdr(p).unwrap())
            .collect()
    }
}

/// Plays `log` with `options` until `n` sweeps were received.
fn sweeps(log: &Path, options: PlayOptions, n: usize) -> Played {
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
    let mut payloads = Vec::new();
    let mut attachments = Vec::new();
    while payloads.len() < n {
        let s = points
            .recv_timeout(Duration::from_secs(30))
            .unwrap()
            .expect("a sweep");
        assert_eq!(s.key_expr().as_str(), key);
        payloads.push(s.payload().to_bytes().to_vec());
        let a = s.attachment().expect("rmw_zenoh attachment").to_bytes();
        assert_eq!(a.len(), ATTACHMENT_SIZE);
        attachments.push(Attachment::from_bytes(&a).unwrap());
    }
    stop.store(true, Ordering::SeqCst);
    let summary = playing.join().unwrap();
    let mut seen = Vec::new();
    while let Ok(Some(t)) = tokens.recv_timeout(Duration::from_millis(300)) {
        seen.push(t.key_expr().as_str().to_owned());
    }
    Played {
        payloads,
        attachments,
        tokens: seen,
        summary,
    }
}

fn stamps_ns(clouds: &[PointCloud2]) -> Vec<u64> {
    clouds
        .iter()
        .map(|c| c.header.stamp.to_timestamp().0)
        .collect()
}

#[test]
fn faults_change_what_is_published_as_planned_on_every_pass() {
    let dir = std::env::temp_dir().join(format!("kestrel-play-faults-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let log = kitti_log(&dir);
    let clean = sweeps(
        &log,
        PlayOptions {
            wait_for_subscribers: Duration::from_secs(30),
            topics: vec!["/kestrel/velodyne/points".into()],
            ..PlayOptions::default()
        },
        1,
    )
    .clouds();
    let plan = FaultPlan::from_inline(
        "duplicate sensor=velodyne; time_jump sensor=velodyne jump_s=5; \
         partial_lidar sensor=velodyne keep=0.5",
    )
    .unwrap();
    let faulted = sweeps(
        &log,
        PlayOptions {
            repeat: true,
            rate: 4.0,
            wait_for_subscribers: Duration::from_secs(30),
            topics: vec!["/kestrel/velodyne/points".into()],
            faults: Some(plan),
            ..PlayOptions::default()
        },
        6,
    );
    let (clouds, attachments) = (faulted.clouds(), faulted.attachments);
    // Every sweep twice, 5 s late, passes 200 ms apart.
    let s = 1_000_000_000;
    assert_eq!(
        stamps_ns(&clouds),
        vec![
            5 * s,
            5 * s,
            5 * s + s / 10,
            5 * s + s / 10,
            5 * s + s / 5,
            5 * s + s / 5
        ]
    );
    let seq: Vec<i64> = attachments.iter().map(|a| a.sequence_number).collect();
    assert_eq!(
        seq,
        vec![1, 2, 3, 4, 5, 6],
        "duplicates are published messages"
    );
    // About half the points, re-encoded; the duplicate carries the same points.
    let (kept, all) = (clouds[0].width as f64, clean[0].width as f64);
    assert!((0.45..0.55).contains(&(kept / all)), "{kept} of {all}");
    assert_eq!(clouds[0].data, clouds[1].data);
    // Damaged wire bytes are published as they are: the subscriber gets the cut messages.
    let cut = sweeps(
        &log,
        PlayOptions {
            wait_for_subscribers: Duration::from_secs(30),
            topics: vec!["/kestrel/velodyne/points".into()],
            faults: Some(
                FaultPlan::from_inline("truncate sensor=/kestrel/velodyne/points").unwrap(),
            ),
            ..PlayOptions::default()
        },
        2,
    );
    assert_eq!(cut.summary.fault_hits, vec![2], "both sweeps cut");
    assert!(
        cut.payloads
            .iter()
            .all(|p| PointCloud2::from_cdr(p).is_err())
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn loop_keeps_time_increasing_and_restamp_moves_to_the_wall_clock() {
    let dir = std::env::temp_dir().join(format!("kestrel-live-play-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let log = kitti_log(&dir);
    let wait = Duration::from_secs(30);
    // Two sweeps at 0 and 100 ms; each pass starts one period (100 ms) after the last.
    let played = sweeps(
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
    let (clouds, attachments, tokens) = (played.clouds(), played.attachments, played.tokens);
    assert_eq!(
        stamps_ns(&clouds),
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
    let restamped = sweeps(
        &log,
        PlayOptions {
            restamp: true,
            wait_for_subscribers: wait,
            topics: vec!["/kestrel/velodyne/points".into()],
            ..PlayOptions::default()
        },
        2,
    );
    let stamps = stamps_ns(&restamped.clouds());
    assert_eq!(stamps[1] - stamps[0], 100_000_000);
    assert!(
        stamps[0] >= before && stamps[0] < before + 60_000_000_000,
        "{stamps:?}"
    );
    std::fs::remove_dir_all(&dir).ok();
}
