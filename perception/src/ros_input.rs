//! Live input from ROS 2 topics over zenoh (`kestrel run --input ros`): subscribes with
//! rmw_zenoh key expressions ([`crate::rmw_zenoh`]) to the rig's sensor topics and turns each
//! sample into a [`SensorMessage`] with the same wire conversions the log reader uses
//! (`kestrel_log`), so live frames go through the same time alignment, bounded queues and
//! deadline monitor as recorded ones.
//!
//! Per rig sensor (topic: `[inputs] topics.<sensor>`, else the rig's `topic`, else
//! `/kestrel/<sensor>/{image,points,radar}` as `kestrel convert` writes):
//! - camera: `sensor_msgs/msg/Image` on the topic, `sensor_msgs/msg/CompressedImage` (JPEG/PNG)
//!   on `<topic>/compressed`, `sensor_msgs/msg/CameraInfo` on the sibling `camera_info` (used
//!   at start-up for a camera whose rig intrinsics are unset, `fx <= 0`; ignored afterwards);
//! - LiDAR and radar: `sensor_msgs/msg/PointCloud2` (radar: per-point velocity fields, see
//!   `kestrel_log::point_cloud2`);
//! - plus `nav_msgs/msg/Odometry` on `[inputs] odometry` topics (default: every
//!   `/kestrel/<name>/odom`), the ego motion of the tracker and radar compensation.
//!
//! Times come from `header.stamp`. Every subscription announces itself with an rmw_zenoh `MS`
//! liveliness token of node `<node>_input`. Subscriptions take any type and hash on the topic
//! (`<domain>/<topic>/*/*`) so that a publisher with the wrong type or type hash, a truncated
//! or oversized payload, or a bad attachment is a typed [`RosInputError`] for that one message
//! (counted by the runtime as unreadable, never a panic). Samples pass from zenoh's threads to
//! the sensor's source thread through a small drop-oldest queue: a slow decoder never blocks
//! zenoh, so one sensor never stalls another.
//!
//! The rig: `[inputs] rig` (a rig TOML file, or an MCAP log / dataset folder whose rig is
//! used), else the one `kestrel play` offers on the zenoh key [`RIG_KEY`].

use crate::bounded_queue::{QueuePolicy, QueueReceiver, bounded_queue};
use crate::error::PerceptionError;
use crate::live_input::{LiveControl, POLL};
use crate::ouster_input::OusterInputSettings;
use crate::rmw_zenoh::{Attachment, RosMessageType, RosNode, RosNodeName};
use crate::ros_qos::RosQos;
use crate::sensor_source::SensorSource;
use kestrel_log::CdrError;
use kestrel_log::camera_image::{compressed_to_frame, compressed_topic, image_to_frame};
use kestrel_log::camera_info::{camera_info_to_intrinsics, camera_info_topic};
use kestrel_log::mcap_writer::default_topic;
use kestrel_log::odometry_msg::msg_to_odometry;
use kestrel_log::point_cloud2::{looks_like_radar, point_cloud2_to_lidar, point_cloud2_to_radar};
use kestrel_log::ros2_msg::RosMessage;
use kestrel_log::ros2_msg::nav_msgs::Odometry as OdometryMsg;
use kestrel_log::ros2_msg::sensor_msgs::{CameraInfo, CompressedImage, Image, PointCloud2};
use kestrel_log::sensor_reader::odometry_source_name;
use kestrel_sensors::{Rig, SensorError, SensorKind, SensorMessage};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};
use zenoh::Wait;

/// Plain zenoh key on which `kestrel play` answers queries with the log's rig (TOML).
pub const RIG_KEY: &str = "kestrel/rig";

/// Hash chunk rmw_zenoh puts in key expressions on ROS 2 distributions without type hashes
/// (Humble); accepted for any type.
pub const NO_TYPE_HASH: &str = "TypeHashNotSupported";

/// Node id of the input node on the session (the output node is 0); entity ids of its
/// subscriptions follow it, so they never collide with the output's.
const INPUT_NODE_ID: u64 = 1000;

