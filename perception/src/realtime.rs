//! Real-time mode: each source runs on its own thread (at the recorded pace for logs, or as
//! fast as it delivers for live adapters) and pushes into one bounded queue per sensor; the
//! calling thread takes the oldest available message across queues and runs the runtime core.
//! A slow stage never blocks a sensor thread: full queues drop by their policy and count it.
//!
//! Memory bound: per sensor, its queue's capacity plus one message taken out and waiting to be
//! ordered against the other sensors.

use crate::bounded_queue::{QueuePolicy, QueueReceiver, QueueSender, bounded_queue};
use crate::clock::Clock;
use crate::error::PerceptionError;
use crate::health::QueueHealth;
use crate::output::OutputSink;
use crate::runtime::{RunSummary, Runtime, RuntimeSettings};
use crate::sensor_source::SensorSource;
use crate::stage::PerceptionStage;
use crossbeam_channel::{Receiver, Select, Sender};
use kestrel_sensors::{SensorMessage, Timestamp};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Queue policy per sensor kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueuePolicies {
    /// Camera queues.
    pub camera: QueuePolicy,
    /// LiDAR queues.
    pub lidar: QueuePolicy,
    /// Radar queues.
    pub radar: QueuePolicy,
    /// Odometry queues (ego motion: small messages, every one is used).
    #[serde(default = "default_odometry_policy")]
    pub odometry: QueuePolicy,
}

fn default_odometry_policy() -> QueuePolicy {
    QueuePolicy::DropOldest { capacity: 16 }
}

impl Default for QueuePolicies {
    /// Cameras keep only the latest image; LiDAR keeps 2 sweeps, radar 4 cycles, odometry 16
    /// samples.
    fn default() -> Self {
        Self {
            camera: QueuePolicy::KeepLatest,
            lidar: QueuePolicy::DropOldest { capacity: 2 },
            radar: QueuePolicy::DropOldest { capacity: 4 },
            odometry: default_odometry_policy(),
        }
    }
}

impl QueuePolicies {
    fn for_message(&self, msg: &SensorMessage) -> QueuePolicy {
        match msg {
            SensorMessage::Camera(_) => self.camera,
            SensorMessage::Lidar(_) => self.lidar,
            SensorMessage::Radar(_) => self.radar,
            SensorMessage::Odometry(_) => self.odometry,
        }
    }
}

/// How source threads pace recorded messages.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Pace {
    /// Deliver as fast as the source reads (live adapters, stress tests).
    Unpaced,
    /// Deliver at the recorded timing scaled by `speed` (2.0 = twice as fast).
    Recorded {
        /// Playback speed factor, > 0.
        speed: f64,
    },
}

/// Options of a real-time run.
#[derive(Clone)]
pub struct RealtimeOptions {
    /// Runtime core settings.
    pub settings: RuntimeSettings,
    /// Queue policy per sensor kind.
    pub policies: QueuePolicies,
    /// Source pacing.
    pub pace: Pace,
    /// Set to stop the run (Ctrl-C): sources stop, the runtime flushes and returns.
    pub stop: Arc<AtomicBool>,
    /// The runtime clock (wall clock in production).
    pub clock: Arc<dyn Clock>,
}

/// Sleeps until `deadline`, in short steps so that `stop` is noticed; false when stopped.
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

/// Body of a source thread.
fn run_source(
    source: SensorSource,
    policies: QueuePolicies,
    pace: Pace,
    stop: Arc<AtomicBool>,
    register: Sender<(String, QueueReceiver<SensorMessage>)>,
    source_errors: Arc<AtomicU64>,
) {
    let name = source.name().to_owned();
    let mut queues: BTreeMap<String, QueueSender<SensorMessage>> = BTreeMap::new();
    let start = Instant::now();
    let mut first: Option<Timestamp> = None;
    for item in source {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let msg = match item {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!("source `{name}`: skipping unreadable message: {e}");
                source_errors.fetch_add(1, Ordering::Relaxed);
                continue;
            }
        };
        if let Pace::Recorded { speed } = pace {
            let t0 = *first.get_or_insert(msg.timestamp());
            let offset_s = msg.timestamp().seconds_since(t0).max(0.0) / speed.max(1e-6);
            if !sleep_until(start + Duration::from_secs_f64(offset_s), &stop) {
                break;
            }
        }
        let queue = queues.entry(msg.sensor().to_owned()).or_insert_with(|| {
            let (tx, rx) = bounded_queue(policies.for_message(&msg));
            // The fusion loop outlives every source thread, so registration cannot fail
            // unless the run is being torn down, when the message does not matter.
            register.send((msg.sensor().to_owned(), rx)).ok();
            tx
        });
        queue.push(msg);
    }
}

