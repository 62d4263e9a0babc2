//! Kestrel-written MCAP: exact round trip through the reader, an independent check with the
//! `mcap` crate's summary/index reader, and truncated / corrupted copies.

use kestrel_log::mcap_writer::{RIG_METADATA_NAME, default_topic};
use kestrel_log::ros2_msg::RosMessage;
use kestrel_log::ros2_msg::autoware_perception_msgs::DetectedObjects;
use kestrel_log::ros2_msg::std_msgs::Header;
use kestrel_log::{LogError, LogWriter, RawLogReader, SensorLogReader};
use kestrel_sensors::{
    CameraFrame, PixelEncoding, PointCloud, RadarDetection, RadarScan, RadarValidity, Rig,
    SensorKind, SensorMessage, SensorSpec, Timestamp,
};
use nalgebra::{Isometry3, Point3, Vector2};
use std::collections::BTreeMap;
use std::io::Cursor;
use std::path::{Path, PathBuf};

fn tmp(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    dir.join(name)
}

fn rig() -> Rig {
    let spec = |name: &str, kind| SensorSpec {
        name: name.into(),
        kind,
        topic: None,
        rate_hz: None,
        sync_offset_s: 0.0,
        extrinsics: Isometry3::translation(1.0, 0.0, 1.5),
    };
    Rig {
        name: "test".into(),
        sensors: vec![
            spec("lidar_top", SensorKind::Lidar { beams: Some(32) }),
            spec(
                "radar_front",
                SensorKind::Radar {
                    horizontal_fov: None,
                    max_range: None,
                },
            ),
        ],
    }
}

/// `n` rounds of lidar (with a NaN point, rings, times), radar and two cameras.
fn messages(n: u64) -> Vec<SensorMessage> {
    let mut out = Vec::new();
    for k in 0..n {
        let t = Timestamp(1_700_000_000_000_000_000 + k * 100_000_000);
        let mut cloud = PointCloud::with_capacity("lidar_top", t, 500, true, true);
        for i in 0..500u32 {
            let a = i as f32 * 0.0125 + k as f32;
            cloud.push(
                a.cos() * 10.0,
                a.sin() * 10.0,
                -1.5 + i as f32 * 1e-3,
                i as f32,
                (i % 32) as u16,
                i * 1000,
            );
        }
        cloud.x[7] = f32::NAN;
        out.push(SensorMessage::Lidar(cloud));
        let det = |i: u16, comp: Option<Vector2<f32>>| RadarDetection {
            position: Point3::new(20.0 + i as f32, -2.0, 0.5),
            radial_velocity: -3.25,
            compensated_velocity: comp,
            rcs: 7.5,
            id: Some(i).filter(|i| i % 2 == 0),
            validity: RadarValidity {
                valid: true,
                velocity_unambiguous: i.is_multiple_of(3),
                quality_valid: false,
                dynamic_property: 2,
            },
        };
        let detections = (0..12)
            .map(|i| det(i, (!i.is_multiple_of(4)).then(|| Vector2::new(1.5, -0.5))))
            .collect();
        out.push(SensorMessage::Radar(RadarScan {
            sensor: "radar_front".into(),
            timestamp: t,
            detections,
        }));
        let rgb: Vec<u8> = (0..64 * 48 * 3)
            .map(|i| (i * 7 + k as usize) as u8)
            .collect();
        out.push(SensorMessage::Camera(
            CameraFrame::new("cam_front", t, 64, 48, PixelEncoding::Rgb8, rgb).unwrap(),
        ));
        let mono: Vec<u8> = (0..33 * 17).map(|i| (i * 3) as u8).collect();
        out.push(SensorMessage::Camera(
            CameraFrame::new("cam_ir", t, 33, 17, PixelEncoding::Mono8, mono).unwrap(),
        ));
    }
    out
}