/// The `[inputs]` table of the configuration: where live input comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputSettings {
    /// The rig of live input: a rig TOML file, or an MCAP log / KITTI / nuScenes folder whose
    /// rig is used; empty: the rig `kestrel play` offers on [`RIG_KEY`].
    pub rig: String,
    /// How long to wait for `kestrel play`'s rig when `rig` is empty, seconds.
    pub rig_wait_s: f64,
    /// ROS topic per rig sensor, overriding the rig's `topic` (e.g.
    /// `lidar_top = "/sensing/lidar/top/pointcloud"`).
    pub topics: BTreeMap<String, String>,
    /// `nav_msgs/msg/Odometry` topics; empty: every `/kestrel/<name>/odom`.
    pub odometry: Vec<String>,
    /// Largest message accepted, bytes; larger ones are rejected unread.
    pub max_message_bytes: u64,
    /// How long to wait at start-up for the `CameraInfo` of a camera whose rig intrinsics are
    /// unset (`fx <= 0`), seconds.
    pub camera_info_wait_s: f64,
    /// Live Ouster LiDAR (`--input ouster`).
    #[serde(default)]
    pub ouster: OusterInputSettings,
}

impl Default for InputSettings {
    fn default() -> Self {
        Self {
            rig: String::new(),
            rig_wait_s: 30.0,
            topics: BTreeMap::new(),
            odometry: Vec::new(),
            max_message_bytes: 64 << 20,
            camera_info_wait_s: 10.0,
            ouster: OusterInputSettings::default(),
        }
    }
}

/// Why one live message was rejected.
#[derive(Debug, thiserror::Error)]
pub enum RosInputError {
    /// The sample's key expression is not `<domain>/<topic>/<type>/<hash>`.
    #[error("key expression `{key}` is not an rmw_zenoh topic key")]
    Key {
        /// The key expression.
        key: String,
    },
    /// A publisher on the topic sends another message type.
    #[error("topic `{topic}`: message type `{got}`, expected `{expected}`")]
    WrongType {
        /// The topic.
        topic: String,
        /// The DDS type name expected.
        expected: String,
        /// The DDS type name received.
        got: String,
    },
    /// A publisher sends the right type name with another definition (type hash).
    #[error("topic `{topic}` ({ty}): type hash `{got}`, expected `{expected}`")]
    WrongHash {
        /// The topic.
        topic: String,
        /// The type.
        ty: String,
        /// The hash expected (Kestrel's definition).
        expected: String,
        /// The hash received.
        got: String,
    },
    /// The payload is larger than `[inputs] max_message_bytes`.
    #[error("topic `{topic}`: {bytes}-byte message exceeds the {limit}-byte limit")]
    TooLarge {
        /// The topic.
        topic: String,
        /// Payload size.
        bytes: usize,
        /// The limit.
        limit: u64,
    },
    /// The rmw_zenoh attachment is malformed.
    #[error("topic `{topic}`: {reason}")]
    Attachment {
        /// The topic.
        topic: String,
        /// What is wrong.
        reason: String,
    },
    /// The CDR payload does not decode as the topic's type.
    #[error("topic `{topic}`: {source}")]
    Cdr {
        /// The topic.
        topic: String,
        /// The CDR error.
        source: CdrError,
    },
    /// The message decodes but is not a valid sensor message (image size, point layout, ...).
    #[error("topic `{topic}`: {source}")]
    Sensor {
        /// The topic.
        topic: String,
        /// The conversion error.
        source: SensorError,
    },
}

/// The wire type of one subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wire {
    Image,
    Compressed,
    CameraInfo,
    PointCloud2,
    Odometry,
}

impl Wire {
    fn message_type(self) -> RosMessageType {
        let of = |name: &str, schema: String| {
            RosMessageType::from_definition(name, &schema).expect("compiled-in definition parses")
        };
        match self {
            Wire::Image => of(Image::type_name(), Image::schema_text()),
            Wire::Compressed => of(CompressedImage::type_name(), CompressedImage::schema_text()),
            Wire::CameraInfo => of(CameraInfo::type_name(), CameraInfo::schema_text()),
            Wire::PointCloud2 => of(PointCloud2::type_name(), PointCloud2::schema_text()),
            Wire::Odometry => of(OdometryMsg::type_name(), OdometryMsg::schema_text()),
        }
    }
}

/// One subscribed topic (`topic` may hold `*` chunks: odometry's default).
#[derive(Debug, Clone)]
struct Subscription {
    topic: String,
    wire: Wire,
    ty: RosMessageType,
}

