//! `kestrel eval <input>... [--labels PATH] [--outputs FILE] [--out DIR] [--json]
//! [--markdown FILE]`: scores the stack against human labels (see
//! `kestrel_perception::evaluation` for every definition) and prints a text table or JSON;
//! writes a bird's-eye-view PNG per frame and a contact sheet with `--out`, and the generated
//! block of `EVALUATION.md` with `--markdown`.

use super::run::{ZenohFlags, load_config};
use kestrel_perception::evaluation::bev_frame::{FRAME_PICTURE_SIZE, render_frame};
use kestrel_perception::evaluation::contact_sheet::ContactSheet;
use kestrel_perception::evaluation::evaluate::parse_frame_range;
use kestrel_perception::evaluation::markdown_block::update_file;
use kestrel_perception::evaluation::report::TableFormat;
use kestrel_perception::evaluation::scored_frame::ScoredFrame;
use kestrel_perception::evaluation::{
    EvalError, EvalSettings, Evaluation, EvaluationReport, LabelSequence, OutputFrames,
};
use kestrel_perception::stage_factory::camera_manifest;
use kestrel_sensors::pandaset::HELDOUT_FROM;
use std::path::{Path, PathBuf};

/// The command named in `EVALUATION.md`'s markers.
const MARKDOWN_COMMAND: &str = "kestrel eval --markdown";

/// Tile size of the contact sheet, pixels (a quarter of a frame picture's side).
const SHEET_TILE: (u32, u32) = (FRAME_PICTURE_SIZE.0 / 4, FRAME_PICTURE_SIZE.1 / 4);

/// Arguments of `kestrel eval`.
#[derive(clap::Args)]
pub struct Args {
    /// What to evaluate: MCAP logs, KITTI object folders, nuScenes sample folders or PandaSet
    /// sequence folders. The stack runs on each (unless `--outputs`); its labels are read
    /// from it (unless `--labels`).
    #[arg(value_name = "INPUT", required = true)]
    pub inputs: Vec<PathBuf>,
    /// Read the labels from here instead of the input (a labelled folder or an MCAP log with
    /// `/kestrel/ground_truth/objects`). One input only.
    #[arg(long, value_name = "PATH")]
    pub labels: Option<PathBuf>,
    /// Score this `kestrel replay --json` file instead of running the stack. One input only.
    #[arg(long, value_name = "FILE")]
    pub outputs: Option<PathBuf>,
    /// Write report.json, report.txt, one bird's-eye-view PNG per frame (frames/) and
    /// contact_sheet.png here (one sub-folder per input when there are several).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Print the report as JSON instead of text tables.
    #[arg(long)]
    pub json: bool,
    /// Rewrite the generated block of this markdown file (e.g. EVALUATION.md) with the
    /// reports of all inputs; text outside the block is kept.
    #[arg(long, value_name = "FILE")]
    pub markdown: Option<PathBuf>,
    /// Frames used for tuning (`A-B`, inclusive frame numbers); the others are reported as
    /// held out. Default: `0-39` for PandaSet sequences, no split otherwise; `none` for no
    /// split.
    #[arg(long, value_name = "A-B|none")]
    pub tuning_frames: Option<String>,
    /// Largest time offset between a labelled frame and the output frame scored with it, ms.
    #[arg(long, value_name = "MS", default_value_t = 50.0)]
    pub time_tolerance_ms: f64,
    /// Configuration file (TOML; keys override perception/config/default.toml).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Camera detector model manifest (default: the shipped student).
    #[arg(long, value_name = "MANIFEST")]
    pub model: Option<PathBuf>,
    /// Run the stack without the camera detector (objects of class `unknown`).
    #[arg(long, conflicts_with = "model")]
    pub no_camera: bool,
    /// Do not draw pictures (with `--out`: only the reports).
    #[arg(long)]
    pub no_pictures: bool,
}

fn settings_for(args: &Args, labels: &LabelSequence) -> Result<EvalSettings, EvalError> {
    let tuning_frames = match args.tuning_frames.as_deref() {
        Some("none") => None,
        Some(range) => Some(parse_frame_range(range)?),
        None if labels.dataset == "pandaset" => Some(0..=HELDOUT_FROM - 1),
        None => None,
    };
    if !(args.time_tolerance_ms.is_finite() && args.time_tolerance_ms >= 0.0) {
        return Err(EvalError::Settings(format!(
            "--time-tolerance-ms {}: must be a number >= 0",
            args.time_tolerance_ms
        )));
    }
    Ok(EvalSettings {
        time_tolerance_ns: (args.time_tolerance_ms * 1e6).round() as u64,
        tuning_frames,
        ..EvalSettings::default()
    })
}

/// The model's name for reports: its folder (`kestrel-student-v2`), not a machine path.
fn model_name(manifest: &Path) -> String {
    manifest
        .parent()
        .and_then(|p| p.file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| manifest.display().to_string())
}

/// A folder name for an input: its file or folder name.
fn slug(input: &Path) -> String {
    input
        .file_stem()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "input".into())
}

