//! `frame-breakdown`: times the parts of the end-to-end frame (KITTI 000000 camera + LiDAR +
//! ARS408 radar, student camera branch) frame after frame and prints every frame's part
//! latencies (ms) as JSON on stdout, for the breakdown in `benches/RESULTS.md`.
//!
//! ```text
//! cargo run -p kestrel-benches --bin frame-breakdown -- --frames 50
//! ```

use clap::Parser;
use kestrel_benches::BenchError;
use kestrel_benches::frame_breakdown::{FrameBreakdown, FrameTimes};
use serde::Serialize;
use std::process::ExitCode;

/// Times the parts of the end-to-end frame.
#[derive(Debug, Parser)]
#[command(name = "frame-breakdown", version, about)]
struct Args {
    /// Timed frames.
    #[arg(long, default_value_t = 50)]
    frames: usize,
}

/// One frame's record: the part latencies and the frame total (ms), and the objects fused.
#[derive(Serialize)]
struct Record {
    #[serde(flatten)]
    times: FrameTimes,
    frame_ms: f64,
    /// Fused objects of the frame.
    objects: usize,
}

fn run(args: &Args) -> Result<String, BenchError> {
    let breakdown = FrameBreakdown::new(10)?;
    breakdown.time_frame()?; // warm-up
    let frames = (0..args.frames)
        .map(|_| {
            let (times, fused) = breakdown.time_frame()?;
            Ok(Record {
                times,
                frame_ms: times.frame_ms(),
                objects: fused.objects.len(),
            })
        })
        .collect::<Result<Vec<_>, BenchError>>()?;
    Ok(serde_json::json!({ "frames": frames }).to_string())
}

fn main() -> ExitCode {
    match run(&Args::parse()) {
        Ok(json) => {
            println!("{json}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("frame-breakdown: {e}");
            ExitCode::from(2)
        }
    }
}