/// The key expression subscribing to every type and hash on `topic`.
fn any_type_key(domain_id: u32, topic: &str) -> String {
    format!("{domain_id}/{}/*/*", topic.trim_matches('/'))
}

/// Splits a sample key into (topic, DDS type, hash).
fn split_key(domain_id: u32, key: &str) -> Result<(String, String, String), RosInputError> {
    let bad = || RosInputError::Key {
        key: key.to_owned(),
    };
    let mut parts = key.rsplitn(3, '/');
    let (hash, ty, rest) = (
        parts.next().ok_or_else(bad)?,
        parts.next().ok_or_else(bad)?,
        parts.next().ok_or_else(bad)?,
    );
    let topic = rest
        .strip_prefix(&format!("{domain_id}/"))
        .filter(|t| !t.is_empty())
        .ok_or_else(bad)?;
    Ok((format!("/{topic}"), ty.to_owned(), hash.to_owned()))
}

/// What a live sensor's source thread reads: samples of its subscriptions, decoded.
struct TopicStream {
    sensor: String,
    radar: Option<bool>,
    domain_id: u32,
    max_bytes: u64,
    subscriptions: Vec<Subscription>,
    rx: QueueReceiver<(usize, zenoh::sample::Sample)>,
    control: LiveControl,
    _subscribers: Vec<zenoh::pubsub::Subscriber<()>>,
    _tokens: Vec<zenoh::liveliness::LivelinessToken>,
}

impl TopicStream {
    /// Decodes one sample of subscription `i`; `Ok(None)` for messages that are not sensor
    /// messages (CameraInfo).
    fn decode(
        &self,
        i: usize,
        sample: &zenoh::sample::Sample,
    ) -> Result<Option<SensorMessage>, RosInputError> {
        let sub = &self.subscriptions[i];
        let (topic, ty, hash) = split_key(self.domain_id, sample.key_expr().as_str())?;
        let expected = sub.ty.dds_name();
        if ty != expected {
            return Err(RosInputError::WrongType {
                topic,
                expected,
                got: ty,
            });
        }
        if hash != sub.ty.hash && hash != NO_TYPE_HASH {
            return Err(RosInputError::WrongHash {
                topic,
                ty: sub.ty.name.clone(),
                expected: sub.ty.hash.clone(),
                got: hash,
            });
        }
        let bytes = sample.payload().len();
        if bytes as u64 > self.max_bytes {
            return Err(RosInputError::TooLarge {
                topic,
                bytes,
                limit: self.max_bytes,
            });
        }
        if let Some(a) = sample.attachment() {
            Attachment::from_bytes(&a.to_bytes()).map_err(|e| RosInputError::Attachment {
                topic: topic.clone(),
                reason: e.to_string(),
            })?;
        }
        let payload = sample.payload().to_bytes();
        let cdr = |source| RosInputError::Cdr {
            topic: topic.clone(),
            source,
        };
        let sensor = |source| RosInputError::Sensor {
            topic: topic.clone(),
            source,
        };
        let name = self.sensor.as_str();
        let msg = match sub.wire {
            Wire::Image => {
                let m = Image::from_cdr(&payload).map_err(cdr)?;
                SensorMessage::Camera(image_to_frame(&m, name).map_err(sensor)?)
            }
            Wire::Compressed => {
                let m = CompressedImage::from_cdr(&payload).map_err(cdr)?;
                SensorMessage::Camera(compressed_to_frame(&m, name).map_err(sensor)?)
            }
            Wire::CameraInfo => {
                let m = CameraInfo::from_cdr(&payload).map_err(cdr)?;
                camera_info_to_intrinsics(&m).map_err(sensor)?;
                return Ok(None);
            }
            Wire::PointCloud2 => {
                let m = PointCloud2::from_cdr(&payload).map_err(cdr)?;
                if self.radar.unwrap_or_else(|| looks_like_radar(&m)) {
                    SensorMessage::Radar(point_cloud2_to_radar(&m, name).map_err(sensor)?)
                } else {
                    SensorMessage::Lidar(point_cloud2_to_lidar(&m, name).map_err(sensor)?)
                }
            }
            Wire::Odometry => {
                let m = OdometryMsg::from_cdr(&payload).map_err(cdr)?;
                let source = odometry_source_name(&topic);
                SensorMessage::Odometry(msg_to_odometry(&m, &source).map_err(sensor)?)
            }
        };
        Ok(Some(msg))
    }
}

