//! Truncated, corrupted and arbitrary inputs: typed errors or counted skips, never a panic.

use kestrel_sensors::image_file::decode_image;
use kestrel_sensors::kitti::calib::KittiCalib;
use kestrel_sensors::kitti::demo_info::KittiDemoInfo;
use kestrel_sensors::kitti::labels::parse_labels;
use kestrel_sensors::lidar_bin::{FloatRecordLayout, decode_float_records};
use kestrel_sensors::nuscenes::info::InfoFile;
use kestrel_sensors::nuscenes::radar::ars408_scan;
use kestrel_sensors::ouster::metadata::OusterMetadata;
use kestrel_sensors::ouster::packet::PacketDecoder;
use kestrel_sensors::ouster::pcap::PcapReader;
use kestrel_sensors::pcd::PcdFile;
use kestrel_sensors::{SensorError, Timestamp};
use rand_xoshiro::Xoshiro256StarStar;
use rand_xoshiro::rand_core::{Rng, SeedableRng};
use std::path::Path;

fn fixture(rel: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("testdata")
            .join(rel),
    )
    .unwrap()
}

const RADAR: &str =
    "nuscenes/radar/n015-2018-07-25-16-15-50+0800__RADAR_BACK_LEFT__1532506682462345.pcd";
const INFO: &str = "nuscenes/sample-n015-2018-07-24/info.json";
const OS1_META: &str = "ouster/OS-1-32-G_v2.1.1_1024x10.json";
const OS1_PCAP: &str = "ouster/OS-1-32-G_v2.1.1_1024x10.pcap";

