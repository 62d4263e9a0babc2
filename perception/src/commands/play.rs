//! `kestrel play <log.mcap>`: publishes a recorded log's sensor topics over zenoh exactly as
//! rmw_zenoh publishers would, paced by log time ([`kestrel_perception::log_player`]): the
//! `ros2 bag play` of a vehicle without ROS installed, and the way tests feed live input to
//! `kestrel run --input ros`.

use super::fault_flags::{FaultFlags, print_hits};
use super::run::{ZenohFlags, load_dialing_config};
use kestrel_perception::log_player::{LogPlayer, PlayOptions};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use zenoh::Wait;

/// Arguments of `kestrel play`.
#[derive(clap::Args)]
pub struct Args {
    /// The MCAP log to play.
    #[arg(value_name = "LOG")]
    pub path: PathBuf,
    /// Playback speed (2.0 = twice as fast as recorded).
    #[arg(long, default_value_t = 1.0)]
    pub rate: f64,
    /// Play again and again until stopped; each pass continues in time (stamps shifted by the
    /// log's span plus one message period).
    #[arg(long = "loop")]
    pub repeat: bool,
    /// Topics to play (comma-separated or repeated); default: the sensor topics (Image,
    /// CompressedImage, CameraInfo, PointCloud2, Odometry).
    #[arg(long, value_delimiter = ',')]
    pub topics: Vec<String>,
    /// Stamp messages as a live driver would: shift every header.stamp so that the log starts
    /// now on the wall clock (relative timing kept).
    #[arg(long)]
    pub restamp: bool,
    /// Wait up to this many seconds for every topic to have a subscriber before playing.
    #[arg(long, default_value_t = 0.0, value_name = "SECONDS")]
    pub wait_for_subscribers: f64,
    #[command(flatten)]
    pub faults: FaultFlags,
    /// Configuration file (its `[zenoh]` table and `ros.domain_id` are used).
    #[arg(long)]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub zenoh: ZenohFlags,
}

/// Runs `kestrel play`.
pub fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let config = load_dialing_config(args.config.as_deref(), &args.zenoh)?;
    if !(args.wait_for_subscribers.is_finite() && args.wait_for_subscribers >= 0.0) {
        return Err(format!(
            "--wait-for-subscribers {}: must be >= 0",
            args.wait_for_subscribers
        )
        .into());
    }
    let faults = args.faults.plan()?;
    let session = config.zenoh.open()?;
    let options = PlayOptions {
        faults: faults.clone(),
        rate: args.rate,
        repeat: args.repeat,
        topics: args.topics.clone(),
        restamp: args.restamp,
        wait_for_subscribers: Duration::from_secs_f64(args.wait_for_subscribers),
        domain_id: config.ros.domain_id,
        ..PlayOptions::default()
    };
    let player = LogPlayer::open(&session, &args.path, options)?;
    println!(
        "kestrel play: {} -> zenoh (listen {:?}, connect {:?}), topics: {}{}",
        args.path.display(),
        config.zenoh.listen,
        config.zenoh.connect,
        player.played_topics().join(", "),
        if player.rig_toml().is_some() {
            "; rig offered on kestrel/rig"
        } else {
            ""
        }
    );
    let stop = Arc::new(AtomicBool::new(false));
    let on_signal = stop.clone();
    ctrlc::set_handler(move || on_signal.store(true, Ordering::SeqCst))?;
    let summary = player.play(&stop, |_, _| true)?;
    let total: u64 = summary.published.values().sum();
    println!("published {total} messages in {} passes", summary.passes);
    for (topic, n) in &summary.published {
        println!("  {topic:<44} {n}");
    }
    for (topic, why) in &summary.skipped {
        println!("  {topic:<44} not played: {why}");
    }
    if let Some(plan) = &faults {
        print_hits(plan, &summary.fault_hits);
    }
    session
        .close()
        .wait()
        .map_err(|e| format!("closing the zenoh session: {e}"))?;
    Ok(())
}