impl Iterator for TopicStream {
    type Item = Result<SensorMessage, PerceptionError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.control.should_stop() {
                let dropped = self.rx.stats().dropped;
                if dropped > 0 {
                    tracing::warn!(
                        "input `{}`: {dropped} samples dropped before decoding (decoder slower \
                         than the sensor)",
                        self.sensor
                    );
                }
                return None;
            }
            let Ok((i, sample)) = self.rx.channel().recv_timeout(POLL) else {
                continue;
            };
            self.control.on_input();
            match self.decode(i, &sample) {
                Ok(Some(m)) => return Some(Ok(m)),
                Ok(None) => {}
                Err(e) => return Some(Err(e.into())),
            }
        }
    }
}

/// The subscriptions of rig sensor `s` on `topic`.
fn sensor_subscriptions(s: &kestrel_sensors::SensorSpec, topic: &str) -> Vec<Subscription> {
    let sub = |topic: String, wire: Wire| Subscription {
        topic,
        wire,
        ty: wire.message_type(),
    };
    match s.kind {
        SensorKind::Camera { .. } => vec![
            sub(topic.to_owned(), Wire::Image),
            sub(compressed_topic(topic), Wire::Compressed),
            sub(camera_info_topic(topic), Wire::CameraInfo),
        ],
        SensorKind::Lidar { .. } | SensorKind::Radar { .. } => {
            vec![sub(topic.to_owned(), Wire::PointCloud2)]
        }
    }
}

/// Samples of a sensor held between zenoh and its decoder, per kind (drop-oldest beyond).
fn raw_queue_capacity(wire: Wire) -> usize {
    match wire {
        Wire::Image | Wire::Compressed | Wire::CameraInfo => 2,
        Wire::PointCloud2 => 4,
        Wire::Odometry => 64,
    }
}

/// One source's subscriptions: (source name, sensors it delivers, radar (`Some(true)`) /
/// LiDAR (`Some(false)`) / undecided point clouds, subscriptions).
type SourceGroup = (String, Vec<String>, Option<bool>, Vec<Subscription>);

/// Live ROS 2 input: the rig in use and one source per sensor (plus one for odometry).
pub struct RosInput {
    /// The rig (with intrinsics from `CameraInfo` filled in).
    pub rig: Rig,
    /// The sources, for [`crate::realtime::run_realtime`] (unpaced).
    pub sources: Vec<SensorSource>,
    /// The ROS topics subscribed to, with their types.
    pub topics: Vec<(String, String)>,
    _node: RosNode,
}

impl RosInput {
    /// Checks `rig` against `settings` and fills the intrinsics of cameras that have none from
    /// their `CameraInfo` (waiting up to `camera_info_wait_s`). Call before building the stage.
    pub fn complete_rig(
        session: &zenoh::Session,
        domain_id: u32,
        settings: &InputSettings,
        mut rig: Rig,
    ) -> Result<Rig, PerceptionError> {
        if let Some(unknown) = settings.topics.keys().find(|k| rig.sensor(k).is_none()) {
            return Err(PerceptionError::Config(format!(
                "inputs.topics names sensor `{unknown}`, which the rig `{}` does not have",
                rig.name
            )));
        }
        let topic_of = |s: &kestrel_sensors::SensorSpec| topic_of(settings, s);
        fill_intrinsics_from_camera_info(session, domain_id, settings, &mut rig, &topic_of)?;
        Ok(rig)
    }

