//! `kestrel run`: the main job in real time — inputs on their own threads, fusion, zenoh output
//! to planning nodes, a live status line and a final summary. Ctrl-C stops cleanly and flushes
//! any recording. Inputs: a recorded log played at its recorded pace (default), or live input
//! (`--input ros`, `--input ouster`, see `live_sources`).

use super::live_sources::{self, InputKind};
use kestrel_perception::clock::WallClock;
use kestrel_perception::config::{KestrelConfig, PeerRole};
use kestrel_perception::live_input::LiveControl;
use kestrel_perception::mcap_recorder::McapRecorder;
use kestrel_perception::monitor_mode::MonitorMode;
use kestrel_perception::output::OutputSink;
use kestrel_perception::realtime::{Pace, RealtimeOptions, run_realtime};
use kestrel_perception::sensor_source::SensorSource;
use kestrel_perception::stage_factory::{
    camera_manifest, default_input, monitor_spec, production_stage, with_mining,
};
use kestrel_perception::text_summary::TextSummarySink;
use kestrel_perception::zenoh_output::ZenohOutput;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use zenoh::Wait;

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
    /// `models/zoo/kestrel-student-v3/model.toml`).
    #[arg(long, value_name = "MANIFEST")]
    pub model: Option<PathBuf>,
    /// Run without the camera detector: objects from LiDAR and radar only, class `unknown`.
    #[arg(long, conflicts_with = "model")]
    pub no_camera: bool,
    /// Run without the model monitors (input drift, shadow teacher; see `[monitor]` in the
    /// configuration).
    #[arg(long)]
    pub no_monitors: bool,
    /// Mine camera frames the monitors flag (drifted inputs, student-teacher disagreement)
    /// into this MCAP log, rate-limited, with the reason (training material for the next
    /// student: `kestrel-distill recipe --from-log`).
    #[arg(long, value_name = "FILE", conflicts_with = "no_monitors")]
    pub mine: Option<PathBuf>,
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
    /// Where inputs come from (repeatable: `--input ros --input ouster`): `log` (default; the
    /// INPUT path), `ros` (ROS 2 sensor topics over zenoh), `ouster` (Ouster UDP stream).
    #[arg(long = "input", value_enum, value_name = "KIND")]
    pub input_kinds: Vec<InputKind>,
    /// Rig of live input: a rig TOML, or an MCAP log / dataset folder holding one (overrides
    /// `[inputs] rig`; default: the rig `kestrel play` offers).
    #[arg(long, value_name = "PATH")]
    pub rig: Option<PathBuf>,
    /// Ouster sensor metadata JSON for `--input ouster` (overrides `[inputs.ouster] metadata`).
    #[arg(long, value_name = "JSON")]
    pub ouster_metadata: Option<PathBuf>,
    /// UDP address the Ouster lidar packets arrive on (overrides `[inputs.ouster] bind`).
    #[arg(long, value_name = "ADDR:PORT")]
    pub ouster_bind: Option<String>,
    /// Live input: stop when no input has arrived for this many seconds (after the first).
    #[arg(long, value_name = "SECONDS")]
    pub max_idle: Option<f64>,
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