/// Bit-level equality (NaN-safe) of sensor messages.
fn assert_same(a: &SensorMessage, b: &SensorMessage) {
    let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    match (a, b) {
        (SensorMessage::Lidar(a), SensorMessage::Lidar(b)) => {
            assert_eq!((&a.sensor, a.timestamp), (&b.sensor, b.timestamp));
            for (ca, cb) in [
                (&a.x, &b.x),
                (&a.y, &b.y),
                (&a.z, &b.z),
                (&a.intensity, &b.intensity),
            ] {
                assert_eq!(bits(ca), bits(cb));
            }
            assert_eq!((&a.ring, &a.time_offset_ns), (&b.ring, &b.time_offset_ns));
        }
        _ => assert_eq!(a, b),
    }
}

fn write_log(path: &Path, msgs: &[SensorMessage], chunk_size: u64) -> DetectedObjects {
    let mut w = LogWriter::create_with_chunk_size(path, Some(&rig()), chunk_size).unwrap();
    let objects = DetectedObjects {
        header: Header::new(Timestamp(5), "base_link"),
        objects: vec![],
    };
    for m in msgs {
        w.write_sensor(&default_topic(m.sensor(), m.kind()), m)
            .unwrap();
    }
    w.write(
        "/perception/objects",
        Timestamp(msgs.last().unwrap().timestamp().0),
        &objects,
    )
    .unwrap();
    let summary = w.finish().unwrap();
    assert_eq!(
        summary.messages_per_topic.values().sum::<u64>(),
        msgs.len() as u64 + 1
    );
    objects
}

#[test]
fn sensor_messages_round_trip_exactly() {
    let path = tmp("round_trip.mcap");
    let msgs = messages(3);
    write_log(&path, &msgs, 1 << 20);
    let mut r = SensorLogReader::open(&path, None).unwrap();
    assert_eq!(r.rig(), Some(&rig()), "rig recovered from metadata");
    let got: Vec<_> = r.by_ref().map(|e| e.unwrap()).collect();
    assert_eq!(got.len(), msgs.len());
    for (g, m) in got.iter().zip(&msgs) {
        assert_same(&g.message, m);
        assert_eq!(g.log_time, m.timestamp());
        assert_eq!(g.topic, default_topic(m.sensor(), m.kind()));
    }
    assert_eq!(
        r.stats().skipped,
        BTreeMap::from([("/perception/objects".into(), 1)])
    );
}

#[test]
fn mcap_crate_reads_summary_and_indexes() {
    let path = tmp("summary.mcap");
    let msgs = messages(4);
    let objects = write_log(&path, &msgs, 64 << 10);
    let bytes = std::fs::read(&path).unwrap();
    let summary = mcap::Summary::read(&bytes)
        .unwrap()
        .expect("summary written");
    let stats = summary.stats.as_ref().expect("statistics written");
    assert_eq!(stats.message_count, msgs.len() as u64 + 1);
    assert_eq!(stats.metadata_count, 1);
    assert!(summary.chunk_indexes.len() > 1, "several chunks at 64 KiB");
    assert!(
        summary
            .chunk_indexes
            .iter()
            .all(|c| c.compression == "zstd")
    );
    assert_eq!(summary.metadata_indexes[0].name, RIG_METADATA_NAME);
    let mut expected: BTreeMap<String, u64> = BTreeMap::new();
    for m in &msgs {
        *expected
            .entry(default_topic(m.sensor(), m.kind()))
            .or_default() += 1;
    }
    expected.insert("/perception/objects".into(), 1);
    let per_channel: BTreeMap<String, u64> = stats
        .channel_message_counts
        .iter()
        .map(|(id, n)| (summary.channels[id].topic.clone(), *n))
        .collect();
    assert_eq!(per_channel, expected);
    for ch in summary.channels.values() {
        assert_eq!(ch.message_encoding, "cdr");
        let schema = ch.schema.as_ref().unwrap();
        assert_eq!(schema.encoding, "ros2msg");
        assert!(ch.metadata.contains_key("offered_qos_profiles"));
        assert!(ch.metadata.contains_key("topic_type_hash"));
    }
    // Read every message back through the chunk indexes (not the linear path).
    let mut via_index = 0;
    for ci in &summary.chunk_indexes {
        for m in summary.stream_chunk(&bytes, ci).unwrap() {
            let m = m.unwrap();
            if m.channel.topic == "/perception/objects" {
                assert_eq!(DetectedObjects::from_cdr(&m.data).unwrap(), objects);
                assert_eq!(
                    m.channel.schema.as_ref().unwrap().name,
                    DetectedObjects::type_name()
                );
            }
            via_index += 1;
        }
    }
    assert_eq!(via_index, msgs.len() + 1);
    let header = mcap::read::LinearReader::new(&bytes)
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    let mcap::records::Record::Header(h) = header else {
        panic!("first record {header:?}")
    };
    assert_eq!(h.profile, "ros2");
}

