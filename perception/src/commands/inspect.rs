//! `kestrel inspect <path>`: what a sensor file or folder holds.
//!
//! An MCAP log gets a `ros2 bag info`-style summary (see `inspect_log`). Otherwise detects the
//! format from the path (KITTI object root, nuScenes keyframe folder, PandaSet sequence folder,
//! PCD, flat
//! `.bin` / `.pcd.bin` scans, PNG/JPEG, Ouster pcap + `--meta`) and prints one line per
//! message: a human summary, or with `--json` one JSON object per message with at least
//! `sensor`, `kind`, `timestamp_ns` and `points` / `detections` / `width`+`height`.

use kestrel_sensors::image_file::{image_dimensions, read_image_file};
use kestrel_sensors::kitti::{self, KittiObjectFrame};
use kestrel_sensors::lidar_bin::{DecodedCloud, FloatRecordLayout, read_float_records};
use kestrel_sensors::nuscenes::NuscenesSample;
use kestrel_sensors::nuscenes::radar::{ars408_scan, channel_and_time};
use kestrel_sensors::ouster::{metadata::OusterMetadata, read_pcap, xyz::XyzLut};
use kestrel_sensors::pandaset::PandasetSequence;
use kestrel_sensors::pcd::PcdFile;
use kestrel_sensors::projection::points_in_cameras;
use kestrel_sensors::{PointCloud, RadarScan, Rig, Timestamp};
use serde_json::{Map, Value, json};
use std::path::{Path, PathBuf};

/// Arguments of `kestrel inspect`.
#[derive(clap::Args)]
pub struct Args {
    /// File or folder to inspect.
    pub path: PathBuf,
    /// Print one JSON object per message instead of a human summary.
    #[arg(long)]
    pub json: bool,
    /// Ouster sensor metadata JSON (needed for Ouster pcap captures).
    #[arg(long)]
    pub meta: Option<PathBuf>,
}

/// The formats `inspect` recognises.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Format {
    KittiObject,
    Pandaset,
    KittiDemo(PathBuf),
    NuscenesSample,
    Pcap,
    Image,
    Pcd,
    NuscenesBin,
    KittiBin,
}

fn detect(path: &Path) -> Result<Format, String> {
    if path.is_dir() {
        if kitti::is_object_root(path) {
            return Ok(Format::KittiObject);
        }
        if NuscenesSample::is_sample_dir(path) {
            return Ok(Format::NuscenesSample);
        }
        if PandasetSequence::is_sequence_dir(path) {
            return Ok(Format::Pandaset);
        }
        if let Some(info) = kitti::demo_info_file(path) {
            return Ok(Format::KittiDemo(info));
        }
        return Err(format!(
            "{}: unknown folder layout (expected a KITTI object root with velodyne/ and calib/, a nuScenes folder with info.json, or a PandaSet sequence with sequence.json and lidar/)",
            path.display()
        ));
    }
    let mut head = [0u8; 16];
    let n = std::fs::File::open(path)
        .and_then(|mut f| std::io::Read::read(&mut f, &mut head))
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let head = &head[..n];
    let name = path
        .file_name()
        .and_then(|s| s.to_str())
        .unwrap_or_default();
    if [
        [0xd4, 0xc3, 0xb2, 0xa1],
        [0xa1, 0xb2, 0xc3, 0xd4],
        [0x4d, 0x3c, 0xb2, 0xa1],
        [0xa1, 0xb2, 0x3c, 0x4d],
    ]
    .iter()
    .any(|m| head.starts_with(m))
    {
        return Ok(Format::Pcap);
    }
    if head.starts_with(b"\x89PNG") || head.starts_with(&[0xff, 0xd8, 0xff]) {
        return Ok(Format::Image);
    }
    if head.starts_with(b"# .PCD") || head.starts_with(b"VERSION") || head.starts_with(b"FIELDS") {
        return Ok(Format::Pcd);
    }
    if name.ends_with(".pcd.bin") {
        return Ok(Format::NuscenesBin);
    }
    if name.ends_with(".bin") {
        return Ok(Format::KittiBin);
    }
    Err(format!(
        "{}: unknown format (not a pcap, PNG/JPEG, PCD, .pcd.bin or KITTI .bin, nor a known folder)",
        path.display()
    ))
}

type Record = Map<String, Value>;

fn base(sensor: &str, kind: &str, t: Timestamp) -> Record {
    let mut m = Map::new();
    m.insert("sensor".into(), json!(sensor));
    m.insert("kind".into(), json!(kind));
    m.insert("timestamp_ns".into(), json!(t.as_nanos()));
    m
}

fn round3(v: f32) -> f64 {
    (v as f64 * 1000.0).round() / 1000.0
}

