//! `soak`: overload and soak of the real-time pipeline ([`kestrel_benches::soak`]): the
//! shipped sequence looped at each speed for a stated duration, with the shipped student and
//! monitors, as `kestrel run` runs it. Prints one row per speed; writes the samples as JSON
//! (`benches/compare/compare.py` draws the curves into `benches/RESULTS.md`). Exits 1 when
//! memory or latency was not bounded at some speed, 2 on an error.
//!
//! ```text
//! cargo run --bin soak -- --speeds 1,2,5 --duration 600 --json benches/soak/soak.json
//! ```

use clap::Parser;
use kestrel_benches::soak::{LATENCY_P99_LIMIT_MS, RSS_GROWTH_LIMIT_MB, SoakSettings, soak};
use kestrel_perception::stage_factory::{camera_manifest, default_input};
use std::path::PathBuf;
use std::process::ExitCode;

/// Overload and soak of the real-time pipeline.
#[derive(Debug, Parser)]
#[command(name = "soak", version, about)]
struct Args {
    /// Playback speeds (multiples of the recorded rate), comma-separated.
    #[arg(long, value_delimiter = ',', default_values_t = vec![1.0, 2.0, 5.0])]
    speeds: Vec<f64>,
    /// Duration of each speed's run, seconds.
    #[arg(long, default_value_t = 60.0)]
    duration: f64,
    /// Warm-up excluded from the verdicts, seconds (default: a fifth of the duration, at
    /// most 60 s).
    #[arg(long)]
    warmup: Option<f64>,
    /// Memory sampling period, seconds.
    #[arg(long, default_value_t = 1.0)]
    sample: f64,
    /// The sequence to loop (default: the shipped PandaSet slice).
    #[arg(long)]
    input: Option<PathBuf>,
    /// Camera model manifest (default: the shipped student).
    #[arg(long)]
    model: Option<PathBuf>,
    /// Run without the camera model (LiDAR only).
    #[arg(long, conflicts_with = "model")]
    no_camera: bool,
    /// Write every run with its samples as JSON to this file.
    #[arg(long)]
    json: Option<PathBuf>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    if args.speeds.iter().any(|s| !(s.is_finite() && *s > 0.0))
        || !(args.duration > 0.0 && args.sample > 0.0)
    {
        eprintln!("soak: speeds, duration and sample period must be positive");
        return ExitCode::from(2);
    }
    let settings = SoakSettings {
        input: args.input.clone().unwrap_or_else(default_input),
        model: camera_manifest(args.model.clone(), args.no_camera),
        speeds: args.speeds.clone(),
        duration_s: args.duration,
        warmup_s: args.warmup.unwrap_or((args.duration / 5.0).min(60.0)),
        sample_s: args.sample,
    };
    let started = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let runs = match soak(&settings, |s| {
        eprintln!("soak: {s}x for {} s", args.duration)
    }) {
        Ok(runs) => runs,
        Err(e) => {
            eprintln!("soak: {e}");
            return ExitCode::from(2);
        }
    };
    println!(
        "speed  sweeps  frames  dropped  latency p50/p99/max ms    RSS warm/max/end MB   verdict"
    );
    for r in &runs {
        let dropped: u64 = r.queues.values().map(|q| q.dropped).sum();
        println!(
            "{:>4}x  {:>6}  {:>6}  {:>7}  {:>6.1} {:>6.1} {:>7.1}    {:>6.1} {:>6.1} {:>6.1}   {}",
            r.speed,
            r.sweeps,
            r.frames,
            dropped,
            r.latency_ms[0],
            r.latency_ms[1],
            r.latency_ms[2],
            r.rss_mb[0],
            r.rss_mb[1],
            r.rss_mb[2],
            match (r.memory_bounded, r.latency_bounded) {
                (true, true) => "bounded".to_owned(),
                (m, l) => format!(
                    "{}{}",
                    if m { "" } else { "MEMORY GREW " },
                    if l { "" } else { "LATENCY UNBOUNDED" }
                ),
            }
        );
    }
    println!(
        "bounds: RSS growth after warm-up <= {RSS_GROWTH_LIMIT_MB} MB, p99 latency after warm-up \
         <= {LATENCY_P99_LIMIT_MS} ms"
    );
    if let Some(path) = &args.json {
        let report = serde_json::json!({
            "command": std::env::args().collect::<Vec<_>>().join(" "),
            "started_unix_s": started,
            "logical_cpus": std::thread::available_parallelism().map_or(0, |n| n.get()),
            "rss_growth_limit_mb": RSS_GROWTH_LIMIT_MB,
            "latency_p99_limit_ms": LATENCY_P99_LIMIT_MS,
            "runs": runs,
        });
        let text = match serde_json::to_string_pretty(&report) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("soak: {e}");
                return ExitCode::from(2);
            }
        };
        if let Err(e) = std::fs::write(path, text) {
            eprintln!("soak: writing {}: {e}", path.display());
            return ExitCode::from(2);
        }
    }
    if runs.iter().all(|r| r.memory_bounded && r.latency_bounded) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