    /// Subscribes on `session` (ROS domain `domain_id`, node `<node_name>_input`) to the
    /// topics of `rig` (see the module docs; the rig as [`RosInput::complete_rig`] returns
    /// it); `control` stops the sources. Messages are taken from the moment of subscription:
    /// start the run right after.
    pub fn open(
        session: &zenoh::Session,
        domain_id: u32,
        node_name: &str,
        settings: &InputSettings,
        rig: Rig,
        control: LiveControl,
    ) -> Result<Self, PerceptionError> {
        let topic_of = |s: &kestrel_sensors::SensorSpec| topic_of(settings, s);
        let mut node = RosNode::declare_numbered(
            session,
            RosNodeName {
                domain_id,
                namespace: "/".into(),
                name: format!("{node_name}_input"),
                enclave: "/".into(),
            },
            INPUT_NODE_ID,
        )?;
        let qos = RosQos::default();
        let mut groups: Vec<SourceGroup> = rig
            .sensors
            .iter()
            .map(|s| {
                let radar = match s.kind {
                    SensorKind::Radar { .. } => Some(true),
                    SensorKind::Lidar { .. } => Some(false),
                    SensorKind::Camera { .. } => None,
                };
                let subs = sensor_subscriptions(s, &topic_of(s));
                (s.name.clone(), vec![s.name.clone()], radar, subs)
            })
            .collect();
        let odometry_topics = if settings.odometry.is_empty() {
            vec!["/kestrel/*/odom".to_owned()]
        } else {
            settings.odometry.clone()
        };
        let odometry = odometry_topics
            .into_iter()
            .map(|topic| Subscription {
                topic,
                wire: Wire::Odometry,
                ty: Wire::Odometry.message_type(),
            })
            .collect();
        groups.push(("odometry".into(), Vec::new(), None, odometry));
        let mut sources = Vec::new();
        let mut topics = Vec::new();
        for (name, delivers, radar, subscriptions) in groups {
            let capacity = subscriptions
                .iter()
                .map(|s| raw_queue_capacity(s.wire))
                .max()
                .unwrap_or(1);
            let (tx, rx) = bounded_queue(QueuePolicy::DropOldest { capacity });
            let mut subscribers = Vec::new();
            let mut tokens = Vec::new();
            for (i, sub) in subscriptions.iter().enumerate() {
                let tx = tx.clone();
                let subscriber = session
                    .declare_subscriber(any_type_key(domain_id, &sub.topic))
                    .callback(move |sample| {
                        tx.push((i, sample));
                    })
                    .wait()
                    .map_err(PerceptionError::zenoh("declare input subscriber"))?;
                subscribers.push(subscriber);
                // A wildcard topic (odometry's default) is no ROS name: no token for it.
                if !sub.topic.contains('*') {
                    tokens.push(node.subscription_token(&sub.topic, &sub.ty, &qos)?);
                }
                topics.push((sub.topic.clone(), sub.ty.name.clone()));
            }
            let stream = TopicStream {
                sensor: name.clone(),
                radar,
                domain_id,
                max_bytes: settings.max_message_bytes,
                subscriptions,
                rx,
                control: control.clone(),
                _subscribers: subscribers,
                _tokens: tokens,
            };
            sources.push(SensorSource::new(
                format!("ros:{name}"),
                delivers,
                Box::new(stream),
            ));
        }
        Ok(Self {
            rig,
            sources,
            topics,
            _node: node,
        })
    }
}

/// The topic of rig sensor `s`: `[inputs] topics`, else the rig's, else the default.
fn topic_of(settings: &InputSettings, s: &kestrel_sensors::SensorSpec) -> String {
    settings
        .topics
        .get(&s.name)
        .cloned()
        .or_else(|| s.topic.clone())
        .unwrap_or_else(|| default_topic(&s.name, s.kind.name()))
}

/// The rig named by `[inputs] rig`: a rig TOML file, or the rig of an input Kestrel opens.
pub fn load_rig(path: &Path) -> Result<Rig, PerceptionError> {
    if path.extension().is_some_and(|e| e == "toml") {
        return Rig::load(path).map_err(|e| PerceptionError::Config(format!("rig: {e}")));
    }
    let source = SensorSource::open_path(path)?;
    source
        .rig()
        .cloned()
        .ok_or_else(|| PerceptionError::Config(format!("{} holds no rig", path.display())))
}

