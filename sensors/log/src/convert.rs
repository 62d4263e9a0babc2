//! Dataset -> MCAP converters: turn the KITTI, nuScenes, Ouster and PandaSet fixtures (or full
//! datasets in the same layouts) into replayable Kestrel logs.
//!
//! Every converter loads messages with the `kestrel_sensors` adapters, writes them in
//! timestamp order (ties: sensor name) on the rig's topics ([`default_topic`] per sensor,
//! stored in the rig), and stores the rig as MCAP metadata so replay recovers calibration.
//! Camera frames are written raw, PNG or JPEG ([`ImageFormat`]), each with its `CameraInfo`.

use crate::camera_image::ImageFormat;
use crate::error::LogError;
use crate::mcap_writer::{CameraFilter, GROUND_TRUTH_TOPIC, LogWriter, default_topic, topic_for};
use kestrel_sensors::kitti::{self, KittiObjectFrame};
use kestrel_sensors::nuscenes::NuscenesSample;
use kestrel_sensors::nuscenes::radar::read_radar_pcd;
use kestrel_sensors::ouster::metadata::OusterMetadata;
use kestrel_sensors::ouster::read_pcap;
use kestrel_sensors::ouster::xyz::XyzLut;
use kestrel_sensors::pandaset::PandasetSequence;
use kestrel_sensors::{Rig, SensorMessage, Timestamp};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// KITTI object frames carry no time: frame `k` (in id order) is stamped `k * KITTI_PERIOD_NS`
/// (the Velodyne's 10 Hz), camera and LiDAR alike.
pub const KITTI_PERIOD_NS: u64 = 100_000_000;

/// Name of the Ouster LiDAR in converted logs (no rig is written: its mounting is unknown).
pub const OUSTER_SENSOR: &str = "ouster";

/// What a conversion wrote and dropped.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConvertSummary {
    /// Messages written per topic.
    pub messages_per_topic: BTreeMap<String, u64>,
    /// Points / detections the adapters dropped (non-finite values, bad rings, ...).
    pub skipped_points: usize,
    /// Human-readable notes on anything degraded (e.g. frames whose calibration differs from
    /// the rig's, undecodable packets).
    pub notes: Vec<String>,
}

/// Sets each rig sensor without a topic to its [`default_topic`].
pub fn with_default_topics(mut rig: Rig) -> Rig {
    for s in &mut rig.sensors {
        if s.topic.is_none() {
            s.topic = Some(default_topic(&s.name, s.kind.name()));
        }
    }
    rig
}

/// How a converter writes: the image format and an optional filter of every camera frame
/// (e.g. `kestrel convert --anonymise`). An [`ImageFormat`] alone converts into options.
#[derive(Default)]
pub struct ConvertOptions {
    /// How camera frames are written.
    pub images: ImageFormat,
    /// Applied to every camera frame before it is written.
    pub camera_filter: Option<Box<dyn CameraFilter>>,
}

impl From<ImageFormat> for ConvertOptions {
    fn from(images: ImageFormat) -> Self {
        Self {
            images,
            camera_filter: None,
        }
    }
}

fn writer(out: &Path, rig: Option<&Rig>, options: ConvertOptions) -> Result<LogWriter, LogError> {
    let w = LogWriter::create(out, rig)?.with_image_format(options.images);
    Ok(match options.camera_filter {
        Some(f) => w.with_camera_filter(f),
        None => w,
    })
}

/// Writes `msgs` (sorted by timestamp, then sensor) to `out` with `rig` as metadata, camera
/// frames per `options`.
fn write_log(
    out: &Path,
    rig: Option<&Rig>,
    mut msgs: Vec<SensorMessage>,
    mut summary: ConvertSummary,
    options: ConvertOptions,
) -> Result<ConvertSummary, LogError> {
    msgs.sort_by(|a, b| (a.timestamp(), a.sensor()).cmp(&(b.timestamp(), b.sensor())));
    let mut w = writer(out, rig, options)?;
    for m in &msgs {
        w.write_sensor(&topic_for(rig, m), m)?;
    }
    summary.messages_per_topic = w.finish()?.messages_per_topic;
    Ok(summary)
}

