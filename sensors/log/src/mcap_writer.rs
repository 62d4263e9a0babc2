//! Writes MCAP logs the way rosbag2 does, so they open in Foxglove and ROS 2 tooling:
//! profile `ros2`, schema encoding `ros2msg` (definition + appended dependencies), message
//! encoding `cdr`, per-channel `offered_qos_profiles` and `topic_type_hash` (RIHS01) metadata,
//! zstd-compressed chunks, message/chunk indexes and a summary with statistics.
//!
//! Sensor inputs are written as `sensor_msgs/Image` on the camera's topic, or (see
//! [`LogWriter::with_image_format`]) `sensor_msgs/CompressedImage` PNG / JPEG on
//! `<topic>/compressed` as image_transport does, each with a `sensor_msgs/CameraInfo` of the
//! same stamp on the sibling `camera_info` topic when the rig knows the camera's intrinsics
//! (see [`crate::camera_info`]); LiDAR and radar as `sensor_msgs/PointCloud2` (layouts in
//! [`crate::point_cloud2`]), odometry as `nav_msgs/Odometry` ([`crate::odometry_msg`]), a
//! dataset's labels as `autoware_perception_msgs/TrackedObjects` on [`GROUND_TRUTH_TOPIC`]
//! ([`crate::ground_truth_msg`]). The rig goes into a metadata record named [`RIG_METADATA_NAME`]
//! (key `rig.toml`) written before any message, so that replay — even of a truncated log —
//! recovers the calibration.

use crate::camera_image::{ImageFormat, compressed_topic, frame_to_compressed, frame_to_image};
use crate::camera_info::{camera_info_topic, intrinsics_to_camera_info};
use crate::error::LogError;
use crate::ground_truth_msg::labels_to_msg;
use crate::msg_schema::Schema;
use crate::odometry_msg::odometry_to_msg;
use crate::point_cloud2::{lidar_to_point_cloud2, radar_to_point_cloud2};
use crate::ros2_msg::RosMessage;
use crate::type_hash::rihs01;
use kestrel_sensors::{CameraIntrinsics, LabelledFrame, Rig, SensorMessage, Timestamp};
use mcap::records::{MessageHeader, Metadata};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

/// Name of the metadata record holding the rig.
pub const RIG_METADATA_NAME: &str = "kestrel_rig";
/// Key of the rig TOML text in that record.
pub const RIG_METADATA_KEY: &str = "rig.toml";

/// Default chunk size, uncompressed bytes.
pub const DEFAULT_CHUNK_SIZE: u64 = 1 << 20;

/// The QoS rosbag2 records for a reliable, volatile, keep-last(10) publisher with default
/// (infinite) deadline, lifespan and liveliness lease, in rosbag2's YAML form.
pub const DEFAULT_QOS_YAML: &str = "- history: 1\n  depth: 10\n  reliability: 1\n  durability: 2\n  deadline:\n    sec: 9223372036\n    nsec: 854775807\n  lifespan:\n    sec: 9223372036\n    nsec: 854775807\n  liveliness: 1\n  liveliness_lease_duration:\n    sec: 9223372036\n    nsec: 854775807\n  avoid_ros_namespace_conventions: false";

/// The topic Kestrel uses for sensor `sensor` of kind `kind` (`"camera"`, `"lidar"`,
/// `"radar"`, `"odometry"`, as `SensorMessage::kind` / `SensorKind::name` give):
/// `/kestrel/<sensor>/image`, `/kestrel/<sensor>/points`, `/kestrel/<sensor>/radar` or
/// `/kestrel/<sensor>/odom`.
pub fn default_topic(sensor: &str, kind: &str) -> String {
    let leaf = match kind {
        "camera" => "image",
        "lidar" => "points",
        "odometry" => "odom",
        other => other,
    };
    format!("/kestrel/{sensor}/{leaf}")
}

/// The topic of a message: its sensor's `topic` in the rig, else [`default_topic`].
pub fn topic_for(rig: Option<&Rig>, msg: &SensorMessage) -> String {
    rig.and_then(|r| r.sensor(msg.sensor()))
        .and_then(|s| s.topic.clone())
        .unwrap_or_else(|| default_topic(msg.sensor(), msg.kind()))
}

/// The topic of a dataset's human labels in a converted log
/// (`autoware_perception_msgs/TrackedObjects`, see [`crate::ground_truth_msg`]).
pub const GROUND_TRUTH_TOPIC: &str = "/kestrel/ground_truth/objects";

/// Counts of what a [`LogWriter`] wrote.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WriteSummary {
    /// Messages per topic.
    pub messages_per_topic: BTreeMap<String, u64>,
}

