//! `kestrel infer <image>... [--model <manifest>]`: runs a network on image files and prints
//! its raw output tensors (before decoding) as JSON lines, for comparing inference across
//! machines and kernel sets (`kestrel compare`).

use kestrel_models::kernel_selection::active_kernels;
use kestrel_models::preprocess::prepare;
use kestrel_models::{Detector, PixelView, load_image_file, zoo};
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

/// Arguments of `kestrel infer`.
#[derive(clap::Args)]
pub struct Args {
    /// PNG or JPEG files.
    #[arg(required = true)]
    pub images: Vec<PathBuf>,
    /// Model manifest (default: the shipped student,
    /// `models/zoo/kestrel-student-v3/model.toml`).
    #[arg(long)]
    pub model: Option<PathBuf>,
}

/// Runs `kestrel infer`: one JSON line per image and output tensor, with fields `image`,
/// `output` (manifest name), `shape` and `values` (row-major f32). The kernel set tract runs
/// on (native or reference) and the median network latency (wall clock, for information
/// only) go to stderr.
pub fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let manifest = args.model.unwrap_or_else(zoo::default_student_manifest);
    let detector = Detector::load(&manifest)?;
    eprintln!("kernels: {}", active_kernels().1);
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut latencies_ms = Vec::with_capacity(args.images.len());
    for path in &args.images {
        let frame = load_image_file(path)?;
        let (input, _) = prepare(&detector.manifest().input, &PixelView::from_frame(&frame));
        let start = Instant::now();
        let outputs = detector.run_raw(input)?;
        latencies_ms.push(start.elapsed().as_secs_f64() * 1e3);
        for (spec, tensor) in detector.manifest().outputs.iter().zip(&outputs) {
            let line = serde_json::json!({
                "image": path.display().to_string(),
                "output": spec.name,
                "shape": tensor.shape(),
                "values": tensor.iter().copied().collect::<Vec<f32>>(),
            });
            writeln!(out, "{line}")?;
        }
    }
    out.flush()?;
    latencies_ms.sort_by(f64::total_cmp);
    eprintln!(
        "network latency: median {:.2} ms over {} images",
        latencies_ms[latencies_ms.len() / 2],
        latencies_ms.len()
    );
    Ok(())
}
