//! `tract-latency`: runs a network in tract (one thread, as the camera branch does, unless
//! `--threads` says otherwise) and prints the latency of every run as JSON on stdout, for the
//! onnxruntime comparison in `benches/compare/` (which feeds onnxruntime the identical input
//! tensor written with `--dump-input`).
//!
//! The network is a shipped model (`--model`), any student folder (`--manifest`: the runtime's
//! verified loader, input prepared from a real camera frame) or a bare ONNX graph (`--onnx`,
//! e.g. a candidate block of `kestrel-distill block-graphs`: the same optimised plan, input a
//! fixed pseudo-random tensor of the graph's input shape).
//!
//! ```text
//! cargo run -p kestrel-benches --bin tract-latency -- --model student --runs 100 \
//!     --dump-input /tmp/student_input.f32
//! ```
//!
//! Besides wall-clock `runs_ms`, `cpu_ms` is the calling thread's CPU time per run: on a
//! shared machine it is hardly affected by other processes (with `--threads 1` tract runs on
//! the calling thread only).
//!
//! `--threads N` (N > 1) runs tract's matrix products on an N-thread pool; it needs tract-linalg's
//! `multithread-mm` feature, which the workspace does not enable (see `benches/RESULTS.md`):
//! `cargo build -p kestrel-benches --features multithread-mm --bin tract-latency`.

use clap::{Parser, ValueEnum};
use kestrel_benches::BenchError;
use kestrel_benches::bench_inputs::kitti_image_path;
use kestrel_benches::tract_profile::{optimised_plan, profile_plan};
use kestrel_models::preprocess::prepare;
use kestrel_models::{Detector, ModelError, PixelView, load_image_file, zoo};
use ndarray::ArrayD;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;
use tract_onnx::prelude::*;

/// Which shipped model to run.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum Model {
    /// The shipped student (`models/zoo/kestrel-student-v3`).
    Student,
    /// The NanoDet COCO teacher (`models/teachers/nanodet_coco.toml`).
    Teacher,
}

/// Times a network in tract, run by run.
#[derive(Debug, Parser)]
#[command(name = "tract-latency", version, about)]
struct Args {
    /// A shipped model.
    #[arg(long, value_enum, required_unless_present_any = ["manifest", "onnx"], conflicts_with_all = ["manifest", "onnx"])]
    model: Option<Model>,
    /// A model folder's manifest (`model.toml`), loaded like the runtime loads students.
    #[arg(long, conflicts_with = "onnx")]
    manifest: Option<PathBuf>,
    /// A bare ONNX graph with one f32 input of fixed shape.
    #[arg(long)]
    onnx: Option<PathBuf>,
    /// Timed runs.
    #[arg(long, default_value_t = 100)]
    runs: usize,
    /// Untimed warm-up runs.
    #[arg(long, default_value_t = 5)]
    warmup: usize,
    /// Camera image the input is prepared from (models and manifests; default: KITTI object
    /// frame 000000).
    #[arg(long)]
    image: Option<PathBuf>,
    /// Write the input tensor here (f32 little endian, row-major, shape in the JSON).
    #[arg(long)]
    dump_input: Option<PathBuf>,
    /// Also time every node of the optimised plan (adds `per_op` to the JSON).
    #[arg(long)]
    per_node: bool,
    /// Threads of tract's matrix products (1 = the runtime's setting).
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Also run this many more times (on `--threads` threads) and report whether every output
    /// is bit-identical to that of a run on one thread (`repeat_identical` in the JSON).
    #[arg(long, default_value_t = 0)]
    check_repeat: usize,
}

/// The outputs of one run, kept as the runner returned them (copied out only for comparison).
enum Outputs {
    Plan(TVec<TValue>),
    Arrays(Vec<ArrayD<f32>>),
}

