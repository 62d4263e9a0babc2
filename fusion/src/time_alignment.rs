//! Grouping sensor messages that belong to the same instant.
//!
//! Each set is anchored at a message of the **reference sensor** (typically the LiDAR) and
//! takes, from every other expected sensor, the message nearest to the anchor within
//! `+- window_ns`. A set is emitted as soon as every sensor is *settled*: it has a message at
//! or after the anchor time, or, for a sensor with a known shortest interval between messages
//! ([`TimeAlignmentConfig::min_intervals_ns`]), a message at most half that interval before
//! the anchor (in both cases no nearer one can come), or the newest timestamp seen from any
//! sensor (the watermark) is more than `window_ns + max_latency_ns` past the anchor (the sensor
//! is late or gone). A late or missing sensor therefore delays a set by at most the latency
//! budget, in sensor time — never the wall clock — and the set lists it in `missing`.
//!
//! When the reference sensor itself is missing around a message of the **fallback sensor**
//! (no reference message can cover it any more), that message anchors a degraded set instead.
//! Messages that no set can take are dropped and counted. Duplicate and out-of-order messages,
//! and *late* ones (falling in the window of a set already emitted without their sensor), are
//! rejected with a typed error and counted; nothing panics. The window should be at most half
//! the reference period, so that windows of consecutive sets do not overlap.
//!
//! Sensors that capture at a fixed phase of the reference (cameras triggered by a spinning
//! LiDAR) are grouped by their stamp minus their configured offset
//! ([`TimeAlignmentConfig::offsets_ns`]); the set keeps every message's own stamp.

use crate::FusionError;
use crate::frame_set::SensorFrameSet;
use kestrel_sensors::{SensorMessage, Timestamp};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, VecDeque};

/// Configuration of the time alignment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimeAlignmentConfig {
    /// Every sensor whose messages are grouped (including the reference), in output order.
    pub sensors: Vec<String>,
    /// The sensor that anchors sets (e.g. the LiDAR).
    pub reference: String,
    /// The sensor that anchors degraded sets while the reference is missing (e.g. the front
    /// camera); `None`: no output without the reference.
    #[serde(default)]
    pub fallback_reference: Option<String>,
    /// Half-width of the grouping window around the anchor, ns. Default 50 ms.
    #[serde(default = "default_window")]
    pub window_ns: u64,
    /// How far (in sensor time, by the newest timestamp seen) the stream may run past a
    /// set's window before the set is emitted without the sensors still missing, ns.
    /// Default 100 ms.
    #[serde(default = "default_latency")]
    pub max_latency_ns: u64,
    /// Capture offset of sensors relative to the reference stamp, ns (negative: earlier; see
    /// [`kestrel_sensors::SensorSpec::sync_offset_s`]): a message of sensor `s` stamped `t`
    /// is grouped as if stamped `t - offsets_ns[s]`. Sensors not listed: 0.
    #[serde(default)]
    pub offsets_ns: BTreeMap<String, i64>,
    /// Shortest interval between two messages of a sensor, ns (e.g. 80 % of its nominal
    /// period). Its next message comes at least this long after its newest one, so a message
    /// at most half of it before an anchor is the sensor's nearest to that anchor: the set
    /// need not wait for the next message (a camera stamped a hair before its sweep would
    /// otherwise hold the set back a whole camera period). Sensors not listed: unknown, wait
    /// for a message at or after the anchor.
    #[serde(default)]
    pub min_intervals_ns: BTreeMap<String, u64>,
}

fn default_window() -> u64 {
    50_000_000
}

fn default_latency() -> u64 {
    100_000_000
}

impl TimeAlignmentConfig {
    /// A configuration with the default window and latency.
    pub fn new(
        sensors: Vec<String>,
        reference: impl Into<String>,
        fallback_reference: Option<String>,
    ) -> Self {
        Self {
            sensors,
            reference: reference.into(),
            fallback_reference,
            window_ns: default_window(),
            max_latency_ns: default_latency(),
            offsets_ns: BTreeMap::new(),
            min_intervals_ns: BTreeMap::new(),
        }
    }
}

/// Counters of the aligner (cumulative).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AlignmentStats {
    /// Messages accepted.
    pub accepted: u64,
    /// Rejected: same timestamp as the sensor's previous message.
    pub duplicate: u64,
    /// Rejected: older than the sensor's previous message.
    pub out_of_order: u64,
    /// Rejected: in the window of a set already emitted without this sensor.
    pub late: u64,
    /// Rejected: sensor not configured.
    pub unknown_sensor: u64,
    /// Dropped: another message of the same sensor was nearer the anchor (or already in the
    /// emitted set whose window this message falls in).
    pub superseded: u64,
    /// Dropped: no set could take the message (between sets, reference present).
    pub unmatched: u64,
    /// Sets emitted with every sensor present.
    pub complete_sets: u64,
    /// Sets emitted with at least one sensor missing.
    pub degraded_sets: u64,
}