/// Reads an in-memory (possibly damaged) log: the Ok messages and the errors.
fn read_bytes(bytes: &[u8]) -> (Vec<SensorMessage>, Vec<LogError>) {
    let raw = RawLogReader::new(
        Path::new("mem.mcap"),
        Cursor::new(bytes),
        bytes.len() as u64,
    )
    .expect("a cursor seeks");
    let (mut ok, mut errs) = (Vec::new(), Vec::new());
    match SensorLogReader::new(raw, Some(rig())) {
        Ok(r) => {
            for e in r {
                match e {
                    Ok(e) => ok.push(e.message),
                    Err(e) => errs.push(e),
                }
            }
        }
        Err(e) => errs.push(e),
    }
    (ok, errs)
}

/// (end offset, number of messages) of each chunk, via the `mcap` crate's index reader.
fn chunks(bytes: &[u8]) -> Vec<(usize, usize)> {
    let summary = mcap::Summary::read(bytes).unwrap().unwrap();
    let chunks: Vec<_> = summary
        .chunk_indexes
        .iter()
        .map(|c| {
            let end = (c.chunk_start_offset + c.chunk_length) as usize;
            (end, summary.stream_chunk(bytes, c).unwrap().count())
        })
        .collect();
    assert!(
        chunks.len() >= 4,
        "test needs several chunks, got {}",
        chunks.len()
    );
    chunks
}

#[test]
fn truncated_logs_deliver_the_messages_before_the_cut() {
    let path = tmp("truncate.mcap");
    let msgs = messages(6);
    write_log(&path, &msgs, 16 << 10);
    let bytes = std::fs::read(&path).unwrap();
    let chunks = chunks(&bytes);
    let mut cuts: Vec<usize> = (0..bytes.len()).step_by(97).collect();
    cuts.extend((0..64).chain(bytes.len() - 64..bytes.len()));
    let mut last_delivered = 0;
    for cut in cuts {
        let (ok, errs) = read_bytes(&bytes[..cut]);
        assert!(
            !errs.is_empty(),
            "cut at {cut} of {} must report an error",
            bytes.len()
        );
        assert!(
            errs.iter().all(|e| matches!(e, LogError::Mcap { .. })),
            "cut {cut}: {errs:?}"
        );
        for (g, m) in ok.iter().zip(&msgs) {
            assert_same(g, m);
        }
        // Every chunk that ends before the cut is delivered in full.
        let complete: usize = chunks.iter().filter(|c| c.0 <= cut).map(|c| c.1).sum();
        assert!(
            ok.len() >= complete.min(msgs.len()),
            "cut {cut}: {} < {complete}",
            ok.len()
        );
        if cut > bytes.len() - 64 {
            assert_eq!(
                ok.len(),
                msgs.len(),
                "cut in the summary keeps every message"
            );
        }
        last_delivered = last_delivered.max(ok.len());
    }
    assert_eq!(last_delivered, msgs.len());
    let (ok, errs) = read_bytes(&bytes);
    assert_eq!((ok.len(), errs.len()), (msgs.len(), 0));
}