/// The rig `kestrel play` offers on [`RIG_KEY`], waiting up to `wait` for one to answer.
pub fn fetch_rig(session: &zenoh::Session, wait: Duration) -> Result<Rig, PerceptionError> {
    let start = Instant::now();
    loop {
        let replies = session
            .get(RIG_KEY)
            .timeout(Duration::from_secs(1))
            .wait()
            .map_err(PerceptionError::zenoh("query the rig"))?;
        while let Ok(reply) = replies.recv() {
            let Ok(sample) = reply.result() else {
                continue;
            };
            let text = String::from_utf8_lossy(&sample.payload().to_bytes()).into_owned();
            return Rig::from_toml_str(&text)
                .map_err(|e| PerceptionError::Config(format!("rig from {RIG_KEY}: {e}")));
        }
        if start.elapsed() >= wait {
            return Err(PerceptionError::Config(format!(
                "no rig: set [inputs] rig (a rig TOML or a log holding one), or start \
                 `kestrel play` (it offers its log's rig on {RIG_KEY}); waited {wait:?}"
            )));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// For every rig camera with unset intrinsics (`fx <= 0`), waits for one `CameraInfo` on its
/// `camera_info` topic and takes the intrinsics from it.
fn fill_intrinsics_from_camera_info(
    session: &zenoh::Session,
    domain_id: u32,
    settings: &InputSettings,
    rig: &mut Rig,
    topic_of: &dyn Fn(&kestrel_sensors::SensorSpec) -> String,
) -> Result<(), PerceptionError> {
    let ty = Wire::CameraInfo.message_type();
    for s in &mut rig.sensors {
        let topic = camera_info_topic(&topic_of(s));
        let name = s.name.clone();
        let SensorKind::Camera { intrinsics } = &mut s.kind else {
            continue;
        };
        if intrinsics.fx > 0.0 {
            continue;
        }
        let key = crate::rmw_zenoh::topic_key_expr(domain_id, &topic, &ty);
        let subscriber = session
            .declare_subscriber(key)
            .wait()
            .map_err(PerceptionError::zenoh("declare camera_info subscriber"))?;
        let deadline = Instant::now() + Duration::from_secs_f64(settings.camera_info_wait_s);
        let found = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match subscriber.recv_timeout(left.min(POLL)) {
                Ok(Some(sample)) => {
                    let decoded = CameraInfo::from_cdr(&sample.payload().to_bytes())
                        .map_err(|e| e.to_string())
                        .and_then(|m| camera_info_to_intrinsics(&m).map_err(|e| e.to_string()));
                    match decoded {
                        Ok(k) => break Some(k),
                        Err(e) => tracing::warn!("{topic}: unusable CameraInfo: {e}"),
                    }
                }
                _ if left.is_zero() => break None,
                _ => {}
            }
        };
        *intrinsics = found.ok_or_else(|| {
            PerceptionError::Config(format!(
                "camera `{}` has no intrinsics in the rig and no CameraInfo arrived on {topic} \
                 within {} s",
                name, settings.camera_info_wait_s
            ))
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_keys_split_into_topic_type_and_hash() {
        let (t, ty, h) = split_key(
            0,
            "0/kestrel/cam2/image/compressed/sensor_msgs::msg::dds_::CompressedImage_/RIHS01_ab",
        )
        .unwrap();
        assert_eq!(t, "/kestrel/cam2/image/compressed");
        assert_eq!(ty, "sensor_msgs::msg::dds_::CompressedImage_");
        assert_eq!(h, "RIHS01_ab");
        assert!(split_key(3, "0/a/T/H").is_err(), "other domain");
        assert!(split_key(0, "0/T/H").is_err(), "no topic");
        assert!(split_key(0, "H").is_err());
    }

    #[test]
    fn camera_sensors_subscribe_to_raw_compressed_and_info() {
        let rig = Rig::from_toml_str(
            "name = \"r\"\n[[sensors]]\nname = \"cam\"\nkind = \"camera\"\n\
             intrinsics = { width = 10, height = 10, fx = 5.0, fy = 5.0, cx = 5.0, cy = 5.0 }\n\
             extrinsics = { translation = [0.0, 0.0, 0.0], rotation_wxyz = [1.0, 0.0, 0.0, 0.0] }\n",
        )
        .unwrap();
        let subs = sensor_subscriptions(&rig.sensors[0], "/kestrel/cam/image");
        let topics: Vec<(&str, Wire)> = subs.iter().map(|s| (s.topic.as_str(), s.wire)).collect();
        assert_eq!(
            topics,
            vec![
                ("/kestrel/cam/image", Wire::Image),
                ("/kestrel/cam/image/compressed", Wire::Compressed),
                ("/kestrel/cam/camera_info", Wire::CameraInfo)
            ]
        );
        assert_eq!(
            any_type_key(0, "/kestrel/cam/image"),
            "0/kestrel/cam/image/*/*"
        );
    }
}
