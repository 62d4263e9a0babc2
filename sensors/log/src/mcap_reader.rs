//! Streaming MCAP reader: walks a log from start to end, decompressing chunks, and yields each
//! message with its channel and schema. Memory scales with the largest chunk, not the file.
//!
//! Chunk CRCs are checked before a chunk's messages are yielded, and the data-section CRC at
//! its end. It needs no summary, so a truncated or damaged log still delivers every message before the
//! damage, then one [`LogError::Mcap`] naming how far into the file the damage was found.
//! Messages come in file order, which for rosbag2 and Kestrel logs is log-time order (both
//! write messages as they arrive); [`RawLogReader::out_of_order`] counts exceptions.

use crate::error::LogError;
use mcap::records::Record;
use mcap::sans_io::{LinearReadEvent, LinearReader, LinearReaderOptions};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Smallest limit on one record's (or decompressed chunk's) size, bytes: 256 MiB.
pub const MIN_RECORD_LIMIT: u64 = 256 << 20;

/// A channel of the log with its schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelInfo {
    /// Channel id in the file.
    pub id: u16,
    /// Topic name.
    pub topic: String,
    /// Message encoding (`cdr` for ROS 2).
    pub message_encoding: String,
    /// Schema name (`sensor_msgs/msg/Image`), empty when the channel has no schema.
    pub schema_name: String,
    /// Schema encoding (`ros2msg` for ROS 2).
    pub schema_encoding: String,
    /// Schema text (ros2msg definition with appended dependencies).
    pub schema_data: Vec<u8>,
    /// Channel metadata (rosbag2: `offered_qos_profiles`, `topic_type_hash`).
    pub metadata: BTreeMap<String, String>,
}

/// One message as stored: channel, times and the serialised payload.
#[derive(Debug, Clone, PartialEq)]
pub struct RawMessage {
    /// The channel.
    pub channel: Arc<ChannelInfo>,
    /// Per-channel sequence number.
    pub sequence: u32,
    /// Time the recorder received the message, ns.
    pub log_time: u64,
    /// Time the message was published, ns.
    pub publish_time: u64,
    /// Serialised message (for `cdr`: encapsulation header + body).
    pub data: Vec<u8>,
}

/// Streaming reader over an MCAP file or any byte source.
pub struct RawLogReader<R> {
    path: PathBuf,
    source: R,
    reader: LinearReader,
    schemas: BTreeMap<u16, (String, String, Vec<u8>)>,
    channels: BTreeMap<u16, Arc<ChannelInfo>>,
    metadata: Vec<mcap::records::Metadata>,
    consumed: u64,
    last_log_time: u64,
    out_of_order: u64,
    done: bool,
}

impl RawLogReader<BufReader<File>> {
    /// Opens an MCAP file.
    pub fn open(path: &Path) -> Result<Self, LogError> {
        let io = |source| LogError::Io {
            path: path.to_owned(),
            source,
        };
        let file = File::open(path).map_err(io)?;
        let len = file.metadata().map_err(io)?.len();
        Ok(Self::new(path, BufReader::new(file), len))
    }
}

impl<R: Read> RawLogReader<R> {
    /// Reads from `source`; `path` names it in errors; `len` is its size in bytes. Records
    /// and decompressed chunks are limited to `max(len, MIN_RECORD_LIMIT)` bytes, so a
    /// corrupt length never causes a huge allocation.
    pub fn new(path: &Path, source: R, len: u64) -> Self {
        let limit = usize::try_from(len.max(MIN_RECORD_LIMIT)).unwrap_or(usize::MAX);
        Self {
            path: path.to_owned(),
            source,
            reader: LinearReader::new_with_options(
                LinearReaderOptions::default()
                    .with_record_length_limit(limit)
                    .with_prevalidate_chunk_crcs(true)
                    .with_validate_data_section_crc(true),
            ),
            schemas: BTreeMap::new(),
            channels: BTreeMap::new(),
            metadata: Vec::new(),
            consumed: 0,
            last_log_time: 0,
            out_of_order: 0,
            done: false,
        }
    }

    /// Metadata records seen so far (name and key/value map), in file order.
    pub fn metadata(&self) -> &[mcap::records::Metadata] {
        &self.metadata
    }

    /// Channels seen so far, by id.
    pub fn channels(&self) -> &BTreeMap<u16, Arc<ChannelInfo>> {
        &self.channels
    }

    /// Messages whose log time was earlier than the previous message's.
    pub fn out_of_order(&self) -> u64 {
        self.out_of_order
    }

    /// Reads records until the next metadata record or message, without consuming a message:
    /// returns the next message if one is reached.
    fn advance(&mut self) -> Result<Option<RawMessage>, LogError> {
        loop {
            let event = match self.reader.next_event() {
                None => return Ok(None),
                Some(e) => e.map_err(|e| mcap_error(&self.path, self.consumed, e))?,
            };
            let (opcode, data) = match event {
                LinearReadEvent::ReadRequest(n) => {
                    let buf = self.reader.insert(n);
                    let read = self.source.read(buf).map_err(|source| LogError::Io {
                        path: self.path.clone(),
                        source,
                    })?;
                    self.reader.notify_read(read);
                    self.consumed += read as u64;
                    continue;
                }
                LinearReadEvent::Record { data, opcode } => (opcode, data),
            };
            let record = mcap::parse_record(opcode, data);
            match record.map_err(|e| mcap_error(&self.path, self.consumed, e))? {
                Record::Schema { header, data } => {
                    self.schemas
                        .insert(header.id, (header.name, header.encoding, data.into_owned()));
                }
                Record::Channel(c) => {
                    let (schema_name, schema_encoding, schema_data) = match c.schema_id {
                        0 => Default::default(),
                        id => self.schemas.get(&id).cloned().ok_or_else(|| {
                            let e = mcap::McapError::UnknownSchema(c.topic.clone(), id);
                            mcap_error(&self.path, self.consumed, e)
                        })?,
                    };
                    let info = ChannelInfo {
                        id: c.id,
                        topic: c.topic,
                        message_encoding: c.message_encoding,
                        schema_name,
                        schema_encoding,
                        schema_data,
                        metadata: c.metadata,
                    };
                    self.channels.insert(c.id, Arc::new(info));
                }
                Record::Message { header, data } => {
                    let channel =
                        self.channels
                            .get(&header.channel_id)
                            .cloned()
                            .ok_or_else(|| {
                                let e = mcap::McapError::UnknownChannel(
                                    header.sequence,
                                    header.channel_id,
                                );
                                mcap_error(&self.path, self.consumed, e)
                            })?;
                    if header.log_time < self.last_log_time {
                        self.out_of_order += 1;
                    }
                    self.last_log_time = header.log_time;
                    return Ok(Some(RawMessage {
                        channel,
                        sequence: header.sequence,
                        log_time: header.log_time,
                        publish_time: header.publish_time,
                        data: data.into_owned(),
                    }));
                }
                Record::Metadata(m) => self.metadata.push(m),
                _ => {}
            }
        }
    }
}

fn mcap_error(path: &Path, offset: u64, source: mcap::McapError) -> LogError {
    LogError::Mcap {
        path: path.to_owned(),
        offset,
        source,
    }
}

impl<R: Read> Iterator for RawLogReader<R> {
    type Item = Result<RawMessage, LogError>;

    /// The next message; after the first container error, `None`.
    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.advance() {
            Ok(Some(m)) => Some(Ok(m)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}
