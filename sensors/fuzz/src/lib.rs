//! Fuzz targets for every parser that takes outside bytes, with their seed corpora.
//!
//! Each [`Target`] feeds arbitrary bytes to one parser (and to what consumes its result, e.g.
//! a parsed PCD into a point cloud), and knows its seeds: small real inputs made from the
//! shipped fixtures. The same table serves three users:
//!
//! - `sensors/fuzz/afl` (outside the workspace: it needs `cargo afl build`) wraps each target
//!   in AFL++'s persistent loop; `sensors/fuzz/run.sh` writes the seeds with the
//!   `fuzz-seeds` binary, fuzzes every target and records executions and findings in
//!   `sensors/fuzz/RESULTS.md`;
//! - `tests/regressions.rs` runs every seed and every saved crash input
//!   (`sensors/fuzz/regressions/<target>/`) through its target in a plain `cargo test`.
//!
//! A target passes when it returns: parsers answer bad bytes with typed errors, never panics,
//! aborts, unbounded allocations or endless loops.

use kestrel_fusion::lidar::shape_classifier::ShapeClassifier;
use kestrel_fusion::lidar::shape_features::ShapeFeatures;
use kestrel_log::camera_info::intrinsics_to_camera_info;
use kestrel_log::mcap_writer::topic_for;
use kestrel_log::msg_schema::Schema;
use kestrel_log::ros2_msg::definitions::ALL;
use kestrel_log::ros2_msg::sensor_msgs::CameraInfo;
use kestrel_log::ros2_msg::{RosMessage, full_definition};
use kestrel_log::sensor_cdr::{self, WireType};
use kestrel_log::{LogWriter, RawLogReader, SensorLogReader};
use kestrel_models::ModelManifest;
use kestrel_sensors::image_file::decode_image;
use kestrel_sensors::kitti::calib::KittiCalib;
use kestrel_sensors::kitti::labels::parse_labels;
use kestrel_sensors::lidar_bin::{FloatRecordLayout, decode_float_records};
use kestrel_sensors::nuscenes::info::InfoFile;
use kestrel_sensors::nuscenes::radar::ars408_scan;
use kestrel_sensors::ouster::metadata::OusterMetadata;
use kestrel_sensors::ouster::packet::PacketDecoder;
use kestrel_sensors::ouster::pcap::PcapReader;
use kestrel_sensors::pandaset::cuboid_labels::parse_cuboids;
use kestrel_sensors::pcd::PcdFile;
use kestrel_sensors::{
    CameraFrame, Odometry, PixelEncoding, Rig, SensorKind, SensorMessage, Timestamp,
};
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Seed inputs, or why the fixtures they are made from could not be read.
pub type Seeds = Result<Vec<Vec<u8>>, Box<dyn std::error::Error>>;

/// One fuzz target: a parser fed arbitrary bytes, and its seeds.
pub struct Target {
    /// Name on the command line and of the corpus and regression folders.
    pub name: &'static str,
    /// What the target parses.
    pub what: &'static str,
    /// Feeds `bytes` to the parser; returns normally on any input.
    pub run: fn(&[u8]),
    /// The seed inputs, made from the shipped fixtures.
    pub seeds: fn() -> Seeds,
}

