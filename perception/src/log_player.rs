//! Plays a recorded MCAP log onto zenoh exactly as rmw_zenoh publishers would (`kestrel
//! play`, the `ros2 bag play` of a vehicle without ROS installed): one ROS 2 node
//! (`kestrel_play`, liveliness token), one publisher per topic (its `MP` token with the
//! recorded QoS; a congested link makes the player wait, never drop, key expression `<domain>/<topic>/<dds type>/<RIHS01 hash>`), each message's
//! CDR bytes unchanged with the 33-byte attachment (sequence number, publish time on the wall
//! clock as rmw_zenoh stamps it, GID), paced by log time.
//!
//! - Topics: by default the sensor topics Kestrel reads (`sensor_msgs/msg/Image`,
//!   `CompressedImage`, `CameraInfo`, `PointCloud2`, `nav_msgs/msg/Odometry`), so that a log
//!   recorded by `kestrel run --record` never republishes its objects; or the topics named.
//! - Type hash: the channel's recorded `topic_type_hash`, else computed from its schema.
//! - `rate`: 2.0 plays twice as fast. `--loop` plays again and again; each pass shifts log
//!   times and `header.stamp`s by the log's span plus one message period, so that time keeps
//!   increasing for a live consumer. `restamp` shifts every `header.stamp` by one constant so
//!   that the log starts "now" on the wall clock, as a live driver would stamp it (a restarted
//!   player then continues forward in time); relative timing is kept exactly.
//! - The log's rig (Kestrel logs) is offered on the zenoh key [`RIG_KEY`], so that `kestrel
//!   run --input ros` with no configuration knows the sensors.
//! - `faults`: a [`FaultPlan`] applied to every pass by the same injector as replay's
//!   ([`crate::fault_injection`]), on the recorded wire messages: dropped, delayed (published
//!   later), duplicated, reordered, re-stamped, damaged in content (decoded, damaged, encoded
//!   again) or on the wire (the damaged bytes are published as they are, for the subscriber to
//!   reject).

use crate::clock::{Clock, WallClock};
use crate::error::PerceptionError;
use crate::fault_injection::fault_injector::ItemIter;
use crate::fault_injection::{FaultCounts, FaultInjector, FaultPlan, PlayedMessage};
use crate::rmw_zenoh::{RosMessageType, RosNode, RosNodeName, RosPublisher};
use crate::ros_input::RIG_KEY;
use crate::ros_qos::{Durability, History, Reliability, RosQos};
use crate::zenoh_output::SUBSCRIBER_SETTLE;
use kestrel_log::header_stamp;
use kestrel_log::mcap_writer::{RIG_METADATA_KEY, RIG_METADATA_NAME};
use kestrel_log::msg_schema::normalize_type_name;
use kestrel_log::ros2_msg::RosMessage;
use kestrel_log::ros2_msg::nav_msgs::Odometry;
use kestrel_log::ros2_msg::sensor_msgs::{CameraInfo, CompressedImage, Image, PointCloud2};
use kestrel_log::sensor_cdr::WireType;
use kestrel_log::sensor_reader::rig_sensor_of_topic;
use kestrel_log::{ChannelInfo, RawLogReader};
use kestrel_sensors::{Rig, SensorKind, Timestamp};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use zenoh::Wait;

/// Options of a play.
#[derive(Debug, Clone)]
pub struct PlayOptions {
    /// Playback speed, > 0 (2.0 = twice as fast).
    pub rate: f64,
    /// Play again and again until stopped (time shifted per pass, see the module docs).
    pub repeat: bool,
    /// Topics to play; empty: the sensor topics.
    pub topics: Vec<String>,
    /// Shift `header.stamp`s so that the log starts at the wall-clock time of the play.
    pub restamp: bool,
    /// Before the first message, wait up to this long until every publisher has a subscriber.
    pub wait_for_subscribers: Duration,
    /// ROS domain id.
    pub domain_id: u32,
    /// Name of the publishing node.
    pub node_name: String,
    /// Faults to inject into every pass (`--faults`; see [`crate::fault_injection`]): plans
    /// name rig sensors or topics; times are relative to each pass's first message.
    pub faults: Option<FaultPlan>,
}

