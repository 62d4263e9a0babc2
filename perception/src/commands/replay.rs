//! `kestrel replay <log>`: deterministic replay in timestamp order on one thread, with a
//! progress bar, optional recording, JSON lines, digest and zenoh publication.

use super::run::{ZenohFlags, load_config};
use indicatif::{ProgressBar, ProgressStyle};
use kestrel_perception::json_lines_sink::JsonLinesSink;
use kestrel_perception::mcap_recorder::McapRecorder;
use kestrel_perception::output::OutputSink;
use kestrel_perception::replay::replay;
use kestrel_perception::sensor_source::SensorSource;
use kestrel_perception::stage_factory::{camera_manifest, production_stage};
use kestrel_perception::zenoh_output::ZenohOutput;
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
    /// `models/zoo/kestrel-student-v2/model.toml`).
    #[arg(long, value_name = "MANIFEST")]
    pub model: Option<PathBuf>,
    /// Run without the camera detector: objects from LiDAR and radar only, class `unknown`.
    #[arg(long, conflicts_with = "model")]
    pub no_camera: bool,
    /// Write inputs and outputs to this MCAP file.
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,
    /// Write every published object as a JSON line to this file.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
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

/// Runs `kestrel replay`.
pub fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let config = load_config(args.config.as_deref(), &args.zenoh)?;
    let source = SensorSource::open_path(&args.input)?;
    source.check_sensor_names(&args.drop_sensor)?;
    let stage = production_stage(
        source.rig(),
        camera_manifest(args.model.clone(), args.no_camera).as_deref(),
        &config.pipeline(),
    )?;
    let mut sinks: Vec<Box<dyn OutputSink>> = Vec::new();
    if let Some(path) = &args.json {
        sinks.push(Box::new(JsonLinesSink::create(path)?));
    }
    if let Some(path) = &args.record {
        sinks.push(Box::new(McapRecorder::create(
            path,
            source.rig(),
            &config.ros.tracked_topic,
            &config.ros.detected_topic,
        )?));
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
    let settings = config.runtime_settings(args.drop_sensor.into_iter().collect())?;
    let summary = replay(vec![source], stage, sinks, settings, |n| {
        progress.set_position(n)
    })?;
    progress.finish_and_clear();
    println!("{summary}");
    if args.digest {
        println!("digest {}", summary.digest);
    }
    Ok(())
}