/// The messages the KITTI converter writes for an object root, with the rig (the first
/// frame's calibration of the two delivered sensors, `velodyne` and `cam2`, topics set): per
/// frame the Velodyne scan and the left colour image,
/// stamped per [`KITTI_PERIOD_NS`].
pub fn kitti_messages(root: &Path) -> Result<(Rig, Vec<SensorMessage>, ConvertSummary), LogError> {
    let mut summary = ConvertSummary::default();
    let mut rig: Option<Rig> = None;
    let mut msgs = Vec::new();
    let ids = kitti::frame_ids(root)?;
    for (k, id) in ids.iter().enumerate() {
        let mut f = KittiObjectFrame::load(root, id)?;
        let t = Timestamp(k as u64 * KITTI_PERIOD_NS);
        f.cloud.timestamp = t;
        f.image.timestamp = t;
        summary.skipped_points += f.skipped_points;
        let mut frame_rig = with_default_topics(f.rig);
        // Only the delivered sensors: a rig camera without images would read as missing.
        frame_rig
            .sensors
            .retain(|s| s.name == kitti::calib::LIDAR || s.name == kitti::calib::CAMERAS[2]);
        match &rig {
            None => rig = Some(frame_rig),
            Some(r) if frame_rig != *r => summary.notes.push(format!(
                "frame {id}: calibration differs from the rig's (frame {}); the rig keeps the first",
                ids[0]
            )),
            Some(_) => {}
        }
        msgs.push(SensorMessage::Lidar(f.cloud));
        msgs.push(SensorMessage::Camera(f.image));
    }
    let rig = rig.ok_or_else(|| {
        LogError::Sensor(kestrel_sensors::SensorError::malformed(
            root.display().to_string(),
            0,
            "no frames in velodyne/",
        ))
    })?;
    Ok((rig, msgs, summary))
}

/// Converts a KITTI object root (`velodyne/`, `image_2/`, `calib/`) to an MCAP log, images
/// written per `options`.
pub fn kitti_to_mcap(
    root: &Path,
    out: &Path,
    options: impl Into<ConvertOptions>,
) -> Result<ConvertSummary, LogError> {
    let (rig, msgs, summary) = kitti_messages(root)?;
    write_log(out, Some(&rig), msgs, summary, options.into())
}

/// The messages the nuScenes converter writes for a keyframe folder (LIDAR_TOP sweep and the
/// six camera images, each at its own time) plus the given radar PCD files (sensor and time
/// from the file name; the radars are not in the sample's rig), with the rig (topics set).
pub fn nuscenes_messages(
    sample_dir: &Path,
    radar_pcds: &[PathBuf],
) -> Result<(Rig, Vec<SensorMessage>, ConvertSummary), LogError> {
    let mut summary = ConvertSummary::default();
    let sample = NuscenesSample::load(sample_dir)?;
    let lidar = sample.lidar()?;
    summary.skipped_points += lidar.skipped;
    let mut msgs = vec![SensorMessage::Lidar(lidar.cloud)];
    for name in sample.camera_names() {
        msgs.push(SensorMessage::Camera(sample.camera(name)?));
    }
    for path in radar_pcds {
        let radar = read_radar_pcd(path)?;
        summary.skipped_points += radar.skipped;
        if radar.trailing_bytes > 0 {
            summary.notes.push(format!(
                "{}: {} bytes after the points ignored",
                path.display(),
                radar.trailing_bytes
            ));
        }
        msgs.push(SensorMessage::Radar(radar.scan));
    }
    Ok((with_default_topics(sample.rig), msgs, summary))
}

