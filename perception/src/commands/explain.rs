//! `kestrel explain <image> [--model M] [--compare M2] [--patch N] --out heat.png [--json]`:
//! where a detector looked for each of its detections (occlusion sensitivity, run with the
//! same tract model as on the vehicle), drawn over the image with the numbered boxes.

use kestrel_models::occlusion_saliency::{ImageExplanation, OcclusionConfig, explain_detections};
use kestrel_models::{Detector, PixelView, load_image_file, zoo};
use kestrel_perception::saliency_picture::{render_panel, side_by_side};
use kestrel_sensors::CameraFrame;
use std::path::{Path, PathBuf};

/// Arguments of `kestrel explain`.
#[derive(clap::Args)]
pub struct Args {
    /// PNG or JPEG file.
    pub image: PathBuf,
    /// Model manifest. Default: the shipped student `models/zoo/kestrel-student-v3/model.toml`.
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// A second model explained on the same image and drawn to the right (for example the
    /// teacher, `models/teachers/nanodet_coco.toml`).
    #[arg(long, value_name = "MANIFEST")]
    pub compare: Option<PathBuf>,
    /// Occluding patch side in model-input pixels (default: 2/17 of the image content's longer
    /// side in the model input, i.e. sixteen half-patch steps across it, at most a quarter of
    /// its shorter side). Smaller is finer and slower: one network run per half-patch step.
    #[arg(long, value_name = "PIXELS")]
    pub patch: Option<usize>,
    /// The picture to write (PNG).
    #[arg(long)]
    pub out: PathBuf,
    /// Scale the written picture to this width in pixels (default: the image's own
    /// resolution per panel).
    #[arg(long, value_name = "PIXELS")]
    pub width: Option<u32>,
    /// Print one JSON object per detection instead of the table: `model`, `number`, `class`,
    /// `score`, `box`, `peak` (image pixel of the largest score drop), `max_drop`,
    /// `share_in_box` (share of the positive saliency inside the box).
    #[arg(long)]
    pub json: bool,
}

/// Runs `kestrel explain`.
pub fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let frame = load_image_file(&args.image)?;
    let config = OcclusionConfig {
        patch: args.patch,
        ..OcclusionConfig::default()
    };
    let mut manifests = vec![args.model.unwrap_or_else(zoo::default_student_manifest)];
    manifests.extend(args.compare);
    let mut panels = Vec::new();
    for manifest in &manifests {
        let detector = Detector::load(manifest)?;
        let name = detector.manifest().name.clone();
        let explained = explain_detections(&detector, &PixelView::from_frame(&frame), &config)?;
        report(&name, &args.image, &frame, &explained, args.json);
        let caption = format!(
            "{name}: {} detections, occlusion patch {} px",
            explained.explanations.len(),
            explained.patch
        );
        panels.push(render_panel(&frame, &explained, &caption)?);
    }
    let mut picture = side_by_side(&panels);
    if let Some(width) = args.width.filter(|&w| w > 0 && w != picture.width()) {
        let height = (picture.height() as u64 * width as u64 / picture.width() as u64).max(1);
        picture = image::imageops::resize(
            &picture,
            width,
            height as u32,
            image::imageops::FilterType::Triangle,
        );
    }
    picture
        .save(&args.out)
        .map_err(|e| format!("cannot write {}: {e}", args.out.display()))?;
    if !args.json {
        println!("wrote {}", args.out.display());
    }
    Ok(())
}

/// Prints the detections and their saliency summary.
fn report(model: &str, image: &Path, frame: &CameraFrame, e: &ImageExplanation, json: bool) {
    if !json {
        println!(
            "{} ({}x{} px), {model}: {} detections, {} network runs",
            image.display(),
            frame.width,
            frame.height,
            e.explanations.len(),
            e.runs
        );
    }
    for (i, x) in e.explanations.iter().enumerate() {
        let d = &x.detection;
        let peak = x.saliency.peak_image();
        let share = x.saliency.share_inside(d.bbox);
        if json {
            let line = serde_json::json!({
                "model": model,
                "number": i + 1,
                "class": d.label,
                "score": d.score,
                "box": d.bbox,
                "peak": [peak.0, peak.1],
                "max_drop": x.saliency.max(),
                "share_in_box": share,
            });
            println!("{line}");
        } else {
            let [x1, y1, x2, y2] = d.bbox;
            println!(
                "  {:>2} {:<12} {:.3} [{x1:.0}, {y1:.0}, {x2:.0}, {y2:.0}]  peak ({:.0}, {:.0})  max drop {:.2}  {:.0}% in box",
                i + 1,
                d.label,
                d.score,
                peak.0,
                peak.1,
                x.saliency.max(),
                share * 100.0
            );
        }
    }
}
