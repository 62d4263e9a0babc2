//! What an MCAP log holds, as `ros2 bag info` / `mcap info` print it: per topic its message
//! type, message count, first and last log time and mean rate; for the log its duration,
//! message count, profile and chunk compression.
//!
//! With a usable summary (rosbag2 and Kestrel logs) nothing is decompressed: per-topic counts
//! and times come from the **message index** records each chunk index points to (one entry per
//! message: log time and offset), and are checked against the summary's statistics. Without
//! one (a truncated log, a writer that wrote no summary) every message is read through
//! [`RawLogReader`] instead, compression is reported as unknown, and a truncated or damaged log
//! gives the numbers of the messages before the damage ([`LogInfo::damage`]).

use crate::error::LogError;
use crate::mcap_reader::{MIN_RECORD_LIMIT, RawLogReader, read_at, read_summary};
use mcap::records::{Record, op};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufReader, Read, Seek};
use std::path::{Path, PathBuf};

/// One topic of a log.
#[derive(Debug, Clone, PartialEq)]
pub struct TopicInfo {
    /// Topic name.
    pub topic: String,
    /// Message type (schema name, e.g. `sensor_msgs/msg/PointCloud2`); empty without schema.
    pub message_type: String,
    /// Message encoding (`cdr` for ROS 2).
    pub message_encoding: String,
    /// Messages on the topic.
    pub messages: u64,
    /// Log time of its first message, ns (`None` without messages).
    pub first_ns: Option<u64>,
    /// Log time of its last message, ns.
    pub last_ns: Option<u64>,
}

impl TopicInfo {
    /// Mean message rate between the first and last message, Hz (0 with fewer than two
    /// messages or no time between them).
    pub fn rate_hz(&self) -> f64 {
        match (self.first_ns, self.last_ns) {
            (Some(f), Some(l)) if self.messages > 1 && l > f => {
                (self.messages - 1) as f64 / ((l - f) as f64 * 1e-9)
            }
            _ => 0.0,
        }
    }
}

/// Chunk compression of a log: per compression name, chunks and sizes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ChunkCompression {
    /// Chunks using it.
    pub chunks: u64,
    /// Their compressed size, bytes.
    pub compressed_bytes: u64,
    /// Their uncompressed size, bytes.
    pub uncompressed_bytes: u64,
}

/// Where the numbers of a [`LogInfo`] came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InfoSource {
    /// The summary and the message indexes (nothing decompressed).
    Indexes,
    /// Every message read, because the summary is not usable (`reason` says why).
    Scan {
        /// Why the summary was not used.
        reason: String,
    },
}

/// What an MCAP log holds.
#[derive(Debug, Clone, PartialEq)]
pub struct LogInfo {
    /// The file.
    pub path: PathBuf,
    /// File size, bytes.
    pub file_bytes: u64,
    /// The header's profile (`ros2` for rosbag2 and Kestrel logs).
    pub profile: String,
    /// The header's writing library.
    pub library: String,
    /// Messages in the log.
    pub messages: u64,
    /// Earliest log time, ns (`None` without messages).
    pub start_ns: Option<u64>,
    /// Latest log time, ns.
    pub end_ns: Option<u64>,
    /// Per compression name (`zstd`, `lz4`, `""` = uncompressed), the chunks; empty when the
    /// log has no chunk or the summary is not usable.
    pub compression: BTreeMap<String, ChunkCompression>,
    /// Topics, by name.
    pub topics: Vec<TopicInfo>,
    /// Metadata record names (e.g. `kestrel_rig`, rosbag2's `rosbag2`).
    pub metadata: Vec<String>,
    /// Where the numbers came from.
    pub source: InfoSource,
    /// The container error that ended a scan early (a truncated or damaged log): the numbers
    /// cover the messages before it.
    pub damage: Option<String>,
}

impl LogInfo {
    /// Time from the first to the last message, seconds (0 without messages).
    pub fn duration_s(&self) -> f64 {
        match (self.start_ns, self.end_ns) {
            (Some(s), Some(e)) => e.saturating_sub(s) as f64 * 1e-9,
            _ => 0.0,
        }
    }

    /// Messages per topic.
    pub fn counts(&self) -> BTreeMap<String, u64> {
        self.topics
            .iter()
            .map(|t| (t.topic.clone(), t.messages))
            .collect()
    }