impl Default for PlayOptions {
    fn default() -> Self {
        Self {
            rate: 1.0,
            repeat: false,
            topics: Vec::new(),
            restamp: false,
            wait_for_subscribers: Duration::ZERO,
            domain_id: 0,
            node_name: "kestrel_play".into(),
            faults: None,
        }
    }
}

/// What a play published.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlaySummary {
    /// Messages published per topic.
    pub published: BTreeMap<String, u64>,
    /// Passes over the log started.
    pub passes: u64,
    /// Topics not played (not selected, or no usable type), with the reason.
    pub skipped: BTreeMap<String, String>,
    /// Messages hit by each fault of the plan (over all passes), in plan order.
    pub fault_hits: Vec<u64>,
}

/// The message types played by default.
fn sensor_types() -> [&'static str; 5] {
    [
        Image::type_name(),
        CompressedImage::type_name(),
        CameraInfo::type_name(),
        PointCloud2::type_name(),
        Odometry::type_name(),
    ]
}

/// The recorded QoS of a channel (`offered_qos_profiles` in rosbag2's YAML), else reliable,
/// volatile, keep-last 10.
fn recorded_qos(channel: &ChannelInfo) -> RosQos {
    let mut qos = RosQos {
        reliability: Reliability::Reliable,
        durability: Durability::Volatile,
        history: History::KeepLast,
        depth: 10,
    };
    let Some(yaml) = channel.metadata.get("offered_qos_profiles") else {
        return qos;
    };
    // The first profile's top-level values (`  depth: 10`), enough for the announced QoS.
    for (i, line) in yaml.lines().enumerate() {
        if i > 0 && line.starts_with("- ") {
            break;
        }
        let line = line.trim_start_matches("- ").trim();
        match line.split_once(':').map(|(k, v)| (k.trim(), v.trim())) {
            Some(("depth", v)) => qos.depth = v.parse().unwrap_or(qos.depth),
            Some(("reliability", "2")) => qos.reliability = Reliability::BestEffort,
            Some(("durability", "1")) => qos.durability = Durability::TransientLocal,
            Some(("history", "2")) => qos.history = History::KeepAll,
            _ => {}
        }
    }
    qos
}

/// The type of a channel: its name with the recorded hash, else the hash of its schema.
fn channel_type(channel: &ChannelInfo) -> Result<RosMessageType, String> {
    if channel.message_encoding != "cdr" || channel.schema_name.is_empty() {
        return Err(format!(
            "not a ROS 2 CDR topic (encoding `{}`)",
            channel.message_encoding
        ));
    }
    // Key expressions use the full `pkg/msg/Type` name (ROS 1-style logs write `pkg/Type`).
    let name = match channel.schema_name.split_once('/') {
        Some((pkg, ty)) if !ty.contains('/') => format!("{pkg}/msg/{ty}"),
        _ => channel.schema_name.clone(),
    };
    if let Some(hash) = channel
        .metadata
        .get("topic_type_hash")
        .filter(|h| h.starts_with("RIHS01_"))
    {
        return Ok(RosMessageType {
            name,
            hash: hash.clone(),
        });
    }
    let text = String::from_utf8_lossy(&channel.schema_data);
    RosMessageType::from_definition(&name, &text).map_err(|e| e.to_string())
}

/// True when the type's first field is a `std_msgs/Header` (its stamp can be shifted).
fn starts_with_header(channel: &ChannelInfo) -> bool {
    String::from_utf8_lossy(&channel.schema_data)
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .is_some_and(|l| l.starts_with("std_msgs/Header ") || l.starts_with("Header "))
}

/// A topic being played.
struct PlayedTopic {
    publisher: RosPublisher,
    header: bool,
}

/// A log opened for playing on a zenoh session.
pub struct LogPlayer {
    path: PathBuf,
    options: PlayOptions,
    node: RosNode,
    topics: BTreeMap<String, Option<PlayedTopic>>,
    summary: PlaySummary,
    rig_toml: Option<String>,
    rig: Option<Rig>,
    _rig_queryable: Option<zenoh::query::Queryable<()>>,
}

