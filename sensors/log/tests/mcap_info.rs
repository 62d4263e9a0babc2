//! `LogInfo` (what `kestrel inspect` prints for an MCAP log) against the log reader: on every
//! real rosbag2 bag of the test data and on Kestrel-written logs, the per-topic counts and
//! first/last times read from the message indexes equal what reading every message gives; a
//! log without a usable summary falls back to reading every message.

use kestrel_log::RawLogReader;
use kestrel_log::camera_image::ImageFormat;
use kestrel_log::convert::kitti_to_mcap;
use kestrel_log::mcap_info::{InfoSource, LogInfo};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn testdata() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata")
}

/// Per topic: (count, first log time, last log time), by reading every message.
fn read_all(path: &Path) -> BTreeMap<String, (u64, u64, u64)> {
    let mut out: BTreeMap<String, (u64, u64, u64)> = BTreeMap::new();
    for m in RawLogReader::open(path).unwrap() {
        let m = m.unwrap();
        let e = out
            .entry(m.channel.topic.clone())
            .or_insert((0, u64::MAX, 0));
        e.0 += 1;
        e.1 = e.1.min(m.log_time);
        e.2 = e.2.max(m.log_time);
    }
    out
}

fn check_against_reader(path: &Path, info: &LogInfo) {
    let read = read_all(path);
    let from_info: BTreeMap<String, (u64, u64, u64)> = info
        .topics
        .iter()
        .filter(|t| t.messages > 0)
        .map(|t| {
            let (f, l) = (t.first_ns.unwrap(), t.last_ns.unwrap());
            (t.topic.clone(), (t.messages, f, l))
        })
        .collect();
    assert_eq!(from_info, read, "{}", path.display());
    assert_eq!(info.messages, read.values().map(|v| v.0).sum::<u64>());
    let start = read.values().map(|v| v.1).min();
    let end = read.values().map(|v| v.2).max();
    assert_eq!((info.start_ns, info.end_ns), (start, end));
}

#[test]
fn every_rosbag2_fixture_matches_the_reader() {
    let mut bags: Vec<PathBuf> = std::fs::read_dir(testdata())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "mcap"))
        .collect();
    bags.sort();
    assert_eq!(bags.len(), 4, "{bags:?}");
    for bag in &bags {
        let info = LogInfo::read(bag).unwrap();
        assert_eq!(info.profile, "ros2", "{}", bag.display());
        assert_eq!(info.source, InfoSource::Indexes, "{}", bag.display());
        assert!(!info.compression.is_empty());
        check_against_reader(bag, &info);
    }
    // The counts the fixture README lists (read when the fixtures were added); the talker
    // publishes at 2 Hz.
    let talker = LogInfo::read(&testdata().join("talker.mcap")).unwrap();
    assert_eq!(
        talker.counts(),
        BTreeMap::from([
            ("/parameter_events".into(), 0),
            ("/rosout".into(), 10),
            ("/topic".into(), 10)
        ])
    );
    let topic = talker.topics.iter().find(|t| t.topic == "/topic").unwrap();
    assert_eq!(topic.message_type, "std_msgs/msg/String");
    assert!((topic.rate_hz() - 2.0).abs() < 0.1, "{}", topic.rate_hz());
}

#[test]
fn kestrel_logs_and_logs_without_summary() {
    let dir = std::env::temp_dir().join(format!("kestrel-mcap-info-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("kitti.mcap");
    let kitti = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testdata/kitti/object");
    let summary = kitti_to_mcap(&kitti, &log, ImageFormat::Png).unwrap();
    let info = LogInfo::read(&log).unwrap();
    assert_eq!(info.source, InfoSource::Indexes);
    assert_eq!(info.counts(), summary.messages_per_topic);
    assert_eq!(info.metadata, vec!["kestrel_rig".to_string()]);
    assert!(info.compression.contains_key("zstd"));
    assert!((info.duration_s() - 0.1).abs() < 1e-9);
    check_against_reader(&log, &info);
    // Cut off the summary: the info comes from reading every message, with the same counts.
    let bytes = std::fs::read(&log).unwrap();
    let cut = dir.join("cut.mcap");
    std::fs::write(&cut, &bytes[..bytes.len() - 200]).unwrap();
    let scanned = LogInfo::read(&cut).unwrap();
    assert!(matches!(scanned.source, InfoSource::Scan { .. }));
    assert_eq!(scanned.counts(), info.counts());
    assert!(scanned.damage.is_some(), "the cut is reported");
    assert!(scanned.compression.is_empty());
    // Not an MCAP file: a typed error.
    let not = dir.join("not.mcap");
    std::fs::write(&not, b"hello, this is not a log").unwrap();
    assert!(LogInfo::read(&not).is_err());
    std::fs::remove_dir_all(&dir).ok();
}
