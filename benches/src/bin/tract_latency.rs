//! `tract-latency`: runs a shipped model's network in tract (one thread, as the camera branch
//! does) on one real camera frame and prints the latency of every run as JSON on stdout, for
//! the onnxruntime comparison in `benches/compare/` (which feeds onnxruntime the identical
//! input tensor written with `--dump-input`).
//!
//! ```text
//! cargo run -p kestrel-benches --bin tract-latency -- --model student --runs 100 \
//!     --dump-input /tmp/student_input.f32
//! ```

use clap::{Parser, ValueEnum};
use kestrel_benches::BenchError;
use kestrel_benches::bench_inputs::kitti_image_path;
use kestrel_benches::tract_profile::profile_plan;
use kestrel_models::preprocess::prepare;
use kestrel_models::{Detector, PixelView, load_image_file, zoo};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

/// Which shipped model to run.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum Model {
    /// The shipped student (`models/zoo/kestrel-student-v2`).
    Student,
    /// The NanoDet COCO teacher (`models/teachers/nanodet_coco.toml`).
    Teacher,
}

/// Times a model's network in tract, run by run.
#[derive(Debug, Parser)]
#[command(name = "tract-latency", version, about)]
struct Args {
    /// The model.
    #[arg(long, value_enum)]
    model: Model,
    /// Timed runs.
    #[arg(long, default_value_t = 100)]
    runs: usize,
    /// Untimed warm-up runs.
    #[arg(long, default_value_t = 5)]
    warmup: usize,
    /// Camera image the input is prepared from (default: KITTI object frame 000000).
    #[arg(long)]
    image: Option<PathBuf>,
    /// Write the prepared input tensor here (f32 little endian, NCHW, shape in the JSON).
    #[arg(long)]
    dump_input: Option<PathBuf>,
    /// Also time every node of the optimised plan (adds `per_op` to the JSON).
    #[arg(long)]
    per_node: bool,
}

fn run(args: &Args) -> Result<String, BenchError> {
    let manifest = match args.model {
        Model::Student => zoo::default_student_manifest(),
        Model::Teacher => zoo::teacher_manifest(),
    };
    let image = args.image.clone().unwrap_or_else(kitti_image_path);
    let frame = load_image_file(&image)?;
    let detector = Detector::load(&manifest)?;
    let (input, _) = prepare(&detector.manifest().input, &PixelView::from_frame(&frame));
    if let Some(path) = &args.dump_input {
        let bytes: Vec<u8> = input.iter().flat_map(|v| v.to_le_bytes()).collect();
        std::fs::write(path, bytes).map_err(|e| BenchError::io(path, e))?;
    }
    for _ in 0..args.warmup {
        detector.run_raw(input.clone())?;
    }
    let mut runs_ms = Vec::with_capacity(args.runs);
    for _ in 0..args.runs {
        let x = input.clone();
        let start = Instant::now();
        let outputs = detector.run_raw(x)?;
        runs_ms.push(start.elapsed().as_secs_f64() * 1e3);
        drop(outputs);
    }
    let per_op = if args.per_node {
        Some(profile_plan(
            detector.manifest(),
            &manifest,
            &input,
            args.runs,
        )?)
    } else {
        None
    };
    let report = serde_json::json!({
        "runtime": "tract",
        "threads": 1,
        "model": detector.manifest().name,
        "input_name": detector.manifest().input.name,
        "input_shape": input.shape(),
        "image": image.display().to_string(),
        "runs_ms": runs_ms,
        "per_op": per_op,
    });
    Ok(report.to_string())
}

fn main() -> ExitCode {
    match run(&Args::parse()) {
        Ok(json) => {
            println!("{json}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("tract-latency: {e}");
            ExitCode::from(2)
        }
    }
}
