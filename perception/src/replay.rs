//! Deterministic replay: every source's messages, merged in timestamp order, processed one at a
//! time on the calling thread, with the runtime clock set to each message's timestamp. Nothing
//! depends on the wall clock or on thread timing, so replaying the same inputs twice gives
//! bit-identical outputs (equal output digests).
//!
//! Order rules: sources are merged by timestamp, ties broken by source order then arrival
//! order; within a source, messages are handled in the order it delivers them (a log's
//! recording order), as a live subscriber would receive them. A message not later than its
//! sensor's previous message, or leaping seconds ahead of every other sensor, is refused by the
//! runtime's admission rule ([`crate::input_order`]) and counted; a message late with respect
//! to *other* sensors goes to the stage, whose time alignment takes it if its frame set is
//! still open and rejects it otherwise. The runtime clock follows the latest admitted stamp and
//! never goes back; health reports fall due on it as in a live run, also while every input is
//! silent (they are published at their due times when the next message arrives).

use crate::clock::ManualClock;
use crate::error::PerceptionError;
use crate::output::OutputSink;
use crate::runtime::{RunSummary, Runtime, RuntimeSettings};
use crate::sensor_source::SensorSource;
use crate::stage::PerceptionStage;
use kestrel_sensors::SensorMessage;
use std::sync::Arc;

/// One source with its next message read ahead.
struct Head {
    source: SensorSource,
    next: Option<Result<SensorMessage, PerceptionError>>,
}

/// Merges sources into one stream in timestamp order (see the module docs).
pub struct TimeOrderedMerge {
    heads: Vec<Head>,
}

impl TimeOrderedMerge {
    /// Merges `sources`.
    pub fn new(sources: Vec<SensorSource>) -> Self {
        Self {
            heads: sources
                .into_iter()
                .map(|mut source| Head {
                    next: source.next(),
                    source,
                })
                .collect(),
        }
    }
}

impl Iterator for TimeOrderedMerge {
    type Item = Result<SensorMessage, PerceptionError>;

    fn next(&mut self) -> Option<Self::Item> {
        // Errors first (they carry no time); then the earliest message, lowest source index.
        let pick = self
            .heads
            .iter()
            .position(|h| matches!(h.next, Some(Err(_))))
            .or_else(|| {
                self.heads
                    .iter()
                    .enumerate()
                    .filter_map(|(i, h)| match &h.next {
                        Some(Ok(m)) => Some((m.timestamp(), i)),
                        _ => None,
                    })
                    .min()
                    .map(|(_, i)| i)
            })?;
        let head = &mut self.heads[pick];
        let item = head.next.take();
        head.next = head.source.next();
        item
    }
}

/// Replays `sources` through `stage` into `sinks`; `progress` is called after each input
/// message with the number of messages handled so far.
pub fn replay(
    sources: Vec<SensorSource>,
    stage: Box<dyn PerceptionStage>,
    sinks: Vec<Box<dyn OutputSink>>,
    settings: RuntimeSettings,
    mut progress: impl FnMut(u64),
) -> Result<RunSummary, PerceptionError> {
    let expected: Vec<String> = sources
        .iter()
        .flat_map(|s| s.sensors().iter().cloned())
        .collect();
    let clock = ManualClock::default();
    let mut runtime = Runtime::new(stage, sinks, Arc::new(clock.clone()), settings, &expected)?;
    let mut handled = 0u64;
    for item in TimeOrderedMerge::new(sources) {
        handled += 1;
        let msg = match item {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!("skipping unreadable input: {e}");
                runtime.count_source_error();
                progress(handled);
                continue;
            }
        };
        if runtime.admit(&msg) {
            // The reports a live run would have published while every input was silent.
            while let Some(due) = runtime.next_health_due().filter(|&d| d < msg.timestamp()) {
                clock.advance_to(due);
                runtime.maybe_report_health(due, &[])?;
            }
            clock.advance_to(msg.timestamp());
            runtime.handle(&msg, &[])?;
        }
        progress(handled);
    }
    runtime.finish(&[])
}

#[cfg(test)]
mod tests {
    use super::*;
    use kestrel_sensors::{PointCloud, Timestamp};

    fn cloud(sensor: &str, t: u64) -> SensorMessage {
        SensorMessage::Lidar(PointCloud::with_capacity(
            sensor,
            Timestamp(t),
            0,
            false,
            false,
        ))
    }

    #[test]
    fn merge_orders_by_time_then_source() {
        let a = SensorSource::from_messages("a", vec![cloud("l1", 10), cloud("l1", 30)]);
        let b = SensorSource::from_messages("b", vec![cloud("l2", 10), cloud("l2", 20)]);
        let got: Vec<(String, u64)> = TimeOrderedMerge::new(vec![a, b])
            .map(|m| {
                let m = m.unwrap();
                (m.sensor().to_owned(), m.timestamp().0)
            })
            .collect();
        assert_eq!(
            got,
            vec![
                ("l1".into(), 10),
                ("l2".into(), 10),
                ("l2".into(), 20),
                ("l1".into(), 30)
            ]
        );
    }
}
