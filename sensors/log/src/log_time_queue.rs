//! Messages waiting to be delivered in log-time order: a min-heap keyed by (log time, file
//! position), with the bytes it holds counted so that a caller can bound its memory.

use crate::mcap_reader::RawMessage;
use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

/// Where a message sits in the file: (chunk start offset, index in the chunk) for chunked
/// messages read through the summary, (0, running count) when streaming. Comparing positions
/// of one read gives file order, which breaks log-time ties deterministically.
pub(crate) type FilePosition = (u64, u64);

struct Pending {
    key: (u64, FilePosition),
    message: RawMessage,
}

impl PartialEq for Pending {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

impl Eq for Pending {}

impl PartialOrd for Pending {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Pending {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key.cmp(&other.key)
    }
}

/// A min-heap of messages by (log time, file position) that tracks its size.
#[derive(Default)]
pub(crate) struct LogTimeQueue {
    heap: BinaryHeap<Reverse<Pending>>,
    bytes: usize,
    peak_messages: usize,
    peak_bytes: usize,
}

impl LogTimeQueue {
    /// Adds a message found at `position`.
    pub(crate) fn push(&mut self, position: FilePosition, message: RawMessage) {
        self.bytes += message.data.len();
        let key = (message.log_time, position);
        self.heap.push(Reverse(Pending { key, message }));
        self.peak_messages = self.peak_messages.max(self.heap.len());
        self.peak_bytes = self.peak_bytes.max(self.bytes);
    }

    /// Removes and returns the earliest message (ties: earliest file position).
    pub(crate) fn pop(&mut self) -> Option<RawMessage> {
        let Reverse(p) = self.heap.pop()?;
        self.bytes -= p.message.data.len();
        Some(p.message)
    }

    /// The earliest log time held, ns.
    pub(crate) fn earliest(&self) -> Option<u64> {
        self.heap.peek().map(|Reverse(p)| p.key.0)
    }

    /// Messages held.
    pub(crate) fn len(&self) -> usize {
        self.heap.len()
    }

    /// Payload bytes held.
    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }

    /// The most messages and payload bytes held at once so far.
    pub(crate) fn peak(&self) -> (usize, usize) {
        (self.peak_messages, self.peak_bytes)
    }
}