fn queue_health(queues: &[(String, QueueReceiver<SensorMessage>)]) -> Vec<QueueHealth> {
    queues
        .iter()
        .map(|(name, rx)| QueueHealth {
            queue: format!("input/{name}"),
            stats: rx.stats(),
        })
        .collect()
}

/// Runs `sources` in real time through `stage` into `sinks` until the sources end or
/// `options.stop` is set.
pub fn run_realtime(
    sources: Vec<SensorSource>,
    stage: Box<dyn PerceptionStage>,
    sinks: Vec<Box<dyn OutputSink>>,
    options: RealtimeOptions,
) -> Result<RunSummary, PerceptionError> {
    let expected: Vec<String> = sources
        .iter()
        .flat_map(|s| s.sensors().iter().cloned())
        .collect();
    let mut runtime = Runtime::new(
        stage,
        sinks,
        options.clock.clone(),
        options.settings.clone(),
        &expected,
    )?;
    let (register_tx, register_rx) = crossbeam_channel::unbounded();
    let active = Arc::new(AtomicUsize::new(sources.len()));
    let source_errors = Arc::new(AtomicU64::new(0));
    let mut threads = Vec::new();
    for source in sources {
        let (policies, pace, stop) = (options.policies, options.pace, options.stop.clone());
        let (register, errors, active) =
            (register_tx.clone(), source_errors.clone(), active.clone());
        let thread = std::thread::Builder::new()
            .name(format!("source:{}", source.name()))
            .spawn(move || {
                run_source(source, policies, pace, stop, register, errors);
                active.fetch_sub(1, Ordering::SeqCst);
            })
            .map_err(|e| PerceptionError::io("spawning a source thread", e))?;
        threads.push(thread);
    }
    drop(register_tx);
    let result = fusion_loop(&mut runtime, &register_rx, &active, &options);
    options.stop.store(true, Ordering::SeqCst);
    for t in threads {
        // A panicking source thread has already reported through the panic hook; the run
        // still finishes and flushes its outputs.
        t.join().ok();
    }
    let queues = result?;
    for _ in 0..source_errors.load(Ordering::Relaxed) {
        runtime.count_source_error();
    }
    runtime.finish(&queue_health(&queues))
}

/// Takes the oldest message across sensor queues until the sources are done (or stopped);
/// returns the queues for the final health report.
fn fusion_loop(
    runtime: &mut Runtime,
    register: &Receiver<(String, QueueReceiver<SensorMessage>)>,
    active: &AtomicUsize,
    options: &RealtimeOptions,
) -> Result<Vec<(String, QueueReceiver<SensorMessage>)>, PerceptionError> {
    let mut queues: Vec<(String, QueueReceiver<SensorMessage>)> = Vec::new();
    let mut pending: BTreeMap<String, SensorMessage> = BTreeMap::new();
    loop {
        let sources_done = active.load(Ordering::SeqCst) == 0;
        queues.extend(register.try_iter());
        for (name, rx) in &queues {
            if !pending.contains_key(name)
                && let Some(m) = rx.try_pop()
            {
                pending.insert(name.clone(), m);
            }
        }
        let oldest = pending
            .iter()
            .min_by_key(|(name, m)| (m.timestamp(), name.as_str()))
            .map(|(name, _)| name.clone());
        if options.stop.load(Ordering::Relaxed) {
            return Ok(queues);
        }
        if let Some(msg) = oldest.and_then(|name| pending.remove(&name)) {
            if runtime.admit(&msg) {
                runtime.handle(&msg, &queue_health(&queues))?;
            }
            continue;
        }
        if sources_done && register.is_empty() {
            return Ok(queues);
        }
        runtime.maybe_report_health(options.clock.now(), &queue_health(&queues))?;
        let mut select = Select::new();
        for (_, rx) in &queues {
            select.recv(rx.channel());
        }
        select.recv(register);
        // Wakes on new data; the timeout bounds the wait for stop / end of sources.
        select.ready_timeout(Duration::from_millis(20)).ok();
    }
}
