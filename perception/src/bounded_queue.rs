//! Bounded queues between pipeline threads, with an explicit policy for what happens when the
//! consumer is slower than the producer: the producer never blocks and memory never grows past
//! the queue's capacity; what is dropped is counted.

use crossbeam_channel::{Receiver, Sender, TrySendError};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// What a full queue does with a new message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "policy", rename_all = "snake_case")]
pub enum QueuePolicy {
    /// Hold only the newest message: a new one replaces an unread one (capacity 1). For
    /// sensors whose old frames are worthless once a newer one exists (cameras).
    KeepLatest,
    /// Hold up to `capacity` messages; when full, the oldest is dropped to make room.
    DropOldest {
        /// Maximum messages held.
        capacity: usize,
    },
}

impl QueuePolicy {
    /// Messages the queue can hold.
    pub fn capacity(self) -> usize {
        match self {
            QueuePolicy::KeepLatest => 1,
            QueuePolicy::DropOldest { capacity } => capacity.max(1),
        }
    }
}

/// Counters of one queue, shared by its two ends.
#[derive(Debug, Default)]
struct Counters {
    pushed: AtomicU64,
    dropped: AtomicU64,
    high_water: AtomicU64,
}

/// The producing end of a bounded queue. `push` never blocks.
#[derive(Debug, Clone)]
pub struct QueueSender<T> {
    tx: Sender<T>,
    /// A receiver handle used only to evict the oldest element when full.
    evict: Receiver<T>,
    counters: Arc<Counters>,
}

/// The consuming end of a bounded queue.
#[derive(Debug, Clone)]
pub struct QueueReceiver<T> {
    rx: Receiver<T>,
    counters: Arc<Counters>,
}

/// Snapshot of a queue's counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct QueueStats {
    /// Messages offered to the queue.
    pub pushed: u64,
    /// Messages dropped by the policy (never delivered).
    pub dropped: u64,
    /// Messages waiting now.
    pub len: usize,
    /// Most messages ever waiting at once (never above the capacity).
    pub high_water: u64,
}

/// Creates a queue with `policy`.
pub fn bounded_queue<T>(policy: QueuePolicy) -> (QueueSender<T>, QueueReceiver<T>) {
    let (tx, rx) = crossbeam_channel::bounded(policy.capacity());
    let counters = Arc::new(Counters::default());
    (
        QueueSender {
            tx,
            evict: rx.clone(),
            counters: counters.clone(),
        },
        QueueReceiver { rx, counters },
    )
}

impl<T> QueueSender<T> {
    /// Enqueues `msg`, evicting the oldest waiting message(s) when full; never blocks. Returns
    /// how many messages were dropped to make room. (The sender keeps a receiving handle for
    /// eviction, so the queue stays open while any sender lives; shutdown is signalled by the
    /// pipeline, not by closing queues.)
    pub fn push(&self, mut msg: T) -> u64 {
        self.counters.pushed.fetch_add(1, Ordering::Relaxed);
        let mut dropped = 0;
        loop {
            match self.tx.try_send(msg) {
                Ok(()) => {
                    let len = self.tx.len() as u64;
                    self.counters.high_water.fetch_max(len, Ordering::Relaxed);
                    return dropped;
                }
                Err(TrySendError::Disconnected(_)) => return dropped,
                Err(TrySendError::Full(back)) => {
                    msg = back;
                    // The consumer may take the oldest between our try_send and this try_recv;
                    // then there is room and nothing is dropped.
                    if self.evict.try_recv().is_ok() {
                        dropped += 1;
                        self.counters.dropped.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }
    }

    /// Current counters.
    pub fn stats(&self) -> QueueStats {
        stats(&self.counters, self.tx.len())
    }
}

impl<T> QueueReceiver<T> {
    /// The underlying channel, for `select!` over several queues.
    pub fn channel(&self) -> &Receiver<T> {
        &self.rx
    }

    /// Takes the oldest waiting message, if any.
    pub fn try_pop(&self) -> Option<T> {
        self.rx.try_recv().ok()
    }

    /// Current counters.
    pub fn stats(&self) -> QueueStats {
        stats(&self.counters, self.rx.len())
    }
}

fn stats(c: &Counters, len: usize) -> QueueStats {
    QueueStats {
        pushed: c.pushed.load(Ordering::Relaxed),
        dropped: c.dropped.load(Ordering::Relaxed),
        len,
        high_water: c.high_water.load(Ordering::Relaxed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keep_latest_holds_only_the_newest() {
        let (tx, rx) = bounded_queue(QueuePolicy::KeepLatest);
        for i in 0..5 {
            tx.push(i);
        }
        assert_eq!(rx.try_pop(), Some(4));
        assert_eq!(rx.try_pop(), None);
        assert_eq!(
            rx.stats(),
            QueueStats {
                pushed: 5,
                dropped: 4,
                len: 0,
                high_water: 1
            }
        );
    }

    #[test]
    fn drop_oldest_keeps_the_newest_capacity_messages_in_order() {
        let (tx, rx) = bounded_queue(QueuePolicy::DropOldest { capacity: 3 });
        for i in 0..10 {
            tx.push(i);
        }
        assert_eq!(tx.stats().len, 3);
        let got: Vec<i32> = std::iter::from_fn(|| rx.try_pop()).collect();
        assert_eq!(got, vec![7, 8, 9]);
        assert_eq!(rx.stats().dropped, 7);
        assert_eq!(rx.stats().high_water, 3);
    }

    #[test]
    fn push_never_blocks_even_without_a_consumer() {
        let (tx, rx) = bounded_queue::<u8>(QueuePolicy::DropOldest { capacity: 2 });
        drop(rx);
        for i in 0..4 {
            tx.push(i);
        }
        assert_eq!(tx.stats().dropped, 2);
        assert_eq!(tx.stats().len, 2);
    }
}
