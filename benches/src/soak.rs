//! Overload and soak: the production real-time pipeline (`kestrel run`'s stage, queues and
//! monitors) fed by a looping real sequence at a multiple of its recorded rate, for a stated
//! duration, while the process's resident memory is sampled and every published frame's
//! latency is taken.
//!
//! - **Input**: the shipped PandaSet slice (2 s: a 10 Hz LiDAR, six cameras, odometry), read
//!   once and looped, each pass stamped after the previous one (span plus one LiDAR period),
//!   paced at `speed` x the recorded rate (images are shared between passes, so the input
//!   costs no memory per pass).
//! - **Latency** of a published frame: from the moment its LiDAR sweep was due to be
//!   delivered (the source paces to the recorded time) to its publication, wall clock.
//! - **Drops**: per input queue (drop-oldest / keep-latest policies of the configuration).
//! - **Memory**: resident set size (`/proc/self/statm`, Linux) every `sample_s`.
//!
//! Verdicts: memory is bounded when the largest RSS after warm-up exceeds the RSS at the end
//! of warm-up by at most [`RSS_GROWTH_LIMIT_MB`]; latency is bounded when the p99 of the
//! frames published after warm-up is at most [`LATENCY_P99_LIMIT_MS`] (a queue that kept
//! everything would grow without limit at 5x on two cores).

use crate::criterion_results::percentile;
use crate::error::BenchError;
use kestrel_perception::clock::WallClock;
use kestrel_perception::config::KestrelConfig;
use kestrel_perception::error::PerceptionError;
use kestrel_perception::health::QueueHealth;
use kestrel_perception::monitor_mode::MonitorMode;
use kestrel_perception::output::{EncodedFrame, OutputSink};
use kestrel_perception::realtime::{Pace, RealtimeOptions, run_realtime};
use kestrel_perception::sensor_source::SensorSource;
use kestrel_perception::stage_factory::{monitor_spec, production_stage};
use kestrel_sensors::{Rig, SensorMessage, Timestamp};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Largest RSS growth after warm-up that still counts as bounded, MB.
pub const RSS_GROWTH_LIMIT_MB: f64 = 32.0;
/// Largest p99 latency of published frames after warm-up that still counts as bounded, ms.
pub const LATENCY_P99_LIMIT_MS: f64 = 500.0;

/// What to run.
#[derive(Debug, Clone)]
pub struct SoakSettings {
    /// The sequence to loop (a folder or log the sensor sources read).
    pub input: PathBuf,
    /// Camera model manifest; `None`: LiDAR only.
    pub model: Option<PathBuf>,
    /// Playback speeds, in order (1.0 = recorded rate).
    pub speeds: Vec<f64>,
    /// Duration of each run, seconds.
    pub duration_s: f64,
    /// Start of the judged part of each run, seconds.
    pub warmup_s: f64,
    /// Memory sampling period, seconds.
    pub sample_s: f64,
}

/// One memory sample, with the frames published since the previous one.
#[derive(Debug, Clone, Serialize)]
pub struct Sample {
    /// Seconds since the run started.
    pub t_s: f64,
    /// Resident set size, MB.
    pub rss_mb: f64,
    /// Frames published in this sample's window.
    pub frames: u64,
    /// Median latency of those frames, ms.
    pub latency_p50_ms: Option<f64>,
    /// 99th percentile latency of those frames, ms.
    pub latency_p99_ms: Option<f64>,
}

/// One queue's counters at the end of a run.
#[derive(Debug, Clone, Serialize)]
pub struct QueueCounts {
    /// Messages pushed.
    pub pushed: u64,
    /// Messages dropped by the queue policy.
    pub dropped: u64,
    /// Most messages the queue ever held.
    pub high_water: u64,
}

/// One speed's run.
#[derive(Debug, Clone, Serialize)]
pub struct SoakRun {
    /// Playback speed.
    pub speed: f64,
    /// Duration, seconds.
    pub duration_s: f64,
    /// Warm-up, seconds.
    pub warmup_s: f64,
    /// LiDAR sweeps delivered by the source.
    pub sweeps: u64,
    /// Frames published.
    pub frames: u64,
    /// Per input queue.
    pub queues: BTreeMap<String, QueueCounts>,
    /// Latency of the frames published after warm-up, ms: median, p99, max.
    pub latency_ms: [f64; 3],
    /// RSS at the end of warm-up, largest after it, at the end, MB.
    pub rss_mb: [f64; 3],
    /// The memory verdict (see the module docs).
    pub memory_bounded: bool,
    /// The latency verdict (see the module docs).
    pub latency_bounded: bool,
    /// The samples, in time order.
    pub samples: Vec<Sample>,
}

