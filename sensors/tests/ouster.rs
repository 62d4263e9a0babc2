//! Ouster captures: OS-1-32-G fw 2.1.1 (legacy, with the SDK's digest), OS-1-128 fw 2.3.0
//! (RNG15_RFL8_NIR8), OS-0-32 single packet (a profile we do not decode).

use kestrel_sensors::SensorError;
use kestrel_sensors::ouster::metadata::OusterMetadata;
use kestrel_sensors::ouster::pcap::PcapReader;
use kestrel_sensors::ouster::udp_source::UdpPacketSource;
use kestrel_sensors::ouster::xyz::XyzLut;
use kestrel_sensors::ouster::{OusterStream, read_pcap};
use md5::{Digest, Md5};
use std::path::{Path, PathBuf};
use std::time::Duration;

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/ouster")
        .join(name)
}

fn meta(name: &str) -> OusterMetadata {
    OusterMetadata::load(&data(name)).unwrap()
}

fn md5_hex(bytes: impl IntoIterator<Item = Vec<u8>>) -> String {
    let mut h = Md5::new();
    for b in bytes {
        h.update(&b);
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// The SDK's `_digest.json` hashes (md5 of the LidarScan arrays): we reproduce FRAME_ID,
/// TIMESTAMP, MEASUREMENT_ID, STATUS, ENCODER_COUNT (u64/u16 per column), RANGE (u32 per
/// pixel, row-major beam x column), SIGNAL and NEAR_IR (u16 per pixel).
#[test]
fn os1_32_frame_matches_sdk_digest() {
    let m = meta("OS-1-32-G_v2.1.1_1024x10.json");
    let cap = read_pcap(&data("OS-1-32-G_v2.1.1_1024x10.pcap"), &m).unwrap();
    assert_eq!(
        (cap.frames.len(), cap.bad_packets, cap.pcap.udp),
        (1, 0, 64)
    );
    let f = &cap.frames[0];
    assert_eq!((f.beams, f.columns, f.missing_columns), (32, 1024, 0));
    let digest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(data("OS-1-32-G_v2.1.1_1024x10_digest.json")).unwrap(),
    )
    .unwrap();
    let scan = &digest["scans"][0];
    assert_eq!(scan["FRAME_ID"], f.frame_id.to_string());
    let u64s = |v: &[u64]| {
        v.iter()
            .map(|x| x.to_le_bytes().to_vec())
            .collect::<Vec<_>>()
    };
    let ours = [
        ("TIMESTAMP", md5_hex(u64s(&f.column_timestamp_ns))),
        (
            "MEASUREMENT_ID",
            md5_hex(f.measurement_id.iter().map(|x| x.to_le_bytes().to_vec())),
        ),
        (
            "STATUS",
            md5_hex(u64s(
                &f.column_status
                    .iter()
                    .map(|&s| s as u64)
                    .collect::<Vec<_>>(),
            )),
        ),
        (
            "ENCODER_COUNT",
            md5_hex(u64s(
                &f.encoder_count
                    .iter()
                    .map(|&s| s as u64)
                    .collect::<Vec<_>>(),
            )),
        ),
        (
            "RANGE",
            md5_hex(f.range_mm.iter().map(|x| x.to_le_bytes().to_vec())),
        ),
        (
            "SIGNAL",
            md5_hex(f.signal.iter().map(|x| x.to_le_bytes().to_vec())),
        ),
        (
            "NEAR_IR",
            md5_hex(f.near_ir.iter().map(|x| x.to_le_bytes().to_vec())),
        ),
    ];
    for (field, hash) in ours {
        assert_eq!(scan[field], hash.as_str(), "{field}");
    }
}

/// 32 x 1024 pixels, 27 310 returns (the rest: no return); ranges 2.43-204.3 m (OS-1 Gen2
/// sensors report returns out to ~240 m; band 0.2-300 m), and each point
/// lies on its beam's altitude and on encoder + beam azimuth (checked beyond 5 m, 0.2°).
#[test]
fn os1_32_points_follow_the_beam_pattern() {
    let m = meta("OS-1-32-G_v2.1.1_1024x10.json");
    let cap = read_pcap(&data("OS-1-32-G_v2.1.1_1024x10.pcap"), &m).unwrap();
    let f = &cap.frames[0];
    let cloud = f.to_point_cloud(&XyzLut::new(&m), "os1").cloud;
    assert_eq!(cloud.len(), f.range_mm.iter().filter(|&&r| r > 0).count());
    assert_eq!(cloud.len(), 27_310);
    let (rmin, rmax, _, _) = cloud.extent().unwrap();
    eprintln!("ranges {rmin:.2}..{rmax:.2} m");
    assert!(rmin > 0.2 && rmax < 300.0);
    let rings = cloud.ring.as_ref().unwrap();
    let times = cloud.time_offset_ns.as_ref().unwrap();
    assert!(
        *times.iter().max().unwrap() < 100_000_000,
        "one rotation takes 100 ms"
    );
    let mut checked = 0;
    for (i, [x, y, z]) in cloud.iter_xyz().enumerate() {
        let (x, y, z) = (x as f64, y as f64, z as f64 - 0.03618);
        let horiz = (x * x + y * y).sqrt();
        if horiz < 5.0 {
            continue;
        }
        let beam = rings[i] as usize;
        let alt = z.atan2(horiz).to_degrees();
        assert!(
            (alt - m.beam_altitude_deg[beam]).abs() < 0.2,
            "beam {beam}: {alt}"
        );
        // Column from time: measurement id m at 1024 columns/100 ms.
        let col = (times[i] as f64 / (100e6 / 1024.0)).round() as usize % 1024;
        let expected = 360.0 * (1.0 - col as f64 / 1024.0) - m.beam_azimuth_deg[beam] + 180.0;
        let d = (y.atan2(x).to_degrees() - expected).rem_euclid(360.0);
        assert!(d.min(360.0 - d) < 0.5, "beam {beam} col {col}: {d}");
        checked += 1;
    }
    assert!(checked > 10_000, "{checked}");
}

#[test]
fn os1_128_low_bandwidth_capture_decodes_three_frames() {
    let m = meta("OS-1-128_v2.3.0_1024x10.json");
    assert_eq!(m.udp_profile_lidar, "RNG15_RFL8_NIR8");
    let cap = read_pcap(&data("OS-1-128_v2.3.0_1024x10_lb_n3.pcap"), &m).unwrap();
    assert_eq!(cap.other_port, 30, "IMU packets");
    assert_eq!(cap.bad_packets, 0, "{:?}", cap.first_error);
    assert_eq!(cap.frames.len(), 3);
    let lut = XyzLut::new(&m);
    for (k, f) in cap.frames.iter().enumerate() {
        assert_eq!(f.frame_id, 1795 + k as u16);
        assert_eq!((f.beams, f.missing_columns), (128, 0));
        let c = f.to_point_cloud(&lut, "os1_128").cloud;
        let (rmin, rmax, _, _) = c.extent().unwrap();
        eprintln!(
            "frame {}: {} points, {rmin:.2}..{rmax:.2} m",
            f.frame_id,
            c.len()
        );
        // Measured: 107 647 / 107 357 / 107 532 points, 1.25-246.9 m.
        assert!(c.len() > 50_000 && rmin > 0.2 && rmax < 300.0);
    }
}

#[test]
fn wrong_profile_or_size_is_a_typed_error() {
    let mut r = PcapReader::new(
        std::fs::File::open(data("OS-0-32-U1_v2.2.0_1024x10-single-packet.pcap")).unwrap(),
        "os0",
    )
    .unwrap();
    let dual = r.next_datagram().unwrap().unwrap().payload;
    // Its own metadata names a profile without a decoder.
    let os0 = meta("OS-0-32-U1_v2.2.0_1024x10.json");
    assert!(matches!(
        OusterStream::new(&os0),
        Err(SensorError::Unsupported { .. })
    ));
    // Legacy decoder: wrong size.
    let mut legacy = OusterStream::new(&meta("OS-1-32-G_v2.1.1_1024x10.json")).unwrap();
    assert!(matches!(
        legacy.push(&dual, "os0"),
        Err(SensorError::Malformed { .. })
    ));
    // Same size as an OS-1-128 RNG15 packet, but from another sensor (init id / serial).
    let mut lb = OusterStream::new(&meta("OS-1-128_v2.3.0_1024x10.json")).unwrap();
    assert_eq!(dual.len(), lb.decoder.packet_size());
    assert!(matches!(
        lb.push(&dual, "os0"),
        Err(SensorError::Malformed { offset: 4, .. })
    ));
}

/// The live source: replay the capture's payloads over loopback and decode the same frame.
#[test]
fn udp_loopback_replay_gives_the_same_frame() {
    let m = meta("OS-1-32-G_v2.1.1_1024x10.json");
    let from_file = read_pcap(&data("OS-1-32-G_v2.1.1_1024x10.pcap"), &m).unwrap();
    let mut source =
        UdpPacketSource::bind("127.0.0.1:0".parse().unwrap(), Duration::from_secs(5)).unwrap();
    let dest = source.local_addr().unwrap();
    let sender = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let mut reader = PcapReader::new(
        std::fs::File::open(data("OS-1-32-G_v2.1.1_1024x10.pcap")).unwrap(),
        "pcap",
    )
    .unwrap();
    let mut stream = OusterStream::new(&m).unwrap();
    let mut frames = Vec::new();
    while let Some(d) = reader.next_datagram().unwrap() {
        sender.send_to(&d.payload, dest).unwrap();
        frames.extend(stream.push(source.recv().unwrap(), "udp").unwrap());
    }
    frames.extend(stream.finish());
    assert_eq!(frames, from_file.frames);
}

#[test]
fn nested_metadata_layout_parses_like_the_flat_one() {
    let flat_text = std::fs::read_to_string(data("OS-1-128_v2.3.0_1024x10.json")).unwrap();
    let flat: serde_json::Value = serde_json::from_str(&flat_text).unwrap();
    let nested = serde_json::json!({
        "sensor_info": {"prod_line": flat["prod_line"], "prod_sn": flat["prod_sn"], "build_rev": flat["build_rev"], "initialization_id": flat["initialization_id"]},
        "config_params": {"lidar_mode": flat["lidar_mode"], "udp_profile_lidar": flat["data_format"]["udp_profile_lidar"], "udp_port_lidar": flat["udp_port_lidar"]},
        "lidar_data_format": flat["data_format"],
        "beam_intrinsics": {"beam_altitude_angles": flat["beam_altitude_angles"], "beam_azimuth_angles": flat["beam_azimuth_angles"], "lidar_origin_to_beam_origin_mm": flat["lidar_origin_to_beam_origin_mm"]},
        "lidar_intrinsics": {"lidar_to_sensor_transform": flat["lidar_to_sensor_transform"]},
    });
    let a = OusterMetadata::parse(&flat_text, "flat").unwrap();
    let b = OusterMetadata::parse(&nested.to_string(), "nested").unwrap();
    assert_eq!(a, b);
    assert_eq!(
        (a.prod_sn, a.initialization_id),
        (Some(122_201_000_998), Some(7_109_750))
    );
}

/// Dropped packets: the frame is still emitted, with the missing columns counted and no
/// points from them.
#[test]
fn dropped_packets_are_counted_as_missing_columns() {
    let m = meta("OS-1-32-G_v2.1.1_1024x10.json");
    let mut reader = PcapReader::new(
        std::fs::File::open(data("OS-1-32-G_v2.1.1_1024x10.pcap")).unwrap(),
        "pcap",
    )
    .unwrap();
    let mut stream = OusterStream::new(&m).unwrap();
    let mut k = 0;
    while let Some(d) = reader.next_datagram().unwrap() {
        if ![3, 10, 11, 63].contains(&k) {
            assert!(stream.push(&d.payload, "pcap").unwrap().is_empty());
        }
        k += 1;
    }
    let f = stream.finish().unwrap();
    assert_eq!(f.missing_columns, 4 * 16);
    assert_eq!(f.received.iter().filter(|r| !**r).count(), 64);
    let full = read_pcap(&data("OS-1-32-G_v2.1.1_1024x10.pcap"), &m).unwrap();
    let lut = XyzLut::new(&m);
    assert!(
        f.to_point_cloud(&lut, "l").cloud.len()
            < full.frames[0].to_point_cloud(&lut, "l").cloud.len()
    );
}
