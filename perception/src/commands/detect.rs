//! `kestrel detect <image>... [--model <manifest>] [--json] [--score-threshold T]`: runs a 2D
//! detector on image files and prints its detections.

use kestrel_models::{Detector, load_image_file, zoo};
use std::path::PathBuf;

/// Arguments of `kestrel detect`.
#[derive(clap::Args)]
pub struct Args {
    /// PNG or JPEG files.
    #[arg(required = true)]
    pub images: Vec<PathBuf>,
    /// Model manifest (TOML next to the ONNX). Default: the shipped student
    /// `models/zoo/kestrel-student-v3/model.toml`; the teacher is
    /// `models/teachers/nanodet_coco.toml`. Paths resolve in the repository checkout.
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// Print one JSON object per detection: `image`, `class`, `score`,
    /// `box` = [x1, y1, x2, y2] in the image's own pixels.
    #[arg(long)]
    pub json: bool,
    /// List every detection scoring at least this (0..1), whatever the class, instead of the
    /// manifest's calibrated per-class operating point (for precision-recall curves).
    #[arg(long, value_name = "T")]
    pub score_threshold: Option<f32>,
}

/// Runs `kestrel detect`.
pub fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let manifest = args.model.unwrap_or_else(zoo::default_student_manifest);
    let mut detector = Detector::load(&manifest)?;
    if let Some(t) = args.score_threshold {
        detector = detector.with_score_threshold(t)?;
    }
    for path in &args.images {
        let frame = load_image_file(path)?;
        let dets = detector.detect(&frame)?;
        let image = path.display().to_string();
        if !args.json {
            println!(
                "{image}: {}x{} px, {} detections ({})",
                frame.width,
                frame.height,
                dets.len(),
                detector.manifest().name
            );
        }
        for d in dets {
            if args.json {
                let line = serde_json::json!({
                    "image": image,
                    "class": d.label,
                    "score": d.score,
                    "box": d.bbox,
                });
                println!("{line}");
            } else {
                let [x1, y1, x2, y2] = d.bbox;
                println!(
                    "  {:<12} {:.3}  [{x1:.1}, {y1:.1}, {x2:.1}, {y2:.1}]",
                    d.label, d.score
                );
            }
        }
    }
    Ok(())
}
