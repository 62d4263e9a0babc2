//! `kestrel replay <log>`: deterministic replay in timestamp order on one thread, with a
//! progress bar, optional recording, JSON lines, digest and zenoh publication.

use super::fault_flags::{FaultFlags, print_hits};
use super::run::{ZenohFlags, load_config};
use indicatif::{ProgressBar, ProgressStyle};
use kestrel_perception::anonymiser::{Anonymiser, DEFAULT_PERSON_SCORE};
use kestrel_perception::json_lines_sink::JsonLinesSink;
use kestrel_perception::mcap_recorder::McapRecorder;
use kestrel_perception::monitor_mode::MonitorMode;
use kestrel_perception::output::OutputSink;
use kestrel_perception::replay::replay;
use kestrel_perception::sensor_source::SensorSource;
use kestrel_perception::stage_factory::{
    camera_manifest, monitor_spec, production_stage, with_mining,
};
use kestrel_perception::world_frame::{ObjectFrame, unplaced_error};
use kestrel_perception::zenoh_output::ZenohOutput;
use kestrel_sensors::camera_shift::CameraShift;
use std::path::PathBuf;

/// Arguments of `kestrel replay`.
#[derive(clap::Args)]
pub struct Args {
    /// The log to replay: an MCAP file, a KITTI object folder or a nuScenes sample folder.
    #[arg(value_name = "LOG")]
    pub input: PathBuf,
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
    /// Apply a synthetic domain shift to every camera image (`dusk`: darker, steeper tone
    /// curve; `defocus`: 13x13 box blur), to see the monitors flag it and to mine it.
    #[arg(long, value_name = "SHIFT", value_parser = parse_shift)]
    pub shift: Option<CameraShift>,
    #[command(flatten)]
    pub faults: FaultFlags,
    /// Mine camera frames the monitors flag (drifted inputs, student-teacher disagreement)
    /// into this MCAP log, rate-limited, with the reason (training material for the next
    /// student: `kestrel-distill recipe --from-log`).
    #[arg(long, value_name = "FILE", conflicts_with = "no_monitors")]
    pub mine: Option<PathBuf>,
    /// Write inputs and outputs to this MCAP file.
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,
    /// Pixelate the heads of the people the teacher finds in every camera image before it is
    /// recorded (`--record`; see `kestrel_perception::anonymiser`). Offline only: at about
    /// 0.12 s per image it does not fit a live frame budget, so `kestrel run` does not offer it.
    #[arg(long, requires = "record")]
    pub anonymise: bool,
    /// Write every published object as a JSON line to this file.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Frame of the published objects (JSON lines, recording, zenoh, digest): `vehicle` (the
    /// vehicle frame at each frame's time, `base_link`) or `world` (the fixed frame of the
    /// input's odometry poses, e.g. PandaSet's world frame, published as the configuration's
    /// `[ros] frame_id`, `map` when that is `base_link`). Default: `[ros] frame_id`.
    #[arg(long, value_enum)]
    pub frame: Option<FrameChoice>,
    /// Print the output digest (sha256 over the CDR of every output message, in order).
    #[arg(long)]
    pub digest: bool,
    /// Remove a sensor's messages (repeatable); the run reports it as missing.
    #[arg(long = "drop-sensor", value_name = "NAME")]
    pub drop_sensor: Vec<String>,
    /// Also publish on zenoh (as `kestrel run` does).
    #[arg(long)]
    pub publish: bool,
    #[command(flatten)]
    pub zenoh: ZenohFlags,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
}

/// `--frame`.
#[derive(Clone, Copy, PartialEq, Eq, Debug, clap::ValueEnum)]
pub enum FrameChoice {
    /// The vehicle frame at each frame's time.
    Vehicle,
    /// The fixed frame of the input's odometry poses.
    World,
}

/// The frame `choice` asks for, given the configured one.
fn object_frame(choice: Option<FrameChoice>, configured: ObjectFrame) -> ObjectFrame {
    match (choice, configured) {
        (None, c) => c,
        (Some(FrameChoice::Vehicle), _) => ObjectFrame::Vehicle,
        (Some(FrameChoice::World), ObjectFrame::Vehicle) => ObjectFrame::World {
            frame_id: "map".into(),
        },
        (Some(FrameChoice::World), world) => world,
    }
}

fn parse_shift(name: &str) -> Result<CameraShift, String> {
    CameraShift::parse(name).ok_or_else(|| format!("`{name}`: expected dusk or defocus"))
}

/// Runs `kestrel replay`.
pub fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let config = load_config(args.config.as_deref(), &args.zenoh)?;
    let mut source = SensorSource::open_path(&args.input)?;
    if let Some(shift) = args.shift {
        source = source.shifted(shift);
    }
    let mut faults = None;
    if let Some(plan) = args.faults.plan()? {
        let (faulted, counts) = source.faulted(plan.clone())?;
        source = faulted;
        faults = Some((plan, counts));
    }
    source.check_sensor_names(&args.drop_sensor)?;
    let model = camera_manifest(args.model.clone(), args.no_camera);
    let stage = production_stage(source.rig(), model.as_deref(), &config.pipeline())?;
    let mut sinks: Vec<Box<dyn OutputSink>> = Vec::new();
    if let Some(path) = &args.json {
        sinks.push(Box::new(JsonLinesSink::create(path)?));
    }
    if let Some(path) = &args.record {
        let mut recorder = McapRecorder::create(
            path,
            source.rig(),
            &config.ros.tracked_topic,
            &config.ros.detected_topic,
        )?;
        if args.anonymise {
            let anonymiser = Anonymiser::load(
                &kestrel_models::zoo::teacher_manifest(),
                Some(DEFAULT_PERSON_SCORE),
            )?;
            recorder = recorder.with_camera_filter(Box::new(anonymiser));
        }
        sinks.push(Box::new(recorder));
    }
    if args.publish {
        let session = config.zenoh.open()?;
        sinks.push(Box::new(ZenohOutput::new(&session, &config.ros)?));
    }
    let progress = if args.quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new_spinner()
    };
    progress.set_style(
        ProgressStyle::with_template("{spinner} {pos} messages {elapsed} {per_sec}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    let mut settings = config.runtime_settings(args.drop_sensor.into_iter().collect())?;
    settings.object_frame = object_frame(args.frame, settings.object_frame);
    let in_world = settings.object_frame != ObjectFrame::Vehicle;
    settings.monitors = with_mining(
        monitor_spec(
            model.as_deref(),
            args.no_monitors,
            config.monitor,
            MonitorMode::Complete,
        ),
        args.mine.clone(),
        source.rig().cloned(),
    )?;
    let summary = replay(vec![source], stage, sinks, settings, |n| {
        progress.set_position(n)
    })?;
    progress.finish_and_clear();
    println!("{summary}");
    if let Some((plan, counts)) = faults {
        print_hits(&plan, &counts.hits());
    }
    if args.digest {
        println!("digest {}", summary.digest);
    }
    if in_world && summary.counters.unplaced_frames > 0 {
        return Err(unplaced_error(summary.counters.unplaced_frames).into());
    }
    Ok(())
}