#[test]
fn corrupted_bytes_give_typed_errors_and_keep_earlier_chunks() {
    let path = tmp("corrupt.mcap");
    let msgs = messages(6);
    write_log(&path, &msgs, 16 << 10);
    let bytes = std::fs::read(&path).unwrap();
    let summary = mcap::Summary::read(&bytes).unwrap().unwrap();
    let counts = chunks(&bytes);
    for (k, ci) in summary.chunk_indexes.iter().enumerate() {
        for frac in [0.1, 0.5, 0.9] {
            let mut bad = bytes.clone();
            let start = ci.chunk_start_offset as usize + 60;
            let pos = start + ((ci.chunk_length as usize - 60) as f64 * frac) as usize;
            bad[pos] ^= 0x5a;
            let (ok, errs) = read_bytes(&bad);
            assert!(!errs.is_empty(), "flip at {pos} in chunk {k}");
            let before: usize = counts[..k].iter().map(|c| c.1).sum();
            assert!(
                ok.len() >= before.min(msgs.len()),
                "chunk {k}: {} < {before}",
                ok.len()
            );
            for (g, m) in ok.iter().zip(&msgs) {
                assert_same(g, m);
            }
        }
    }
}

/// A ROS-style camera log: compressed images on `<topic>/compressed` and calibration on the
/// sibling `camera_info` topic, with an optical `frame_id` that is not the rig's sensor name.
/// Both map to the rig camera whose topic is `<topic>`.
#[test]
fn compressed_and_camera_info_topics_belong_to_the_rig_camera() {
    use kestrel_log::camera_image::{ImageFormat, frame_to_compressed};
    use kestrel_log::camera_info::intrinsics_to_camera_info;
    use kestrel_sensors::{CameraIntrinsics, Distortion};
    let intrinsics = CameraIntrinsics {
        width: 8,
        height: 4,
        fx: 10.0,
        fy: 11.0,
        cx: 4.0,
        cy: 2.0,
        distortion: Distortion::PlumbBob {
            k1: -0.2,
            k2: 0.05,
            p1: 0.001,
            p2: -0.002,
            k3: 0.0,
        },
    };
    let mut rig = rig();
    rig.sensors.push(SensorSpec {
        name: "front".into(),
        kind: SensorKind::Camera { intrinsics },
        topic: Some("/cam/image_raw".into()),
        rate_hz: None,
        sync_offset_s: 0.0,
        extrinsics: Isometry3::identity(),
    });
    let pixels: Vec<u8> = (0..8 * 4 * 3).map(|i| (i * 7 % 256) as u8).collect();
    let t = Timestamp(42);
    let frame = CameraFrame::new("camera_optical", t, 8, 4, PixelEncoding::Rgb8, pixels).unwrap();
    let png = frame_to_compressed(&frame, ImageFormat::Png)
        .unwrap()
        .unwrap();
    let info = intrinsics_to_camera_info(&intrinsics, t, "camera_optical");
    let path = tmp("ros_camera.mcap");
    let mut w = LogWriter::create(&path, None).unwrap();
    w.write("/cam/camera_info", t, &info).unwrap();
    w.write("/cam/image_raw/compressed", t, &png).unwrap();
    w.finish().unwrap();

    let mut r = SensorLogReader::open(&path, Some(rig)).unwrap();
    let got: Vec<_> = r.by_ref().map(|e| e.unwrap()).collect();
    assert_eq!(got.len(), 1);
    let SensorMessage::Camera(back) = &got[0].message else {
        panic!("a camera frame")
    };
    assert_eq!(back.sensor, "front");
    assert_eq!(
        (back.width, back.height, back.encoding),
        (8, 4, PixelEncoding::Rgb8)
    );
    assert!(back.data == frame.data, "PNG is lossless");
    assert_eq!(r.camera_intrinsics().get("front"), Some(&intrinsics));
    assert_eq!(r.stats().camera_info.get("/cam/camera_info"), Some(&1));
    assert!(r.stats().skipped.is_empty());
}