/// A transformation of every camera frame before it is written (e.g. anonymisation).
pub trait CameraFilter: Send {
    /// The frame to write in place of `frame`, or why it cannot be written (the write fails
    /// with [`LogError::Message`]: nothing unfiltered is ever written).
    fn filter(
        &mut self,
        frame: &kestrel_sensors::CameraFrame,
    ) -> Result<kestrel_sensors::CameraFrame, String>;
}

/// An open MCAP log being written.
pub struct LogWriter {
    path: PathBuf,
    inner: mcap::Writer<BufWriter<File>>,
    schemas: BTreeMap<&'static str, u16>,
    /// type name -> RIHS01 hash
    hashes: BTreeMap<&'static str, String>,
    /// topic -> (channel id, message type, messages written)
    channels: BTreeMap<String, (u16, &'static str, u64)>,
    image_format: ImageFormat,
    /// camera sensor name -> intrinsics, from the rig
    intrinsics: BTreeMap<String, CameraIntrinsics>,
    /// applied to camera frames before they are written
    camera_filter: Option<Box<dyn CameraFilter>>,
}

impl LogWriter {
    /// Creates (truncates) `path` and writes the header, and the rig as metadata when given;
    /// chunks hold about [`DEFAULT_CHUNK_SIZE`] uncompressed bytes.
    pub fn create(path: &Path, rig: Option<&Rig>) -> Result<Self, LogError> {
        Self::create_with_chunk_size(path, rig, DEFAULT_CHUNK_SIZE)
    }

    /// Like [`LogWriter::create`] with chunks of about `chunk_size` uncompressed bytes
    /// (smaller chunks lose less of a log that is cut off, and compress less).
    pub fn create_with_chunk_size(
        path: &Path,
        rig: Option<&Rig>,
        chunk_size: u64,
    ) -> Result<Self, LogError> {
        let file = File::create(path).map_err(|source| LogError::Io {
            path: path.to_owned(),
            source,
        })?;
        let inner = mcap::WriteOptions::new()
            .profile("ros2")
            .library(concat!("kestrel-log/", env!("CARGO_PKG_VERSION")))
            .compression(Some(mcap::Compression::Zstd))
            .chunk_size(Some(chunk_size))
            .create(BufWriter::new(file))
            .map_err(|source| LogError::McapWrite {
                path: path.to_owned(),
                source,
            })?;
        let mut w = Self {
            path: path.to_owned(),
            inner,
            schemas: BTreeMap::new(),
            hashes: BTreeMap::new(),
            channels: BTreeMap::new(),
            image_format: ImageFormat::Raw,
            intrinsics: rig
                .iter()
                .flat_map(|r| &r.sensors)
                .filter_map(|s| Some((s.name.clone(), *s.intrinsics()?)))
                .collect(),
            camera_filter: None,
        };
        if let Some(rig) = rig {
            let metadata = Metadata {
                name: RIG_METADATA_NAME.to_owned(),
                metadata: BTreeMap::from([(RIG_METADATA_KEY.to_owned(), rig.to_toml_string()?)]),
            };
            w.inner.write_metadata(&metadata).map_err(|e| w.err(e))?;
        }
        Ok(w)
    }

    /// Passes every camera frame through `filter` before writing it, from now on.
    pub fn with_camera_filter(mut self, filter: Box<dyn CameraFilter>) -> Self {
        self.camera_filter = Some(filter);
        self
    }

    /// Writes camera frames as `format` from now on (default [`ImageFormat::Raw`]).
    pub fn with_image_format(mut self, format: ImageFormat) -> Self {
        self.image_format = format;
        self
    }

    fn err(&self, source: mcap::McapError) -> LogError {
        LogError::McapWrite {
            path: self.path.clone(),
            source,
        }
    }

    fn channel<M: RosMessage>(&mut self, topic: &str) -> Result<u16, LogError> {
        if let Some(&(id, ty, _)) = self.channels.get(topic) {
            if ty != M::type_name() {
                return Err(LogError::Message {
                    topic: topic.to_owned(),
                    log_time: 0,
                    reason: format!("topic has type {ty}, cannot write a {}", M::type_name()),
                });
            }
            return Ok(id);
        }
        let schema_id = match self.schemas.get(M::type_name()) {
            Some(&id) => id,
            None => {
                let text = M::schema_text();
                let parsed = Schema::parse(M::type_name(), &text)?;
                self.hashes.insert(M::type_name(), rihs01(&parsed));
                let id = self
                    .inner
                    .add_schema(M::type_name(), "ros2msg", text.as_bytes())
                    .map_err(|e| self.err(e))?;
                self.schemas.insert(M::type_name(), id);
                id
            }
        };
        let metadata = BTreeMap::from([
            (
                "offered_qos_profiles".to_owned(),
                DEFAULT_QOS_YAML.to_owned(),
            ),
            (
                "topic_type_hash".to_owned(),
                self.hashes.get(M::type_name()).cloned().unwrap_or_default(),
            ),
        ]);
        let id = self
            .inner
            .add_channel(schema_id, topic, "cdr", &metadata)
            .map_err(|e| self.err(e))?;
        self.channels
            .insert(topic.to_owned(), (id, M::type_name(), 0));
        Ok(id)
    }

