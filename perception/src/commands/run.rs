//! `kestrel run`: the main job in real time — inputs on their own threads, fusion, zenoh output
//! to planning nodes, a live status line and a final summary. Ctrl-C stops cleanly and flushes
//! any recording.

use kestrel_perception::clock::WallClock;
use kestrel_perception::config::KestrelConfig;
use kestrel_perception::mcap_recorder::McapRecorder;
use kestrel_perception::output::OutputSink;
use kestrel_perception::realtime::{Pace, RealtimeOptions, run_realtime};
use kestrel_perception::sensor_source::SensorSource;
use kestrel_perception::stage_factory::{camera_manifest, default_input, production_stage};
use kestrel_perception::text_summary::TextSummarySink;
use kestrel_perception::zenoh_output::ZenohOutput;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// zenoh endpoint flags shared by the commands that open a session.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct ZenohFlags {
    /// Connect to a zenoh endpoint, e.g. `tcp/127.0.0.1:7447` (rmw_zenoh's router).
    /// Repeatable; replaces `[zenoh] connect` of the configuration.
    #[arg(long = "connect", value_name = "ENDPOINT")]
    pub connect: Vec<String>,
    /// Listen on a zenoh endpoint, e.g. `tcp/127.0.0.1:7450`. Repeatable; replaces
    /// `[zenoh] listen` of the configuration.
    #[arg(long = "listen", value_name = "ENDPOINT")]
    pub listen: Vec<String>,
}

impl ZenohFlags {
    /// Applies the flags to a configuration.
    pub fn apply(&self, config: &mut KestrelConfig) {
        if !self.connect.is_empty() {
            config.zenoh.connect = self.connect.clone();
        }
        if !self.listen.is_empty() {
            config.zenoh.listen = self.listen.clone();
        }
    }
}

/// Arguments of `kestrel run`.
#[derive(clap::Args)]
pub struct Args {
    /// Input: an MCAP log, a KITTI object folder or a nuScenes sample folder (default: the
    /// shipped KITTI fixture frames).
    pub input: Option<PathBuf>,
    /// Configuration file (TOML; keys override perception/config/default.toml).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Camera detector model manifest (default: the shipped student,
    /// `models/zoo/kestrel-student-v2/model.toml`).
    #[arg(long, value_name = "MANIFEST")]
    pub model: Option<PathBuf>,
    /// Run without the camera detector: objects from LiDAR and radar only, class `unknown`.
    #[arg(long, conflicts_with = "model")]
    pub no_camera: bool,
    #[command(flatten)]
    pub zenoh: ZenohFlags,
    /// Record inputs and outputs to this MCAP file.
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,
    /// Playback speed of recorded inputs (overrides `runtime.playback_speed`).
    #[arg(long)]
    pub speed: Option<f64>,
    /// Remove a sensor's messages (repeatable).
    #[arg(long = "drop-sensor", value_name = "NAME")]
    pub drop_sensor: Vec<String>,
}

/// Loads the configuration named by `--config` (or the defaults) and applies zenoh flags.
pub fn load_config(
    path: Option<&std::path::Path>,
    zenoh: &ZenohFlags,
) -> Result<KestrelConfig, Box<dyn std::error::Error>> {
    let mut config = match path {
        Some(p) => KestrelConfig::load(p)?,
        None => KestrelConfig::builtin()?,
    };
    zenoh.apply(&mut config);
    config.zenoh.to_config()?;
    Ok(config)
}

/// Runs `kestrel run`.
pub fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let mut config = load_config(args.config.as_deref(), &args.zenoh)?;
    if let Some(speed) = args.speed {
        if !(speed.is_finite() && speed > 0.0) {
            return Err(format!("--speed {speed}: must be a positive number").into());
        }
        config.runtime.playback_speed = speed;
    }
    let input = args.input.unwrap_or_else(default_input);
    let source = SensorSource::open_path(&input)?;
    source.check_sensor_names(&args.drop_sensor)?;
    let stage = production_stage(
        source.rig(),
        camera_manifest(args.model.clone(), args.no_camera).as_deref(),
        &config.pipeline(),
    )?;
    let session = config.zenoh.open()?;
    let output = ZenohOutput::new(&session, &config.ros)?;
    println!(
        "kestrel run: {} -> zenoh {} (listen {:?}, connect {:?})",
        input.display(),
        output.tracked_key_expr(),
        config.zenoh.listen,
        config.zenoh.connect
    );
    let mut sinks: Vec<Box<dyn OutputSink>> = vec![
        Box::new(output),
        Box::new(TextSummarySink::new(std::io::stdout())),
    ];
    if let Some(path) = &args.record {
        sinks.push(Box::new(McapRecorder::create(
            path,
            source.rig(),
            &config.ros.tracked_topic,
            &config.ros.detected_topic,
        )?));
    }
    let stop = Arc::new(AtomicBool::new(false));
    let interrupted = Arc::new(AtomicBool::new(false));
    let (on_signal, signalled) = (stop.clone(), interrupted.clone());
    ctrlc::set_handler(move || {
        signalled.store(true, Ordering::SeqCst);
        on_signal.store(true, Ordering::SeqCst);
    })?;
    let settings = config.runtime_settings(args.drop_sensor.into_iter().collect())?;
    let summary = run_realtime(
        vec![source],
        stage,
        sinks,
        RealtimeOptions {
            settings,
            policies: config.queues,
            pace: Pace::Recorded {
                speed: config.runtime.playback_speed,
            },
            stop,
            clock: Arc::new(WallClock),
        },
    )?;
    if interrupted.load(Ordering::SeqCst) {
        println!("stopped by Ctrl-C; outputs flushed");
    }
    if let Some(path) = &args.record {
        println!("recorded inputs and outputs to {}", path.display());
    }
    println!("{summary}");
    Ok(())
}