/// Evaluates one input; writes its files under `out` when given.
fn evaluate_input(
    args: &Args,
    input: &Path,
    out: Option<&Path>,
) -> Result<EvaluationReport, Box<dyn std::error::Error>> {
    let labels_path = args.labels.as_deref().unwrap_or(input);
    let labels = LabelSequence::open(labels_path)?;
    let settings = settings_for(args, &labels)?;
    let (outputs, outputs_desc) = match &args.outputs {
        Some(file) => (
            OutputFrames::read_json_lines(file)?,
            format!("`{}` (replay --json)", file.display()),
        ),
        None => {
            let config = load_config(args.config.as_deref(), &ZenohFlags::default())?;
            let manifest = camera_manifest(args.model.clone(), args.no_camera);
            let (frames, summary) = OutputFrames::from_stack(input, &config, manifest.as_deref())?;
            let model = manifest
                .as_deref()
                .map_or_else(|| "no camera detector".to_owned(), model_name);
            (
                frames,
                format!(
                    "the stack run here in replay ({model}; output digest {})",
                    &summary.digest[..16.min(summary.digest.len())]
                ),
            )
        }
    };
    let evaluation = Evaluation {
        labels: &labels,
        outputs: &outputs,
        settings,
    };
    let report = evaluation.report(
        &input.display().to_string(),
        &labels_path.display().to_string(),
        &outputs_desc,
    )?;
    if let Some(dir) = out {
        write_outputs(&evaluation, &report, dir, !args.no_pictures)?;
    }
    Ok(report)
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), EvalError> {
    std::fs::write(path, bytes).map_err(|e| EvalError::io(path, e))
}

/// Writes the reports, the frame pictures and the contact sheet into `dir`.
fn write_outputs(
    evaluation: &Evaluation<'_>,
    report: &EvaluationReport,
    dir: &Path,
    pictures: bool,
) -> Result<(), EvalError> {
    std::fs::create_dir_all(dir).map_err(|e| EvalError::io(dir, e))?;
    write_file(&dir.join("report.json"), report.to_json().as_bytes())?;
    write_file(
        &dir.join("report.txt"),
        report.render(TableFormat::Text).as_bytes(),
    )?;
    if !pictures {
        return Ok(());
    }
    let frames_dir = dir.join("frames");
    std::fs::create_dir_all(&frames_dir).map_err(|e| EvalError::io(&frames_dir, e))?;
    let labels = evaluation.labels;
    let n = labels.frames.len() as u32;
    let columns = if n >= 16 {
        8
    } else {
        (n as f64).sqrt().ceil() as u32
    };
    let mut sheet = ContactSheet::new(
        &format!(
            "{}: labels (coloured by class group) vs tracks (blue, #id), {} frames",
            report.input, n
        ),
        n,
        columns,
        SHEET_TILE,
    )?;
    let region = evaluation.region();
    let t0 = labels.frames.first().map_or(0, |f| f.labels.timestamp.0);
    for frame in &labels.frames {
        let (_, outputs) = evaluation.outputs_of(frame);
        let scored = ScoredFrame::new(frame, &outputs.tracked, &region)?;
        let matched = scored
            .matching
            .output_to_label
            .iter()
            .filter(|m| m.is_some())
            .count();
        let title = format!(
            "{} frame {}, t = {:.1} s: {} labels, {} tracks ({} matched)",
            labels.dataset,
            frame.name,
            frame.labels.timestamp.0.saturating_sub(t0) as f64 / 1e9,
            frame.labels.objects.len(),
            outputs.tracked.len(),
            matched
        );
        let img = render_frame(&title, &scored, &outputs.detected, &region)?;
        let png = kestrel_sim::bev_figure::png_bytes(&img)?;
        write_file(&frames_dir.join(format!("{}.png", frame.name)), &png)?;
        sheet.push(&img)?;
    }
    let png = kestrel_sim::bev_figure::png_bytes(sheet.image())?;
    write_file(&dir.join("contact_sheet.png"), &png)
}

/// The generated block of the markdown file: per input, its report, and its contact sheet when
/// it lies under the markdown file's folder.
fn markdown_block(
    markdown: &Path,
    reports: &[(EvaluationReport, Option<PathBuf>)],
    command: &str,
) -> String {
    let mut out = format!("Generated by `{command}`.\n");
    let base = markdown.parent().unwrap_or(Path::new(""));
    for (report, dir) in reports {
        out += &format!("\n### `{}`\n\n", report.input);
        out += &report.render(TableFormat::Markdown);
        if let Some(rel) = dir
            .as_ref()
            .map(|d| d.join("contact_sheet.png"))
            .filter(|p| p.exists())
            .and_then(|p| {
                if base.as_os_str().is_empty() {
                    Some(p)
                } else {
                    p.strip_prefix(base).ok().map(Path::to_path_buf)
                }
            })
        {
            out += &format!(
                "\nContact sheet (labels vs tracks, every frame): \
                 [{0}]({0})\n",
                rel.display()
            );
        }
    }
    out
}

/// Runs `kestrel eval`.
pub fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    if args.inputs.len() > 1 && (args.labels.is_some() || args.outputs.is_some()) {
        return Err("--labels and --outputs take one input".into());
    }
    let mut reports = Vec::new();
    for input in &args.inputs {
        let out = args.out.as_ref().map(|d| {
            if args.inputs.len() > 1 {
                d.join(slug(input))
            } else {
                d.clone()
            }
        });
        let report = evaluate_input(&args, input, out.as_deref())?;
        if args.json {
            print!("{}", report.to_json());
        } else {
            print!("{}", report.render(TableFormat::Text));
        }
        reports.push((report, out));
    }
    if let Some(md) = &args.markdown {
        let inputs: Vec<String> = args
            .inputs
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        let mut command = format!("kestrel eval {}", inputs.join(" "));
        if let Some(out) = &args.out {
            command += &format!(" --out {}", out.display());
        }
        command += &format!(" --markdown {}", md.display());
        update_file(
            md,
            MARKDOWN_COMMAND,
            &markdown_block(md, &reports, &command),
        )?;
        eprintln!("kestrel eval: updated {}", md.display());
    }
    Ok(())
}