impl Outputs {
    /// Every output value's bits, in output order.
    fn bits(&self) -> Result<Vec<u32>, BenchError> {
        match self {
            Outputs::Arrays(a) => Ok(a
                .iter()
                .flat_map(|t| t.iter().map(|v| v.to_bits()))
                .collect()),
            Outputs::Plan(p) => {
                let mut bits = Vec::new();
                for t in p {
                    let view = t.to_plain_array_view::<f32>().map_err(|e| {
                        BenchError::Model(ModelError::Inference {
                            name: "tract".into(),
                            reason: format!("{e:#}"),
                        })
                    })?;
                    bits.extend(view.iter().map(|v| v.to_bits()));
                }
                Ok(bits)
            }
        }
    }
}

/// A network ready to run: its ONNX file, a runner and the input it is timed on.
struct Subject {
    name: String,
    input_name: String,
    onnx: PathBuf,
    /// The manifest's tract knobs (none for a bare ONNX file).
    knobs: BTreeMap<String, String>,
    input: ArrayD<f32>,
    image: Option<PathBuf>,
    run: Box<dyn Fn(ArrayD<f32>) -> Result<Outputs, BenchError>>,
}

/// A fixed pseudo-random tensor in [-1, 1) (a multiplicative hash of the element index).
fn pseudo_random_input(shape: &[usize]) -> ArrayD<f32> {
    let n: usize = shape.iter().product();
    let values = (0..n as u64)
        .map(|i| {
            let h = (i.wrapping_add(1)).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40;
            h as f32 / (1u64 << 23) as f32 - 1.0
        })
        .collect();
    ArrayD::from_shape_vec(shape.to_vec(), values).expect("shape and length agree")
}

fn onnx_input(path: &Path) -> Result<(String, Vec<usize>), BenchError> {
    let err = |reason: String| {
        BenchError::Model(ModelError::Onnx {
            path: path.to_path_buf(),
            reason,
        })
    };
    let model = tract_onnx::onnx()
        .model_for_path(path)
        .map_err(|e| err(format!("{e:#}")))?;
    let outlet = model.input_outlets().map_err(|e| err(format!("{e:#}")))?[0];
    let name = model.node(outlet.node).name.clone();
    let fact = model.input_fact(0).map_err(|e| err(format!("{e:#}")))?;
    let shape = fact
        .shape
        .as_concrete_finite()
        .ok()
        .flatten()
        .ok_or_else(|| err(format!("input {name} has no fixed shape ({fact:?})")))?;
    Ok((name, shape.to_vec()))
}

fn subject(args: &Args) -> Result<Subject, BenchError> {
    if let Some(onnx) = &args.onnx {
        let (input_name, shape) = onnx_input(onnx)?;
        let plan = optimised_plan(onnx, &shape, &BTreeMap::new())?;
        let path = onnx.clone();
        return Ok(Subject {
            name: onnx.display().to_string(),
            input_name,
            onnx: onnx.clone(),
            knobs: BTreeMap::new(),
            input: pseudo_random_input(&shape),
            image: None,
            run: Box::new(move |x| {
                plan.run(tvec![Tensor::from(x).into()])
                    .map(Outputs::Plan)
                    .map_err(|e| {
                        BenchError::Model(ModelError::Inference {
                            name: path.display().to_string(),
                            reason: format!("{e:#}"),
                        })
                    })
            }),
        });
    }
    let manifest = match (args.model, &args.manifest) {
        (_, Some(path)) => path.clone(),
        (Some(Model::Teacher), None) => zoo::teacher_manifest(),
        _ => zoo::default_student_manifest(),
    };
    let image = args.image.clone().unwrap_or_else(kitti_image_path);
    let frame = load_image_file(&image)?;
    let detector = Detector::load(&manifest)?;
    let (input, _) = prepare(&detector.manifest().input, &PixelView::from_frame(&frame));
    Ok(Subject {
        name: detector.manifest().name.clone(),
        input_name: detector.manifest().input.name.clone(),
        onnx: detector.manifest().onnx_path(&manifest),
        knobs: detector.manifest().tract_knobs.clone(),
        input: input.into_dyn(),
        image: Some(image),
        run: Box::new(move |x| {
            let x = x.into_dimensionality().map_err(|e| {
                BenchError::Model(ModelError::Inference {
                    name: detector.manifest().name.clone(),
                    reason: e.to_string(),
                })
            })?;
            detector.run_raw(x).map(Outputs::Arrays).map_err(Into::into)
        }),
    })
}

