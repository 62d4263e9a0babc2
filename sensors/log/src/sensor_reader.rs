//! Turns a ROS 2 MCAP log into Kestrel [`SensorMessage`]s.
//!
//! A topic maps to a sensor by its message type: `sensor_msgs/Image` and
//! `sensor_msgs/CompressedImage` -> camera, `sensor_msgs/PointCloud2` -> LiDAR, or radar when
//! the rig says so or the cloud has radar fields (see [`crate::point_cloud2`]). The sensor name
//! is the rig sensor whose `topic` is the channel's topic; without one, the message's
//! `header.frame_id`; without that, the topic with `/` replaced by `_`. The rig is the one given
//! to [`SensorLogReader::open`], else the one stored in the log (see [`crate::mcap_writer`]).
//!
//! A rig sensor's topic also claims its image_transport `<topic>/compressed` and its sibling
//! `camera_info` topic (see [`crate::camera_info::camera_info_topic`]).
//!
//! `nav_msgs/Odometry` -> [`SensorMessage::Odometry`], named by [`odometry_source_name`].
//!
//! `sensor_msgs/CameraInfo` messages are not sensor messages: each is decoded into the
//! camera's [`CameraIntrinsics`] (latest per sensor, [`SensorLogReader::camera_intrinsics`])
//! and counted in [`ReadStats::camera_info`]. Topics of other types are skipped and counted
//! per topic; a message that fails to decode yields an error for that message and reading
//! goes on.

use crate::camera_image::compressed_topic;
use crate::camera_info::{camera_info_to_intrinsics, camera_info_topic};
use crate::error::LogError;
use crate::mcap_reader::{RawLogReader, RawMessage};
use crate::mcap_writer::{RIG_METADATA_KEY, RIG_METADATA_NAME};
use crate::msg_schema::normalize_type_name;
use crate::ros2_msg::RosMessage;
use crate::ros2_msg::sensor_msgs::CameraInfo;
use crate::sensor_cdr::{WireType, decode_named};
use kestrel_sensors::{
    CameraIntrinsics, Rig, SensorError, SensorKind, SensorMessage, SensorSpec, Timestamp,
};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufReader, Read, Seek};
use std::path::Path;

/// One sensor message read from a log.
#[derive(Debug, Clone, PartialEq)]
pub struct SensorLogEntry {
    /// When the recorder logged it, ns (the message's own time is `message.timestamp()`).
    pub log_time: Timestamp,
    /// The topic.
    pub topic: String,
    /// The message.
    pub message: SensorMessage,
}

/// What a [`SensorLogReader`] did with each topic.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReadStats {
    /// Messages delivered, per topic.
    pub delivered: BTreeMap<String, u64>,
    /// Messages skipped because the topic's type is not a sensor type, per topic.
    pub skipped: BTreeMap<String, u64>,
    /// Messages that failed to decode, per topic.
    pub failed: BTreeMap<String, u64>,
    /// `CameraInfo` messages read into [`SensorLogReader::camera_intrinsics`], per topic.
    pub camera_info: BTreeMap<String, u64>,
}

/// What one raw message turned into.
enum Converted {
    Sensor(SensorMessage),
    Calibration(String, CameraIntrinsics),
    Skipped,
}

/// Reads sensor messages from an MCAP log in log-time order (see [`RawLogReader`]).
pub struct SensorLogReader<R> {
    raw: RawLogReader<R>,
    pending: Option<Result<RawMessage, LogError>>,
    rig: Option<Rig>,
    stats: ReadStats,
    intrinsics: BTreeMap<String, CameraIntrinsics>,
}

impl SensorLogReader<BufReader<File>> {
    /// Opens a log; `rig` overrides the rig stored in the log.
    pub fn open(path: &Path, rig: Option<Rig>) -> Result<Self, LogError> {
        Self::new(RawLogReader::open(path)?, rig)
    }
}

impl<R: Read + Seek> SensorLogReader<R> {
    /// Wraps a raw reader. Reads up to the first message so that the stored rig, written
    /// before any message, is known.
    pub fn new(mut raw: RawLogReader<R>, rig: Option<Rig>) -> Result<Self, LogError> {
        let pending = raw.next();
        let rig = match rig {
            Some(r) => Some(r),
            None => stored_rig(&raw)?,
        };
        Ok(Self {
            raw,
            pending,
            rig,
            stats: ReadStats::default(),
            intrinsics: BTreeMap::new(),
        })
    }

    /// The rig in use (given or stored in the log), if any.
    pub fn rig(&self) -> Option<&Rig> {
        self.rig.as_ref()
    }

    /// Counts so far.
    pub fn stats(&self) -> &ReadStats {
        &self.stats
    }

    /// The intrinsics of each camera (by sensor name) from the latest `CameraInfo` read so far.
    pub fn camera_intrinsics(&self) -> &BTreeMap<String, CameraIntrinsics> {
        &self.intrinsics
    }

    /// The underlying raw reader (metadata, channels, out-of-order count).
    pub fn raw(&self) -> &RawLogReader<R> {
        &self.raw
    }

