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
    /// Run networks on tract's portable reference kernels instead of this CPU's own SIMD ones:
    /// slower, but outputs are bit-identical on x86_64 and aarch64 (README, "ARM boards").
    #[arg(long, global = true, env = "KESTREL_REFERENCE_KERNELS")]
    reference_kernels: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print what a sensor file, folder or MCAP log holds (KITTI, nuScenes, PCD, Ouster pcap,
    /// MCAP: per topic type, count, times, rate).
    Inspect(commands::inspect::Args),
    /// Convert a KITTI / nuScenes / PandaSet folder or an Ouster pcap into an MCAP log (rosbag2
    /// layout).
    Convert(commands::convert::Args),
    /// Run a 2D detector (default: the shipped student) on image files and print detections.
    Detect(commands::detect::Args),
    /// Show where a detector looked for each detection (occlusion saliency) as a heat-map
    /// picture, optionally next to a second model's (e.g. the teacher).
    Explain(commands::explain::Args),
    /// Run the stack in real time (default: shipped log; live: --input ros|ouster), embedded
    /// zenoh peer, and print a summary.
    Run(commands::run::Args),
    /// Replay a log deterministically (timestamp order, one thread) and print the output digest.
    Replay(commands::replay::Args),
    /// Subscribe to the object topics and print what planning nodes receive.
    Echo(commands::echo::Args),
    /// Publish a recorded log's sensor topics over zenoh as rmw_zenoh publishers would, paced
    /// by log time (the `ros2 bag play` of a vehicle without ROS).
    Play(commands::play::Args),
    /// Closed-loop simulation of the stack on canonical scenarios: verdict, metrics, MCAP, BEV
    /// plot; exit 0 pass, 1 fail, 2 usage/IO error.
    Sim(commands::sim::Args),
    /// Run a network on image files and print its raw output tensors as JSON lines.
    Infer(commands::infer::Args),
    /// Compare two JSON-lines outputs (replay --json, infer) number by number.
    Compare(commands::compare::Args),
    /// Score the stack against human labels (KITTI, nuScenes, PandaSet, MCAP with labels):
    /// recall, precision, errors, CLEAR-MOT, IDF1; tables, JSON, bird's-eye-view pictures.
    Eval(commands::eval::Args),
    /// Inject every kind of fault into a real sequence's replay and check the declared
    /// behaviour (detection, continued outputs, recovery, no NaN, no ghost tracks); exit 0
    /// pass, 1 fail, 2 usage/IO error.
    FaultMatrix(commands::fault_matrix::Args),
    /// Fit the LiDAR shape classifier on a labelled PandaSet sequence's tuning frames,
    /// measure it on the held-out frames, write it and its model card.
    FitShapes(commands::fit_shapes::Args),
}

impl Command {
    /// Commands whose only output is what they print (no zenoh sockets, no recordings):
    /// they may end like any Unix filter when the reader of their output goes away.
    fn prints_to_a_pipe_only(&self) -> bool {
        matches!(
            self,
            Command::Inspect(_)
                | Command::Detect(_)
                | Command::Explain(_)
                | Command::Infer(_)
                | Command::Compare(_)
        )
    }
}

/// Restores the default action of SIGPIPE (the Rust runtime ignores it), so that
/// `kestrel detect ... | head` ends quietly when `head` exits instead of panicking in
/// `println!` on the broken pipe. Only for commands that hold no network sockets.
fn stop_quietly_on_closed_stdout() {
    #[cfg(unix)]
    // SAFETY: called once at start-up, before any thread is spawned; installs the default
    // disposition, no handler code.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(&cli.log))
        .with_writer(std::io::stderr)
        .init();
    if cli.reference_kernels
        && let Err(e) = kestrel_models::kernel_selection::use_reference_kernels()
    {
        eprintln!("kestrel: error: {e}");
        return ExitCode::FAILURE;
    }
    if cli.command.prints_to_a_pipe_only() {
        stop_quietly_on_closed_stdout();
    }
    let result = match cli.command {
        Command::Inspect(args) => commands::inspect::run(args),
        Command::Convert(args) => commands::convert::run(args),
        Command::Detect(args) => commands::detect::run(args),
        Command::Explain(args) => commands::explain::run(args),
        Command::Run(args) => commands::run::run(args),
        Command::Replay(args) => commands::replay::run(args),
        Command::Echo(args) => commands::echo::run(args),
        Command::Play(args) => commands::play::run(args),
        Command::Sim(args) => return commands::sim::main(args),
        Command::Infer(args) => commands::infer::run(args),
        Command::Compare(args) => commands::compare::run(args),
        Command::Eval(args) => commands::eval::run(args),
        Command::FaultMatrix(args) => return commands::fault_matrix::main(args),
        Command::FitShapes(args) => commands::fit_shapes::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kestrel: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
