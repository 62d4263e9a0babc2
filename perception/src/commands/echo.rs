//! `kestrel echo`: subscribe to the object topics and print what planning nodes receive.

use super::run::{ZenohFlags, load_dialing_config};
use kestrel_perception::planner_client::{ObjectTopic, PlannerClient};
use std::path::PathBuf;
use std::time::Duration;

/// Arguments of `kestrel echo`.
#[derive(clap::Args)]
pub struct Args {
    /// Configuration file (its `[zenoh]` and `[ros]` tables are used).
    #[arg(long)]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub zenoh: ZenohFlags,
    /// Echo the single-frame detections instead of the tracks.
    #[arg(long)]
    pub detected: bool,
    /// Stop after this many messages.
    #[arg(long)]
    pub count: Option<u64>,
    /// Stop when nothing arrives for this many seconds.
    #[arg(long, default_value_t = 30.0)]
    pub timeout: f64,
    /// Print each object as a JSON line instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Runs `kestrel echo`.
pub fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let config = load_dialing_config(args.config.as_deref(), &args.zenoh)?;
    if !(args.timeout.is_finite() && args.timeout > 0.0) {
        return Err(format!("--timeout {}: must be a positive number", args.timeout).into());
    }
    let session = config.zenoh.open()?;
    let (topic, kind) = if args.detected {
        (&config.ros.detected_topic, ObjectTopic::Detected)
    } else {
        (&config.ros.tracked_topic, ObjectTopic::Tracked)
    };
    let client = PlannerClient::subscribe(&session, config.ros.domain_id, topic, kind)?;
    eprintln!("kestrel echo: subscribed to {}", client.key_expr());
    let mut bad = 0u64;
    let mut seen = 0u64;
    let n = client.run(Duration::from_secs_f64(args.timeout), |item| {
        seen += 1;
        match item {
            Ok(msg) => {
                let records = msg.records();
                if !args.json {
                    println!(
                        "seq {} stamp {} ({} objects, {} CDR bytes)",
                        msg.attachment.sequence_number,
                        msg.stamp(),
                        records.len(),
                        msg.cdr.len()
                    );
                }
                for r in &records {
                    if args.json {
                        match serde_json::to_string(r) {
                            Ok(line) => println!("{line}"),
                            Err(e) => eprintln!("cannot print object as JSON: {e}"),
                        }
                    } else {
                        println!(
                            "  id {:>5} {:<10} p {:.2}  pos ({:7.2}, {:7.2}, {:5.2}) m  vel {}  \
                             size {:.1}x{:.1}x{:.1} m  yaw {:.2} rad",
                            r.track_id.map_or("-".to_string(), |i| i.to_string()),
                            r.class.name(),
                            r.class_probability,
                            r.position[0],
                            r.position[1],
                            r.position[2],
                            r.velocity.map_or("-".to_string(), |v| format!(
                                "({:.2}, {:.2}) m/s",
                                v[0], v[1]
                            )),
                            r.size[0],
                            r.size[1],
                            r.size[2],
                            r.yaw
                        );
                    }
                }
            }
            Err(e) => {
                bad += 1;
                eprintln!("undecodable sample: {e}");
            }
        }
        args.count.is_none_or(|c| seen < c)
    })?;
    eprintln!("kestrel echo: {n} messages ({bad} undecodable)");
    Ok(())
}