    fn sensor_for(&self, topic: &str, frame_id: &str) -> (String, Option<&SensorKind>) {
        if let Some(s) = self
            .rig
            .as_ref()
            .and_then(|r| rig_sensor_of_topic(r, topic))
        {
            return (s.name.clone(), Some(&s.kind));
        }
        let name = if frame_id.is_empty() {
            topic.trim_start_matches('/').replace('/', "_")
        } else {
            frame_id.to_owned()
        };
        let kind = self
            .rig
            .as_ref()
            .and_then(|r| r.sensor(&name))
            .map(|s| &s.kind);
        (name, kind)
    }

    /// Converts one raw message.
    fn convert(&self, m: &RawMessage) -> Result<Converted, LogError> {
        let ch = &m.channel;
        if ch.message_encoding != "cdr" || ch.schema_encoding != "ros2msg" {
            return Ok(Converted::Skipped);
        }
        let cdr = |source| LogError::Cdr {
            topic: ch.topic.clone(),
            source,
        };
        let sensor_err = |e: SensorError| LogError::Message {
            topic: ch.topic.clone(),
            log_time: m.log_time,
            reason: e.to_string(),
        };
        if let Some(ty) = WireType::of_name(&ch.schema_name) {
            let msg = decode_named(ty, &ch.topic, m.log_time, &m.data, |frame_id| {
                if ty == WireType::Odometry {
                    return (odometry_source_name(&ch.topic), None);
                }
                let (name, kind) = self.sensor_for(&ch.topic, frame_id);
                let radar = match kind {
                    Some(SensorKind::Radar { .. }) => Some(true),
                    Some(SensorKind::Lidar { .. }) => Some(false),
                    _ => None,
                };
                (name, radar)
            })?;
            return Ok(Converted::Sensor(msg));
        }
        if normalize_type_name(&ch.schema_name) == normalize_type_name(CameraInfo::type_name()) {
            let info = CameraInfo::from_cdr(&m.data).map_err(cdr)?;
            let (name, _) = self.sensor_for(&ch.topic, &info.header.frame_id);
            let k = camera_info_to_intrinsics(&info).map_err(sensor_err)?;
            return Ok(Converted::Calibration(name, k));
        }
        Ok(Converted::Skipped)
    }
}

/// The source name of an odometry topic: `<name>` for Kestrel's `/kestrel/<name>/odom`, else
/// the topic with `/` replaced by `_` (`/localization/kinematic_state` ->
/// `localization_kinematic_state`).
pub fn odometry_source_name(topic: &str) -> String {
    match topic
        .strip_prefix("/kestrel/")
        .and_then(|t| t.strip_suffix("/odom"))
    {
        Some(name) if !name.is_empty() && !name.contains('/') => name.to_owned(),
        _ => topic.trim_start_matches('/').replace('/', "_"),
    }
}

/// The rig stored in the log's metadata (read so far), if any.
fn stored_rig<R: Read + Seek>(raw: &RawLogReader<R>) -> Result<Option<Rig>, LogError> {
    raw.metadata()
        .iter()
        .filter(|m| m.name == RIG_METADATA_NAME)
        .find_map(|m| m.metadata.get(RIG_METADATA_KEY))
        .map(|text| Rig::from_toml_str(text).map_err(LogError::from))
        .transpose()
}

/// The rig sensor whose topic owns `topic` (the topic itself, its compressed images or its
/// camera_info), if any.
pub fn rig_sensor_of_topic<'a>(rig: &'a Rig, topic: &str) -> Option<&'a SensorSpec> {
    rig.sensors
        .iter()
        .find(|s| claims(s.topic.as_deref(), topic))
}

/// Whether a rig sensor with topic `rig_topic` owns `topic` (itself, its compressed images or
/// its camera_info).
fn claims(rig_topic: Option<&str>, topic: &str) -> bool {
    rig_topic.is_some_and(|t| {
        t == topic || compressed_topic(t) == topic || camera_info_topic(t) == topic
    })
}

fn bump(map: &mut BTreeMap<String, u64>, topic: &str) {
    *map.entry(topic.to_owned()).or_default() += 1;
}

impl<R: Read + Seek> Iterator for SensorLogReader<R> {
    type Item = Result<SensorLogEntry, LogError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let m = match self.pending.take().or_else(|| self.raw.next())? {
                Ok(m) => m,
                Err(e) => return Some(Err(e)),
            };
            let topic = m.channel.topic.as_str();
            match self.convert(&m) {
                Ok(Converted::Sensor(message)) => {
                    bump(&mut self.stats.delivered, topic);
                    return Some(Ok(SensorLogEntry {
                        log_time: Timestamp(m.log_time),
                        topic: topic.to_owned(),
                        message,
                    }));
                }
                Ok(Converted::Calibration(sensor, k)) => {
                    bump(&mut self.stats.camera_info, topic);
                    self.intrinsics.insert(sensor, k);
                }
                Ok(Converted::Skipped) => bump(&mut self.stats.skipped, topic),
                Err(e) => {
                    bump(&mut self.stats.failed, topic);
                    return Some(Err(e));
                }
            }
        }
    }
}