/// Groups a stream of messages into [`SensorFrameSet`]s (see the module docs).
#[derive(Debug, Clone)]
pub struct TimeAligner {
    config: TimeAlignmentConfig,
    reference: usize,
    fallback: Option<usize>,
    pending: Vec<VecDeque<SensorMessage>>,
    last: Vec<Option<Timestamp>>,
    watermark: Option<Timestamp>,
    last_anchor: Option<Timestamp>,
    last_set_present: Vec<bool>,
    /// Per sensor (config order): its offset, ns.
    offsets: Vec<i64>,
    /// Per sensor (config order): its shortest interval between messages, ns (0: unknown).
    min_intervals: Vec<u64>,
    stats: AlignmentStats,
}

impl TimeAligner {
    /// An aligner for `config`. Errors when the reference or fallback is not in `sensors`,
    /// a sensor is listed twice, or the window is zero.
    pub fn new(config: TimeAlignmentConfig) -> Result<Self, FusionError> {
        let find = |name: &str| config.sensors.iter().position(|s| s == name);
        let reference = find(&config.reference).ok_or_else(|| FusionError::UnknownSensor {
            sensor: config.reference.clone(),
            kind: "reference",
        })?;
        let fallback = match &config.fallback_reference {
            Some(f) => Some(find(f).ok_or_else(|| FusionError::UnknownSensor {
                sensor: f.clone(),
                kind: "fallback reference",
            })?),
            None => None,
        };
        for (i, s) in config.sensors.iter().enumerate() {
            if config.sensors[..i].contains(s) {
                return Err(FusionError::InvalidConfig {
                    field: "time_alignment.sensors",
                    value: i as f64,
                    reason: "sensor names must be unique",
                });
            }
        }
        if config.window_ns == 0 {
            return Err(FusionError::InvalidConfig {
                field: "time_alignment.window_ns",
                value: 0.0,
                reason: "must be positive",
            });
        }
        if let Some(unknown) = config.offsets_ns.keys().find(|k| find(k).is_none()) {
            return Err(FusionError::UnknownSensor {
                sensor: unknown.clone(),
                kind: "time offset",
            });
        }
        if let Some(unknown) = config.min_intervals_ns.keys().find(|k| find(k).is_none()) {
            return Err(FusionError::UnknownSensor {
                sensor: unknown.clone(),
                kind: "minimum message interval",
            });
        }
        let min_intervals = config
            .sensors
            .iter()
            .map(|s| config.min_intervals_ns.get(s).copied().unwrap_or(0))
            .collect();
        let offsets = config
            .sensors
            .iter()
            .map(|s| config.offsets_ns.get(s).copied().unwrap_or(0))
            .collect();
        let n = config.sensors.len();
        Ok(Self {
            config,
            reference,
            fallback,
            pending: vec![VecDeque::new(); n],
            last: vec![None; n],
            watermark: None,
            last_anchor: None,
            last_set_present: vec![false; n],
            offsets,
            min_intervals,
            stats: AlignmentStats::default(),
        })
    }

    /// The time a message of sensor `k` stamped `t` is grouped at: `t - offset(k)`.
    fn aligned(&self, k: usize, t: Timestamp) -> Timestamp {
        Timestamp(t.0.saturating_add_signed(-self.offsets[k]))
    }

    /// [`Self::aligned`] time of the front message of sensor `k`.
    fn front_time(&self, k: usize) -> Option<Timestamp> {
        self.pending[k]
            .front()
            .map(|m| self.aligned(k, m.timestamp()))
    }

    /// The counters so far.
    pub fn stats(&self) -> AlignmentStats {
        self.stats
    }

    /// Adds a message; returns the sets it completes (oldest first). A rejected message
    /// leaves the aligner unchanged except for the counter of its rejection reason.
    pub fn push(&mut self, message: SensorMessage) -> Result<Vec<SensorFrameSet>, FusionError> {
        let t = message.timestamp();
        let Some(k) = self
            .config
            .sensors
            .iter()
            .position(|s| s == message.sensor())
        else {
            self.stats.unknown_sensor += 1;
            return Err(FusionError::UnknownSensor {
                sensor: message.sensor().to_owned(),
                kind: message.kind(),
            });
        };
        let sensor = || message.sensor().to_owned();
        if let Some(prev) = self.last[k] {
            if t == prev {
                self.stats.duplicate += 1;
                return Err(FusionError::DuplicateTimestamp {
                    sensor: sensor(),
                    timestamp: t,
                });
            }
            if t < prev {
                self.stats.out_of_order += 1;
                return Err(FusionError::OutOfOrder {
                    sensor: sensor(),
                    timestamp: t,
                    previous: prev,
                });
            }
        }
        let t_aligned = self.aligned(k, t);
        if let Some(anchor) = self
            .last_anchor
            .filter(|&a| t_aligned.0 <= a.0.saturating_add(self.config.window_ns))
        {
            // The message falls in the window of a set already emitted.
            if !self.last_set_present[k] {
                self.stats.late += 1;
                return Err(FusionError::LateMessage {
                    sensor: sensor(),
                    timestamp: t,
                    emitted: anchor,
                });
            }
            // That set already has a message of this sensor: this one is simply not needed.
            self.stats.superseded += 1;
            self.last[k] = Some(t);
            self.watermark = Some(self.watermark.map_or(t_aligned, |w| w.max(t_aligned)));
            return Ok(self.drain(false));
        }
        self.stats.accepted += 1;
        self.last[k] = Some(t);
        self.watermark = Some(self.watermark.map_or(t_aligned, |w| w.max(t_aligned)));
        self.pending[k].push_back(message);
        Ok(self.drain(false))
    }