/// Every target.
pub const TARGETS: &[Target] = &[
    Target {
        name: "pcd",
        what: "PCD files (ascii, binary, binary_compressed) into LiDAR clouds and ARS408 radar scans",
        run: pcd,
        seeds: pcd_seeds,
    },
    Target {
        name: "kitti_bin",
        what: "KITTI and nuScenes float-record LiDAR scans",
        run: kitti_bin,
        seeds: kitti_bin_seeds,
    },
    Target {
        name: "kitti_calib",
        what: "KITTI calibration files into rigs",
        run: kitti_calib,
        seeds: || Ok(vec![fixture("kitti/object/calib/000000.txt")?]),
    },
    Target {
        name: "kitti_labels",
        what: "KITTI label files",
        run: kitti_labels,
        seeds: || Ok(vec![fixture("kitti/object/label_2/000000.txt")?]),
    },
    Target {
        name: "ouster_packet",
        what: "Ouster LiDAR UDP packets (OS-1-32, legacy profile)",
        run: ouster_packet,
        seeds: ouster_packet_seeds,
    },
    Target {
        name: "ouster_pcap",
        what: "pcap captures of Ouster packets",
        run: ouster_pcap,
        seeds: || {
            Ok(vec![fixture(
                "ouster/OS-0-32-U1_v2.2.0_1024x10-single-packet.pcap",
            )?])
        },
    },
    Target {
        name: "ouster_metadata",
        what: "Ouster sensor metadata JSON into packet decoders",
        run: ouster_metadata,
        seeds: || {
            Ok(OUSTER_METADATA
                .iter()
                .map(|m| fixture(m))
                .collect::<Result<_, _>>()?)
        },
    },
    Target {
        name: "mcap",
        what: "MCAP logs (indexed and streamed) into sensor messages",
        run: mcap,
        seeds: mcap_seeds,
    },
    Target {
        name: "sensor_cdr",
        what: "ROS 2 input messages (Image, CompressedImage, PointCloud2, Odometry, CameraInfo) from CDR; first byte picks the type",
        run: sensor_cdr_messages,
        seeds: sensor_cdr_seeds,
    },
    Target {
        name: "ros2msg",
        what: "ros2msg schema text, then a CDR payload decoded by it (NUL between the two)",
        run: ros2msg,
        seeds: ros2msg_seeds,
    },
    Target {
        name: "rig_toml",
        what: "rig TOML files",
        run: rig_toml,
        seeds: rig_toml_seeds,
    },
    Target {
        name: "model_manifest",
        what: "model manifests (TOML)",
        run: model_manifest,
        seeds: || Ok(vec![repo_file("models/zoo/kestrel-student-v3/model.toml")?]),
    },
    Target {
        name: "shape_classifier",
        what: "LiDAR shape classifier files (TOML), then a verdict on fixed descriptors",
        run: shape_classifier,
        seeds: || {
            Ok(vec![repo_file(
                "models/zoo/kestrel-lidar-shape-v1/classifier.toml",
            )?])
        },
    },
    Target {
        name: "pandaset_cuboids",
        what: "PandaSet cuboid labels (JSON lines)",
        run: pandaset_cuboids,
        seeds: pandaset_cuboid_seeds,
    },
    Target {
        name: "nuscenes_info",
        what: "nuScenes sample info JSON",
        run: nuscenes_info,
        seeds: nuscenes_info_seeds,
    },
    Target {
        name: "image",
        what: "PNG and JPEG camera images",
        run: image,
        seeds: image_seeds,
    },
];

/// The target named `name`.
pub fn target(name: &str) -> Option<&'static Target> {
    TARGETS.iter().find(|t| t.name == name)
}

const OUSTER_METADATA: [&str; 3] = [
    "ouster/OS-1-32-G_v2.1.1_1024x10.json",
    "ouster/OS-1-128_v2.3.0_1024x10.json",
    "ouster/OS-0-32-U1_v2.2.0_1024x10.json",
];

/// A file of the repository, by its path from the repository root.
pub fn repo_file(rel: &str) -> std::io::Result<Vec<u8>> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(rel);
    std::fs::read(&path)
        .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", path.display())))
}