    /// Writes one typed ROS 2 message on `topic` at `log_time` (also used as publish time).
    pub fn write<M: RosMessage>(
        &mut self,
        topic: &str,
        log_time: Timestamp,
        msg: &M,
    ) -> Result<(), LogError> {
        let channel_id = self.channel::<M>(topic)?;
        let data = msg.to_cdr().map_err(|source| LogError::Cdr {
            topic: topic.to_owned(),
            source,
        })?;
        let entry = self.channels.get_mut(topic).map(|e| &mut e.2);
        let sequence = entry.as_ref().map_or(0, |n| **n as u32);
        if let Some(n) = entry {
            *n += 1;
        }
        let header = MessageHeader {
            channel_id,
            sequence,
            log_time: log_time.as_nanos(),
            publish_time: log_time.as_nanos(),
        };
        self.inner
            .write_to_known_channel(&header, &data)
            .map_err(|e| self.err(e))
    }

    /// Writes a sensor message on `topic`, logged at the message's own timestamp. A camera
    /// frame goes on `topic` (raw) or `<topic>/compressed` (PNG / JPEG), followed by its
    /// `CameraInfo` on [`camera_info_topic`]`(topic)` when the rig has the camera.
    pub fn write_sensor(&mut self, topic: &str, msg: &SensorMessage) -> Result<(), LogError> {
        let t = msg.timestamp();
        match msg {
            SensorMessage::Camera(f) => {
                let filtered;
                let f = match &mut self.camera_filter {
                    Some(filter) => {
                        filtered = filter.filter(f).map_err(|reason| LogError::Message {
                            topic: topic.to_owned(),
                            log_time: t.as_nanos(),
                            reason,
                        })?;
                        &filtered
                    }
                    None => f,
                };
                match frame_to_compressed(f, self.image_format)? {
                    None => self.write(topic, t, &frame_to_image(f))?,
                    Some(c) => self.write(&compressed_topic(topic), t, &c)?,
                }
                match self.intrinsics.get(&f.sensor) {
                    Some(k) => {
                        let info = intrinsics_to_camera_info(k, t, &f.sensor);
                        self.write(&camera_info_topic(topic), t, &info)
                    }
                    None => Ok(()),
                }
            }
            SensorMessage::Lidar(c) => self.write(topic, t, &lidar_to_point_cloud2(c)),
            SensorMessage::Radar(r) => self.write(topic, t, &radar_to_point_cloud2(r)),
            SensorMessage::Odometry(o) => self.write(topic, t, &odometry_to_msg(o)),
        }
    }

    /// Writes the labels of one instant on `topic` (usually [`GROUND_TRUTH_TOPIC`]), logged at
    /// their timestamp.
    pub fn write_labels(&mut self, topic: &str, labels: &LabelledFrame) -> Result<(), LogError> {
        self.write(topic, labels.timestamp, &labels_to_msg(labels))
    }

    /// Writes the summary, indexes and footer and closes the file.
    pub fn finish(mut self) -> Result<WriteSummary, LogError> {
        self.inner.finish().map_err(|e| self.err(e))?;
        Ok(WriteSummary {
            messages_per_topic: self
                .channels
                .iter()
                .map(|(t, &(_, _, n))| (t.clone(), n))
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kestrel_sensors::{CameraFrame, PixelEncoding};

    struct Refuse;

    impl CameraFilter for Refuse {
        fn filter(&mut self, _: &CameraFrame) -> Result<CameraFrame, String> {
            Err("no detector".into())
        }
    }

    #[test]
    fn a_failing_camera_filter_writes_nothing_of_the_image() {
        let path = std::env::temp_dir().join(format!("kestrel-filter-{}.mcap", std::process::id()));
        let mut w = LogWriter::create(&path, None)
            .unwrap()
            .with_camera_filter(Box::new(Refuse));
        let frame =
            CameraFrame::new("cam", Timestamp(5), 2, 1, PixelEncoding::Mono8, vec![1, 2]).unwrap();
        let err = w
            .write_sensor("/kestrel/cam/image", &SensorMessage::Camera(frame))
            .unwrap_err();
        assert!(err.to_string().contains("no detector"), "{err}");
        let summary = w.finish().unwrap();
        assert!(summary.messages_per_topic.is_empty(), "{summary:?}");
        std::fs::remove_file(&path).ok();
    }
}