    /// Reads the info of the MCAP file at `path` (see the module docs).
    pub fn read(path: &Path) -> Result<Self, LogError> {
        let io = |source| LogError::Io {
            path: path.to_owned(),
            source,
        };
        let file = File::open(path).map_err(io)?;
        let len = file.metadata().map_err(io)?.len();
        let mut source = BufReader::new(file);
        let (profile, library) = read_header(&mut source, path)?;
        let limit = usize::try_from(len.max(MIN_RECORD_LIMIT)).unwrap_or(usize::MAX);
        let mut info = match read_summary(&mut source, len, limit) {
            Ok(summary) => match from_indexes(&mut source, path, &summary, len, limit) {
                Ok(info) => info,
                Err(reason) => scan(path, reason)?,
            },
            Err(reason) => scan(path, reason)?,
        };
        info.file_bytes = len;
        info.profile = profile;
        info.library = library;
        Ok(info)
    }
}

/// True when `path` is a file that starts with the MCAP magic bytes.
pub fn is_mcap(path: &Path) -> bool {
    let mut head = [0u8; 8];
    path.is_file()
        && File::open(path)
            .and_then(|mut f| f.read_exact(&mut head))
            .is_ok()
        && head == *mcap::MAGIC
}

/// The header record's profile and library.
fn read_header<R: Read>(source: &mut R, path: &Path) -> Result<(String, String), LogError> {
    let bad = |offset| LogError::Mcap {
        path: path.to_owned(),
        offset,
        source: mcap::McapError::BadMagic,
    };
    let mut head = [0u8; 8 + 1 + 8];
    source.read_exact(&mut head).map_err(|_| bad(0))?;
    if &head[..8] != mcap::MAGIC || head[8] != op::HEADER {
        return Err(bad(0));
    }
    let body_len = u64::from_le_bytes(head[9..17].try_into().expect("8 bytes"));
    // A header is two short strings; anything longer is damage.
    if body_len > 1 << 20 {
        return Err(bad(9));
    }
    let mut body = vec![0u8; body_len as usize];
    source.read_exact(&mut body).map_err(|_| bad(17))?;
    match mcap::parse_record(op::HEADER, &body) {
        Ok(Record::Header(h)) => Ok((h.profile, h.library)),
        Ok(_) => Err(bad(17)),
        Err(e) => Err(LogError::Mcap {
            path: path.to_owned(),
            offset: 17,
            source: e,
        }),
    }
}

/// The info from the summary and message indexes, or why they cannot give it.
fn from_indexes<R: Read + Seek>(
    source: &mut R,
    path: &Path,
    summary: &mcap::Summary,
    len: u64,
    limit: usize,
) -> Result<LogInfo, String> {
    let stats = summary
        .stats
        .as_ref()
        .ok_or("the summary has no statistics")?;
    if stats.chunk_count as usize != summary.chunk_indexes.len() {
        return Err(format!(
            "the summary indexes {} of {} chunks",
            summary.chunk_indexes.len(),
            stats.chunk_count
        ));
    }
    let mut per_channel: BTreeMap<u16, (u64, Option<u64>, Option<u64>)> = BTreeMap::new();
    let mut compression: BTreeMap<String, ChunkCompression> = BTreeMap::new();
    for chunk in &summary.chunk_indexes {
        let c = compression.entry(chunk.compression.clone()).or_default();
        c.chunks += 1;
        c.compressed_bytes += chunk.compressed_size;
        c.uncompressed_bytes += chunk.uncompressed_size;
        for (&channel, &offset) in &chunk.message_index_offsets {
            let entries = read_message_index(source, path, offset, len, limit)?;
            let e = per_channel.entry(channel).or_default();
            e.0 += entries.len() as u64;
            for t in entries {
                e.1 = Some(e.1.map_or(t, |f: u64| f.min(t)));
                e.2 = Some(e.2.map_or(t, |l: u64| l.max(t)));
            }
        }
    }
    let indexed: u64 = per_channel.values().map(|e| e.0).sum();
    if indexed != stats.message_count {
        return Err(format!(
            "the message indexes hold {indexed} messages, the statistics {}",
            stats.message_count
        ));
    }
    for (channel, &n) in &stats.channel_message_counts {
        let found = per_channel.get(channel).map_or(0, |e| e.0);
        if found != n {
            return Err(format!(
                "channel {channel}: the message indexes hold {found} messages, the statistics {n}"
            ));
        }
    }
    let mut topics: BTreeMap<String, TopicInfo> = BTreeMap::new();
    for (id, channel) in &summary.channels {
        let (messages, first_ns, last_ns) = per_channel.get(id).copied().unwrap_or_default();
        let t = topics
            .entry(channel.topic.clone())
            .or_insert_with(|| TopicInfo {
                topic: channel.topic.clone(),
                message_type: channel
                    .schema
                    .as_ref()
                    .map(|s| s.name.clone())
                    .unwrap_or_default(),
                message_encoding: channel.message_encoding.clone(),
                messages: 0,
                first_ns: None,
                last_ns: None,
            });
        merge_topic(t, messages, first_ns, last_ns);
    }
    let mut metadata: Vec<String> = summary
        .metadata_indexes
        .iter()
        .map(|m| m.name.clone())
        .collect();
    metadata.sort();
    let any = stats.message_count > 0;
    Ok(LogInfo {
        path: path.to_owned(),
        file_bytes: len,
        profile: String::new(),
        library: String::new(),
        messages: stats.message_count,
        start_ns: any.then_some(stats.message_start_time),
        end_ns: any.then_some(stats.message_end_time),
        compression,
        topics: topics.into_values().collect(),
        metadata,
        source: InfoSource::Indexes,
        damage: None,
    })
}