fn lidar_record(d: &DecodedCloud, rig: Option<&Rig>) -> Result<Record, String> {
    let c: &PointCloud = &d.cloud;
    let mut m = base(&c.sensor, "lidar", c.timestamp);
    m.insert("points".into(), json!(c.len()));
    m.insert("skipped_points".into(), json!(d.skipped));
    if let Some((rmin, rmax, zmin, zmax)) = c.extent() {
        m.insert("range_m".into(), json!([round3(rmin), round3(rmax)]));
        m.insert("z_m".into(), json!([round3(zmin), round3(zmax)]));
    }
    if let Some(rig) = rig {
        let counts = points_in_cameras(rig, c).map_err(|e| e.to_string())?;
        let map: Map<String, Value> = counts.into_iter().map(|(k, v)| (k, json!(v))).collect();
        m.insert("points_in_camera".into(), Value::Object(map));
    }
    Ok(m)
}

fn camera_record(sensor: &str, t: Timestamp, (w, h): (u32, u32)) -> Record {
    let mut m = base(sensor, "camera", t);
    m.insert("width".into(), json!(w));
    m.insert("height".into(), json!(h));
    m
}

fn radar_record(scan: &RadarScan, skipped: usize) -> Record {
    let mut m = base(&scan.sensor, "radar", scan.timestamp);
    m.insert("detections".into(), json!(scan.detections.len()));
    m.insert("valid".into(), json!(scan.valid().count()));
    m.insert("skipped".into(), json!(skipped));
    let ranges = scan.detections.iter().map(|d| d.range());
    if let (Some(lo), Some(hi)) = (ranges.clone().reduce(f32::min), ranges.reduce(f32::max)) {
        m.insert("range_m".into(), json!([round3(lo), round3(hi)]));
    }
    let vmax = scan
        .detections
        .iter()
        .map(|d| d.radial_velocity.abs())
        .fold(0.0, f32::max);
    m.insert("max_radial_speed_mps".into(), json!(round3(vmax)));
    m
}

fn kitti_records(f: KittiObjectFrame) -> Result<Vec<Record>, String> {
    let d = DecodedCloud {
        cloud: f.cloud,
        skipped: f.skipped_points,
    };
    let mut lidar = lidar_record(&d, Some(&f.rig))?;
    lidar.insert("frame".into(), json!(f.id));
    lidar.insert("ground_truth_objects".into(), json!(f.ground_truth.len()));
    let mut cam = camera_record(
        &f.image.sensor,
        f.image.timestamp,
        (f.image.width, f.image.height),
    );
    cam.insert("frame".into(), json!(f.id));
    Ok(vec![lidar, cam])
}

fn inspect_kitti(root: &Path) -> Result<Vec<Record>, String> {
    let mut out = Vec::new();
    for id in kitti::frame_ids(root).map_err(|e| e.to_string())? {
        let f = KittiObjectFrame::load(root, &id).map_err(|e| e.to_string())?;
        out.extend(kitti_records(f)?);
    }
    Ok(out)
}

fn inspect_nuscenes(dir: &Path) -> Result<Vec<Record>, String> {
    let s = NuscenesSample::load(dir).map_err(|e| e.to_string())?;
    let mut lidar = lidar_record(&s.lidar().map_err(|e| e.to_string())?, Some(&s.rig))?;
    lidar.insert("ground_truth_objects".into(), json!(s.ground_truth.len()));
    let mut out = vec![lidar];
    for (name, cam) in &s.info.images {
        let t = kestrel_sensors::nuscenes::seconds_to_timestamp(cam.timestamp, name)
            .map_err(|e| e.to_string())?;
        let dims = image_dimensions(&dir.join(&cam.img_path)).map_err(|e| e.to_string())?;
        out.push(camera_record(name, t, dims));
    }
    out.sort_by_key(|r| r["timestamp_ns"].as_u64());
    Ok(out)
}

fn inspect_pandaset(dir: &Path) -> Result<Vec<Record>, String> {
    let s = PandasetSequence::open(dir).map_err(|e| e.to_string())?;
    let err = |e: kestrel_sensors::SensorError| e.to_string();
    let mut out = Vec::new();
    for (i, f) in s.frames().iter().enumerate() {
        let labels = s.labels(i).map_err(err)?;
        let mut lidar = lidar_record(&s.lidar(i).map_err(err)?, Some(s.rig()))?;
        lidar.insert("frame".into(), json!(f.id));
        lidar.insert("ground_truth_objects".into(), json!(labels.objects.len()));
        let within_50m = labels
            .objects
            .iter()
            .filter(|o| o.bbox.center.coords.xy().norm() <= 50.0)
            .count();
        lidar.insert("ground_truth_within_50m".into(), json!(within_50m));
        let o = s.odometry(i).map_err(err)?;
        let mut odom = base(&o.sensor, "odometry", o.timestamp);
        odom.insert("frame".into(), json!(f.id));
        odom.insert(
            "speed_mps".into(),
            json!(round3(o.linear_velocity.xy().norm() as f32)),
        );
        odom.insert("yaw_rate_rps".into(), json!(round3(o.yaw_rate() as f32)));
        let mut frame = Vec::new();
        for cam in s.camera_names() {
            let c = s.camera(i, cam).map_err(err)?;
            let mut m = camera_record(cam, c.timestamp, (c.width, c.height));
            m.insert("frame".into(), json!(f.id));
            frame.push(m);
        }
        frame.push(odom);
        frame.push(lidar);
        out.extend(frame);
    }
    Ok(out)
}