impl LogPlayer {
    /// Opens `path`, declares the node, the publishers of the topics its summary lists and
    /// (Kestrel logs) the rig queryable.
    pub fn open(
        session: &zenoh::Session,
        path: &Path,
        options: PlayOptions,
    ) -> Result<Self, PerceptionError> {
        if !(options.rate.is_finite() && options.rate > 0.0) {
            return Err(PerceptionError::Config(format!(
                "play rate {} must be a positive number",
                options.rate
            )));
        }
        let reader = open_reader(path)?;
        let node = RosNode::declare(
            session,
            RosNodeName {
                domain_id: options.domain_id,
                namespace: "/".into(),
                name: options.node_name.clone(),
                enclave: "/".into(),
            },
        )?;
        let rig_toml = reader
            .metadata()
            .iter()
            .filter(|m| m.name == RIG_METADATA_NAME)
            .find_map(|m| m.metadata.get(RIG_METADATA_KEY).cloned());
        let rig_queryable = match &rig_toml {
            Some(text) => {
                let text = text.clone();
                Some(
                    session
                        .declare_queryable(RIG_KEY)
                        .callback(move |query| {
                            if let Err(e) = query.reply(RIG_KEY, text.clone()).wait() {
                                tracing::warn!("answering a rig query: {e}");
                            }
                        })
                        .wait()
                        .map_err(PerceptionError::zenoh("declare rig queryable"))?,
                )
            }
            None => None,
        };
        let rig = rig_toml
            .as_deref()
            .map(Rig::from_toml_str)
            .transpose()
            .map_err(|e| PerceptionError::Source {
                source_name: path.display().to_string(),
                message: format!("stored rig: {e}"),
            })?;
        let channels: Vec<_> = reader.channels().values().cloned().collect();
        if let Some(plan) = &options.faults {
            for name in plan.faults.iter().filter_map(|f| f.sensor.as_ref()) {
                let known = rig.as_ref().is_some_and(|r| r.sensor(name).is_some())
                    || channels.iter().any(|c| &c.topic == name);
                if !known {
                    return Err(PerceptionError::Config(format!(
                        "fault plan: `{name}` is neither a sensor of the log's rig nor one of \
                         its topics"
                    )));
                }
            }
        }
        let mut player = Self {
            path: path.to_owned(),
            options,
            node,
            topics: BTreeMap::new(),
            summary: PlaySummary::default(),
            rig_toml,
            rig,
            _rig_queryable: rig_queryable,
        };
        for ch in &channels {
            player.topic(ch)?;
        }
        Ok(player)
    }

    /// The rig the log holds, as TOML (offered on [`RIG_KEY`]).
    pub fn rig_toml(&self) -> Option<&str> {
        self.rig_toml.as_deref()
    }

    /// Topics played so far or declared, by name.
    pub fn played_topics(&self) -> Vec<String> {
        self.topics
            .iter()
            .filter(|(_, t)| t.is_some())
            .map(|(n, _)| n.clone())
            .collect()
    }

    /// The publisher of a channel's topic, declared on first use; `None` for a topic not
    /// played.
    fn topic(&mut self, ch: &ChannelInfo) -> Result<Option<&mut PlayedTopic>, PerceptionError> {
        if !self.topics.contains_key(&ch.topic) {
            let selected = if self.options.topics.is_empty() {
                let ty = normalize_type_name(&ch.schema_name);
                sensor_types().iter().any(|t| normalize_type_name(t) == ty)
            } else {
                self.options.topics.contains(&ch.topic)
            };
            let played = if !selected {
                self.summary
                    .skipped
                    .insert(ch.topic.clone(), "not selected".into());
                None
            } else {
                match channel_type(ch) {
                    Ok(ty) => {
                        let publisher =
                            self.node
                                .blocking_publisher(&ch.topic, ty, recorded_qos(ch))?;
                        Some(PlayedTopic {
                            publisher,
                            header: starts_with_header(ch),
                        })
                    }
                    Err(reason) => {
                        tracing::warn!("{}: not played: {reason}", ch.topic);
                        self.summary.skipped.insert(ch.topic.clone(), reason);
                        None
                    }
                }
            };
            self.topics.insert(ch.topic.clone(), played);
        }
        Ok(self.topics.get_mut(&ch.topic).and_then(Option::as_mut))
    }