/// Converts a nuScenes keyframe folder (and optional radar PCDs) to an MCAP log, images
/// written per `options`.
pub fn nuscenes_to_mcap(
    sample_dir: &Path,
    radar_pcds: &[PathBuf],
    out: &Path,
    options: impl Into<ConvertOptions>,
) -> Result<ConvertSummary, LogError> {
    let (rig, msgs, summary) = nuscenes_messages(sample_dir, radar_pcds)?;
    write_log(out, Some(&rig), msgs, summary, options.into())
}

/// The frames of an Ouster pcap (sensor metadata JSON `meta`) as clouds of
/// [`OUSTER_SENSOR`] (Ouster sensor frame, sensor clock).
pub fn ouster_messages(
    pcap: &Path,
    meta: &Path,
) -> Result<(Vec<SensorMessage>, ConvertSummary), LogError> {
    let meta = OusterMetadata::load(meta)?;
    let capture = read_pcap(pcap, &meta)?;
    let lut = XyzLut::new(&meta);
    let mut summary = ConvertSummary::default();
    if capture.bad_packets > 0 {
        summary.notes.push(format!(
            "{} lidar packets did not decode (first: {})",
            capture.bad_packets,
            capture.first_error.as_deref().unwrap_or("?")
        ));
    }
    let msgs = capture
        .frames
        .iter()
        .map(|f| {
            let decoded = f.to_point_cloud(&lut, OUSTER_SENSOR);
            summary.skipped_points += decoded.skipped;
            SensorMessage::Lidar(decoded.cloud)
        })
        .collect();
    Ok((msgs, summary))
}

/// Converts an Ouster pcap capture with its metadata JSON to an MCAP log (no rig).
pub fn ouster_to_mcap(pcap: &Path, meta: &Path, out: &Path) -> Result<ConvertSummary, LogError> {
    let (msgs, summary) = ouster_messages(pcap, meta)?;
    write_log(out, None, msgs, summary, ImageFormat::Raw.into())
}

/// Converts a PandaSet sequence folder to an MCAP log, frame by frame in time order: the
/// camera images (per `options`, each with its `CameraInfo`), the ego odometry
/// (`nav_msgs/Odometry` on `/kestrel/ego/odom`, world frame), the motion-compensated sweep, and
/// the frame's labels in the vehicle frame on [`GROUND_TRUTH_TOPIC`] (all at their own
/// stamps). The rig (topics set) is stored in the log.
pub fn pandaset_to_mcap(
    root: &Path,
    out: &Path,
    options: impl Into<ConvertOptions>,
) -> Result<ConvertSummary, LogError> {
    let sequence = PandasetSequence::open(root)?;
    let rig = with_default_topics(sequence.rig().clone());
    let mut summary = ConvertSummary::default();
    let mut w = writer(out, Some(&rig), options.into())?;
    let mut last = None;
    for (i, frame) in sequence.frames().iter().enumerate() {
        let lidar = sequence.lidar(i)?;
        summary.skipped_points += lidar.skipped;
        let mut msgs = vec![
            SensorMessage::Lidar(lidar.cloud),
            SensorMessage::Odometry(sequence.odometry(i)?),
        ];
        for cam in sequence.camera_names() {
            msgs.push(SensorMessage::Camera(sequence.camera(i, cam)?));
        }
        msgs.sort_by(|a, b| (a.timestamp(), a.sensor()).cmp(&(b.timestamp(), b.sensor())));
        if let (Some(prev), Some(first)) = (last, msgs.first())
            && first.timestamp() <= prev
        {
            summary.notes.push(format!(
                "frame {}: a message precedes the previous sweep; the log is out of time order there",
                frame.id
            ));
        }
        for m in &msgs {
            w.write_sensor(&topic_for(Some(&rig), m), m)?;
        }
        w.write_labels(GROUND_TRUTH_TOPIC, &sequence.labels(i)?)?;
        last = Some(frame.lidar_time);
    }
    summary.messages_per_topic = w.finish()?.messages_per_topic;
    Ok(summary)
}