/// The input, read once: its messages, span and rig.
struct LoopedInput {
    messages: Vec<SensorMessage>,
    first: Timestamp,
    pass_ns: u64,
    lidar: String,
    sensors: Vec<String>,
    rig: Option<Rig>,
}

impl LoopedInput {
    fn read(path: &Path) -> Result<Self, BenchError> {
        let source = SensorSource::open_path(path)?;
        let rig = source.rig().cloned();
        let sensors = source.sensors().to_vec();
        let messages: Vec<SensorMessage> = source.collect::<Result<_, _>>()?;
        let lidar: Vec<&SensorMessage> = messages
            .iter()
            .filter(|m| matches!(m, SensorMessage::Lidar(_)))
            .collect();
        let (Some(a), Some(b)) = (lidar.first(), lidar.get(1)) else {
            return Err(BenchError::Input(format!(
                "{}: the soak needs at least two LiDAR sweeps",
                path.display()
            )));
        };
        let period = b.timestamp().as_nanos() - a.timestamp().as_nanos();
        let lidar = a.sensor().to_owned();
        let first = messages
            .iter()
            .map(|m| m.timestamp())
            .min()
            .unwrap_or_default();
        let last = messages
            .iter()
            .map(|m| m.timestamp())
            .max()
            .unwrap_or_default();
        Ok(Self {
            pass_ns: last.as_nanos() - first.as_nanos() + period,
            first,
            lidar,
            sensors,
            rig,
            messages,
        })
    }

    /// The looped source: pass `k` is stamped `k` x the pass length later, without end.
    /// `started` takes the instant its first message is read: the source thread reads it as
    /// soon as it starts and paces every message from then on (messages are in memory, so
    /// reading takes no time).
    fn source(&self, started: Arc<OnceLock<Instant>>) -> SensorSource {
        let (messages, pass_ns) = (self.messages.clone(), self.pass_ns);
        let looped = (0u64..)
            .flat_map(move |k| {
                messages.clone().into_iter().map(move |mut m| {
                    m.set_timestamp(Timestamp(m.timestamp().as_nanos() + k * pass_ns));
                    Ok(m)
                })
            })
            .inspect(move |_| {
                started.get_or_init(Instant::now);
            });
        let source = SensorSource::new("soak", self.sensors.clone(), Box::new(looped));
        match &self.rig {
            Some(rig) => source.with_rig(rig.clone()),
            None => source,
        }
    }
}

/// Frames' publication times, from the sink.
#[derive(Default)]
struct Published {
    /// (seconds since start, latency ms) per frame.
    frames: Vec<(f64, f64)>,
}

/// Takes each frame's latency: publication minus its sweep's due time, the instant the
/// source released the sweep (its pacing start plus the sweep's offset from the first stamp,
/// divided by the speed).
struct LatencySink {
    start: Instant,
    first: Timestamp,
    speed: f64,
    /// When the source started pacing (set by the source on its first message).
    paced_from: Arc<OnceLock<Instant>>,
    published: Arc<Mutex<Published>>,
}

impl OutputSink for LatencySink {
    fn on_frame(&mut self, frame: &EncodedFrame) -> Result<(), PerceptionError> {
        let now = Instant::now();
        let Some(&paced_from) = self.paced_from.get() else {
            return Ok(());
        };
        let due = paced_from
            + Duration::from_secs_f64(frame.stamp.seconds_since(self.first).max(0.0) / self.speed);
        let latency_ms = now.saturating_duration_since(due).as_secs_f64() * 1e3;
        if let Ok(mut p) = self.published.lock() {
            p.frames
                .push(((now - self.start).as_secs_f64(), latency_ms));
        }
        Ok(())
    }
}

/// Resident set size of this process, MB (Linux; 0 elsewhere).
pub fn rss_mb() -> f64 {
    let pages = std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<f64>().ok())
        .unwrap_or(0.0);
    // SAFETY: sysconf has no preconditions; it only reads a system constant.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as f64;
    pages * page / 1e6
}

/// Runs every speed of `settings` in turn; `progress` hears each speed before it runs.
pub fn soak(
    settings: &SoakSettings,
    mut progress: impl FnMut(f64),
) -> Result<Vec<SoakRun>, BenchError> {
    let input = LoopedInput::read(&settings.input)?;
    let mut runs = Vec::new();
    for &speed in &settings.speeds {
        progress(speed);
        runs.push(run_one(settings, &input, speed)?);
    }
    Ok(runs)
}