fn read_all_pcap(bytes: &[u8]) -> Result<usize, SensorError> {
    let mut r = PcapReader::new(bytes, "pcap")?;
    let mut n = 0;
    while r.next_datagram()?.is_some() {
        n += 1;
    }
    Ok(n)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Every parser on one input; only the absence of panics is checked here.
fn feed_all(bytes: &[u8], decoder: &PacketDecoder) {
    let _ = lb_decoder().decode(bytes, "packet");
    let t = text(bytes);
    let _ = decode_float_records(bytes, FloatRecordLayout::Kitti, "b", "l", Timestamp(0));
    let _ = decode_float_records(bytes, FloatRecordLayout::Nuscenes, "b", "l", Timestamp(0));
    let _ = KittiCalib::parse(&t, "calib").and_then(|c| c.rig(1242, 375));
    let _ = parse_labels(&t, "label");
    let _ = KittiDemoInfo::parse(&t, "demo").and_then(|d| d.calib.rig(1242, 375));
    if let Ok(p) = PcdFile::parse(bytes, "pcd") {
        let _ = p.to_point_cloud("l", Timestamp(0), "pcd");
        let _ = ars408_scan(&p, "r", Timestamp(0), "pcd");
    }
    let _ = InfoFile::parse(&t, "info");
    if let Ok(m) = OusterMetadata::parse(&t, "meta") {
        let _ = PacketDecoder::new(&m);
    }
    let _ = decoder.decode(bytes, "packet");
    let _ = read_all_pcap(bytes);
    let _ = decode_image(bytes, "img", "cam", Timestamp(0));
}

fn lb_decoder() -> PacketDecoder {
    let m = fixture("ouster/OS-1-128_v2.3.0_1024x10.json");
    PacketDecoder::new(&OusterMetadata::parse(&text(&m), "m").unwrap()).unwrap()
}

fn os1_decoder() -> PacketDecoder {
    PacketDecoder::new(&OusterMetadata::parse(&text(&fixture(OS1_META)), "m").unwrap()).unwrap()
}

#[test]
fn truncated_fixtures_give_typed_errors() {
    // KITTI scan cut mid-record.
    let bin = fixture("kitti/object/velodyne/000000.bin");
    for cut in [1, 15, 17, bin.len() / 2 + 3, bin.len() - 1] {
        let e = decode_float_records(
            &bin[..cut],
            FloatRecordLayout::Kitti,
            "000000.bin",
            "l",
            Timestamp(0),
        );
        assert!(matches!(e, Err(SensorError::Truncated { .. })), "cut {cut}");
    }
    // Calibration without its last lines.
    let calib = text(&fixture("kitti/object/calib/000000.txt"));
    for cut in [0, 10, calib.len() / 2] {
        assert!(
            KittiCalib::parse(&calib[..cut], "calib").is_err(),
            "cut {cut}"
        );
    }
    // Label cut mid-line.
    let label = text(&fixture("kitti/object/label_2/000000.txt"));
    assert!(matches!(
        parse_labels(&label[..20], "label"),
        Err(SensorError::Malformed { .. })
    ));
    // Radar PCD cut inside the header or the points.
    let radar = fixture(RADAR);
    for cut in [5, 100, 400, 1000, 3000] {
        let e = PcdFile::parse(&radar[..cut], "radar");
        assert!(
            matches!(
                e,
                Err(SensorError::Truncated { .. } | SensorError::Malformed { .. })
            ),
            "cut {cut}: {e:?}"
        );
    }
    // info.json cut.
    let info = text(&fixture(INFO));
    for cut in [1, 1000, info.len() / 2, info.len() - 2] {
        assert!(matches!(
            InfoFile::parse(&info[..cut], "info"),
            Err(SensorError::Malformed { .. })
        ));
    }
    // Ouster metadata cut, pcap cut in the global header, a record header and a payload.
    let meta = text(&fixture(OS1_META));
    assert!(OusterMetadata::parse(&meta[..meta.len() / 2], "meta").is_err());
    let pcap = fixture(OS1_PCAP);
    for cut in [10, 24 + 8, 24 + 16 + 100, pcap.len() - 1] {
        assert!(
            matches!(
                read_all_pcap(&pcap[..cut]),
                Err(SensorError::Truncated { .. })
            ),
            "cut {cut}"
        );
    }
    assert_eq!(read_all_pcap(&pcap).unwrap(), 64);
    // A packet cut short.
    let d = os1_decoder();
    let payload = &pcap[24 + 16 + 42..24 + 16 + 6506];
    assert!(d.decode(payload, "p").is_ok());
    assert!(matches!(
        d.decode(&payload[..payload.len() - 1], "p"),
        Err(SensorError::Malformed { .. })
    ));
}

#[test]
fn corrupted_fixtures_never_panic_and_nan_points_are_counted() {
    // NaN coordinates in a real scan: skipped and counted.
    let mut bin = fixture("kitti/object/velodyne/000001.bin");
    let n = bin.len() / 16;
    for i in [0, 7, n / 2, n - 1] {
        bin[i * 16 + 4..i * 16 + 8].copy_from_slice(&f32::NAN.to_le_bytes());
    }
    let d = decode_float_records(&bin, FloatRecordLayout::Kitti, "b", "l", Timestamp(0)).unwrap();
    assert_eq!((d.cloud.len(), d.skipped), (n - 4, 4));
    // NaN radar position: skipped and counted.
    let mut radar = fixture(RADAR);
    let start = radar
        .windows(12)
        .position(|w| w == b"DATA binary\n")
        .unwrap()
        + 12;
    radar[start..start + 4].copy_from_slice(&f32::NAN.to_le_bytes());
    let p = PcdFile::parse(&radar, "radar").unwrap();
    let r = ars408_scan(&p, "r", Timestamp(0), "radar").unwrap();
    assert_eq!((r.scan.detections.len(), r.skipped), (124, 1));
    // Measurement id out of range in a real packet: a typed error.
    let pcap = fixture(OS1_PCAP);
    let mut payload = pcap[24 + 16 + 42..24 + 16 + 6506].to_vec();
    payload[8..10].copy_from_slice(&5000u16.to_le_bytes());
    assert!(matches!(
        os1_decoder().decode(&payload, "p"),
        Err(SensorError::Malformed { offset: 8, .. })
    ));
    // Flipped bytes at many offsets of every fixture.
    let decoder = os1_decoder();
    for rel in [
        "kitti/object/calib/000000.txt",
        "kitti/object/label_2/000000.txt",
        "kitti/demo-000008/000008.info.json",
        RADAR,
        OS1_META,
        "ouster/OS-1-128_v2.3.0_1024x10.json",
        "ouster/OS-0-32-U1_v2.2.0_1024x10-single-packet.pcap",
    ] {
        let original = fixture(rel);
        for k in 0..40 {
            let mut b = original.clone();
            let i = (k * 7919) % b.len();
            b[i] ^= 0xA5;
            feed_all(&b, &decoder);
        }
    }
}

/// Random cases per fuzz test; case `k` draws from the workspace generator seeded with `k`, so
/// a failure names the seed that reproduces it.
const CASES: u64 = 64;

/// Runs `case` for seeds `0..CASES`; a panic is reported with the seed of its case.
fn for_each_case(name: &str, case: impl Fn(&mut Xoshiro256StarStar)) {
    for seed in 0..CASES {
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            case(&mut Xoshiro256StarStar::seed_from_u64(seed))
        }));
        assert!(outcome.is_ok(), "{name}: case with seed {seed} panicked");
    }
}

/// Uniform integer in `0..n`.
fn below(rng: &mut Xoshiro256StarStar, n: usize) -> usize {
    (rng.next_u64() % n as u64) as usize
}

#[test]
fn arbitrary_bytes_never_panic() {
    for_each_case("arbitrary bytes", |rng| {
        let mut bytes = vec![0u8; below(rng, 2048)];
        rng.fill_bytes(&mut bytes);
        feed_all(&bytes, &os1_decoder());
    });
}

#[test]
fn arbitrary_text_never_panics() {
    const ALPHABET: &[u8] =
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_:. -\n{}[],\"";
    for_each_case("arbitrary text", |rng| {
        let text: Vec<u8> = (0..below(rng, 401))
            .map(|_| ALPHABET[below(rng, ALPHABET.len())])
            .collect();
        feed_all(&text, &os1_decoder());
    });
}

#[test]
fn mutated_headers_never_panic() {
    let decoder = os1_decoder();
    let fixtures: Vec<Vec<u8>> = [RADAR, OS1_PCAP]
        .into_iter()
        .map(|rel| {
            let mut b = fixture(rel);
            b.truncate(7000);
            b
        })
        .collect();
    for_each_case("mutated headers", |rng| {
        let (i, v) = (below(rng, 600), rng.next_u32() as u8);
        for original in &fixtures {
            let mut b = original.clone();
            let i = i % b.len();
            b[i] = v;
            feed_all(&b, &decoder);
        }
    });
}
