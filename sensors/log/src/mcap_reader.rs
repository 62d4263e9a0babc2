//! MCAP reader that delivers messages in log-time order (ties: file order), with each
//! message's channel and schema.
//!
//! - **Indexed** ([`ReadMode::Indexed`]): when the file ends in a summary with statistics and
//!   one chunk index per chunk (rosbag2 and Kestrel logs), the chunks are visited through
//!   those indexes in order of their first log time and merged, so messages come out exactly
//!   sorted even when chunks overlap in time. This is the visiting order of the `mcap` crate's
//!   `sans_io::IndexedReader`; each chunk is read with a `LinearReader` instead, because that
//!   one checks the chunk CRC before yielding anything (the indexed reader does not), so a
//!   damaged chunk is an error, never silently wrong messages. Memory: the chunks whose time
//!   ranges overlap. At the end the message count is checked against the statistics
//!   ([`LogError::IndexMismatch`]).
//! - **Streamed** ([`ReadMode::Streamed`]): without a usable summary (no summary, a truncated
//!   file, a damaged footer) the file is read from the start and messages pass through a
//!   bounded reorder window ([`ReorderWindow`]): the earliest message held is released once the
//!   window is full, so disorder within the window is repaired. A message that arrives later
//!   than the window can repair is still delivered, right away, and counted
//!   ([`RawLogReader::out_of_order`]) — a declared degraded mode, not a loss.
//!
//! Chunk CRCs are checked before a chunk's messages are used, and (streamed) the data-section
//! CRC at its end. On damage, every message already read is delivered, then one
//! [`LogError::Mcap`] naming how far into the file the damage was found, then the end.

use crate::error::LogError;
use crate::log_time_queue::{FilePosition, LogTimeQueue};
use mcap::records::{ChunkIndex, Record, op};
use mcap::sans_io::summary_reader::{SummaryReadEvent, SummaryReader, SummaryReaderOptions};
use mcap::sans_io::{LinearReadEvent, LinearReader, LinearReaderOptions};
use std::collections::{BTreeMap, VecDeque};
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
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

/// How many messages a streamed read may hold back to put them in log-time order. The earliest
/// held message is released when either limit is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReorderWindow {
    /// Messages held at most (1 = no reordering: file order).
    pub max_messages: usize,
    /// Payload bytes held at most (a single larger message is still held alone).
    pub max_bytes: usize,
}

/// The default window: 4096 messages or 64 MiB of payload, whichever is reached first (about
/// two seconds of a 10 Hz LiDAR + camera rig such as KITTI's).
pub const DEFAULT_REORDER_WINDOW: ReorderWindow = ReorderWindow {
    max_messages: 4096,
    max_bytes: 64 << 20,
};

/// How a [`RawLogReader`] orders the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadMode {
    /// Through the summary's chunk indexes: exact log-time order.
    Indexed,
    /// From the start of the file through a [`ReorderWindow`], because the summary is not
    /// usable (`reason` says why).
    Streamed {
        /// Why the summary was not used.
        reason: String,
    },
}

/// Schemas, channels and metadata records known so far.
#[derive(Default)]
struct Catalog {
    schemas: BTreeMap<u16, (String, String, Vec<u8>)>,
    channels: BTreeMap<u16, Arc<ChannelInfo>>,
    metadata: Vec<mcap::records::Metadata>,
}