fn run_one(
    settings: &SoakSettings,
    input: &LoopedInput,
    speed: f64,
) -> Result<SoakRun, BenchError> {
    let config = KestrelConfig::builtin()?;
    let paced_from = Arc::new(OnceLock::new());
    let source = input.source(paced_from.clone());
    let stage = production_stage(source.rig(), settings.model.as_deref(), &config.pipeline())?;
    let mut runtime = config.runtime_settings(BTreeSet::new())?;
    runtime.monitors = monitor_spec(
        settings.model.as_deref(),
        false,
        config.monitor,
        MonitorMode::Drop,
    );
    let stop = Arc::new(AtomicBool::new(false));
    let published = Arc::new(Mutex::new(Published::default()));
    let start = Instant::now();
    let sink = LatencySink {
        start,
        first: input.first,
        speed,
        paced_from,
        published: published.clone(),
    };
    let samples = Arc::new(Mutex::new(Vec::<(f64, f64)>::new()));
    let sampler = {
        let (stop, samples, period) = (stop.clone(), samples.clone(), settings.sample_s);
        std::thread::spawn(move || {
            let mut next = 0.0;
            while !stop.load(Ordering::Relaxed) {
                let t = start.elapsed().as_secs_f64();
                if t >= next {
                    if let Ok(mut s) = samples.lock() {
                        s.push((t, rss_mb()));
                    }
                    next += period;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        })
    };
    let timer = {
        let (stop, duration) = (stop.clone(), settings.duration_s);
        std::thread::spawn(move || {
            let end = start + Duration::from_secs_f64(duration);
            while !stop.load(Ordering::Relaxed) && Instant::now() < end {
                std::thread::sleep(Duration::from_millis(20));
            }
            stop.store(true, Ordering::SeqCst);
        })
    };
    let summary = run_realtime(
        vec![source],
        stage,
        vec![Box::new(sink)],
        RealtimeOptions {
            settings: runtime,
            policies: config.queues,
            pace: Pace::Recorded { speed },
            stop: stop.clone(),
            clock: Arc::new(WallClock),
        },
    );
    stop.store(true, Ordering::SeqCst);
    timer.join().ok();
    sampler.join().ok();
    let summary = summary?;
    let frames = published
        .lock()
        .map(|p| p.frames.clone())
        .unwrap_or_default();
    let samples = samples.lock().map(|s| s.clone()).unwrap_or_default();
    Ok(judge(
        settings,
        input,
        speed,
        summary.health.queues,
        &frames,
        &samples,
    ))
}

/// Turns a run's raw measurements into its row.
fn judge(
    settings: &SoakSettings,
    input: &LoopedInput,
    speed: f64,
    queues: Vec<QueueHealth>,
    frames: &[(f64, f64)],
    rss: &[(f64, f64)],
) -> SoakRun {
    let warm = settings.warmup_s;
    let mut windows = Vec::new();
    let mut previous = f64::NEG_INFINITY;
    for &(t, mb) in rss {
        let lat: Vec<f64> = frames
            .iter()
            .filter(|(at, _)| *at > previous && *at <= t)
            .map(|(_, l)| *l)
            .collect();
        windows.push(Sample {
            t_s: t,
            rss_mb: mb,
            frames: lat.len() as u64,
            latency_p50_ms: percentile(&lat, 50.0),
            latency_p99_ms: percentile(&lat, 99.0),
        });
        previous = t;
    }
    let judged: Vec<f64> = frames
        .iter()
        .filter(|(t, _)| *t >= warm)
        .map(|(_, l)| *l)
        .collect();
    let latency_ms = [
        percentile(&judged, 50.0).unwrap_or(f64::NAN),
        percentile(&judged, 99.0).unwrap_or(f64::NAN),
        judged.iter().copied().fold(f64::NAN, f64::max),
    ];
    let at_warm = rss
        .iter()
        .find(|(t, _)| *t >= warm)
        .or(rss.last())
        .map_or(0.0, |s| s.1);
    let after = rss
        .iter()
        .filter(|(t, _)| *t >= warm)
        .map(|s| s.1)
        .fold(at_warm, f64::max);
    let end = rss.last().map_or(0.0, |s| s.1);
    let lidar_queue = format!("input/{}", input.lidar);
    let queues: BTreeMap<String, QueueCounts> = queues
        .into_iter()
        .map(|q| {
            (
                q.queue,
                QueueCounts {
                    pushed: q.stats.pushed,
                    dropped: q.stats.dropped,
                    high_water: q.stats.high_water,
                },
            )
        })
        .collect();
    SoakRun {
        speed,
        duration_s: settings.duration_s,
        warmup_s: warm,
        sweeps: queues.get(&lidar_queue).map_or(0, |q| q.pushed),
        frames: frames.len() as u64,
        queues,
        latency_bounded: latency_ms[1] <= LATENCY_P99_LIMIT_MS,
        latency_ms,
        memory_bounded: after - at_warm <= RSS_GROWTH_LIMIT_MB,
        rss_mb: [at_warm, after, end],
        samples: windows,
    }
}
