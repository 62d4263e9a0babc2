//! Real fixtures -> converter -> MCAP -> reader gives back the adapters' messages bit for bit
//! (point clouds) and pixel for pixel (images), with the rig. The fixtures are the sensors
//! crate's copies (`sensors/testdata`, see its README for attribution).

use kestrel_log::SensorLogReader;
use kestrel_log::convert::{
    kitti_messages, kitti_to_mcap, nuscenes_messages, nuscenes_to_mcap, ouster_messages,
    ouster_to_mcap,
};
use kestrel_sensors::{Rig, SensorMessage};
use std::path::{Path, PathBuf};

fn sensors_testdata(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata")
        .join(rel)
}

fn out(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name)
}

fn sorted(mut v: Vec<SensorMessage>) -> Vec<SensorMessage> {
    v.sort_by(|a, b| (a.timestamp(), a.sensor()).cmp(&(b.timestamp(), b.sensor())));
    v
}

/// Bit-level equality of clouds (NaN-safe), plain equality otherwise.
fn assert_same(a: &SensorMessage, b: &SensorMessage) {
    let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    match (a, b) {
        (SensorMessage::Lidar(a), SensorMessage::Lidar(b)) => {
            assert_eq!(
                (&a.sensor, a.timestamp, a.len()),
                (&b.sensor, b.timestamp, b.len())
            );
            for (ca, cb) in [
                (&a.x, &b.x),
                (&a.y, &b.y),
                (&a.z, &b.z),
                (&a.intensity, &b.intensity),
            ] {
                assert!(bits(ca) == bits(cb), "{}: column differs", a.sensor);
            }
            assert!(a.ring == b.ring && a.time_offset_ns == b.time_offset_ns);
        }
        (SensorMessage::Camera(a), SensorMessage::Camera(b)) => {
            assert_eq!(
                (&a.sensor, a.timestamp, a.width, a.height),
                (&b.sensor, b.timestamp, b.width, b.height)
            );
            assert_eq!(a.encoding, b.encoding);
            assert!(a.data == b.data, "{}: pixels differ", a.sensor);
        }
        _ => assert_eq!(a, b),
    }
}

/// The stored rig equals the converter's rig up to TOML's re-normalisation of quaternions.
fn assert_rig_close(got: Option<&Rig>, expected: &Rig) {
    let got = got.expect("rig stored in the log");
    assert_eq!(got.sensors.len(), expected.sensors.len());
    for (g, e) in got.sensors.iter().zip(&expected.sensors) {
        assert_eq!(
            (&g.name, &g.kind, &g.topic, g.rate_hz),
            (&e.name, &e.kind, &e.topic, e.rate_hz)
        );
        let d = (g.extrinsics.to_homogeneous() - e.extrinsics.to_homogeneous()).norm();
        assert!(d < 1e-12, "{}: extrinsics differ by {d}", g.name);
    }
}

fn read_back(path: &Path) -> (Option<Rig>, Vec<SensorMessage>) {
    let mut r = SensorLogReader::open(path, None).unwrap();
    let msgs: Vec<_> = r.by_ref().map(|e| e.unwrap().message).collect();
    assert!(r.stats().skipped.is_empty() && r.stats().failed.is_empty());
    (r.rig().cloned(), msgs)
}

#[test]
fn kitti_round_trip() {
    let root = sensors_testdata("kitti/object");
    let path = out("kitti.mcap");
    let summary = kitti_to_mcap(&root, &path).unwrap();
    let (rig, expected, _) = kitti_messages(&root).unwrap();
    assert_eq!(summary.messages_per_topic.values().sum::<u64>(), 4);
    let (got_rig, got) = read_back(&path);
    assert_rig_close(got_rig.as_ref(), &rig);
    let expected = sorted(expected);
    assert_eq!(got.len(), expected.len());
    for (g, e) in got.iter().zip(&expected) {
        assert_same(g, e);
    }
    // Frame 000000: cam2 then velodyne (same stamp, sorted by sensor name).
    let SensorMessage::Lidar(c) = &got[1] else {
        panic!("velodyne second")
    };
    assert!(c.len() > 100_000, "full HDL-64E scan, got {}", c.len());
}

#[test]
fn nuscenes_round_trip_with_radar() {
    let dir = sensors_testdata("nuscenes/sample-n015-2018-07-24");
    let radar = vec![sensors_testdata(
        "nuscenes/radar/n015-2018-07-25-16-15-50+0800__RADAR_BACK_LEFT__1532506682462345.pcd",
    )];
    let path = out("nuscenes.mcap");
    let summary = nuscenes_to_mcap(&dir, &radar, &path).unwrap();
    assert_eq!(
        summary.messages_per_topic.len(),
        8,
        "{:?}",
        summary.messages_per_topic
    );
    let (rig, expected, _) = nuscenes_messages(&dir, &radar).unwrap();
    let (got_rig, got) = read_back(&path);
    assert_rig_close(got_rig.as_ref(), &rig);
    let expected = sorted(expected);
    assert_eq!(got.len(), 8);
    for (g, e) in got.iter().zip(&expected) {
        assert_same(g, e);
    }
    let radar = got.iter().find_map(|m| match m {
        SensorMessage::Radar(r) => Some(r),
        _ => None,
    });
    assert_eq!(radar.map(|r| r.sensor.as_str()), Some("RADAR_BACK_LEFT"));
}

#[test]
fn ouster_round_trip() {
    let pcap = sensors_testdata("ouster/OS-1-128_v2.3.0_1024x10_lb_n3.pcap");
    let meta = sensors_testdata("ouster/OS-1-128_v2.3.0_1024x10.json");
    let path = out("ouster.mcap");
    ouster_to_mcap(&pcap, &meta, &path).unwrap();
    let (expected, _) = ouster_messages(&pcap, &meta).unwrap();
    assert!(!expected.is_empty());
    let (rig, got) = read_back(&path);
    assert!(rig.is_none());
    let expected = sorted(expected);
    assert_eq!(got.len(), expected.len());
    for (g, e) in got.iter().zip(&expected) {
        assert_same(g, e);
    }
}