/// CPU time this thread has used, milliseconds (`CLOCK_THREAD_CPUTIME_ID`).
fn thread_cpu_ms() -> f64 {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `t` is a valid timespec the call writes; the clock id is a constant.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
    if rc != 0 {
        return f64::NAN;
    }
    t.tv_sec as f64 * 1e3 + t.tv_nsec as f64 * 1e-6
}

/// Wall-clock and this thread's CPU milliseconds of every timed run.
fn time_runs(args: &Args, s: &Subject) -> Result<(Vec<f64>, Vec<f64>), BenchError> {
    for _ in 0..args.warmup {
        (s.run)(s.input.clone())?;
    }
    let mut runs_ms = Vec::with_capacity(args.runs);
    let mut cpu_ms = Vec::with_capacity(args.runs);
    for _ in 0..args.runs {
        let x = s.input.clone();
        let (start, cpu_start) = (Instant::now(), thread_cpu_ms());
        let outputs = (s.run)(x)?;
        runs_ms.push(start.elapsed().as_secs_f64() * 1e3);
        cpu_ms.push(thread_cpu_ms() - cpu_start);
        drop(outputs);
    }
    Ok((runs_ms, cpu_ms))
}

/// Whether `repeats` runs on `threads` threads all give the output bits of a run on one thread.
fn repeat_identical(s: &Subject, repeats: usize, threads: usize) -> Result<bool, BenchError> {
    let single = (s.run)(s.input.clone())?.bits()?;
    with_threads(threads, || {
        for _ in 0..repeats {
            if (s.run)(s.input.clone())?.bits()? != single {
                return Ok(false);
            }
        }
        Ok(true)
    })?
}

/// Runs `f` with tract's matrix products on `threads` threads.
#[cfg(feature = "multithread-mm")]
fn with_threads<R>(threads: usize, f: impl FnOnce() -> R) -> Result<R, BenchError> {
    use tract_onnx::tract_core::tract_linalg::multithread::{Executor, multithread_tract_scope};
    if threads <= 1 {
        return Ok(f());
    }
    Ok(multithread_tract_scope(Executor::multithread(threads), f))
}

/// Runs `f` on one thread; more need the `multithread-mm` feature.
#[cfg(not(feature = "multithread-mm"))]
fn with_threads<R>(threads: usize, f: impl FnOnce() -> R) -> Result<R, BenchError> {
    if threads > 1 {
        return Err(BenchError::Model(ModelError::Inference {
            name: "tract".into(),
            reason: format!(
                "--threads {threads} needs tract-linalg's multithread-mm: build with \
                 `--features multithread-mm`"
            ),
        }));
    }
    Ok(f())
}

fn run(args: &Args) -> Result<String, BenchError> {
    let s = subject(args)?;
    if let Some(path) = &args.dump_input {
        let bytes: Vec<u8> = s.input.iter().flat_map(|v| v.to_le_bytes()).collect();
        std::fs::write(path, bytes).map_err(|e| BenchError::io(path, e))?;
    }
    let (runs_ms, cpu_ms) = with_threads(args.threads, || time_runs(args, &s))??;
    let identical = if args.check_repeat > 0 {
        Some(repeat_identical(&s, args.check_repeat, args.threads)?)
    } else {
        None
    };
    let per_op = if args.per_node {
        Some(with_threads(args.threads, || {
            profile_plan(&s.onnx, &s.knobs, &s.input, args.runs)
        })??)
    } else {
        None
    };
    let report = serde_json::json!({
        "runtime": "tract",
        "threads": args.threads,
        "model": s.name,
        "input_name": s.input_name,
        "input_shape": s.input.shape(),
        "image": s.image.map(|p| p.display().to_string()),
        "runs_ms": runs_ms,
        "cpu_ms": cpu_ms,
        "per_op": per_op,
        "repeat_identical": identical,
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