/// A shipped fixture, by its path under `sensors/testdata`.
fn fixture(rel: &str) -> std::io::Result<Vec<u8>> {
    repo_file(&format!("sensors/testdata/{rel}"))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn pcd(bytes: &[u8]) {
    if let Ok(p) = PcdFile::parse(bytes, "pcd") {
        let _ = p.to_point_cloud("lidar", Timestamp(0), "pcd");
        let _ = ars408_scan(&p, "radar", Timestamp(0), "pcd");
    }
}

fn pcd_seeds() -> Seeds {
    let radar = fixture(
        "nuscenes/radar/n015-2018-07-25-16-15-50+0800__RADAR_BACK_LEFT__1532506682462345.pcd",
    )?;
    // A PandaSet sweep cut to its header and first points.
    let mut sweep = fixture("pandaset/seq002-36-55/lidar/36.pcd")?;
    sweep.truncate(2048);
    let ascii = b"VERSION 0.7\nFIELDS x y z intensity\nSIZE 4 4 4 4\nTYPE F F F F\n\
        COUNT 1 1 1 1\nWIDTH 2\nHEIGHT 1\nVIEWPOINT 0 0 0 1 0 0 0\nPOINTS 2\nDATA ascii\n\
        1.0 2.0 0.5 10\n-3.5 0.25 1.0 200\n"
        .to_vec();
    Ok(vec![radar, sweep, ascii])
}

fn kitti_bin(bytes: &[u8]) {
    for layout in [FloatRecordLayout::Kitti, FloatRecordLayout::Nuscenes] {
        let _ = decode_float_records(bytes, layout, "bin", "lidar", Timestamp(0));
    }
}

fn kitti_bin_seeds() -> Seeds {
    let mut scan = fixture("kitti/object/velodyne/000000.bin")?;
    scan.truncate(16 * 64);
    Ok(vec![scan])
}

fn kitti_calib(bytes: &[u8]) {
    if let Ok(c) = KittiCalib::parse(&text(bytes), "calib") {
        let _ = c.rig(1242, 375);
    }
}

fn kitti_labels(bytes: &[u8]) {
    let _ = parse_labels(&text(bytes), "label");
}

/// The OS-1-32 decoder of the packet target, made once (`None`: its metadata is unreadable,
/// which the seeds report).
fn os1_decoder() -> Option<&'static PacketDecoder> {
    static DECODER: OnceLock<Option<PacketDecoder>> = OnceLock::new();
    DECODER
        .get_or_init(|| {
            let meta = fixture(OUSTER_METADATA[0]).ok()?;
            let meta = OusterMetadata::parse(&text(&meta), "meta").ok()?;
            PacketDecoder::new(&meta).ok()
        })
        .as_ref()
}

fn ouster_packet(bytes: &[u8]) {
    if let Some(decoder) = os1_decoder() {
        let _ = decoder.decode(bytes, "packet");
    }
}

fn ouster_packet_seeds() -> Seeds {
    os1_decoder().ok_or("the OS-1-32 metadata fixture makes no packet decoder")?;
    let pcap = fixture("ouster/OS-1-32-G_v2.1.1_1024x10.pcap")?;
    let mut reader = PcapReader::new(pcap.as_slice(), "pcap")?;
    let datagram = reader
        .next_datagram()?
        .ok_or("the pcap fixture has no packet")?;
    Ok(vec![datagram.payload])
}

fn ouster_pcap(bytes: &[u8]) {
    let Ok(mut r) = PcapReader::new(bytes, "pcap") else {
        return;
    };
    while let Ok(Some(_)) = r.next_datagram() {}
}

fn ouster_metadata(bytes: &[u8]) {
    if let Ok(m) = OusterMetadata::parse(&text(bytes), "meta") {
        let _ = PacketDecoder::new(&m);
    }
}

/// At most this many entries are read from one fuzzed log.
const MAX_LOG_ENTRIES: usize = 10_000;

fn mcap(bytes: &[u8]) {
    let path = Path::new("fuzz.mcap");
    let Ok(raw) = RawLogReader::new(path, Cursor::new(bytes), bytes.len() as u64) else {
        return;
    };
    if let Ok(reader) = SensorLogReader::new(raw, None) {
        for _ in reader.take(MAX_LOG_ENTRIES) {}
    }
}

/// Small real messages: the KITTI fixture's rig, 64 points of its first scan, a 16 x 8 crop
/// of its first image and an odometry sample.
type Small = Result<(Rig, Vec<SensorMessage>, CameraInfo), Box<dyn std::error::Error>>;