/// Adds `messages` between `first` and `last` to a topic (a topic may span channels).
fn merge_topic(t: &mut TopicInfo, messages: u64, first: Option<u64>, last: Option<u64>) {
    t.messages += messages;
    t.first_ns = match (t.first_ns, first) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    t.last_ns = match (t.last_ns, last) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    };
}

/// The log times of the message index record at `offset`.
fn read_message_index<R: Read + Seek>(
    source: &mut R,
    path: &Path,
    offset: u64,
    len: u64,
    limit: usize,
) -> Result<Vec<u64>, String> {
    let head = read_at(source, path, offset, 9, len, limit).map_err(|e| e.to_string())?;
    if head[0] != op::MESSAGE_INDEX {
        return Err(format!("no message index record at byte {offset}"));
    }
    let body_len = u64::from_le_bytes(head[1..9].try_into().expect("8 bytes"));
    let body =
        read_at(source, path, offset + 9, body_len, len, limit).map_err(|e| e.to_string())?;
    match mcap::parse_record(op::MESSAGE_INDEX, &body) {
        Ok(Record::MessageIndex(index)) => Ok(index.records.iter().map(|e| e.log_time).collect()),
        Ok(_) | Err(_) => Err(format!("unreadable message index record at byte {offset}")),
    }
}

/// The info from reading every message (no usable summary).
fn scan(path: &Path, reason: String) -> Result<LogInfo, LogError> {
    let mut reader = RawLogReader::open(path)?;
    let mut topics: BTreeMap<String, TopicInfo> = BTreeMap::new();
    let (mut messages, mut start, mut end) = (0u64, None::<u64>, None::<u64>);
    let mut damage = None;
    for m in reader.by_ref() {
        let m = match m {
            Ok(m) => m,
            Err(e) => {
                damage = Some(e.to_string());
                break;
            }
        };
        messages += 1;
        start = Some(start.map_or(m.log_time, |s| s.min(m.log_time)));
        end = Some(end.map_or(m.log_time, |e| e.max(m.log_time)));
        let ch = &m.channel;
        let t = topics.entry(ch.topic.clone()).or_insert_with(|| TopicInfo {
            topic: ch.topic.clone(),
            message_type: ch.schema_name.clone(),
            message_encoding: ch.message_encoding.clone(),
            messages: 0,
            first_ns: None,
            last_ns: None,
        });
        merge_topic(t, 1, Some(m.log_time), Some(m.log_time));
    }
    // Channels without messages are topics too.
    for ch in reader.channels().values() {
        topics.entry(ch.topic.clone()).or_insert_with(|| TopicInfo {
            topic: ch.topic.clone(),
            message_type: ch.schema_name.clone(),
            message_encoding: ch.message_encoding.clone(),
            messages: 0,
            first_ns: None,
            last_ns: None,
        });
    }
    let mut metadata: Vec<String> = reader.metadata().iter().map(|m| m.name.clone()).collect();
    metadata.sort();
    Ok(LogInfo {
        path: path.to_owned(),
        file_bytes: 0,
        profile: String::new(),
        library: String::new(),
        messages,
        start_ns: start,
        end_ns: end,
        compression: BTreeMap::new(),
        topics: topics.into_values().collect(),
        metadata,
        source: InfoSource::Scan { reason },
        damage,
    })
}