    /// Emits every pending message in sets, waiting for nothing (end of stream).
    pub fn flush(&mut self) -> Vec<SensorFrameSet> {
        self.drain(true)
    }

    fn drain(&mut self, flush: bool) -> Vec<SensorFrameSet> {
        let mut out = Vec::new();
        while let Some(set) = self.next_set(flush) {
            out.push(set);
        }
        out
    }

    /// True when `t + window + latency` is behind the watermark (or flushing).
    fn expired(&self, t: Timestamp, flush: bool) -> bool {
        let deadline =
            t.0.saturating_add(self.config.window_ns)
                .saturating_add(self.config.max_latency_ns);
        flush || self.watermark.is_some_and(|w| w.0 > deadline)
    }

    fn next_set(&mut self, flush: bool) -> Option<SensorFrameSet> {
        loop {
            // Oldest pending message (ties: config order).
            let (k, t_o) = (0..self.pending.len())
                .filter_map(|k| self.front_time(k).map(|t| (k, t)))
                .min_by_key(|&(k, t)| (t, k))?;
            let w = self.config.window_ns;
            if let Some(r) = self.front_time(self.reference)
                && r.0.saturating_sub(w) <= t_o.0
            {
                return self.try_emit(self.reference, r, flush);
            }
            let ref_pending = !self.pending[self.reference].is_empty();
            if !ref_pending && !self.expired(t_o, flush) {
                return None; // a reference message may still come to cover it
            }
            if Some(k) == self.fallback {
                return self.try_emit(k, t_o, flush);
            }
            self.pending[k].pop_front();
            self.stats.unmatched += 1;
        }
    }

    /// Emits the set anchored at the front message of sensor `a` (time `t_a`) if every other
    /// sensor is settled.
    fn try_emit(&mut self, a: usize, t_a: Timestamp, flush: bool) -> Option<SensorFrameSet> {
        let w = self.config.window_ns;
        let expired = self.expired(t_a, flush);
        let members: Vec<usize> = (0..self.pending.len())
            .filter(|&s| s != a && (a == self.reference || s != self.reference))
            .collect();
        // The sensor's next message is at least `min_intervals[s]` after its newest one, so
        // it cannot be nearer to the anchor than a newest one at most half that before it.
        let final_for_anchor = |s: usize, m: &SensorMessage| {
            let t = self.aligned(s, m.timestamp());
            t >= t_a || 2 * (t_a.0 - t.0) <= self.min_intervals[s]
        };
        let settled = members.iter().all(|&s| {
            expired
                || self.pending[s]
                    .back()
                    .is_some_and(|m| final_for_anchor(s, m))
        });
        if !settled {
            return None;
        }
        // The set carries the anchor's own stamp (the fallback's offset undone).
        let stamp = self.pending[a].front().map_or(t_a, |m| m.timestamp());
        let mut set = SensorFrameSet::new(stamp);
        set.sequence = self.stats.complete_sets + self.stats.degraded_sets;
        let mut present = vec![false; self.pending.len()];
        for (s, is_present) in present.iter_mut().enumerate() {
            let chosen = if s == a {
                Some(0)
            } else if members.contains(&s) {
                let gap = |m: &SensorMessage| self.aligned(s, m.timestamp()).0.abs_diff(t_a.0);
                self.pending[s]
                    .iter()
                    .enumerate()
                    .filter(|(_, m)| gap(m) <= w)
                    .min_by_key(|(i, m)| (gap(m), *i))
                    .map(|(i, _)| i)
            } else {
                None
            };
            if let Some(i) = chosen {
                // Earlier messages of the sensor lost to the chosen one.
                self.stats.superseded += i as u64;
                self.pending[s].drain(..i);
                if let Some(m) = self.pending[s].pop_front() {
                    set.push(m);
                    *is_present = true;
                }
            }
        }
        set.missing = (0..self.pending.len())
            .filter(|&s| !present[s])
            .map(|s| self.config.sensors[s].clone())
            .collect();
        if set.missing.is_empty() {
            self.stats.complete_sets += 1;
        } else {
            self.stats.degraded_sets += 1;
        }
        self.last_anchor = Some(t_a);
        self.last_set_present = present;
        Some(set)
    }
}