fn small_messages() -> Small {
    let calib = KittiCalib::parse(&text(&fixture("kitti/object/calib/000000.txt")?), "calib")?;
    let rig = calib.rig(16, 8)?;
    let camera = rig
        .sensors
        .iter()
        .find_map(|s| match &s.kind {
            SensorKind::Camera { intrinsics } => Some((s.name.clone(), *intrinsics)),
            _ => None,
        })
        .ok_or("the KITTI rig has no camera")?;
    let lidar = rig
        .sensors
        .iter()
        .find(|s| matches!(s.kind, SensorKind::Lidar { .. }))
        .map(|s| s.name.clone())
        .ok_or("the KITTI rig has no LiDAR")?;
    let mut scan = fixture("kitti/object/velodyne/000000.bin")?;
    scan.truncate(16 * 64);
    let cloud = decode_float_records(&scan, FloatRecordLayout::Kitti, "bin", &lidar, Timestamp(1))?;
    let png = fixture("kitti/object/image_2/000000.png")?;
    let image = decode_image(&png, "png", &camera.0, Timestamp(2))?;
    let crop: Vec<u8> = (0..8)
        .flat_map(|row| {
            let start = row * image.width as usize * 3;
            image.data[start..start + 16 * 3].to_vec()
        })
        .collect();
    let frame = CameraFrame::new(&camera.0, Timestamp(2), 16, 8, PixelEncoding::Rgb8, crop)?;
    let info = intrinsics_to_camera_info(&camera.1, Timestamp(2), &camera.0);
    let odometry = Odometry {
        sensor: "ego".into(),
        timestamp: Timestamp(3),
        frame_id: "odom".into(),
        pose: None,
        linear_velocity: [5.0, 0.1, 0.0].into(),
        angular_velocity: [0.0, 0.0, 0.05].into(),
    };
    let messages = vec![
        SensorMessage::Lidar(cloud.cloud),
        SensorMessage::Camera(frame),
        SensorMessage::Odometry(odometry),
    ];
    Ok((rig, messages, info))
}

fn mcap_seeds() -> Seeds {
    let (rig, messages, _) = small_messages()?;
    let path: PathBuf =
        std::env::temp_dir().join(format!("kestrel-fuzz-seed-{}.mcap", std::process::id()));
    let mut w = LogWriter::create(&path, Some(&rig))?;
    for m in &messages {
        w.write_sensor(&topic_for(Some(&rig), m), m)?;
    }
    w.finish()?;
    let bytes = std::fs::read(&path)?;
    std::fs::remove_file(&path).ok();
    Ok(vec![bytes])
}

/// The types of the CDR target, by the input's first byte (modulo their number).
const CDR_TYPES: [&str; 5] = [
    "sensor_msgs/msg/Image",
    "sensor_msgs/msg/CompressedImage",
    "sensor_msgs/msg/PointCloud2",
    "nav_msgs/msg/Odometry",
    "sensor_msgs/msg/CameraInfo",
];

fn sensor_cdr_messages(bytes: &[u8]) {
    let Some((&first, cdr)) = bytes.split_first() else {
        return;
    };
    let name = CDR_TYPES[usize::from(first) % CDR_TYPES.len()];
    match WireType::of_name(name) {
        Some(ty) => {
            let _ = sensor_cdr::decode(ty, "sensor", "/topic", cdr);
        }
        None => {
            let _ = CameraInfo::from_cdr(cdr);
        }
    }
}

fn sensor_cdr_seeds() -> Seeds {
    let (_, messages, info) = small_messages()?;
    let mut seeds = Vec::new();
    for m in &messages {
        let ty = WireType::of_message(m);
        let index = match ty {
            WireType::Image => 0u8,
            WireType::CompressedImage => 1,
            WireType::PointCloud2 { .. } => 2,
            WireType::Odometry => 3,
        };
        let mut seed = vec![index];
        seed.extend(sensor_cdr::encode(ty, m)?);
        seeds.push(seed);
    }
    let mut seed = vec![4u8];
    seed.extend(info.to_cdr()?);
    seeds.push(seed);
    Ok(seeds)
}

fn ros2msg(bytes: &[u8]) {
    let split = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    let (schema_text, payload) = bytes.split_at(split);
    let payload = payload.get(1..).unwrap_or_default();
    if let Ok(schema) = Schema::parse("fuzz_msgs/msg/Fuzz", &text(schema_text)) {
        let _ = kestrel_log::dynamic_decode::decode(&schema, payload);
    }
}