/// The configuration of a peer that dials `kestrel run` (`play`, `echo`): as [`load_config`],
/// but by default it connects to `kestrel run`'s loopback endpoint and it listens only where
/// `--listen` says, never on the file's `listen` endpoints, so the file of the vehicle's
/// Kestrel, TLS and its `tls/` endpoints included, serves as it is.
pub fn load_dialing_config(
    path: Option<&std::path::Path>,
    zenoh: &ZenohFlags,
) -> Result<KestrelConfig, Box<dyn std::error::Error>> {
    let mut zenoh = zenoh.clone();
    if zenoh.connect.is_empty() && zenoh.listen.is_empty() {
        zenoh.connect = vec![kestrel_perception::zenoh_session::DEFAULT_ENDPOINT.into()];
    }
    let mut config = match path {
        Some(p) => KestrelConfig::load_as(p, PeerRole::Dialing)?,
        None => KestrelConfig::from_toml_str_as("", "built-in defaults", PeerRole::Dialing)?,
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
    let kinds = if args.input_kinds.is_empty() {
        vec![InputKind::Log]
    } else {
        args.input_kinds.clone()
    };
    let live = !kinds.contains(&InputKind::Log);
    if !live && kinds.len() > 1 {
        return Err("--input log cannot be combined with live inputs".into());
    }
    if live && args.input.is_some() {
        return Err("an INPUT path is a recorded log: not with --input ros|ouster".into());
    }
    if let Some(m) = &args.ouster_metadata {
        config.inputs.ouster.metadata = m.display().to_string();
    }
    if let Some(b) = &args.ouster_bind {
        config.inputs.ouster.bind = b.clone();
    }
    let max_idle = match args.max_idle {
        Some(s) if !(s.is_finite() && s > 0.0) => {
            return Err(format!("--max-idle {s}: must be a positive number").into());
        }
        s => s.map(std::time::Duration::from_secs_f64),
    };
    let stop = Arc::new(AtomicBool::new(false));
    let session = config.zenoh.open()?;
    let (mut sources, rig, mut what) = if live {
        let rig = live_sources::rig(&kinds, &config, &session, args.rig.as_deref())?;
        (Vec::new(), rig, String::new())
    } else {
        let input = args.input.clone().unwrap_or_else(default_input);
        let source = SensorSource::open_path(&input)?;
        source.check_sensor_names(&args.drop_sensor)?;
        let what = input.display().to_string();
        let Some(rig) = source.rig().cloned() else {
            return Err(
                format!("input {what} carries no rig (sensor list and calibration)").into(),
            );
        };
        (vec![source], rig, what)
    };
    if let Some(n) = args.drop_sensor.iter().find(|n| rig.sensor(n).is_none()) {
        return Err(format!("--drop-sensor {n}: not a sensor of the rig `{}`", rig.name).into());
    }
    let model = camera_manifest(args.model.clone(), args.no_camera);
    let stage = production_stage(Some(&rig), model.as_deref(), &config.pipeline())?;
    let output = ZenohOutput::new(&session, &config.ros)?;
    let tracked_key = output.tracked_key_expr().to_owned();
    let mut sinks: Vec<Box<dyn OutputSink>> = vec![
        Box::new(output),
        Box::new(TextSummarySink::new(std::io::stdout())),
    ];
    if let Some(path) = &args.record {
        sinks.push(Box::new(McapRecorder::create(
            path,
            Some(&rig),
            &config.ros.tracked_topic,
            &config.ros.detected_topic,
        )?));
    }
    let interrupted = Arc::new(AtomicBool::new(false));
    let (on_signal, signalled) = (stop.clone(), interrupted.clone());
    ctrlc::set_handler(move || {
        signalled.store(true, Ordering::SeqCst);
        on_signal.store(true, Ordering::SeqCst);
    })?;
    // Live subscriptions last, right before the run takes their messages; they (and their
    // liveliness tokens) live until the run ends.
    let _live = if live {
        let control = LiveControl::new(stop.clone(), max_idle);
        let mut l = live_sources::open(&kinds, &config, &session, &rig, control)?;
        what = l.description.join(", ");
        sources = std::mem::take(&mut l.sources);
        Some(l)
    } else {
        None
    };
    println!(
        "kestrel run: {what} -> zenoh {tracked_key} (listen {:?}, connect {:?})",
        config.zenoh.listen, config.zenoh.connect
    );
    let mut settings = config.runtime_settings(args.drop_sensor.into_iter().collect())?;
    settings.monitors = with_mining(
        monitor_spec(
            model.as_deref(),
            args.no_monitors,
            config.monitor,
            MonitorMode::Drop,
        ),
        args.mine.clone(),
        Some(rig.clone()),
    )?;
    let summary = run_realtime(
        sources,
        stage,
        sinks,
        RealtimeOptions {
            settings,
            policies: config.queues,
            pace: if live {
                Pace::Unpaced
            } else {
                Pace::Recorded {
                    speed: config.runtime.playback_speed,
                }
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
    // Closing the session sends what is still queued (the frames flushed at the end).
    session
        .close()
        .wait()
        .map_err(|e| format!("closing the zenoh session: {e}"))?;
    Ok(())
}
