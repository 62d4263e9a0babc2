//! Real fixtures -> converter -> MCAP -> reader gives back the adapters' messages bit for bit
//! (point clouds) and pixel for pixel (images), with the rig. The fixtures are the sensors
//! crate's copies (`sensors/testdata`, see its README for attribution).

use kestrel_log::SensorLogReader;
use kestrel_log::camera_image::ImageFormat;
use kestrel_log::convert::{
    kitti_messages, kitti_to_mcap, nuscenes_messages, nuscenes_to_mcap, ouster_messages,
    ouster_to_mcap,
};
use kestrel_sensors::{CameraIntrinsics, Rig, SensorMessage};
use std::collections::BTreeMap;
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
    assert_eq!(r.raw().out_of_order(), 0);
    // Every camera's CameraInfo comes back as the rig's intrinsics, exactly.
    if let Some(rig) = r.rig() {
        let cameras: BTreeMap<String, CameraIntrinsics> = rig
            .sensors
            .iter()
            .filter_map(|s| Some((s.name.clone(), *s.intrinsics()?)))
            .collect();
        let delivered: Vec<&str> = msgs
            .iter()
            .filter(|m| m.kind() == "camera")
            .map(|m| m.sensor())
            .collect();
        for name in delivered {
            assert_eq!(
                r.camera_intrinsics().get(name),
                cameras.get(name),
                "{name}: CameraInfo round trip"
            );
        }
    }
    (r.rig().cloned(), msgs)
}

#[test]
fn kitti_round_trip() {
    let root = sensors_testdata("kitti/object");
    let path = out("kitti.mcap");
    let summary = kitti_to_mcap(&root, &path, ImageFormat::Raw).unwrap();
    let (rig, expected, _) = kitti_messages(&root).unwrap();
    // Two frames: scan, image and the image's CameraInfo.
    assert_eq!(summary.messages_per_topic.values().sum::<u64>(), 6);
    assert_eq!(summary.messages_per_topic["/kestrel/cam2/camera_info"], 2);
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
    let summary = nuscenes_to_mcap(&dir, &radar, &path, ImageFormat::Raw).unwrap();
    assert_eq!(
        summary.messages_per_topic.len(),
        8 + 6,
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

#[test]
fn kitti_png_is_lossless_and_jpeg_keeps_the_image() {
    let root = sensors_testdata("kitti/object");
    let expected = sorted(kitti_messages(&root).unwrap().1);
    let mut sizes = Vec::new();
    for (name, format) in [
        ("raw", ImageFormat::Raw),
        ("png", ImageFormat::Png),
        ("jpeg", ImageFormat::Jpeg { quality: 90 }),
    ] {
        let path = out(&format!("kitti_{name}.mcap"));
        let summary = kitti_to_mcap(&root, &path, format).unwrap();
        sizes.push((name, std::fs::metadata(&path).unwrap().len()));
        let compressed = summary
            .messages_per_topic
            .get("/kestrel/cam2/image/compressed");
        let raw = summary.messages_per_topic.get("/kestrel/cam2/image");
        match format {
            ImageFormat::Raw => assert_eq!((raw, compressed), (Some(&2), None)),
            _ => assert_eq!((raw, compressed), (None, Some(&2))),
        }
        let (_, got) = read_back(&path);
        assert_eq!(got.len(), expected.len());
        for (g, e) in got.iter().zip(&expected) {
            match (format, g, e) {
                (ImageFormat::Jpeg { .. }, SensorMessage::Camera(g), SensorMessage::Camera(e)) => {
                    assert_eq!(
                        (&g.sensor, g.timestamp, g.width, g.height, g.encoding),
                        (&e.sensor, e.timestamp, e.width, e.height, e.encoding)
                    );
                    // Lossy, but the same picture: mean absolute error of a few grey levels.
                    let err: u64 = g
                        .data
                        .iter()
                        .zip(e.data.iter())
                        .map(|(a, b)| a.abs_diff(*b) as u64)
                        .sum();
                    let mean = err as f64 / e.data.len() as f64;
                    assert!(mean < 4.0, "{}: JPEG mean abs error {mean}", e.sensor);
                    assert!(g.data != e.data, "JPEG at quality 90 is not lossless");
                }
                _ => assert_same(g, e),
            }
        }
    }
    eprintln!("KITTI 2 frames, file bytes: {sizes:?}");
    let size = |n: &str| sizes.iter().find(|s| s.0 == n).unwrap().1;
    assert!(size("jpeg") < size("png") && size("jpeg") < size("raw"));
}