fn ros2msg_seeds() -> Seeds {
    let cdr: std::collections::BTreeMap<&str, Vec<u8>> = sensor_cdr_seeds()?
        .into_iter()
        .map(|s| (CDR_TYPES[usize::from(s[0])], s[1..].to_vec()))
        .collect();
    Ok(ALL
        .iter()
        .map(|def| {
            let mut seed = full_definition(def).into_bytes();
            seed.push(0);
            if let Some(payload) = cdr.get(def.name) {
                seed.extend(payload);
            }
            seed
        })
        .collect())
}

fn rig_toml(bytes: &[u8]) {
    if let Ok(rig) = Rig::from_toml_str(&text(bytes)) {
        let _ = rig.to_toml_string();
    }
}

fn rig_toml_seeds() -> Seeds {
    let (rig, _, _) = small_messages()?;
    Ok(vec![rig.to_toml_string()?.into_bytes()])
}

fn model_manifest(bytes: &[u8]) {
    let _ = ModelManifest::from_toml(&text(bytes), Path::new("model.toml"));
}

fn shape_classifier(bytes: &[u8]) {
    if let Ok(c) = ShapeClassifier::from_toml(&text(bytes), Path::new("classifier.toml")) {
        let f = ShapeFeatures {
            values: [4.4, 1.8, 1.5, 0.2, 0.9, 0.4, 0.3, 6.0, 2.7],
        };
        let _ = c.verdict(&f);
    }
}

fn pandaset_cuboids(bytes: &[u8]) {
    let _ = parse_cuboids(&text(bytes), "cuboids");
}

fn pandaset_cuboid_seeds() -> Seeds {
    let all = text(&fixture("pandaset/seq002-36-55/cuboids/36.jsonl")?);
    Ok(vec![
        all.lines()
            .take(8)
            .collect::<Vec<_>>()
            .join("\n")
            .into_bytes(),
    ])
}

fn nuscenes_info(bytes: &[u8]) {
    let _ = InfoFile::parse(&text(bytes), "info");
}

/// The shipped info file with 3 of its instances and no per-camera instances (which the
/// parser skips): 4 KB instead of 87 KB, so that AFL++ mutates what is parsed.
fn nuscenes_info_seeds() -> Seeds {
    // Python's json writes NaN, which serde_json reads only as a string stand-in.
    let info = text(&fixture("nuscenes/sample-n015-2018-07-24/info.json")?);
    let mut json: serde_json::Value = serde_json::from_str(&info.replace("NaN", "\"NaN\""))?;
    let samples = json["data_list"]
        .as_array_mut()
        .ok_or("info.json has no data_list")?;
    for sample in samples {
        let sample = sample
            .as_object_mut()
            .ok_or("a data_list entry is no object")?;
        sample.remove("cam_instances");
        if let Some(instances) = sample.get_mut("instances").and_then(|v| v.as_array_mut()) {
            instances.truncate(3);
        }
    }
    Ok(vec![
        json.to_string().replace("\"NaN\"", "NaN").into_bytes(),
    ])
}

fn image(bytes: &[u8]) {
    let _ = decode_image(bytes, "image", "camera", Timestamp(0));
}

fn image_seeds() -> Seeds {
    let (_, messages, _) = small_messages()?;
    let frame = messages
        .iter()
        .find_map(|m| match m {
            SensorMessage::Camera(f) => Some(f),
            _ => None,
        })
        .ok_or("no camera frame among the small messages")?;
    let rgb = image::RgbImage::from_raw(frame.width, frame.height, frame.data.to_vec())
        .ok_or("camera frame of the wrong size")?;
    let mut seeds = Vec::new();
    for format in [image::ImageFormat::Png, image::ImageFormat::Jpeg] {
        let mut out = Cursor::new(Vec::new());
        rgb.write_to(&mut out, format)?;
        seeds.push(out.into_inner());
    }
    Ok(seeds)
}