impl Catalog {
    /// Registers a schema, channel or metadata record; returns a message record as a message.
    /// `offset`: bytes of the file consumed, for errors.
    fn take(
        &mut self,
        path: &Path,
        offset: u64,
        record: Record<'_>,
    ) -> Result<Option<RawMessage>, LogError> {
        match record {
            Record::Schema { header, data } => {
                self.schemas
                    .insert(header.id, (header.name, header.encoding, data.into_owned()));
            }
            Record::Channel(c) => {
                let (schema_name, schema_encoding, schema_data) = match c.schema_id {
                    0 => Default::default(),
                    id => self.schemas.get(&id).cloned().ok_or_else(|| {
                        let e = mcap::McapError::UnknownSchema(c.topic.clone(), id);
                        mcap_error(path, offset, e)
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
                let channel = self
                    .channels
                    .get(&header.channel_id)
                    .cloned()
                    .ok_or_else(|| {
                        let e = mcap::McapError::UnknownChannel(header.sequence, header.channel_id);
                        mcap_error(path, offset, e)
                    })?;
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
        Ok(None)
    }

    /// The schemas and channels of a summary.
    fn from_summary(summary: &mcap::Summary) -> Self {
        let schemas = summary
            .schemas
            .iter()
            .map(|(&id, s)| {
                let entry = (s.name.clone(), s.encoding.clone(), s.data.to_vec());
                (id, entry)
            })
            .collect();
        let channels = summary
            .channels
            .iter()
            .map(|(&id, c)| {
                let (schema_name, schema_encoding, schema_data) = c
                    .schema
                    .as_ref()
                    .map(|s| (s.name.clone(), s.encoding.clone(), s.data.to_vec()))
                    .unwrap_or_default();
                let info = ChannelInfo {
                    id,
                    topic: c.topic.clone(),
                    message_encoding: c.message_encoding.clone(),
                    schema_name,
                    schema_encoding,
                    schema_data,
                    metadata: c.metadata.clone(),
                };
                (id, Arc::new(info))
            })
            .collect();
        Self {
            schemas,
            channels,
            metadata: Vec::new(),
        }
    }
}

/// A `LinearReader` driven over a byte source, yielding messages.
struct RecordStream<S> {
    reader: LinearReader,
    source: S,
    /// File offset of the source's first byte.
    base: u64,
    consumed: u64,
}

impl<S: Read> RecordStream<S> {
    /// The next message, registering the records before it in `catalog`.
    fn next_message(
        &mut self,
        catalog: &mut Catalog,
        path: &Path,
    ) -> Result<Option<RawMessage>, LogError> {
        loop {
            let offset = self.base + self.consumed;
            let event = match self.reader.next_event() {
                None => return Ok(None),
                Some(e) => e.map_err(|e| mcap_error(path, offset, e))?,
            };
            match event {
                LinearReadEvent::ReadRequest(n) => {
                    let buf = self.reader.insert(n);
                    let read = self.source.read(buf).map_err(|source| LogError::Io {
                        path: path.to_owned(),
                        source,
                    })?;
                    self.reader.notify_read(read);
                    self.consumed += read as u64;
                }
                LinearReadEvent::Record { data, opcode } => {
                    let record = mcap::parse_record(opcode, data);
                    let record = record.map_err(|e| mcap_error(path, offset, e))?;
                    if let Some(m) = catalog.take(path, offset, record)? {
                        return Ok(Some(m));
                    }
                }
            }
        }
    }
}

/// Where the messages come from.
enum Plan<R> {
    Indexed {
        source: R,
        /// Chunks not yet loaded, by (first log time, file offset).
        chunks: VecDeque<ChunkIndex>,
        /// Messages the summary's statistics count.
        expected: u64,
        /// Messages delivered.
        delivered: u64,
    },
    Streamed {
        stream: Box<RecordStream<R>>,
        window: ReorderWindow,
        /// Messages read so far (their file order).
        read: u64,
        exhausted: bool,
    },
}

/// Reads an MCAP file (or any seekable byte source) in log-time order; see the module docs.
pub struct RawLogReader<R> {
    path: PathBuf,
    limit: usize,
    mode: ReadMode,
    plan: Plan<R>,
    catalog: Catalog,
    queue: LogTimeQueue,
    /// A container error found while reading ahead, delivered after the messages before it.
    deferred: Option<LogError>,
    last_log_time: Option<u64>,
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
        Self::new(path, BufReader::new(file), len)
    }
}

impl<R: Read + Seek> RawLogReader<R> {
    /// Reads from `source`; `path` names it in errors; `len` is its size in bytes. Records
    /// and decompressed chunks are limited to `max(len, MIN_RECORD_LIMIT)` bytes, so a
    /// corrupt length never causes a huge allocation. Uses the summary when it is usable,
    /// else streams with [`DEFAULT_REORDER_WINDOW`]. Fails only when `source` cannot seek.
    pub fn new(path: &Path, mut source: R, len: u64) -> Result<Self, LogError> {
        let limit = usize::try_from(len.max(MIN_RECORD_LIMIT)).unwrap_or(usize::MAX);
        let indexed = read_summary(&mut source, len, limit)
            .and_then(|summary| indexed_plan(&mut source, path, &summary, len, limit));
        let (mode, plan, catalog) = match indexed {
            Ok((chunks, expected, catalog)) => {
                let plan = Plan::Indexed {
                    source,
                    chunks,
                    expected,
                    delivered: 0,
                };
                (ReadMode::Indexed, plan, catalog)
            }
            Err(reason) => {
                source.seek(SeekFrom::Start(0)).map_err(|e| LogError::Io {
                    path: path.to_owned(),
                    source: e,
                })?;
                let reader = LinearReader::new_with_options(
                    LinearReaderOptions::default()
                        .with_record_length_limit(limit)
                        .with_prevalidate_chunk_crcs(true)
                        .with_validate_data_section_crc(true),
                );
                let stream = Box::new(RecordStream {
                    reader,
                    source,
                    base: 0,
                    consumed: 0,
                });
                let plan = Plan::Streamed {
                    stream,
                    window: DEFAULT_REORDER_WINDOW,
                    read: 0,
                    exhausted: false,
                };
                (ReadMode::Streamed { reason }, plan, Catalog::default())
            }
        };
        Ok(Self {
            path: path.to_owned(),
            limit,
            mode,
            plan,
            catalog,
            queue: LogTimeQueue::default(),
            deferred: None,
            last_log_time: None,
            out_of_order: 0,
            done: false,
        })
    }

    /// Sets the reorder window of a streamed read (no effect on an indexed read). Call before
    /// the first message; a zero limit counts as 1.
    pub fn with_reorder_window(mut self, window: ReorderWindow) -> Self {
        if let Plan::Streamed { window: w, .. } = &mut self.plan {
            *w = ReorderWindow {
                max_messages: window.max_messages.max(1),
                max_bytes: window.max_bytes.max(1),
            };
        }
        self
    }

    /// How the log is being ordered.
    pub fn mode(&self) -> &ReadMode {
        &self.mode
    }

    /// Metadata records seen so far (name and key/value map): an indexed read knows them all
    /// from the start, a streamed read those before the messages read ahead.
    pub fn metadata(&self) -> &[mcap::records::Metadata] {
        &self.catalog.metadata
    }

    /// Channels seen so far, by id.
    pub fn channels(&self) -> &BTreeMap<u16, Arc<ChannelInfo>> {
        &self.catalog.channels
    }

    /// Messages delivered with a log time earlier than the message delivered before them
    /// (0 for an indexed read with a truthful index; for a streamed read, the disorder the
    /// reorder window could not repair).
    pub fn out_of_order(&self) -> u64 {
        self.out_of_order
    }

    /// The most messages and payload bytes held at once for reordering so far.
    pub fn reorder_peak(&self) -> (usize, usize) {
        self.queue.peak()
    }

    /// Reads ahead until the earliest message to deliver is in the queue (or nothing is left).
    fn fill(&mut self) {
        if self.deferred.is_some() {
            return;
        }
        let path = self.path.as_path();
        match &mut self.plan {
            Plan::Indexed { source, chunks, .. } => {
                while let Some(next) = chunks.front() {
                    let needed = self
                        .queue
                        .earliest()
                        .is_none_or(|t| next.message_start_time < t);
                    if !needed {
                        break;
                    }
                    let chunk = chunks.pop_front().expect("front exists");
                    let loaded = load_chunk(source, path, &chunk, self.limit, &mut self.catalog);
                    match loaded {
                        Ok(messages) => {
                            for (k, m) in messages.into_iter().enumerate() {
                                self.queue.push((chunk.chunk_start_offset, k as u64), m);
                            }
                        }
                        Err(e) => {
                            self.deferred = Some(e);
                            chunks.clear();
                        }
                    }
                }
            }
            Plan::Streamed {
                stream,
                window,
                read,
                exhausted,
            } => {
                while !*exhausted
                    && self.queue.len() < window.max_messages
                    && self.queue.bytes() < window.max_bytes
                {
                    match stream.next_message(&mut self.catalog, path) {
                        Ok(Some(m)) => {
                            let position: FilePosition = (0, *read);
                            self.queue.push(position, m);
                            *read += 1;
                        }
                        Ok(None) => *exhausted = true,
                        Err(e) => {
                            self.deferred = Some(e);
                            *exhausted = true;
                        }
                    }
                }
            }
        }
    }

    /// The next message, the deferred error, the index check, or the end.
    fn advance(&mut self) -> Option<Result<RawMessage, LogError>> {
        self.fill();
        if let Some(m) = self.queue.pop() {
            if self.last_log_time.is_some_and(|t| m.log_time < t) {
                self.out_of_order += 1;
            }
            self.last_log_time = Some(m.log_time);
            if let Plan::Indexed { delivered, .. } = &mut self.plan {
                *delivered += 1;
            }
            return Some(Ok(m));
        }
        if let Some(e) = self.deferred.take() {
            return Some(Err(e));
        }
        match self.plan {
            Plan::Indexed {
                expected,
                delivered,
                ..
            } if expected != delivered => Some(Err(LogError::IndexMismatch {
                path: self.path.clone(),
                expected,
                found: delivered,
            })),
            _ => None,
        }
    }
}

/// The file's summary, or why there is none to use.
pub(crate) fn read_summary<R: Read + Seek>(
    source: &mut R,
    len: u64,
    limit: usize,
) -> Result<mcap::Summary, String> {
    let mut reader = SummaryReader::new_with_options(
        SummaryReaderOptions::default()
            .with_file_size(len)
            .with_record_length_limit(limit),
    );
    while let Some(event) = reader.next_event() {
        match event.map_err(|e| format!("no readable summary: {e}"))? {
            SummaryReadEvent::ReadRequest(n) => {
                let read = source
                    .read(reader.insert(n))
                    .map_err(|e| format!("reading the summary: {e}"))?;
                reader.notify_read(read);
            }
            SummaryReadEvent::SeekRequest(to) => {
                let pos = source
                    .seek(to)
                    .map_err(|e| format!("seeking to the summary: {e}"))?;
                reader.notify_seeked(pos);
            }
        }
    }
    reader
        .finish()
        .ok_or_else(|| "no summary section".to_owned())
}

/// The chunks to visit (sorted), the message count and the catalog (with metadata records) of
/// a summary, or why it cannot drive the read.
type IndexedStart = (VecDeque<ChunkIndex>, u64, Catalog);

fn indexed_plan<R: Read + Seek>(
    source: &mut R,
    path: &Path,
    summary: &mcap::Summary,
    len: u64,
    limit: usize,
) -> Result<IndexedStart, String> {
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
    if stats.metadata_count as usize != summary.metadata_indexes.len() {
        return Err(format!(
            "the summary indexes {} of {} metadata records",
            summary.metadata_indexes.len(),
            stats.metadata_count
        ));
    }
    if summary.chunk_indexes.is_empty() && stats.message_count > 0 {
        return Err("messages outside chunks".to_owned());
    }
    for c in &summary.chunk_indexes {
        let end = c.chunk_start_offset.checked_add(c.chunk_length);
        if end.is_none_or(|end| end > len) || c.chunk_length > limit as u64 {
            return Err(format!(
                "chunk index at {} (length {}) outside the file",
                c.chunk_start_offset, c.chunk_length
            ));
        }
    }
    let mut chunks = summary.chunk_indexes.clone();
    chunks.sort_by_key(|c| (c.message_start_time, c.chunk_start_offset));
    let mut catalog = Catalog::from_summary(summary);
    let mut indexes = summary.metadata_indexes.clone();
    indexes.sort_by_key(|m| m.offset);
    for index in &indexes {
        let bytes = read_at(source, path, index.offset, index.length, len, limit)
            .map_err(|e| format!("metadata record: {e}"))?;
        let record = match bytes.split_first() {
            Some((&op::METADATA, rest)) if rest.len() >= 8 => {
                mcap::parse_record(op::METADATA, &rest[8..])
            }
            _ => Err(mcap::McapError::BadIndex),
        };
        match record.map_err(|e| format!("metadata record at {}: {e}", index.offset))? {
            Record::Metadata(m) => catalog.metadata.push(m),
            _ => return Err(format!("no metadata record at {}", index.offset)),
        }
    }
    Ok((chunks.into(), stats.message_count, catalog))
}

/// Reads `length` bytes at file offset `offset`.
pub(crate) fn read_at<R: Read + Seek>(
    source: &mut R,
    path: &Path,
    offset: u64,
    length: u64,
    len: u64,
    limit: usize,
) -> Result<Vec<u8>, LogError> {
    let fits = offset
        .checked_add(length)
        .is_some_and(|end| end <= len && length <= limit as u64);
    if !fits {
        return Err(mcap_error(path, offset, mcap::McapError::BadIndex));
    }
    let io = |source| LogError::Io {
        path: path.to_owned(),
        source,
    };
    source.seek(SeekFrom::Start(offset)).map_err(io)?;
    let mut buf = vec![0; length as usize];
    source.read_exact(&mut buf).map_err(io)?;
    Ok(buf)
}

/// The messages of one chunk (file order), after checking its CRC. The chunk record is fed
/// from `source` straight into the decoder (no copy of the compressed bytes).
fn load_chunk<R: Read + Seek>(
    source: &mut R,
    path: &Path,
    chunk: &ChunkIndex,
    limit: usize,
    catalog: &mut Catalog,
) -> Result<Vec<RawMessage>, LogError> {
    let start = chunk.chunk_start_offset;
    let opcode = read_at(source, path, start, 1, u64::MAX, limit)?;
    if opcode != [op::CHUNK] {
        return Err(mcap_error(path, start, mcap::McapError::BadIndex));
    }
    let reader = LinearReader::new_with_options(
        LinearReaderOptions::default()
            .with_skip_start_magic(true)
            .with_skip_end_magic(true)
            .with_record_length_limit(limit)
            .with_prevalidate_chunk_crcs(true),
    );
    let rest = chunk.chunk_length.saturating_sub(1);
    let mut stream = RecordStream {
        reader,
        source: Read::chain(opcode.as_slice(), source.take(rest)),
        base: start,
        consumed: 0,
    };
    let mut messages = Vec::new();
    while let Some(m) = stream.next_message(catalog, path)? {
        messages.push(m);
    }
    Ok(messages)
}

fn mcap_error(path: &Path, offset: u64, source: mcap::McapError) -> LogError {
    LogError::Mcap {
        path: path.to_owned(),
        offset,
        source,
    }
}

impl<R: Read + Seek> Iterator for RawLogReader<R> {
    type Item = Result<RawMessage, LogError>;

    /// The next message in log-time order; after the first container error, `None`.
    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let item = self.advance();
        if !matches!(item, Some(Ok(_))) {
            self.done = true;
        }
        item
    }
}