    fn wait_for_subscribers(&self, stop: &AtomicBool) {
        let wait = self.options.wait_for_subscribers;
        if wait.is_zero() {
            return;
        }
        let start = Instant::now();
        loop {
            let missing: Vec<&String> = self
                .topics
                .iter()
                .filter(|(_, t)| t.as_ref().is_some_and(|t| !t.publisher.has_subscriber()))
                .map(|(n, _)| n)
                .collect();
            if missing.is_empty() {
                std::thread::sleep(SUBSCRIBER_SETTLE);
                return;
            }
            if start.elapsed() >= wait || stop.load(Ordering::Relaxed) {
                tracing::warn!("no subscriber after {wait:?} on {missing:?}; playing anyway");
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Plays the log (every pass with `repeat`) until its end or `stop`; `keep(topic, log
    /// time)` may hold back single messages (tests use it to silence a sensor for a while).
    pub fn play(
        mut self,
        stop: &AtomicBool,
        mut keep: impl FnMut(&str, Timestamp) -> bool,
    ) -> Result<PlaySummary, PerceptionError> {
        self.wait_for_subscribers(stop);
        let start = Instant::now();
        let mut first: Option<u64> = None;
        let mut restamp_ns: i128 = 0;
        let mut pass_shift: u64 = 0;
        // One set of counters over every pass, read however the play ends.
        let counts = self.options.faults.as_ref().map(FaultCounts::for_plan);
        'passes: loop {
            self.summary.passes += 1;
            let span = Arc::new(Mutex::new(PassSpan::default()));
            let messages = self.pass_messages(span.clone(), counts.clone())?;
            for m in messages {
                let m = m?.raw;
                if stop.load(Ordering::Relaxed) {
                    break 'passes;
                }
                let log_time = m.log_time.saturating_add(pass_shift);
                let t0 = *first.get_or_insert_with(|| {
                    if self.options.restamp {
                        restamp_ns = WallClock.now().as_nanos() as i128 - log_time as i128;
                    }
                    log_time
                });
                let offset_s = (log_time.saturating_sub(t0)) as f64 * 1e-9 / self.options.rate;
                if !sleep_until(start + Duration::from_secs_f64(offset_s), stop) {
                    break 'passes;
                }
                if !keep(&m.channel.topic, Timestamp(log_time)) {
                    continue;
                }
                let Some(topic) = self.topic(&m.channel)? else {
                    continue;
                };
                let mut data = m.data;
                if topic.header {
                    header_stamp::shift(&mut data, restamp_ns + pass_shift as i128);
                }
                topic.publisher.publish(&data, WallClock.now())?;
                *self
                    .summary
                    .published
                    .entry(m.channel.topic.clone())
                    .or_default() += 1;
            }
            let next = span.lock().ok().and_then(|s| s.next_pass_shift());
            match next {
                Some(shift) if self.options.repeat => pass_shift += shift,
                _ => break,
            }
        }
        self.summary.fault_hits = counts.map(|c| c.hits()).unwrap_or_default();
        Ok(self.summary)
    }
}

impl LogPlayer {
    /// One pass's messages, faulted when the options say so (hits added to `counts`); `span`
    /// learns the recorded times (before faults).
    fn pass_messages(
        &self,
        span: Arc<Mutex<PassSpan>>,
        counts: Option<FaultCounts>,
    ) -> Result<ItemIter<PlayedMessage>, PerceptionError> {
        let source_name = self.path.display().to_string();
        let rig = self.rig.clone();
        let messages: ItemIter<PlayedMessage> = Box::new(open_reader(&self.path)?.map(move |m| {
            let raw = m.map_err(|e| PerceptionError::Source {
                source_name: source_name.clone(),
                message: e.to_string(),
            })?;
            if let Ok(mut span) = span.lock() {
                span.add(&raw.channel.topic, raw.log_time);
            }
            let owner = rig
                .as_ref()
                .and_then(|r| rig_sensor_of_topic(r, &raw.channel.topic));
            let wire = WireType::of_name(&raw.channel.schema_name).map(|w| match w {
                WireType::PointCloud2 { .. } => WireType::PointCloud2 {
                    radar: owner.map(|s| matches!(s.kind, SensorKind::Radar { .. })),
                },
                other => other,
            });
            Ok(PlayedMessage {
                sensor: owner.map_or_else(|| raw.channel.topic.clone(), |s| s.name.clone()),
                wire,
                raw,
            })
        }));
        Ok(match (&self.options.faults, counts) {
            (Some(plan), Some(counts)) => {
                Box::new(FaultInjector::counting_into(messages, plan.clone(), counts))
            }
            _ => messages,
        })
    }
}

/// The recorded times of one pass: its first and last log time and, per topic, the message
/// count and first and last log time.
#[derive(Debug, Default)]
struct PassSpan {
    first: Option<u64>,
    last: u64,
    per_topic: BTreeMap<String, (u64, u64, u64)>,
}

impl PassSpan {
    fn add(&mut self, topic: &str, log_time: u64) {
        self.first = Some(self.first.map_or(log_time, |f| f.min(log_time)));
        self.last = self.last.max(log_time);
        let e = self
            .per_topic
            .entry(topic.to_owned())
            .or_insert((0, log_time, log_time));
        e.0 += 1;
        e.2 = log_time;
    }

    /// How far the next pass's times move: the pass's span plus one message period (the
    /// densest topic's); `None` for an empty pass.
    fn next_pass_shift(&self) -> Option<u64> {
        let first = self.first?;
        let period = self
            .per_topic
            .values()
            .filter(|(n, f, l)| *n > 1 && l > f)
            .map(|(n, f, l)| (l - f) / (n - 1))
            .min()
            .unwrap_or(100_000_000);
        Some(self.last - first + period)
    }
}

fn open_reader(
    path: &Path,
) -> Result<RawLogReader<std::io::BufReader<std::fs::File>>, PerceptionError> {
    RawLogReader::open(path).map_err(|e| PerceptionError::Source {
        source_name: path.display().to_string(),
        message: e.to_string(),
    })
}

/// Sleeps until `deadline` in short steps so that `stop` is noticed; false when stopped.
fn sleep_until(deadline: Instant, stop: &AtomicBool) -> bool {
    loop {
        if stop.load(Ordering::Relaxed) {
            return false;
        }
        let now = Instant::now();
        if now >= deadline {
            return true;
        }
        std::thread::sleep((deadline - now).min(Duration::from_millis(20)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_qos_is_read_from_rosbag2_yaml() {
        let mut ch = ChannelInfo {
            id: 1,
            topic: "/t".into(),
            message_encoding: "cdr".into(),
            schema_name: "std_msgs/msg/Header".into(),
            schema_encoding: "ros2msg".into(),
            schema_data: b"# comment\nbuiltin_interfaces/Time stamp\nstring frame_id\n".to_vec(),
            metadata: BTreeMap::new(),
        };
        assert_eq!(recorded_qos(&ch).depth, 10);
        ch.metadata.insert(
            "offered_qos_profiles".into(),
            "- history: 1\n  depth: 5\n  reliability: 2\n  durability: 1\n".into(),
        );
        let q = recorded_qos(&ch);
        assert_eq!(
            (q.depth, q.reliability, q.durability, q.history),
            (
                5,
                Reliability::BestEffort,
                Durability::TransientLocal,
                History::KeepLast
            )
        );
        ch.metadata.insert(
            "offered_qos_profiles".into(),
            "- history: 2\n  depth: 0\n  reliability: 1\n  durability: 2\n".into(),
        );
        assert_eq!(recorded_qos(&ch).history, History::KeepAll);
        assert!(!starts_with_header(&ch));
        ch.metadata
            .insert("topic_type_hash".into(), "RIHS01_recorded".into());
        assert_eq!(channel_type(&ch).unwrap().hash, "RIHS01_recorded");
        ch.metadata.clear();
        ch.schema_name = "test_msgs/msg/X".into();
        ch.schema_data = b"std_msgs/Header header\nuint32 x\n".to_vec();
        assert!(starts_with_header(&ch));
        ch.schema_data = b"uint32 x\n".to_vec();
        let ty = channel_type(&ch).unwrap();
        assert!(ty.hash.starts_with("RIHS01_"));
        ch.schema_name = "test_msgs/X".into();
        assert_eq!(channel_type(&ch).unwrap().name, "test_msgs/msg/X");
        ch.message_encoding = "json".into();
        assert!(channel_type(&ch).is_err());
    }
}
