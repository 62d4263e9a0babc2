//! `kestrel`: the command-line front end of the Kestrel perception stack.
//!
//! Each subcommand lives in its own module under `commands/`; this file only parses the
//! command line, sets up logging, and turns errors into a message and an exit code.

mod commands;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Kestrel: camera + LiDAR + radar perception for vehicles and drones.
#[derive(Parser)]
#[command(name = "kestrel", version, about)]
struct Cli {
    /// Log filter (tracing `EnvFilter` syntax), e.g. `info` or `kestrel_fusion=debug`.
    #[arg(long, global = true, default_value = "warn", env = "KESTREL_LOG")]
    log: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print what a sensor file or folder holds (KITTI, nuScenes, PCD, Ouster pcap, ...).
    Inspect(commands::inspect::Args),
    /// Convert a KITTI / nuScenes folder or an Ouster pcap into an MCAP log (rosbag2 layout).
    Convert(commands::convert::Args),
    /// Run a 2D detector (default: the shipped student) on image files and print detections.
    Detect(commands::detect::Args),
    /// Run the stack in real time (default: shipped log, embedded zenoh peer) and print a summary.
    Run(commands::run::Args),
    /// Replay a log deterministically (timestamp order, one thread) and print the output digest.
    Replay(commands::replay::Args),
    /// Subscribe to the object topics and print what planning nodes receive.
    Echo(commands::echo::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(&cli.log))
        .with_writer(std::io::stderr)
        .init();
    let result = match cli.command {
        Command::Inspect(args) => commands::inspect::run(args),
        Command::Convert(args) => commands::convert::run(args),
        Command::Detect(args) => commands::detect::run(args),
        Command::Run(args) => commands::run::run(args),
        Command::Replay(args) => commands::replay::run(args),
        Command::Echo(args) => commands::echo::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kestrel: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