fn inspect_pcap(path: &Path, meta: Option<&Path>) -> Result<Vec<Record>, String> {
    let meta_path = meta.ok_or_else(|| {
        format!(
            "{}: a pcap capture needs the sensor metadata: --meta <json>",
            path.display()
        )
    })?;
    let meta = OusterMetadata::load(meta_path).map_err(|e| e.to_string())?;
    let cap = read_pcap(path, &meta).map_err(|e| e.to_string())?;
    let lut = XyzLut::new(&meta);
    let sensor = if meta.prod_line.is_empty() {
        "ouster".to_owned()
    } else {
        meta.prod_line.clone()
    };
    let mut out = Vec::new();
    for f in &cap.frames {
        let mut m = lidar_record(&f.to_point_cloud(&lut, &sensor), None)?;
        m.insert("frame_id".into(), json!(f.frame_id));
        m.insert("missing_columns".into(), json!(f.missing_columns));
        m.insert("beams".into(), json!(f.beams));
        m.insert("columns".into(), json!(f.columns));
        out.push(m);
    }
    if cap.bad_packets > 0 {
        tracing::warn!(
            "{}: {} packets did not decode; first: {}",
            path.display(),
            cap.bad_packets,
            cap.first_error.as_deref().unwrap_or_default()
        );
    }
    if out.is_empty() {
        return Err(format!(
            "{}: no lidar frame decoded ({} UDP datagrams, {} on other ports, {} bad: {})",
            path.display(),
            cap.pcap.udp,
            cap.other_port,
            cap.bad_packets,
            cap.first_error.unwrap_or_default()
        ));
    }
    Ok(out)
}

fn inspect_file(path: &Path, format: Format) -> Result<Vec<Record>, String> {
    let what = path.display().to_string();
    let (name, t) = channel_and_time(path).unwrap_or_else(|| ("sensor".to_owned(), Timestamp(0)));
    match format {
        Format::Image => {
            let f = read_image_file(path, &name, t).map_err(|e| e.to_string())?;
            Ok(vec![camera_record(
                &f.sensor,
                f.timestamp,
                (f.width, f.height),
            )])
        }
        Format::Pcd => {
            let pcd = PcdFile::load(path).map_err(|e| e.to_string())?;
            if pcd.field("vx_comp").is_some() {
                let r = ars408_scan(&pcd, &name, t, &what).map_err(|e| e.to_string())?;
                let mut m = radar_record(&r.scan, r.skipped);
                m.insert("trailing_bytes".into(), json!(r.trailing_bytes));
                Ok(vec![m])
            } else {
                Ok(vec![lidar_record(
                    &pcd.to_point_cloud(&name, t, &what)
                        .map_err(|e| e.to_string())?,
                    None,
                )?])
            }
        }
        Format::NuscenesBin => {
            let d = read_float_records(path, FloatRecordLayout::Nuscenes, &name, t)
                .map_err(|e| e.to_string())?;
            Ok(vec![lidar_record(&d, None)?])
        }
        Format::KittiBin => {
            let d = read_float_records(path, FloatRecordLayout::Kitti, kitti::calib::LIDAR, t)
                .map_err(|e| e.to_string())?;
            Ok(vec![lidar_record(&d, None)?])
        }
        Format::KittiObject
        | Format::KittiDemo(_)
        | Format::NuscenesSample
        | Format::Pandaset
        | Format::Pcap => Err(format!("{what}: not a single-message file")),
    }
}

/// The records `inspect` prints for `path`, in order.
fn inspect(path: &Path, meta: Option<&Path>) -> Result<Vec<Record>, String> {
    match detect(path)? {
        Format::KittiObject => inspect_kitti(path),
        Format::KittiDemo(info) => {
            kitti_records(KittiObjectFrame::load_demo(&info).map_err(|e| e.to_string())?)
        }
        Format::NuscenesSample => inspect_nuscenes(path),
        Format::Pandaset => inspect_pandaset(path),
        Format::Pcap => inspect_pcap(path, meta),
        other => inspect_file(path, other),
    }
}

fn human(r: &Record) -> String {
    let mut s = format!(
        "{:<16} {:<6} t={}",
        r["sensor"].as_str().unwrap_or_default(),
        r["kind"].as_str().unwrap_or_default(),
        Timestamp(r["timestamp_ns"].as_u64().unwrap_or(0))
    );
    for (k, v) in r
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "sensor" | "kind" | "timestamp_ns"))
    {
        s.push_str(&format!(" {k}={v}"));
    }
    s
}

/// Runs `kestrel inspect`.
pub fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    if super::inspect_log::is_mcap(&args.path) {
        return super::inspect_log::run(&args.path, args.json);
    }
    let records = inspect(&args.path, args.meta.as_deref())?;
    for r in &records {
        if args.json {
            println!("{}", serde_json::to_string(r)?);
        } else {
            println!("{}", human(r));
        }
    }
    Ok(())
}
